/* ph-setup-view.h: the first run: create a vault, open one, or import.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "ph-agent-dbus.h"

G_BEGIN_DECLS

#define PH_TYPE_SETUP_VIEW (ph_setup_view_get_type ())

G_DECLARE_FINAL_TYPE (PhSetupView, ph_setup_view, PH, SETUP_VIEW, GtkWidget)

void     ph_setup_view_set_agent (PhSetupView  *self,
                                  PhDBusAgent1 *agent);
gboolean ph_setup_view_is_busy   (PhSetupView  *self);

G_END_DECLS
