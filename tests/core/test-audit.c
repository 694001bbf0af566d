/* test-audit.c: the audit log's chain, its tamper detection, and the vault's records of it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-glib/json-glib.h>
#include <sodium.h>

#include "ph-audit-log.h"
#include "ph-test-util.h"

#define VAULT_A "00112233445566778899aabbccddeeff"
#define VAULT_B "ffeeddccbbaa99887766554433221100"

typedef struct
{
  char *dir;
  char *path;
  PhSecret *key;
  PhSecret *other_key;
} Fixture;

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  f->dir = ph_test_make_dir ();
  f->path = g_build_filename (f->dir, "audit.log", NULL);
  f->key = ph_secret_new_random (32);
  f->other_key = ph_secret_new_random (32);
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  ph_test_remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->path);
  ph_secret_unref (f->key);
  ph_secret_unref (f->other_key);
}

static void
append_n (PhAuditLog *log,
          guint       n,
          const char *title)
{
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autofree char *id = g_strdup_printf ("entry-%u", i);
      const char *obligations[] = { "reauth", NULL };
      PhAuditRecord record = {
        .subject = "cli",
        .subject_detail = "/usr/bin/perihelion-cli pid 1",
        .action = i % 2 ? "reveal" : "list",
        .object_id = id,
        .object_title = title,
        .decision = i % 3 ? "allow" : "deny",
        .reason = "p, owner, *, *, true, allow",
        .obligations = obligations,
      };

      ph_audit_log_append (log, &record);
    }
  ph_audit_log_flush (log, &error);
  g_assert_no_error (error);
}

static PhAuditVerifyResult
verify (Fixture      *f,
        guint64       head_seq,
        const guint8 *head_mac)
{
  PhAuditVerifyResult result;
  g_autoptr(GError) error = NULL;

  g_assert_true (ph_audit_log_verify (f->path, VAULT_A, f->key, head_seq, head_mac, &result, &error));
  g_assert_no_error (error);
  return result;
}

static GPtrArray *
read_lines (const char *path)
{
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  GPtrArray *out = g_ptr_array_new_with_free_func (g_free);

  g_file_get_contents (path, &text, NULL, NULL);
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    if (*lines[i])
      g_ptr_array_add (out, g_strdup (lines[i]));
  return out;
}

static void
write_lines (const char *path,
             GPtrArray  *lines)
{
  g_autoptr(GString) text = g_string_new (NULL);

  for (guint i = 0; i < lines->len; i++)
    g_string_append_printf (text, "%s\n", (char *) g_ptr_array_index (lines, i));
  g_assert_true (g_file_set_contents (path, text->str, text->len, NULL));
}

static void
test_intact (Fixture      *f,
             gconstpointer data)
{
  g_autoptr(PhAuditLog) log = ph_audit_log_new (f->path, VAULT_A, f->key);
  guint8 mac[32];
  guint64 seq;
  PhAuditVerifyResult result;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  append_n (log, 10, "Quote \" backslash \\ newline \n and é");
  append_n (log, 5, "second batch");
  g_assert_true (ph_audit_log_get_head (log, &seq, mac));
  g_assert_cmpuint (seq, ==, 15);

  result = verify (f, seq, mac);
  g_assert_cmpint (result.problem, ==, PH_AUDIT_INTACT);
  g_assert_cmpuint (result.n_records, ==, 15);
  ph_audit_verify_result_clear (&result);

  /* Every line is a JSON object with the documented members. */
  lines = read_lines (f->path);
  g_assert_cmpuint (lines->len, ==, 15);
  json_parser_load_from_data (parser, g_ptr_array_index (lines, 0), -1, &error);
  g_assert_no_error (error);
  {
    JsonObject *o = json_node_get_object (json_parser_get_root (parser));

    g_assert_cmpint (json_object_get_int_member (o, "seq"), ==, 1);
    g_assert_cmpstr (json_object_get_string_member (o, "vault"), ==, VAULT_A);
    g_assert_cmpstr (json_object_get_string_member (o, "subject"), ==, "cli");
    g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "object"), "title"), ==,
                     "Quote \" backslash \\ newline \n and é");
    g_assert_cmpstr (json_object_get_string_member (o, "decision"), ==, "deny");
    g_assert_cmpuint (strlen (json_object_get_string_member (o, "mac")), ==, 64);
  }

  /* A new writer continues the chain. */
  {
    g_autoptr(PhAuditLog) again = ph_audit_log_new (f->path, VAULT_A, f->key);

    append_n (again, 3, "later");
    g_assert_true (ph_audit_log_get_head (again, &seq, mac));
    g_assert_cmpuint (seq, ==, 18);
    result = verify (f, seq, mac);
    g_assert_cmpint (result.problem, ==, PH_AUDIT_INTACT);
    ph_audit_verify_result_clear (&result);
  }
}

typedef void (*Tamper) (GPtrArray *lines);

static void
tamper_modify (GPtrArray *lines)
{
  char *line = g_ptr_array_index (lines, 4);
  char *deny = strstr (line, "\"decision\":\"deny\"");
  char *allow = strstr (line, "\"decision\":\"allow\"");

  if (deny)
    memcpy (deny, "\"decision\":\"ALOW\"", 17);
  else
    memcpy (allow + 12, "deny\",", 6);
}

static void
tamper_delete (GPtrArray *lines)
{
  g_ptr_array_remove_index (lines, 4);
}

static void
tamper_delete_two (GPtrArray *lines)
{
  g_ptr_array_remove_index (lines, 4);
  g_ptr_array_remove_index (lines, 4);
}

static void
tamper_insert_forged (GPtrArray *lines)
{
  /* A copy of record 5 renumbered: its MAC no longer verifies. */
  g_autofree char *copy = g_strdup (g_ptr_array_index (lines, 4));
  char *digit = copy + strlen ("{\"seq\":");

  *digit = '6';
  g_ptr_array_insert (lines, 5, g_steal_pointer (&copy));
}

static void
tamper_duplicate (GPtrArray *lines)
{
  g_ptr_array_insert (lines, 6, g_strdup (g_ptr_array_index (lines, 2)));
}

static void
tamper_swap (GPtrArray *lines)
{
  gpointer t = lines->pdata[4];

  lines->pdata[4] = lines->pdata[5];
  lines->pdata[5] = t;
}

static void
tamper_truncate (GPtrArray *lines)
{
  g_ptr_array_set_size (lines, 7);
}

static void
tamper_garbage (GPtrArray *lines)
{
  g_ptr_array_insert (lines, 3, g_strdup ("{\"hello\": \"world\"}"));
}

static void
tamper_empty (GPtrArray *lines)
{
  g_ptr_array_set_size (lines, 0);
}

static void
test_tamper (Fixture      *f,
             gconstpointer data)
{
  static const struct
  {
    Tamper tamper;
    PhAuditProblem problem;
    guint64 line;
    const char *says;
  } cases[] = {
    { tamper_modify, PH_AUDIT_MODIFIED, 5, "Record 5 (line 5) was modified" },
    { tamper_delete, PH_AUDIT_DELETED, 5, "Record 5 was deleted" },
    { tamper_delete_two, PH_AUDIT_DELETED, 5, "Records 5 to 6 were deleted" },
    { tamper_insert_forged, PH_AUDIT_MODIFIED, 6, "modified or forged" },
    { tamper_duplicate, PH_AUDIT_REORDERED, 7, "appears again" },
    { tamper_swap, PH_AUDIT_REORDERED, 5, "out of order" },
    { tamper_truncate, PH_AUDIT_TRUNCATED, 7, "cut short" },
    { tamper_garbage, PH_AUDIT_MALFORMED, 4, "not an audit record" },
    { tamper_empty, PH_AUDIT_TRUNCATED, 0, "emptied" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(PhAuditLog) log = NULL;
      g_autoptr(GPtrArray) lines = NULL;
      PhAuditVerifyResult result;
      guint8 mac[32];
      guint64 seq;

      g_unlink (f->path);
      log = ph_audit_log_new (f->path, VAULT_A, f->key);
      append_n (log, 10, "entry");
      g_assert_true (ph_audit_log_get_head (log, &seq, mac));
      lines = read_lines (f->path);
      cases[i].tamper (lines);
      write_lines (f->path, lines);

      result = verify (f, seq, mac);
      if (result.problem != cases[i].problem || result.line != cases[i].line ||
          !strstr (result.message, cases[i].says))
        g_error ("case %u: got problem %d at line %" G_GUINT64_FORMAT ": %s", i, result.problem, result.line,
                 result.message);
      ph_audit_verify_result_clear (&result);
    }
}

/* Large logs are checked in parallel chunks: a change deep in the second half is still the
 * first problem reported, at its line. */
static void
test_large (Fixture      *f,
            gconstpointer data)
{
  g_autoptr(PhAuditLog) log = ph_audit_log_new (f->path, VAULT_A, f->key);
  g_autoptr(GPtrArray) lines = NULL;
  PhAuditVerifyResult result;
  guint8 mac[32];
  guint64 seq;

  ph_audit_log_set_journal (log, FALSE);
  for (int i = 0; i < 8; i++)
    append_n (log, 500, "a title long enough that four thousand records pass one megabyte");
  g_assert_true (ph_audit_log_get_head (log, &seq, mac));
  result = verify (f, seq, mac);
  g_assert_cmpint (result.problem, ==, PH_AUDIT_INTACT);
  g_assert_cmpuint (result.n_records, ==, 4000);
  ph_audit_verify_result_clear (&result);

  lines = read_lines (f->path);
  {
    char *line = g_ptr_array_index (lines, 3499);
    char *title = strstr (line, "a title long");

    title[0] = 'A';
  }
  write_lines (f->path, lines);
  result = verify (f, seq, mac);
  g_assert_cmpint (result.problem, ==, PH_AUDIT_MODIFIED);
  g_assert_cmpuint (result.line, ==, 3500);
  ph_audit_verify_result_clear (&result);
}

/* Without the vault's key nobody can recompute the chain, and another vault's key fails too. */
static void
test_wrong_key (Fixture      *f,
                gconstpointer data)
{
  g_autoptr(PhAuditLog) log = ph_audit_log_new (f->path, VAULT_A, f->key);
  PhAuditVerifyResult result;

  append_n (log, 3, "x");
  g_assert_true (ph_audit_log_verify (f->path, VAULT_A, f->other_key, 0, NULL, &result, NULL));
  g_assert_cmpint (result.problem, ==, PH_AUDIT_MODIFIED);
  g_assert_cmpuint (result.line, ==, 1);
  ph_audit_verify_result_clear (&result);
}

/* Two vaults in one log keep separate chains; each verifies with its own key. */
static void
test_two_vaults (Fixture      *f,
                 gconstpointer data)
{
  g_autoptr(PhAuditLog) a = ph_audit_log_new (f->path, VAULT_A, f->key);
  g_autoptr(PhAuditLog) b = ph_audit_log_new (f->path, VAULT_B, f->other_key);
  PhAuditVerifyResult result;
  guint8 mac[32];
  guint64 seq;

  for (int i = 0; i < 5; i++)
    {
      append_n (a, 2, "a");
      append_n (b, 3, "b");
    }
  g_assert_true (ph_audit_log_get_head (a, &seq, mac));
  g_assert_cmpuint (seq, ==, 10);
  result = verify (f, seq, mac);
  g_assert_cmpint (result.problem, ==, PH_AUDIT_INTACT);
  g_assert_cmpuint (result.n_records, ==, 10);
  ph_audit_verify_result_clear (&result);
  g_assert_true (ph_audit_log_get_head (b, &seq, mac));
  g_assert_true (ph_audit_log_verify (f->path, VAULT_B, f->other_key, seq, mac, &result, NULL));
  g_assert_cmpint (result.problem, ==, PH_AUDIT_INTACT);
  g_assert_cmpuint (result.n_records, ==, 15);
  ph_audit_verify_result_clear (&result);
}

/* Writers in several processes keep one unbroken chain (the lock serializes them). */
static void
test_concurrent_writers (Fixture      *f,
                         gconstpointer data)
{
  PhAuditVerifyResult result;
  pid_t children[4];

  for (guint c = 0; c < G_N_ELEMENTS (children); c++)
    {
      children[c] = fork ();
      g_assert_cmpint (children[c], >=, 0);
      if (children[c] == 0)
        {
          for (int i = 0; i < 25; i++)
            {
              PhAuditLog *log = ph_audit_log_new (f->path, VAULT_A, f->key);

              append_n (log, 2, "concurrent");
              g_object_unref (log);
            }
          _exit (0);
        }
    }
  for (guint c = 0; c < G_N_ELEMENTS (children); c++)
    {
      int status;

      g_assert_cmpint (waitpid (children[c], &status, 0), ==, children[c]);
      g_assert_true (WIFEXITED (status) && WEXITSTATUS (status) == 0);
    }
  result = verify (f, 0, NULL);
  g_assert_cmpint (result.problem, ==, PH_AUDIT_INTACT);
  g_assert_cmpuint (result.n_records, ==, 200);
  ph_audit_verify_result_clear (&result);
}

/* A crash in the middle of a write leaves a partial line: reported, and later writes continue. */
static void
test_partial_line (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr(PhAuditLog) log = ph_audit_log_new (f->path, VAULT_A, f->key);
  g_autofree char *text = NULL;
  PhAuditVerifyResult result;
  gsize len;

  append_n (log, 3, "x");
  g_file_get_contents (f->path, &text, &len, NULL);
  g_file_set_contents (f->path, text, len - 40, NULL);
  append_n (log, 2, "y");
  result = verify (f, 0, NULL);
  g_assert_cmpint (result.problem, ==, PH_AUDIT_MALFORMED);
  g_assert_cmpuint (result.line, ==, 3);
  ph_audit_verify_result_clear (&result);
}

/* The vault keeps the policy and the chain head, encrypted, across saves and merges. */
static void
test_vault_records (Fixture      *f,
                    gconstpointer data)
{
  g_autofree char *path = g_build_filename (f->dir, "v.phvault", NULL);
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(PhVault) other = NULL;
  g_autoptr(PhVault) reread = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) key = NULL;
  g_autoptr(PhSecret) key2 = NULL;
  g_autofree char *model = NULL;
  g_autofree char *policy = NULL;
  guint8 mac[32], mac2[32];
  guint64 seq = 0;

  g_assert_false (ph_vault_get_policy (vault, NULL, NULL, NULL));
  ph_vault_set_policy (vault, "[request_definition]\nr = sub\n", "p, alice\n");
  memset (mac, 7, sizeof mac);
  ph_vault_set_audit_head (vault, 42, mac);
  g_assert_true (ph_vault_save (vault, &error));
  g_assert_no_error (error);

  /* Another writer saves a later head and an older change; the merge keeps the later head. */
  other = ph_test_open_vault (path, "pw");
  memset (mac2, 9, sizeof mac2);
  ph_vault_set_audit_head (other, 50, mac2);
  g_assert_true (ph_vault_save (other, &error));
  ph_vault_set_audit_head (vault, 43, mac);
  ph_vault_set_policy (vault, "[request_definition]\nr = sub, obj\n", "p, bob\n");
  g_assert_true (ph_vault_save (vault, &error));
  g_assert_no_error (error);

  reread = ph_test_open_vault (path, "pw");
  g_assert_true (ph_vault_get_policy (reread, &model, &policy, NULL));
  g_assert_cmpstr (policy, ==, "p, bob\n");
  g_assert_true (ph_vault_get_audit_head (reread, &seq, mac));
  g_assert_cmpuint (seq, ==, 50);
  g_assert_cmpmem (mac, 32, mac2, 32);

  /* The audit key is stable for a vault and differs from the vault's other keys. */
  key = ph_vault_derive_key (vault, PH_AUDIT_KEY_ID, PH_AUDIT_KEY_CONTEXT);
  key2 = ph_vault_derive_key (reread, PH_AUDIT_KEY_ID, PH_AUDIT_KEY_CONTEXT);
  g_assert_true (ph_secret_equal (key, key2));

  /* Re-authentication checks the password without changing anything. */
  {
    g_autoptr(PhSecret) right = ph_secret_new_from_text ("pw");
    g_autoptr(PhSecret) wrong = ph_secret_new_from_text ("nope");

    g_assert_true (ph_vault_verify_password (reread, right, &error));
    g_assert_no_error (error);
    g_assert_false (ph_vault_verify_password (reread, wrong, &error));
    g_assert_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_WRONG_PASSWORD);
  }
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

#define ADD(name, func) g_test_add ("/audit/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("intact", test_intact);
  ADD ("tamper", test_tamper);
  ADD ("large", test_large);
  ADD ("wrong-key", test_wrong_key);
  ADD ("two-vaults", test_two_vaults);
  ADD ("concurrent-writers", test_concurrent_writers);
  ADD ("partial-line", test_partial_line);
  ADD ("vault-records", test_vault_records);

  return g_test_run ();
}
