/* ph-accounts-window.h: OAuth accounts: add, sign in again, sign out.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "ph-agent-dbus.h"

G_BEGIN_DECLS

#define PH_TYPE_ACCOUNTS_WINDOW (ph_accounts_window_get_type ())

G_DECLARE_FINAL_TYPE (PhAccountsWindow, ph_accounts_window, PH, ACCOUNTS_WINDOW, AdwWindow)

PhAccountsWindow *ph_accounts_window_new       (GtkWindow        *parent,
                                                PhDBusAgent1     *agent);
void              ph_accounts_window_reload    (PhAccountsWindow *self);
GtkWindow        *ph_accounts_window_get_sign_in_window (PhAccountsWindow *self);

G_END_DECLS
