/* ph-approval-window.h: "Allow access?": who asks, for which entry and action, and four answers.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "ph-prompter.h"

G_BEGIN_DECLS

#define PH_TYPE_APPROVAL_WINDOW (ph_approval_window_get_type ())

G_DECLARE_FINAL_TYPE (PhApprovalWindow, ph_approval_window, PH, APPROVAL_WINDOW, AdwWindow)

PhApprovalWindow *ph_approval_window_new (const PhAccessRequest *request);

G_END_DECLS
