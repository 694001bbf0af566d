/* test-vault.c: the vault file format, key slots, sealed fields, saving and merging.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>

#include "ph-entry-private.h"
#include "ph-test-util.h"
#include "ph-vault-private.h"

static void
test_create_and_reopen (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autofree char *backup = g_strconcat (path, ".bak", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "correct horse", NULL);
  g_autoptr(PhVault) again = NULL;
  g_autoptr(PhEntry) entry = NULL;
  PhEntry *found;
  PhKdfParams params;
  guint64 generation;

  entry = ph_test_add_entry (vault, "GitHub", "alice", "https://github.com/alice", "pa55");
  ph_entry_set_folder (entry, "Work");
  ph_entry_set_tags (entry, (const char *[]) { "dev", "git", NULL });
  ph_entry_set_notes (entry, "two-line\nnote");
  ph_entry_set_sensitivity (entry, PH_SENSITIVITY_HIGH);
  ph_entry_set_field (entry, "account", "1234");
  ph_test_set_secret (vault, entry, "api key", "k3y");
  ph_vault_save (vault, &error);
  g_assert_no_error (error);
  generation = ph_vault_get_generation (vault);
  g_assert_cmpuint (generation, ==, 1);

  /* A second save keeps the first as the backup. */
  ph_vault_save (vault, &error);
  g_assert_no_error (error);
  g_assert_true (g_file_test (backup, G_FILE_TEST_EXISTS));

  again = ph_test_open_vault (path, "correct horse");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (again)), ==, 1);
  g_assert_cmpuint (ph_vault_get_generation (again), ==, 2);
  found = ph_vault_find (again, "github", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ph_entry_get_id (found), ==, ph_entry_get_id (entry));
  g_assert_cmpstr (ph_entry_get_username (found), ==, "alice");
  g_assert_cmpstr (ph_entry_get_folder (found), ==, "Work");
  g_assert_cmpstr (ph_entry_get_notes (found), ==, "two-line\nnote");
  g_assert_cmpint (ph_entry_get_sensitivity (found), ==, PH_SENSITIVITY_HIGH);
  g_assert_true (ph_entry_has_tag (found, "git"));
  g_assert_cmpstr (ph_entry_get_field (found, "account"), ==, "1234");
  g_assert_true (ph_entry_field_is_protected (found, "api key"));
  g_assert_null (ph_entry_get_field (found, "api key"));
  g_assert_cmpint (ph_entry_get_modified (found), ==, ph_entry_get_modified (entry));
  ph_test_assert_secret (again, found, PH_FIELD_PASSWORD, "pa55");
  ph_test_assert_secret (again, found, "api key", "k3y");
  g_assert_true (ph_vault_get_kdf_params (again, &params));
  g_assert_cmpuint (params.memlimit, ==, ph_test_kdf.memlimit);

  ph_test_remove_dir (dir);
}

static void
test_wrong_password_and_recovery (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) recovery = NULL;
  g_autoptr(PhSecret) wrong = ph_secret_new_from_text ("nope");
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", &recovery);
  g_autoptr(PhVault) locked = NULL;
  g_autoptr(PhSecret) new_recovery = NULL;
  g_autofree char *lower = NULL;

  ph_test_put_entry (vault, "x", NULL, NULL, "y");
  ph_vault_save (vault, &error);
  g_assert_no_error (error);

  locked = ph_vault_load (path, &error);
  g_assert_no_error (error);
  g_assert_true (ph_vault_get_locked (locked));
  g_assert_false (ph_vault_unlock_with_password (locked, wrong, &error));
  g_assert_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_WRONG_PASSWORD);
  g_clear_error (&error);

  /* The recovery key works typed in lowercase with spaces, as a person might. */
  lower = g_ascii_strdown (ph_secret_get_text (recovery), -1);
  g_strdelimit (lower, "-", ' ');
  g_assert_true (ph_vault_unlock_with_recovery_key (locked, lower, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (locked)), ==, 1);

  /* A typo is caught by the checksum before any decryption. */
  ph_vault_lock (locked);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (locked)), ==, 0);
  lower[0] = lower[0] == 'a' ? 'b' : 'a';
  g_assert_false (ph_vault_unlock_with_recovery_key (locked, lower, &error));
  g_assert_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_WRONG_PASSWORD);
  g_clear_error (&error);

  /* Rotating the recovery key retires the old one. */
  new_recovery = ph_vault_rotate_recovery_key (vault, &error);
  g_assert_no_error (error);
  ph_vault_save (vault, &error);
  g_assert_no_error (error);
  g_clear_object (&locked);
  locked = ph_vault_load (path, &error);
  g_assert_false (ph_vault_unlock_with_recovery_key (locked, ph_secret_get_text (recovery), &error));
  g_assert_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_WRONG_PASSWORD);
  g_clear_error (&error);
  g_assert_true (ph_vault_unlock_with_recovery_key (locked, ph_secret_get_text (new_recovery), &error));
  g_assert_no_error (error);

  ph_test_remove_dir (dir);
}

static void
test_change_password (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "old", NULL);
  g_autoptr(PhVault) reopened = NULL;
  g_autoptr(PhSecret) new_password = ph_secret_new_from_text ("new");
  g_autoptr(PhSecret) old_password = ph_secret_new_from_text ("old");
  g_autoptr(PhEntry) entry = ph_test_add_entry (vault, "t", NULL, NULL, "s");

  ph_vault_save (vault, &error);
  g_assert_no_error (error);
  ph_vault_set_password (vault, new_password, NULL, &error);
  g_assert_no_error (error);
  ph_vault_save (vault, &error);
  g_assert_no_error (error);

  reopened = ph_vault_load (path, &error);
  g_assert_false (ph_vault_unlock_with_password (reopened, old_password, &error));
  g_assert_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_WRONG_PASSWORD);
  g_clear_error (&error);
  g_assert_true (ph_vault_unlock_with_password (reopened, new_password, &error));
  ph_test_assert_secret (reopened, ph_vault_find (reopened, "t", NULL), PH_FIELD_PASSWORD, "s");

  ph_test_remove_dir (dir);
}

static void
test_history_and_fields (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(PhEntry) entry = ph_test_add_entry (vault, "t", NULL, NULL, "p0");
  g_autoptr(PhSecret) history = NULL;

  for (int i = 1; i <= PH_ENTRY_MAX_HISTORY + 5; i++)
    {
      g_autofree char *text = g_strdup_printf ("p%d", i);
      g_autoptr(PhSecret) secret = ph_secret_new_from_text (text);

      ph_vault_set_secret (vault, entry, PH_FIELD_PASSWORD, secret, &error);
      g_assert_no_error (error);
    }
  /* Setting the same password again adds nothing. */
  ph_test_set_password (vault, entry, "p15");

  g_assert_cmpuint (ph_entry_get_n_history (entry), ==, PH_ENTRY_MAX_HISTORY);
  history = ph_vault_unseal_history (vault, entry, PH_ENTRY_MAX_HISTORY - 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ph_secret_get_text (history), ==, "p14");
  g_clear_pointer (&history, ph_secret_unref);
  history = ph_vault_unseal_history (vault, entry, 0, &error);
  g_assert_cmpstr (ph_secret_get_text (history), ==, "p5");

  ph_vault_unseal (vault, entry, "missing", &error);
  g_assert_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  ph_test_remove_dir (dir);
}

/* A sealed value moved to another entry must not open: the entry id is its associated data. */
static void
test_sealed_fields_bound_to_entry (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(PhEntry) a = ph_test_add_entry (vault, "a", NULL, NULL, "secret-a");
  g_autoptr(PhEntry) b = ph_test_add_entry (vault, "b", NULL, NULL, "secret-b");
  g_autoptr(PhSecret) opened = NULL;

  g_bytes_unref (b->sealed_password);
  b->sealed_password = g_bytes_ref (a->sealed_password);
  opened = ph_vault_unseal (vault, b, PH_FIELD_PASSWORD, &error);
  g_assert_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_CORRUPT);
  g_assert_null (opened);

  ph_test_remove_dir (dir);
}

static void
items_changed_cb (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  guint      *counter)
{
  (*counter)++;
}

static void
test_list_model_and_find (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(PhEntry) one = NULL;
  g_autoptr(PhEntry) two = NULL;
  g_autoptr(PhEntry) bad = NULL;
  guint changes = 0;

  g_signal_connect (vault, "items-changed", G_CALLBACK (items_changed_cb), &changes);
  one = ph_test_add_entry (vault, "Mail", "a", NULL, NULL);
  two = ph_test_add_entry (vault, "Mail", "b", NULL, NULL);
  g_assert_cmpuint (changes, ==, 2);
  g_assert_true (g_list_model_get_item_type (G_LIST_MODEL (vault)) == PH_TYPE_ENTRY);

  g_assert_null (ph_vault_find (vault, "Mail", &error));
  g_assert_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_AMBIGUOUS);
  g_clear_error (&error);
  g_assert_true (ph_vault_find (vault, ph_entry_get_id (two), &error) == two);
  g_assert_null (ph_vault_find (vault, "nothing", &error));
  g_assert_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NOT_FOUND);
  g_clear_error (&error);

  ph_vault_remove (vault, one);
  g_assert_cmpuint (changes, ==, 3);
  g_assert_true (ph_vault_find (vault, "mail", &error) == two);

  bad = ph_entry_new ("\xff\xfe");
  g_assert_false (ph_vault_add (vault, bad, &error));
  g_assert_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_INVALID);

  ph_test_remove_dir (dir);
}

static GBytes *
saved_small_vault (const char *path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(PhEntry) entry = ph_test_add_entry (vault, "t", "u", "https://e.org", "s");
  g_autofree char *contents = NULL;
  gsize len;

  ph_vault_save (vault, &error);
  g_assert_no_error (error);
  g_file_get_contents (path, &contents, &len, &error);
  g_assert_no_error (error);
  return g_bytes_new_take (g_steal_pointer (&contents), len);
}

/* Every single flipped bit of a small vault gives a clear error, never a crash or a vault that
 * opens to something else. */
static void
test_every_byte_flipped (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autofree char *damaged = g_build_filename (dir, "damaged.phvault", NULL);
  g_autoptr(GBytes) good = saved_small_vault (path);
  g_autoptr(PhSecret) password = ph_secret_new_from_text ("pw");
  gsize len;
  const guint8 *data = g_bytes_get_data (good, &len);
  g_autofree guint8 *copy = g_memdup2 (data, len);

  for (gsize i = 0; i < len; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PhVault) vault = NULL;

      copy[i] ^= 0x20;
      g_file_set_contents (damaged, (const char *) copy, len, &error);
      g_assert_no_error (error);
      copy[i] ^= 0x20;

      vault = ph_vault_load (damaged, &error);
      if (vault != NULL)
        {
          g_assert_false (ph_vault_unlock_with_password (vault, password, &error));
          g_assert_true (ph_vault_get_locked (vault));
        }
      g_assert_nonnull (error);
      g_assert_true (error->domain == PH_VAULT_ERROR);
      g_assert_true (error->code == PH_VAULT_ERROR_CORRUPT ||
                     error->code == PH_VAULT_ERROR_NOT_A_VAULT ||
                     error->code == PH_VAULT_ERROR_UNSUPPORTED_VERSION);
      g_assert_null (strchr (error->message, '\n'));
    }

  ph_test_remove_dir (dir);
}

static void
test_truncated (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autofree char *damaged = g_build_filename (dir, "damaged.phvault", NULL);
  g_autoptr(GBytes) good = saved_small_vault (path);
  g_autoptr(PhSecret) password = ph_secret_new_from_text ("pw");
  gsize len;
  const guint8 *data = g_bytes_get_data (good, &len);

  for (gsize cut = 0; cut < len; cut++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PhVault) vault = NULL;

      g_file_set_contents (damaged, (const char *) data, cut, &error);
      g_assert_no_error (error);
      vault = ph_vault_load (damaged, &error);
      if (vault != NULL)
        g_assert_false (ph_vault_unlock_with_password (vault, password, &error));
      g_assert_nonnull (error);
      g_assert_true (error->domain == PH_VAULT_ERROR);
    }

  ph_test_remove_dir (dir);
}

static void
test_unknown_version (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(GBytes) good = saved_small_vault (path);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autofree guint8 *copy = g_memdup2 (g_bytes_get_data (good, NULL), g_bytes_get_size (good));

  copy[8] = 2;
  g_file_set_contents (path, (const char *) copy, g_bytes_get_size (good), &error);
  vault = ph_vault_load (path, &error);
  g_assert_null (vault);
  g_assert_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_UNSUPPORTED_VERSION);
  g_assert_nonnull (strstr (error->message, "version 2"));
  g_clear_error (&error);

  g_file_set_contents (path, "hello, world\n", -1, &error);
  vault = ph_vault_load (path, &error);
  g_assert_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NOT_A_VAULT);

  ph_test_remove_dir (dir);
}

static void
test_merge_concurrent_writers (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) base = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(PhVault) a = NULL;
  g_autoptr(PhVault) b = NULL;
  g_autoptr(PhVault) result = NULL;
  g_autoptr(PhEntry) shared = NULL;
  g_autoptr(PhEntry) doomed = NULL;
  g_autoptr(PhEntry) kept = NULL;
  g_autoptr(PhEntry) only_a = NULL;
  g_autoptr(PhEntry) only_b = NULL;
  g_autoptr(GPtrArray) conflicts = NULL;
  PhEntry *e;

  shared = ph_test_add_entry (base, "shared", "s", NULL, "v0");
  doomed = ph_test_add_entry (base, "doomed", NULL, NULL, NULL);
  kept = ph_test_add_entry (base, "kept", NULL, NULL, NULL);
  ph_test_put_entry (base, "edited-a", NULL, NULL, NULL);
  ph_vault_save (base, &error);
  g_assert_no_error (error);

  a = ph_test_open_vault (path, "pw");
  b = ph_test_open_vault (path, "pw");

  /* A: adds, deletes one entry, edits another, and edits the shared entry first. */
  only_a = ph_test_add_entry (a, "only-a", NULL, NULL, NULL);
  ph_vault_remove (a, ph_vault_find (a, "doomed", NULL));
  ph_vault_remove (a, ph_vault_find (a, "kept", NULL));
  ph_entry_set_notes (ph_vault_find (a, "edited-a", NULL), "by a");
  ph_test_set_password (a, ph_vault_find (a, "shared", NULL), "from-a");
  ph_vault_save (a, &error);
  g_assert_no_error (error);

  /* B, unaware: adds, edits the entry A deleted as "kept", and edits the shared entry later. */
  g_usleep (2000);
  only_b = ph_test_add_entry (b, "only-b", NULL, NULL, NULL);
  ph_entry_set_notes (ph_vault_find (b, "kept", NULL), "edited by b");
  ph_test_set_password (b, ph_vault_find (b, "shared", NULL), "from-b");
  ph_vault_save (b, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (ph_vault_get_n_conflicts (b), ==, 1);

  result = ph_test_open_vault (path, "pw");
  g_assert_nonnull (ph_vault_find (result, "only-a", NULL));
  g_assert_nonnull (ph_vault_find (result, "only-b", NULL));
  g_assert_null (ph_vault_find (result, "doomed", NULL));
  e = ph_vault_find (result, "kept", NULL);
  g_assert_nonnull (e);
  g_assert_cmpstr (ph_entry_get_notes (e), ==, "edited by b");
  g_assert_cmpstr (ph_entry_get_notes (ph_vault_find (result, "edited-a", NULL)), ==, "by a");
  /* The newer edit keeps the id; the older one survives as a conflict copy. */
  e = ph_vault_find (result, ph_entry_get_id (shared), NULL);
  ph_test_assert_secret (result, e, PH_FIELD_PASSWORD, "from-b");
  conflicts = ph_vault_search (result, "conflict");
  g_assert_cmpuint (conflicts->len, ==, 1);
  ph_test_assert_secret (result, g_ptr_array_index (conflicts, 0), PH_FIELD_PASSWORD, "from-a");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (result)), ==, 6);

  ph_test_remove_dir (dir);
}

static void
test_password_changed_elsewhere (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) base = ph_test_new_vault (path, "old", NULL);
  g_autoptr(PhVault) a = NULL;
  g_autoptr(PhVault) b = NULL;
  g_autoptr(PhVault) result = NULL;
  g_autoptr(PhSecret) new_password = ph_secret_new_from_text ("new");

  ph_vault_save (base, &error);
  a = ph_test_open_vault (path, "old");
  b = ph_test_open_vault (path, "old");
  ph_vault_set_password (a, new_password, NULL, &error);
  ph_vault_save (a, &error);
  g_assert_no_error (error);
  ph_test_put_entry (b, "x", NULL, NULL, NULL);
  ph_vault_save (b, &error);
  g_assert_no_error (error);

  /* B's save kept A's new password. */
  result = ph_test_open_vault (path, "new");
  g_assert_nonnull (ph_vault_find (result, "x", NULL));
  ph_test_remove_dir (dir);
}

static void
test_save_failure_keeps_old_vault (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(PhVault) reopened = NULL;
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  struct rlimit saved, small;
  gsize before_len, after_len;

  ph_test_put_entry (vault, "first", NULL, NULL, "1");
  ph_vault_save (vault, &error);
  g_assert_no_error (error);
  g_file_get_contents (path, &before, &before_len, NULL);

  /* Make the next save too large to write: the kernel refuses past RLIMIT_FSIZE, as a full
   * disk refuses past its last block. */
  for (int i = 0; i < 200; i++)
    {
      g_autofree char *title = g_strdup_printf ("padding %d", i);
      ph_test_put_entry (vault, title, "user", "https://example.org", "secret");
    }
  signal (SIGXFSZ, SIG_IGN);
  getrlimit (RLIMIT_FSIZE, &saved);
  small = saved;
  small.rlim_cur = before_len + 100;
  setrlimit (RLIMIT_FSIZE, &small);
  g_assert_false (ph_vault_save (vault, &error));
  setrlimit (RLIMIT_FSIZE, &saved);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_FAILED);
  g_assert_nonnull (strstr (error->message, "unchanged"));
  g_clear_error (&error);

  g_file_get_contents (path, &after, &after_len, NULL);
  g_assert_cmpmem (before, before_len, after, after_len);

  /* No temporary file is left behind, and the next save succeeds. */
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;
    while ((name = g_dir_read_name (d)) != NULL)
      g_assert_false (g_str_has_suffix (name, ".tmp"));
  }
  ph_vault_save (vault, &error);
  g_assert_no_error (error);
  reopened = ph_test_open_vault (path, "pw");
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (reopened)), ==, 201);

  ph_test_remove_dir (dir);
}

static void
test_unknown_records_survive (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(PhVault) reopened = NULL;
  g_autoptr(PhVault) third = NULL;
  g_autoptr(PhEntry) entry = ph_test_add_entry (vault, "t", NULL, NULL, NULL);
  PhEntry *found;
  /* A record (kind 200) and an entry field (tag 250) from some future version. */
  static const guint8 future_field[] = { 250, 3, 0, 0, 0, 'a', 'b', 'c' };
  static const guint8 future_record[] = { 200, 2, 0, 0, 0, 'x', 'y' };

  entry->unknown = g_byte_array_append (g_byte_array_new (), future_field, sizeof future_field);
  g_ptr_array_add (vault->extra_records, g_bytes_new_static (future_record, sizeof future_record));
  ph_vault_save (vault, &error);
  g_assert_no_error (error);

  reopened = ph_test_open_vault (path, "pw");
  ph_entry_set_notes (ph_vault_find (reopened, "t", NULL), "edited");
  ph_vault_save (reopened, &error);
  third = ph_test_open_vault (path, "pw");
  found = ph_vault_find (third, "t", NULL);
  g_assert_nonnull (found->unknown);
  g_assert_cmpmem (found->unknown->data, found->unknown->len, future_field, sizeof future_field);
  g_assert_cmpuint (third->extra_records->len, ==, 1);

  ph_test_remove_dir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/vault/create-and-reopen", test_create_and_reopen);
  g_test_add_func ("/vault/wrong-password-and-recovery", test_wrong_password_and_recovery);
  g_test_add_func ("/vault/change-password", test_change_password);
  g_test_add_func ("/vault/history-and-fields", test_history_and_fields);
  g_test_add_func ("/vault/sealed-fields-bound-to-entry", test_sealed_fields_bound_to_entry);
  g_test_add_func ("/vault/list-model-and-find", test_list_model_and_find);
  g_test_add_func ("/vault/every-byte-flipped", test_every_byte_flipped);
  g_test_add_func ("/vault/truncated", test_truncated);
  g_test_add_func ("/vault/unknown-version", test_unknown_version);
  g_test_add_func ("/vault/merge-concurrent-writers", test_merge_concurrent_writers);
  g_test_add_func ("/vault/password-changed-elsewhere", test_password_changed_elsewhere);
  g_test_add_func ("/vault/save-failure-keeps-old-vault", test_save_failure_keeps_old_vault);
  g_test_add_func ("/vault/unknown-records-survive", test_unknown_records_survive);

  return g_test_run ();
}
