/* ph-entry-pack.h: entry metadata in a compact binary form, for listing a large vault.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-entry.h"

G_BEGIN_DECLS

GBytes    *ph_entry_pack   (GPtrArray  *entries);
GPtrArray *ph_entry_unpack (GBytes     *packed,
                            GError    **error);

G_END_DECLS
