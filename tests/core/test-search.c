/* test-search.c: ranked search, checked against a plain scan on random vaults.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ph-search-index.h"
#include "ph-test-util.h"

static void
test_ranking (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v", NULL);
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(PhEntry) tagged = NULL;

  ph_test_put_entry (vault, "Personal mail", "me@gitlab.com", NULL, NULL);
  ph_test_put_entry (vault, "Work GitLab", "alice", "https://gitlab.example.com", NULL);
  ph_test_put_entry (vault, "GitLab", "bob", "https://gitlab.com/", NULL);
  ph_test_put_entry (vault, "Forge", "carol", "https://code.gitlab.org/x", NULL);
  tagged = ph_test_add_entry (vault, "Bank", "dave", NULL, NULL);
  ph_entry_set_tags (tagged, (const char *[]) { "finance", NULL });
  ph_entry_set_folder (tagged, "Money");
  ph_vault_entry_changed (vault, tagged);
  ph_test_put_entry (vault, "Ünïcode Straße", "erik", NULL, NULL);

  found = ph_vault_search (vault, "gitlab");
  g_assert_cmpuint (found->len, ==, 4);
  /* The whole title first, then a title word, then hosts, then the username. */
  g_assert_cmpstr (ph_entry_get_title (g_ptr_array_index (found, 0)), ==, "GitLab");
  g_assert_cmpstr (ph_entry_get_title (g_ptr_array_index (found, 1)), ==, "Work GitLab");
  g_assert_cmpstr (ph_entry_get_title (g_ptr_array_index (found, 3)), ==, "Personal mail");
  g_clear_pointer (&found, g_ptr_array_unref);

  /* Every token must match, in any field. */
  found = ph_vault_search (vault, "GITLAB alice");
  g_assert_cmpuint (found->len, ==, 1);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = ph_vault_search (vault, "finance money");
  g_assert_cmpuint (found->len, ==, 1);
  g_assert_true (g_ptr_array_index (found, 0) == tagged);
  g_clear_pointer (&found, g_ptr_array_unref);
  /* Case folding is Unicode's: ß matches SS. */
  found = ph_vault_search (vault, "STRASSE");
  g_assert_cmpuint (found->len, ==, 1);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = ph_vault_search (vault, "ÜNÏ");
  g_assert_cmpuint (found->len, ==, 1);
  g_clear_pointer (&found, g_ptr_array_unref);
  found = ph_vault_search (vault, "   ");
  g_assert_cmpuint (found->len, ==, 6);
  g_clear_pointer (&found, g_ptr_array_unref);

  /* Edits are seen by the next search. */
  ph_entry_set_title (tagged, "Credit union");
  ph_vault_entry_changed (vault, tagged);
  found = ph_vault_search (vault, "credit");
  g_assert_cmpuint (found->len, ==, 1);

  ph_test_remove_dir (dir);
}

static gboolean
naive_match (PhEntry    *entry,
             char      **tokens)
{
  g_autofree char *title = ph_search_fold (ph_entry_get_title (entry));
  g_autofree char *user = ph_search_fold (ph_entry_get_username (entry));
  g_autofree char *folder = ph_search_fold (ph_entry_get_folder (entry));
  g_autofree char *host = ph_entry_dup_primary_host (entry);

  for (guint i = 0; tokens[i]; i++)
    {
      if (*tokens[i] == '\0')
        continue;
      if (!strstr (title, tokens[i]) && !strstr (user, tokens[i]) && !strstr (folder, tokens[i]) &&
          !(host && strstr (host, tokens[i])))
        return FALSE;
    }
  return TRUE;
}

/* The index finds exactly the entries a plain scan finds. */
static void
test_against_plain_scan (void)
{
  static const char *syllables[] = { "ka", "lo", "mi", "ne", "git", "hub", "lab", "ba", "zo" };
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v", NULL);
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  GRand *rand = g_rand_new_with_seed (42);

  for (int i = 0; i < 2000; i++)
    {
      g_autofree char *title = g_strdup_printf ("%s%s %s", syllables[g_rand_int_range (rand, 0, 9)],
                                                syllables[g_rand_int_range (rand, 0, 9)],
                                                syllables[g_rand_int_range (rand, 0, 9)]);
      g_autofree char *user = g_strdup_printf ("%s%d", syllables[g_rand_int_range (rand, 0, 9)], i);
      g_autofree char *url = g_strdup_printf ("https://%s.%s.example/p", syllables[g_rand_int_range (rand, 0, 9)],
                                              syllables[g_rand_int_range (rand, 0, 9)]);
      g_autoptr(PhEntry) entry = ph_test_add_entry (vault, title, user, url, NULL);

      ph_entry_set_folder (entry, syllables[g_rand_int_range (rand, 0, 9)]);
    }

  for (int q = 0; q < 300; q++)
    {
      g_autofree char *query = g_strdup_printf ("%s %s", syllables[g_rand_int_range (rand, 0, 9)],
                                                q % 2 ? syllables[g_rand_int_range (rand, 0, 9)] : "");
      g_auto(GStrv) tokens = g_strsplit (query, " ", -1);
      g_autoptr(GPtrArray) found = ph_vault_search (vault, query);
      g_autoptr(GHashTable) set = g_hash_table_new (NULL, NULL);
      guint expected = 0;

      for (guint i = 0; i < found->len; i++)
        g_hash_table_add (set, g_ptr_array_index (found, i));
      g_assert_cmpuint (g_hash_table_size (set), ==, found->len);
      for (guint i = 0; i < g_list_model_get_n_items (G_LIST_MODEL (vault)); i++)
        {
          g_autoptr(PhEntry) entry = g_list_model_get_item (G_LIST_MODEL (vault), i);

          if (naive_match (entry, tokens))
            {
              expected++;
              g_assert_true (g_hash_table_contains (set, entry));
            }
        }
      g_assert_cmpuint (found->len, ==, expected);
    }

  g_rand_free (rand);
  ph_test_remove_dir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/search/ranking", test_ranking);
  g_test_add_func ("/search/against-plain-scan", test_against_plain_scan);

  return g_test_run ();
}
