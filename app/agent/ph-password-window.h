/* ph-password-window.h: the master password, asked by the agent (unlock and re-authentication).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "ph-secret.h"

G_BEGIN_DECLS

#define PH_TYPE_PASSWORD_WINDOW (ph_password_window_get_type ())

G_DECLARE_FINAL_TYPE (PhPasswordWindow, ph_password_window, PH, PASSWORD_WINDOW, AdwWindow)

PhPasswordWindow *ph_password_window_new           (const char       *message);
PhPasswordWindow *ph_password_window_new_for_code  (const char       *message);
PhSecret         *ph_password_window_take_password (PhPasswordWindow *self);
void              ph_password_window_set_busy      (PhPasswordWindow *self,
                                                    gboolean          busy);
void              ph_password_window_set_error     (PhPasswordWindow *self,
                                                    const char       *error,
                                                    guint             wait_ms);

G_END_DECLS
