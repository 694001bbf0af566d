/* ph-entry-view.h: one entry: its fields, copy, reveal through the gate, history.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "ph-entry.h"

G_BEGIN_DECLS

#define PH_TYPE_ENTRY_VIEW (ph_entry_view_get_type ())

G_DECLARE_FINAL_TYPE (PhEntryView, ph_entry_view, PH, ENTRY_VIEW, GtkWidget)

void     ph_entry_view_set_entry  (PhEntryView *self,
                                   PhEntry     *entry);
PhEntry *ph_entry_view_get_entry  (PhEntryView *self);
void     ph_entry_view_activate   (PhEntryView *self,
                                   const char  *action);

G_END_DECLS
