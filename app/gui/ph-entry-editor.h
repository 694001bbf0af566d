/* ph-entry-editor.h: add or edit an entry, with validation and the generator.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "ph-entry.h"
#include "ph-window.h"

G_BEGIN_DECLS

#define PH_TYPE_ENTRY_EDITOR (ph_entry_editor_get_type ())

G_DECLARE_FINAL_TYPE (PhEntryEditor, ph_entry_editor, PH, ENTRY_EDITOR, AdwWindow)

PhEntryEditor *ph_entry_editor_new       (PhWindow       *window,
                                          PhEntry        *entry);
gboolean       ph_entry_editor_scan_file (PhEntryEditor  *self,
                                          GFile          *file,
                                          GError        **error);

G_END_DECLS
