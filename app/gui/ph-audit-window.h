/* ph-audit-window.h: the audit log: filter, verify, export.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "ph-window.h"

G_BEGIN_DECLS

#define PH_TYPE_AUDIT_WINDOW (ph_audit_window_get_type ())

G_DECLARE_FINAL_TYPE (PhAuditWindow, ph_audit_window, PH, AUDIT_WINDOW, AdwWindow)

PhAuditWindow *ph_audit_window_new (PhWindow *window);

G_END_DECLS
