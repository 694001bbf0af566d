/* test-entry-list.c: what the app shows of a vault: metadata copies, the packed listing, and
 * the searched, scoped, sorted entry list.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ph-crypto.h"
#include "ph-entry-list.h"
#include "ph-entry-pack.h"
#include "ph-search-index.h"

static PhEntry *
make_entry (guint i)
{
  static const char *words[] = { "github", "gitlab", "aws", "bank", "mail", "vpn", "router", "shop" };
  g_autofree char *title = g_strdup_printf ("%s %s %u", words[i % 8], words[(i / 8) % 8], i);
  g_autofree char *user = g_strdup_printf ("user%u@example.org", i % 37);
  g_autofree char *url = g_strdup_printf ("https://%s.example.com/%u", words[(i / 3) % 8], i);
  const char *urls[] = { url, NULL };
  const char *tags[] = { words[i % 5], "all", NULL };
  PhEntry *entry = ph_entry_new (title);

  ph_entry_set_username (entry, user);
  ph_entry_set_urls (entry, urls);
  ph_entry_set_tags (entry, tags);
  ph_entry_set_folder (entry, i % 4 == 0 ? "Work/Cloud" : i % 4 == 1 ? "Work" : "Personal");
  ph_entry_set_favorite (entry, i % 10 == 0);
  ph_entry_set_notes (entry, i % 2 ? "rotates monthly" : "");
  ph_entry_set_field (entry, "account", "12345");
  if (i % 6 == 0)
    ph_entry_set_rotation_due (entry, g_get_real_time () + (i % 12 == 0 ? G_TIME_SPAN_DAY : 90 * G_TIME_SPAN_DAY));
  return entry;
}

static void
assert_same_metadata (PhEntry *a,
                      PhEntry *b)
{
  g_autoptr(GVariant) va = g_variant_ref_sink (ph_entry_to_variant (a));
  g_autoptr(GVariant) vb = g_variant_ref_sink (ph_entry_to_variant (b));

  g_assert_true (g_variant_equal (va, vb));
}

/* Metadata survives the a{sv} form (List) and the packed form (ListPacked) unchanged. */
static void
test_metadata_round_trip (void)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GBytes) packed = NULL;
  g_autoptr(GPtrArray) unpacked = NULL;
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < 50; i++)
    g_ptr_array_add (entries, make_entry (i));
  for (guint i = 0; i < entries->len; i++)
    {
      g_autoptr(GVariant) metadata = g_variant_ref_sink (ph_entry_to_variant (g_ptr_array_index (entries, i)));
      g_autoptr(PhEntry) copy = ph_entry_new_from_variant (metadata);

      g_assert_nonnull (copy);
      assert_same_metadata (g_ptr_array_index (entries, i), copy);
    }
  packed = ph_entry_pack (entries);
  unpacked = ph_entry_unpack (packed, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (unpacked->len, ==, entries->len);
  for (guint i = 0; i < entries->len; i++)
    assert_same_metadata (g_ptr_array_index (entries, i), g_ptr_array_index (unpacked, i));

  /* No id or title: not an entry. */
  {
    g_autoptr(GVariant) empty = g_variant_ref_sink (g_variant_new ("a{sv}", NULL));

    g_assert_null (ph_entry_new_from_variant (empty));
  }
}

/* Every truncation and every single-byte change of a packed list is an error or a list of
 * valid entries, never a crash or a read past the end (ASan watches). */
static void
test_unpack_hostile (void)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GBytes) packed = NULL;
  const guint8 *data;
  gsize size;

  for (guint i = 0; i < 3; i++)
    g_ptr_array_add (entries, make_entry (i));
  packed = ph_entry_pack (entries);
  data = g_bytes_get_data (packed, &size);
  for (gsize len = 0; len < size; len++)
    {
      g_autofree guint8 *copy = g_memdup2 (data, len);
      g_autoptr(GBytes) cut = g_bytes_new_take (g_steal_pointer (&copy), len);
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) result = ph_entry_unpack (cut, &error);

      g_assert_null (result);
      g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA);
    }
  for (gsize at = 0; at < size; at++)
    {
      g_autofree guint8 *copy = g_memdup2 (data, size);
      g_autoptr(GBytes) changed = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) result = NULL;

      copy[at] ^= 0xff;
      changed = g_bytes_new_take (g_steal_pointer (&copy), size);
      result = ph_entry_unpack (changed, &error);
      g_assert_true ((result == NULL) != (error == NULL));
      for (guint i = 0; result && i < result->len; i++)
        {
          PhEntry *entry = g_ptr_array_index (result, i);

          g_assert_true (g_utf8_validate (ph_entry_get_title (entry), -1, NULL));
          g_assert_true (g_utf8_validate (ph_entry_get_id (entry), -1, NULL));
        }
    }
}

static GPtrArray *
list_items (PhEntryList *list)
{
  GPtrArray *items = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (list)); i++)
    g_ptr_array_add (items, g_list_model_get_item (G_LIST_MODEL (list), i));
  return items;
}

typedef struct
{
  GPtrArray *mirror;   /* what a view would show, kept by items-changed alone */
  PhEntryList *list;
} Mirror;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Mirror     *mirror)
{
  g_ptr_array_remove_range (mirror->mirror, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (mirror->mirror, position + i, g_list_model_get_item (model, position + i));
}

/* Typing a letter at a time searches within the previous matches, and must give exactly what
 * a fresh search gives; a view that follows items-changed must end up with the same list. */
static void
test_search_narrowing (void)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PhEntryList) list = ph_entry_list_new ();
  g_autoptr(PhSearchIndex) index = NULL;
  Mirror mirror = { g_ptr_array_new_with_free_func (g_object_unref), list };
  const char *typed[] = { "g", "gi", "git", "gith", "github", "github ", "github b", "github ba", "", "w",
                          "wo", "wor", "work", "x", "xy", "", "user1", "user12", "user1", "u", "", "shop 7" };

  for (guint i = 0; i < 2000; i++)
    g_ptr_array_add (entries, make_entry (i));
  index = ph_search_index_new (entries);
  g_signal_connect (list, "items-changed", G_CALLBACK (on_items_changed), &mirror);
  ph_entry_list_set_entries (list, entries);
  for (guint q = 0; q < G_N_ELEMENTS (typed); q++)
    {
      g_autoptr(GPtrArray) shown = NULL;
      g_autoptr(GPtrArray) fresh = NULL;

      ph_entry_list_set_query (list, typed[q]);
      shown = list_items (list);
      if (*typed[q])
        {
          fresh = ph_search_index_query (index, typed[q]);
          g_assert_cmpuint (shown->len, ==, fresh->len);
          for (guint i = 0; i < shown->len; i++)
            g_assert_true (shown->pdata[i] == fresh->pdata[i]);
        }
      else
        g_assert_cmpuint (shown->len, ==, entries->len);
      g_assert_cmpuint (mirror.mirror->len, ==, shown->len);
      for (guint i = 0; i < shown->len; i++)
        g_assert_true (mirror.mirror->pdata[i] == shown->pdata[i]);
    }
  g_ptr_array_unref (mirror.mirror);
}

static void
test_scopes_and_sort (void)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PhEntryList) list = ph_entry_list_new ();
  g_auto(GStrv) folders = NULL;
  g_auto(GStrv) tags = NULL;
  guint n;

  for (guint i = 0; i < 40; i++)
    g_ptr_array_add (entries, make_entry (i));
  ph_entry_list_set_entries (list, entries);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 40);

  /* A folder holds the folders inside it too; "Work" does not hold "Workshop". */
  ph_entry_list_set_scope (list, PH_ENTRY_SCOPE_FOLDER, "Work");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 20);
  ph_entry_list_set_scope (list, PH_ENTRY_SCOPE_FOLDER, "Work/Cloud");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 10);
  ph_entry_list_set_scope (list, PH_ENTRY_SCOPE_FOLDER, "Wor");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 0);
  ph_entry_list_set_scope (list, PH_ENTRY_SCOPE_FAVORITES, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 4);
  ph_entry_list_set_scope (list, PH_ENTRY_SCOPE_TAG, "all");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 40);
  ph_entry_list_set_scope (list, PH_ENTRY_SCOPE_ROTATION_DUE, NULL);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, 4);   /* due in a day, not in 90 */
  ph_entry_list_set_scope (list, PH_ENTRY_SCOPE_ALL, NULL);

  folders = ph_entry_list_dup_folders (list);
  g_assert_cmpstrv (folders, ((const char *[]) { "Personal", "Work", "Work/Cloud", NULL }));
  tags = ph_entry_list_dup_tags (list);
  g_assert_cmpuint (g_strv_length (tags), ==, 6);

  /* Sorted by title without a query, by recency on request. */
  n = g_list_model_get_n_items (G_LIST_MODEL (list));
  for (guint i = 1; i < n; i++)
    {
      g_autoptr(PhEntry) a = g_list_model_get_item (G_LIST_MODEL (list), i - 1);
      g_autoptr(PhEntry) b = g_list_model_get_item (G_LIST_MODEL (list), i);
      g_autofree char *fa = g_utf8_casefold (ph_entry_get_title (a), -1);
      g_autofree char *fb = g_utf8_casefold (ph_entry_get_title (b), -1);

      g_assert_cmpint (g_utf8_collate (fa, fb), <=, 0);
    }
  ph_entry_list_set_sort (list, PH_ENTRY_SORT_MODIFIED);
  for (guint i = 1; i < n; i++)
    {
      g_autoptr(PhEntry) a = g_list_model_get_item (G_LIST_MODEL (list), i - 1);
      g_autoptr(PhEntry) b = g_list_model_get_item (G_LIST_MODEL (list), i);

      g_assert_cmpint (ph_entry_get_modified (a), >=, ph_entry_get_modified (b));
    }

  /* A hidden entry (a delete waiting for its undo) is not listed, and comes back. */
  {
    g_autoptr(PhEntry) first = g_list_model_get_item (G_LIST_MODEL (list), 0);

    ph_entry_list_set_hidden (list, ph_entry_get_id (first), TRUE);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, n - 1);
    ph_entry_list_set_hidden (list, ph_entry_get_id (first), FALSE);
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (list)), ==, n);
    g_assert_true (ph_entry_list_lookup (list, ph_entry_get_id (first)) == first);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ph_crypto_init ();

  g_test_add_func ("/entry-list/metadata-round-trip", test_metadata_round_trip);
  g_test_add_func ("/entry-list/unpack-hostile", test_unpack_hostile);
  g_test_add_func ("/entry-list/search-narrowing", test_search_narrowing);
  g_test_add_func ("/entry-list/scopes-and-sort", test_scopes_and_sort);
  return g_test_run ();
}
