/* ph-tray.h: the agent's tray icon: a StatusNotifierItem with a dbusmenu menu.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "ph-agent.h"

G_BEGIN_DECLS

#define PH_TYPE_TRAY (ph_tray_get_type ())

G_DECLARE_FINAL_TYPE (PhTray, ph_tray, PH, TRAY, GObject)

PhTray   *ph_tray_new   (PhAgent          *agent);
gboolean  ph_tray_start (PhTray           *self,
                         GDBusConnection  *connection,
                         GError          **error);

G_END_DECLS
