/* ph-policy-window.h: the access policy: rules as a table, the Casbin text, a dry run.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "ph-window.h"

G_BEGIN_DECLS

#define PH_TYPE_POLICY_WINDOW (ph_policy_window_get_type ())

G_DECLARE_FINAL_TYPE (PhPolicyWindow, ph_policy_window, PH, POLICY_WINDOW, AdwWindow)

PhPolicyWindow *ph_policy_window_new (PhWindow *window);

G_END_DECLS
