/* ph-entry-list.h: the entries a window shows: searched, scoped and sorted.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "ph-entry.h"

G_BEGIN_DECLS

typedef enum
{
  PH_ENTRY_SCOPE_ALL,
  PH_ENTRY_SCOPE_FAVORITES,
  PH_ENTRY_SCOPE_FOLDER,        /* the folder and the folders inside it */
  PH_ENTRY_SCOPE_TAG,
  PH_ENTRY_SCOPE_ROTATION_DUE,  /* rotation due within PH_ENTRY_ROTATION_NOTICE, or overdue */
} PhEntryScope;

typedef enum
{
  PH_ENTRY_SORT_TITLE,
  PH_ENTRY_SORT_MODIFIED,       /* most recent first */
  PH_ENTRY_SORT_USERNAME,
} PhEntrySort;

#define PH_ENTRY_ROTATION_NOTICE (14 * G_TIME_SPAN_DAY)

#define PH_TYPE_ENTRY_LIST (ph_entry_list_get_type ())

G_DECLARE_FINAL_TYPE (PhEntryList, ph_entry_list, PH, ENTRY_LIST, GObject)

PhEntryList *ph_entry_list_new            (void);
void         ph_entry_list_set_entries    (PhEntryList  *self,
                                           GPtrArray    *entries);
guint        ph_entry_list_get_n_entries  (PhEntryList  *self);
PhEntry     *ph_entry_list_lookup         (PhEntryList  *self,
                                           const char   *id);
guint        ph_entry_list_find           (PhEntryList  *self,
                                           const char   *id);
void         ph_entry_list_set_query      (PhEntryList  *self,
                                           const char   *query);
const char  *ph_entry_list_get_query      (PhEntryList  *self);
void         ph_entry_list_set_scope      (PhEntryList  *self,
                                           PhEntryScope  scope,
                                           const char   *value);
void         ph_entry_list_set_sort       (PhEntryList  *self,
                                           PhEntrySort   sort);
void         ph_entry_list_set_hidden     (PhEntryList  *self,
                                           const char   *id,
                                           gboolean      hidden);
gboolean     ph_entry_list_entry_in_scope (PhEntry      *entry,
                                           PhEntryScope  scope,
                                           const char   *value,
                                           gint64        now);
GStrv        ph_entry_list_dup_folders    (PhEntryList  *self);
GStrv        ph_entry_list_dup_tags       (PhEntryList  *self);

G_END_DECLS
