/* ph-row-model.h: a list of entries as rows that stay put while their contents change.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "ph-row.h"

G_BEGIN_DECLS

#define PH_TYPE_ROW_MODEL (ph_row_model_get_type ())

G_DECLARE_FINAL_TYPE (PhRowModel, ph_row_model, PH, ROW_MODEL, GObject)

PhRowModel *ph_row_model_new (GListModel *entries);

G_END_DECLS
