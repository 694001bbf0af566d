/* ph-entry-list.c: the entries a window shows: searched, scoped and sorted.
 *
 * A GListModel over a client's copy of the vault's entries. A query ranks with the same
 * search index the vault uses, so the window and `perihelion-cli search` agree; without a
 * query the entries are sorted. Sorting keys are computed once per sort order, so a keystroke
 * costs one index query and one pass over the result, which keeps typing smooth at 100,000
 * entries. Each change is announced as one items-changed over the whole list: a list view
 * then rebuilds only the rows on screen.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ph-entry-list.h"
#include "ph-search-index.h"

struct _PhEntryList
{
  GObject parent_instance;

  GPtrArray *entries;       /* PhEntry, as given */
  GHashTable *by_id;        /* id -> PhEntry */
  GHashTable *hidden;       /* ids not shown (deletions waiting for their undo to expire) */
  PhSearchIndex *index;     /* built on the first query */
  char *matched_query;      /* the last query, and what it matched (entry indices): a query */
  GArray *matched;          /* that extends it searches only those */
  GPtrArray *sorted;        /* entries in sort order, built on demand */
  GPtrArray *visible;       /* what the model shows */

  char *query;
  PhEntryScope scope;
  char *scope_value;
  PhEntrySort sort;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PhEntryList, ph_entry_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type (GListModel *model)
{
  return PH_TYPE_ENTRY;
}

static guint
get_n_items (GListModel *model)
{
  return PH_ENTRY_LIST (model)->visible->len;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  PhEntryList *self = PH_ENTRY_LIST (model);

  if (position >= self->visible->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->visible, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
ph_entry_list_finalize (GObject *object)
{
  PhEntryList *self = PH_ENTRY_LIST (object);

  g_clear_pointer (&self->index, ph_search_index_free);
  g_clear_pointer (&self->matched, g_array_unref);
  g_free (self->matched_query);
  g_clear_pointer (&self->sorted, g_ptr_array_unref);
  g_clear_pointer (&self->visible, g_ptr_array_unref);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->hidden, g_hash_table_unref);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_free (self->query);
  g_free (self->scope_value);

  G_OBJECT_CLASS (ph_entry_list_parent_class)->finalize (object);
}

static void
ph_entry_list_class_init (PhEntryListClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ph_entry_list_finalize;
}

static void
ph_entry_list_init (PhEntryList *self)
{
  self->entries = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->hidden = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->visible = g_ptr_array_new ();
}

PhEntryList *
ph_entry_list_new (void)
{
  return g_object_new (PH_TYPE_ENTRY_LIST, NULL);
}

gboolean
ph_entry_list_entry_in_scope (PhEntry      *entry,
                              PhEntryScope  scope,
                              const char   *value,
                              gint64        now)
{
  const char *folder;
  gsize len;

  switch (scope)
    {
    case PH_ENTRY_SCOPE_FAVORITES:
      return ph_entry_get_favorite (entry);
    case PH_ENTRY_SCOPE_FOLDER:
      folder = ph_entry_get_folder (entry);
      len = strlen (value);
      return strncmp (folder, value, len) == 0 && (folder[len] == '\0' || folder[len] == '/');
    case PH_ENTRY_SCOPE_TAG:
      return ph_entry_has_tag (entry, value);
    case PH_ENTRY_SCOPE_ROTATION_DUE:
      return ph_entry_get_rotation_due (entry) != 0 &&
             ph_entry_get_rotation_due (entry) <= now + PH_ENTRY_ROTATION_NOTICE;
    case PH_ENTRY_SCOPE_ALL:
    default:
      return TRUE;
    }
}

/* Sorting keys: collation keys of the folded text, computed once per sort. */
typedef struct
{
  PhEntry *entry;
  char *key;
  gint64 time;
} SortItem;

static int
compare_sort_items (gconstpointer a,
                    gconstpointer b)
{
  const SortItem *x = a, *y = b;
  int c;

  if (x->key == NULL)
    return x->time < y->time ? 1 : x->time > y->time ? -1 : 0;
  if ((c = strcmp (x->key, y->key)) != 0)
    return c;
  return strcmp (ph_entry_get_id (x->entry), ph_entry_get_id (y->entry));
}

static GPtrArray *
ensure_sorted (PhEntryList *self)
{
  g_autofree SortItem *items = NULL;
  guint n = self->entries->len;

  if (self->sorted)
    return self->sorted;
  items = g_new0 (SortItem, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    {
      PhEntry *entry = g_ptr_array_index (self->entries, i);
      g_autofree char *folded = NULL;

      items[i].entry = entry;
      switch (self->sort)
        {
        case PH_ENTRY_SORT_MODIFIED:
          items[i].time = ph_entry_get_modified (entry);
          break;
        case PH_ENTRY_SORT_USERNAME:
          folded = g_utf8_casefold (ph_entry_get_username (entry), -1);
          items[i].key = g_utf8_collate_key (folded, -1);
          break;
        case PH_ENTRY_SORT_TITLE:
        default:
          folded = g_utf8_casefold (ph_entry_get_title (entry), -1);
          items[i].key = g_utf8_collate_key (folded, -1);
          break;
        }
    }
  qsort (items, n, sizeof *items, compare_sort_items);
  self->sorted = g_ptr_array_sized_new (n);
  for (guint i = 0; i < n; i++)
    {
      g_ptr_array_add (self->sorted, items[i].entry);
      g_free (items[i].key);
    }
  return self->sorted;
}

static void
refilter (PhEntryList *self)
{
  g_autoptr(GPtrArray) ranked = NULL;
  g_autoptr(GPtrArray) old = self->visible;
  GPtrArray *base;
  guint old_len = old->len, prefix = 0, suffix = 0;
  gint64 now = g_get_real_time ();
  gboolean filter_hidden = g_hash_table_size (self->hidden) > 0;

  if (self->query && *self->query)
    {
      GArray *within = NULL;
      GArray *matched = NULL;

      if (self->index == NULL)
        self->index = ph_search_index_new (self->entries);
      if (self->matched && g_str_has_prefix (self->query, self->matched_query))
        within = self->matched;
      base = ranked = ph_search_index_query_within (self->index, self->query, within, &matched);
      g_clear_pointer (&self->matched, g_array_unref);
      self->matched = matched;
      g_free (self->matched_query);
      self->matched_query = g_strdup (self->query);
    }
  else
    {
      g_clear_pointer (&self->matched, g_array_unref);
      g_clear_pointer (&self->matched_query, g_free);
      base = ensure_sorted (self);
    }

  self->visible = g_ptr_array_sized_new (base->len);
  for (guint i = 0; i < base->len; i++)
    {
      PhEntry *entry = g_ptr_array_index (base, i);

      if (self->scope != PH_ENTRY_SCOPE_ALL &&
          !ph_entry_list_entry_in_scope (entry, self->scope, self->scope_value, now))
        continue;
      if (filter_hidden && g_hash_table_contains (self->hidden, ph_entry_get_id (entry)))
        continue;
      g_ptr_array_add (self->visible, entry);
    }
  /* Announce only what changed between the common head and tail: a view keeps the rows it
   * already has for them (typing one more letter often keeps the top results in place). */
  while (prefix < old_len && prefix < self->visible->len &&
         old->pdata[prefix] == self->visible->pdata[prefix])
    prefix++;
  while (suffix < old_len - prefix && suffix < self->visible->len - prefix &&
         old->pdata[old_len - 1 - suffix] == self->visible->pdata[self->visible->len - 1 - suffix])
    suffix++;
  if (old_len - prefix - suffix > 0 || self->visible->len - prefix - suffix > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), prefix, old_len - prefix - suffix,
                                self->visible->len - prefix - suffix);
}

/**
 * ph_entry_list_set_entries:
 * @entries: (element-type PhEntry): the vault's entries (metadata copies)
 *
 * Replaces every entry. Hidden ids stay hidden.
 */
void
ph_entry_list_set_entries (PhEntryList *self,
                           GPtrArray   *entries)
{
  g_return_if_fail (PH_IS_ENTRY_LIST (self));

  g_clear_pointer (&self->index, ph_search_index_free);
  g_clear_pointer (&self->matched, g_array_unref);
  g_clear_pointer (&self->matched_query, g_free);
  g_clear_pointer (&self->sorted, g_ptr_array_unref);
  /* The visible list borrows from the old entries until the views hear of the change. */
  g_autoptr(GPtrArray) old = g_steal_pointer (&self->entries);
  self->entries = g_ptr_array_new_full (entries->len, g_object_unref);
  g_hash_table_remove_all (self->by_id);
  for (guint i = 0; i < entries->len; i++)
    {
      PhEntry *entry = g_ptr_array_index (entries, i);

      g_ptr_array_add (self->entries, g_object_ref (entry));
      g_hash_table_insert (self->by_id, (gpointer) ph_entry_get_id (entry), entry);
    }
  refilter (self);
}

guint
ph_entry_list_get_n_entries (PhEntryList *self)
{
  g_return_val_if_fail (PH_IS_ENTRY_LIST (self), 0);

  return self->entries->len;
}

PhEntry *
ph_entry_list_lookup (PhEntryList *self,
                      const char  *id)
{
  g_return_val_if_fail (PH_IS_ENTRY_LIST (self), NULL);

  return id ? g_hash_table_lookup (self->by_id, id) : NULL;
}

/**
 * ph_entry_list_find:
 *
 * Returns: where the entry with @id is shown, or G_MAXUINT when it is not (a pointer scan of
 *   the shown list: a window calls it on every keystroke to keep its selection)
 */
guint
ph_entry_list_find (PhEntryList *self,
                    const char  *id)
{
  PhEntry *entry;

  g_return_val_if_fail (PH_IS_ENTRY_LIST (self), G_MAXUINT);

  if (!(entry = ph_entry_list_lookup (self, id)))
    return G_MAXUINT;
  for (guint i = 0; i < self->visible->len; i++)
    if (self->visible->pdata[i] == entry)
      return i;
  return G_MAXUINT;
}

void
ph_entry_list_set_query (PhEntryList *self,
                         const char  *query)
{
  g_return_if_fail (PH_IS_ENTRY_LIST (self));

  if (g_strcmp0 (self->query, query) == 0)
    return;
  g_free (self->query);
  self->query = g_strdup (query);
  refilter (self);
}

const char *
ph_entry_list_get_query (PhEntryList *self)
{
  g_return_val_if_fail (PH_IS_ENTRY_LIST (self), NULL);

  return self->query ? self->query : "";
}

void
ph_entry_list_set_scope (PhEntryList  *self,
                         PhEntryScope  scope,
                         const char   *value)
{
  g_return_if_fail (PH_IS_ENTRY_LIST (self));
  g_return_if_fail ((scope != PH_ENTRY_SCOPE_FOLDER && scope != PH_ENTRY_SCOPE_TAG) || value != NULL);

  if (self->scope == scope && g_strcmp0 (self->scope_value, value) == 0)
    return;
  self->scope = scope;
  g_free (self->scope_value);
  self->scope_value = g_strdup (value);
  refilter (self);
}

void
ph_entry_list_set_sort (PhEntryList *self,
                        PhEntrySort  sort)
{
  g_return_if_fail (PH_IS_ENTRY_LIST (self));

  if (self->sort == sort)
    return;
  self->sort = sort;
  g_clear_pointer (&self->sorted, g_ptr_array_unref);
  refilter (self);
}

/* Hides an entry without removing it: a deletion that can still be undone. */
void
ph_entry_list_set_hidden (PhEntryList *self,
                          const char  *id,
                          gboolean     hidden)
{
  g_return_if_fail (PH_IS_ENTRY_LIST (self));

  if (hidden ? !g_hash_table_add (self->hidden, g_strdup (id)) : !g_hash_table_remove (self->hidden, id))
    return;
  refilter (self);
}

static int
compare_names (const void *a,
               const void *b)
{
  return g_utf8_collate (*(char * const *) a, *(char * const *) b);
}

static GStrv
collect (PhEntryList *self,
         gboolean     tags)
{
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char **names = NULL;
  guint n;

  for (guint i = 0; i < self->entries->len; i++)
    {
      PhEntry *entry = g_ptr_array_index (self->entries, i);

      if (tags)
        {
          const char * const *list = ph_entry_get_tags (entry);

          for (guint t = 0; list && list[t]; t++)
            g_hash_table_add (seen, (gpointer) list[t]);
        }
      else if (*ph_entry_get_folder (entry))
        g_hash_table_add (seen, (gpointer) ph_entry_get_folder (entry));
    }
  names = (char **) g_hash_table_get_keys_as_array (seen, &n);
  qsort (names, n, sizeof *names, compare_names);
  {
    GStrv copy = g_new0 (char *, n + 1);

    for (guint i = 0; i < n; i++)
      copy[i] = g_strdup (names[i]);
    return copy;
  }
}

/* The folders and the tags in use, in collation order: what a sidebar lists. */
GStrv
ph_entry_list_dup_folders (PhEntryList *self)
{
  g_return_val_if_fail (PH_IS_ENTRY_LIST (self), NULL);

  return collect (self, FALSE);
}

GStrv
ph_entry_list_dup_tags (PhEntryList *self)
{
  g_return_val_if_fail (PH_IS_ENTRY_LIST (self), NULL);

  return collect (self, TRUE);
}
