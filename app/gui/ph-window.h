/* ph-window.h: Perihelion's main window: first run, unlock, and the vault browser.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "ph-agent-dbus.h"
#include "ph-entry-list.h"

G_BEGIN_DECLS

#define PH_TYPE_WINDOW (ph_window_get_type ())

G_DECLARE_FINAL_TYPE (PhWindow, ph_window, PH, WINDOW, AdwApplicationWindow)

PhWindow     *ph_window_new             (AdwApplication *application,
                                         PhDBusAgent1   *agent);
PhDBusAgent1 *ph_window_get_agent       (PhWindow       *self);
PhEntryList  *ph_window_get_entries     (PhWindow       *self);
void          ph_window_toast           (PhWindow       *self,
                                         const char     *message);
void          ph_window_show_error      (PhWindow       *self,
                                         const GError   *error);
void          ph_window_select_entry    (PhWindow       *self,
                                         const char     *id);
void          ph_window_delete_entry    (PhWindow       *self,
                                         const char     *id);
void          ph_window_refresh         (PhWindow       *self);

G_END_DECLS
