/* test-csv.c: the CSV reader and writer, imports from other managers, export round trip.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include "ph-csv.h"
#include "ph-test-util.h"

static void
test_parse (void)
{
  const char *text = "\xef\xbb\xbf" "a,\"b,1\",\"say \"\"hi\"\"\"\r\n\r\n"
                     "\"multi\nline\",,x\n" "last,row,without newline";
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = ph_csv_parse (text, strlen (text), &error);
  char **row;

  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 3);
  row = g_ptr_array_index (rows, 0);
  g_assert_cmpstr (row[0], ==, "a");
  g_assert_cmpstr (row[1], ==, "b,1");
  g_assert_cmpstr (row[2], ==, "say \"hi\"");
  row = g_ptr_array_index (rows, 1);
  g_assert_cmpstr (row[0], ==, "multi\nline");
  g_assert_cmpstr (row[1], ==, "");
  row = g_ptr_array_index (rows, 2);
  g_assert_cmpstr (row[2], ==, "without newline");
}

static void
test_parse_errors (void)
{
  static const struct { const char *text; const char *where; } cases[] = {
    { "a,b\n\"open,c\n", "Line 2, column 1" },
    { "a,b\nx\"y,z\n", "Line 2, column 2" },
    { "a,\"b\"c\n", "Line 1, column 6" },
    { "ok\n\xff\xfe\n", "Line 2" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) rows = ph_csv_parse (cases[i].text, strlen (cases[i].text), &error);

      g_assert_null (rows);
      g_assert_nonnull (error);
      g_assert_true (g_str_has_prefix (error->message, cases[i].where));
    }
}

static void
test_import_formats (void)
{
  /* Headers as KeePassXC 2.7 and Bitwarden write them. */
  const char *keepassxc = "\"Group\",\"Title\",\"Username\",\"Password\",\"URL\",\"Notes\",\"TOTP\",\"Icon\",\"Last Modified\",\"Created\"\n"
                          "\"Root/Work\",\"Jira\",\"al\",\"j1ra\",\"https://jira.example\",\"n\",\"\",\"0\",\"2024-01-01\",\"2024-01-01\"\n";
  const char *bitwarden = "folder,favorite,type,name,notes,fields,reprompt,login_uri,login_username,login_password,login_totp\n"
                          "Social,1,login,Mastodon,,,0,https://mastodon.social,bo,m4st,otpauth://totp/x?secret=JBSWY3DPEHPK3PXP\n"
                          ",,login,,,,0,https://nameless.example/login,cy,pw,\n";
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v", NULL);
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(GError) error = NULL;
  PhEntry *entry;
  guint count = 0;

  g_assert_true (ph_csv_import (vault, keepassxc, strlen (keepassxc), &count, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 1);
  entry = ph_vault_find (vault, "Jira", &error);
  g_assert_cmpstr (ph_entry_get_folder (entry), ==, "Work");
  g_assert_cmpstr (ph_entry_get_username (entry), ==, "al");
  ph_test_assert_secret (vault, entry, PH_FIELD_PASSWORD, "j1ra");

  g_assert_true (ph_csv_import (vault, bitwarden, strlen (bitwarden), &count, &error));
  g_assert_cmpuint (count, ==, 2);
  entry = ph_vault_find (vault, "Mastodon", &error);
  g_assert_true (ph_entry_get_favorite (entry));
  g_assert_true (ph_entry_has_otp (entry));
  g_assert_cmpstr (ph_entry_get_folder (entry), ==, "Social");
  /* A nameless row is titled after its host. */
  entry = ph_vault_find (vault, "nameless.example", &error);
  g_assert_no_error (error);
  ph_test_assert_secret (vault, entry, PH_FIELD_PASSWORD, "pw");

  ph_test_remove_dir (dir);
}

static void
test_import_rejects_bad_rows (void)
{
  const char *short_row = "title,username,password\nA,a,1\nB,b\n";
  const char *no_header = "just,some,words\n1,2,3\n";
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v", NULL);
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(GError) error = NULL;

  g_assert_false (ph_csv_import (vault, short_row, strlen (short_row), NULL, &error));
  g_assert_error (error, PH_CSV_ERROR, PH_CSV_ERROR_SYNTAX);
  g_assert_nonnull (strstr (error->message, "Row 3"));
  g_clear_error (&error);
  /* Nothing of a failed import lands in the vault. */
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (vault)), ==, 0);

  g_assert_false (ph_csv_import (vault, no_header, strlen (no_header), NULL, &error));
  g_assert_error (error, PH_CSV_ERROR, PH_CSV_ERROR_HEADER);

  ph_test_remove_dir (dir);
}

static void
test_export_round_trip (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v", NULL);
  g_autofree char *out = g_build_filename (dir, "out.csv", NULL);
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(PhVault) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PhEntry) entry = ph_test_add_entry (vault, "Tricky, \"quoted\"", "u", "https://a.example", "p,\"w\"\nx");
  g_autofree char *contents = NULL;
  PhEntry *found;
  gsize len;
  guint count;
  int fd;

  ph_entry_set_tags (entry, (const char *[]) { "a", "b", NULL });
  ph_entry_set_urls (entry, (const char *[]) { "https://a.example", "https://b.example", NULL });
  fd = open (out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  {
    g_autoptr(PhBroker) broker = ph_test_new_broker (vault);
    g_autoptr(PhSubject) cli = ph_subject_new (PH_SUBJECT_CLI, "export");

    g_assert_true (ph_csv_export (broker, cli, fd, &count, &error));
  }
  close (fd);
  g_assert_no_error (error);
  g_assert_cmpuint (count, ==, 1);

  g_file_get_contents (out, &contents, &len, NULL);
  second = ph_test_new_vault (path, "pw", NULL);
  g_assert_true (ph_csv_import (second, contents, len, &count, &error));
  g_assert_no_error (error);
  found = ph_vault_find (second, "Tricky, \"quoted\"", &error);
  g_assert_no_error (error);
  ph_test_assert_secret (second, found, PH_FIELD_PASSWORD, "p,\"w\"\nx");
  g_assert_cmpuint (g_strv_length ((char **) ph_entry_get_urls (found)), ==, 2);
  g_assert_true (ph_entry_has_tag (found, "b"));

  ph_test_remove_dir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/csv/parse", test_parse);
  g_test_add_func ("/csv/parse-errors", test_parse_errors);
  g_test_add_func ("/csv/import-formats", test_import_formats);
  g_test_add_func ("/csv/import-rejects-bad-rows", test_import_rejects_bad_rows);
  g_test_add_func ("/csv/export-round-trip", test_export_round_trip);

  return g_test_run ();
}
