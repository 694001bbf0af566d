/* ph-row.h: one row of a list view, showing whichever entry is at its position.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-entry.h"

G_BEGIN_DECLS

#define PH_TYPE_ROW (ph_row_get_type ())

G_DECLARE_FINAL_TYPE (PhRow, ph_row, PH, ROW, GObject)

PhRow   *ph_row_new       (PhEntry *entry);
PhEntry *ph_row_get_entry (PhRow   *self);
void     ph_row_set_entry (PhRow   *self,
                           PhEntry *entry);

G_END_DECLS
