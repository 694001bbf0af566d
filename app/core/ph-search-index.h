/* ph-search-index.h: ranked substring and token search over an entry list.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-entry.h"

G_BEGIN_DECLS

typedef struct _PhSearchIndex PhSearchIndex;

PhSearchIndex *ph_search_index_new    (GPtrArray     *entries);
void           ph_search_index_free   (PhSearchIndex *self);
GPtrArray     *ph_search_index_query  (PhSearchIndex *self,
                                       const char    *query);
GPtrArray     *ph_search_index_query_within (PhSearchIndex *self,
                                             const char    *query,
                                             GArray        *within,
                                             GArray       **out_matched);
char          *ph_search_fold         (const char    *text);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhSearchIndex, ph_search_index_free)

G_END_DECLS
