/* test-cli.c: perihelion-cli end to end, as a script or a person runs it; git through its
 * real credential protocol; and a canary secret that must never leak.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <json-glib/json-glib.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

static const char *cli_path;
static char *workdir;
static char *vault_path;
static char *password_file;

#define CANARY "CANARY-7f3a9c-do-not-leak"

typedef struct
{
  int    status;
  char  *out;
  char  *err;
} Result;

static void
result_clear (Result *r)
{
  g_free (r->out);
  g_free (r->err);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Result, result_clear)

/* A session of its own: no controlling terminal, so nothing can prompt, as in CI. */
static void
no_terminal (gpointer data)
{
  setsid ();
}

/* Runs @argv (NULL-terminated) with the master password on fd 3 from @password_path. */
static void
run_full (Result      *r,
          const char  *password_path,
          const char  *input,
          const char **argv)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  if (password_path)
    g_subprocess_launcher_take_fd (launcher, open (password_path, O_RDONLY | O_CLOEXEC), 3);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", workdir, TRUE);
  g_subprocess_launcher_setenv (launcher, "XDG_CACHE_HOME", workdir, TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  g_subprocess_launcher_set_child_setup (launcher, no_terminal, NULL, NULL);
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (process, input ? input : "", NULL, &r->out, &r->err, &error);
  g_assert_no_error (error);
  r->status = g_subprocess_get_if_exited (process) ? g_subprocess_get_exit_status (process) : 128;
}

/* perihelion-cli --vault VAULT --password-fd 3 ARGS... */
#define cli(r, input, ...) \
  run_full ((r), password_file, (input), \
            (const char *[]) { cli_path, "--vault", vault_path, "--password-fd", "3", __VA_ARGS__, NULL })

static void
assert_one_line_error (Result *r)
{
  g_assert_cmpint (r->status, >, 0);
  g_assert_cmpint (r->status, <, 128);
  g_assert_true (g_str_has_prefix (r->err, "perihelion-cli: "));
  g_assert_cmpint (strchr (r->err, '\n') - r->err, ==, strlen (r->err) - 1);
}

static void
fresh_vault (void)
{
  g_auto(Result) r = { 0 };
  g_autofree char *backup = g_strconcat (vault_path, ".bak", NULL);

  g_unlink (vault_path);
  g_unlink (backup);
  cli (&r, NULL, "init", "--kdf-ops", "1", "--kdf-mem", "1");
  g_assert_cmpint (r.status, ==, 0);
  g_assert_cmpuint (strlen (r.out), ==, 45);  /* the recovery key and a newline */
}

static char *
read_file (const char *path)
{
  char *contents = NULL;
  g_file_get_contents (path, &contents, NULL, NULL);
  return contents;
}

static void
test_basic_flow (void)
{
  g_auto(Result) add = { 0 };
  g_auto(Result) get = { 0 };
  g_auto(Result) list = { 0 };
  g_auto(Result) search = { 0 };
  g_auto(Result) edit = { 0 };
  g_auto(Result) user = { 0 };
  g_auto(Result) rm = { 0 };
  g_auto(Result) gone = { 0 };
  g_auto(Result) dup = { 0 };
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonArray *array;
  JsonObject *object;
  g_autofree char *id = NULL;

  fresh_vault ();
  cli (&add, "s3cr3t\n", "add", "GitHub", "--username", "alice", "--url", "https://github.com",
       "--tag", "dev", "--tag", "git", "--folder", "Work", "--sensitivity", "high",
       "--field", "account=42");
  g_assert_cmpint (add.status, ==, 0);
  id = g_strstrip (g_strdup (add.out));
  g_assert_true (g_uuid_string_is_valid (id));

  cli (&get, NULL, "get", "github");
  g_assert_cmpint (get.status, ==, 0);
  g_assert_cmpstr (get.out, ==, "s3cr3t\n");

  cli (&list, NULL, "list", "--json");
  g_assert_cmpint (list.status, ==, 0);
  json_parser_load_from_data (parser, list.out, -1, &error);
  g_assert_no_error (error);
  array = json_node_get_array (json_parser_get_root (parser));
  g_assert_cmpuint (json_array_get_length (array), ==, 1);
  object = json_array_get_object_element (array, 0);
  g_assert_cmpstr (json_object_get_string_member (object, "id"), ==, id);
  g_assert_cmpstr (json_object_get_string_member (object, "sensitivity"), ==, "high");
  g_assert_true (json_object_get_boolean_member (object, "has_password"));
  g_assert_null (strstr (list.out, "s3cr3t"));

  cli (&search, NULL, "search", "git", "work");
  g_assert_cmpint (search.status, ==, 0);
  g_assert_true (g_str_has_prefix (search.out, id));

  cli (&edit, "n3w\n", "edit", id, "--title", "GitHub personal", "--password", "--username", "al");
  g_assert_cmpint (edit.status, ==, 0);
  result_clear (&get);
  cli (&get, NULL, "get", "GitHub personal");
  g_assert_cmpstr (get.out, ==, "n3w\n");
  cli (&user, NULL, "get", id, "--field", "username");
  g_assert_cmpstr (user.out, ==, "al\n");
  result_clear (&user);
  cli (&user, NULL, "get", id, "--field", "account");
  g_assert_cmpstr (user.out, ==, "42\n");

  /* Two entries with one title: naming it is ambiguous. */
  cli (&dup, "x\n", "add", "GitHub personal");
  result_clear (&dup);
  cli (&dup, NULL, "get", "GitHub personal");
  assert_one_line_error (&dup);
  g_assert_cmpint (dup.status, ==, 4);

  cli (&rm, NULL, "rm", id);
  g_assert_cmpint (rm.status, ==, 0);
  cli (&gone, NULL, "get", id);
  assert_one_line_error (&gone);
  g_assert_cmpint (gone.status, ==, 4);
}

/* oathtool's code for a Base32 seed, now (the peer the CLI's codes are checked against). */
static char *
oathtool_now (const char *args[])
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  process = g_subprocess_newv (args, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error));
  return g_strstrip (out);
}

/* `add --otp` takes a Key URI or a bare secret, checks it and stores the canonical URI; `totp`
 * prints the code (oathtool agrees), an HOTP code uses its counter up; bad URIs are refused. */
static void
test_totp (void)
{
  g_auto(Result) add = { 0 };
  g_auto(Result) add_secret = { 0 };
  g_auto(Result) add_hotp = { 0 };
  g_auto(Result) bad = { 0 };
  g_auto(Result) code = { 0 };
  g_auto(Result) uri = { 0 };
  g_auto(Result) none = { 0 };
  g_autofree char *program = g_find_program_in_path ("oathtool");

  if (program == NULL)
    {
      g_test_skip ("oathtool is not installed");
      return;
    }
  fresh_vault ();
  cli (&add, "pw\n", "add", "Example", "--otp",
       "otpauth://totp/Example:alice?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=Example&algorithm=SHA256&digits=8");
  g_assert_cmpint (add.status, ==, 0);
  for (int attempt = 0; attempt < 2; attempt++)
    {
      g_autofree char *before = oathtool_now ((const char *[]) { "oathtool", "--totp=SHA256", "-b", "-d", "8",
                                                                 "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ", NULL });
      g_autofree char *after = NULL;

      result_clear (&code);
      cli (&code, NULL, "totp", "Example");
      after = oathtool_now ((const char *[]) { "oathtool", "--totp=SHA256", "-b", "-d", "8",
                                               "HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ", NULL });
      g_assert_cmpint (code.status, ==, 0);
      g_strstrip (code.out);
      g_assert_cmpuint (strlen (code.out), ==, 8);
      /* Across a period boundary the two oathtool runs differ: one of them is the code. */
      g_assert_true (g_str_equal (code.out, before) || g_str_equal (code.out, after));
    }

  /* A bare secret, as sites print it: the title is the issuer, the user name the account. */
  cli (&add_secret, "pw\n", "add", "Forge", "--username", "bob", "--otp", "jbsw y3dp ehpk 3pxp");
  g_assert_cmpint (add_secret.status, ==, 0);
  cli (&uri, NULL, "get", "Forge", "--field", "otp");
  g_assert_cmpstr (uri.out, ==,
                   "otpauth://totp/Forge:bob?secret=JBSWY3DPEHPK3PXP&issuer=Forge&algorithm=SHA1&digits=6&period=30\n");

  /* HOTP: each code uses the counter up (oathtool -c N gives code N). */
  cli (&add_hotp, "pw\n", "add", "Counter", "--otp", "otpauth://hotp/c?secret=JBSWY3DPEHPK3PXP&counter=7");
  g_assert_cmpint (add_hotp.status, ==, 0);
  for (int counter = 7; counter < 9; counter++)
    {
      g_autofree char *n = g_strdup_printf ("%d", counter);
      g_autofree char *expected = oathtool_now ((const char *[]) { "oathtool", "-b", "-c", n, "JBSWY3DPEHPK3PXP", NULL });

      result_clear (&code);
      cli (&code, NULL, "totp", "Counter");
      g_assert_cmpint (code.status, ==, 0);
      g_assert_cmpstr (g_strstrip (code.out), ==, expected);
    }

  /* Malformed: refused with the reason, nothing added, the secret not echoed. */
  cli (&bad, "pw\n", "add", "Bad", "--otp", "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=12");
  assert_one_line_error (&bad);
  g_assert_nonnull (strstr (bad.err, "digit count"));
  g_assert_null (strstr (bad.err, "JBSWY3DP"));
  result_clear (&none);
  cli (&none, NULL, "get", "Bad");
  g_assert_cmpint (none.status, ==, 4);
  result_clear (&none);
  cli (&none, NULL, "totp", "Forge-none");
  g_assert_cmpint (none.status, ==, 4);
}

/* The vault's own second factors from the command line: the authenticator app turned on only
 * with a right code (oathtool plays the app), recovery codes, and the default policy then asks
 * for a second factor for a critical entry, which a script without a terminal cannot give. */
static void
test_mfa (void)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) enroll = NULL;
  g_autoptr(GDataInputStream) err_lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *secret = NULL;
  g_autofree char *code = NULL;
  g_autofree char *code_line = NULL;
  g_auto(Result) status = { 0 };
  g_auto(Result) codes = { 0 };
  g_auto(Result) add = { 0 };
  g_auto(Result) get = { 0 };
  g_auto(Result) wrong = { 0 };
  g_autofree char *program = g_find_program_in_path ("oathtool");
  char *line;

  if (program == NULL)
    {
      g_test_skip ("oathtool is not installed");
      return;
    }
  fresh_vault ();
  /* A wrong code: nothing turned on. */
  cli (&wrong, "000000\n", "mfa", "totp-enroll");
  if (wrong.status == 0)
    g_test_incomplete ("000000 happened to be the code");
  else
    {
      g_assert_cmpint (wrong.status, <, 128);
      g_assert_nonnull (strstr (wrong.err, "perihelion-cli: That is not the code"));
    }

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE |
                                        G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_take_fd (launcher, open (password_file, O_RDONLY | O_CLOEXEC), 3);
  g_subprocess_launcher_setenv (launcher, "XDG_STATE_HOME", workdir, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, no_terminal, NULL, NULL);
  enroll = g_subprocess_launcher_spawn (launcher, &error, cli_path, "--vault", vault_path, "--password-fd", "3", "mfa",
                                        "totp-enroll", "--account", "tester", NULL);
  g_assert_no_error (error);
  err_lines = g_data_input_stream_new (g_subprocess_get_stderr_pipe (enroll));
  while ((line = g_data_input_stream_read_line_utf8 (err_lines, NULL, NULL, &error)))
    {
      if (g_str_has_prefix (line, "otpauth://totp/Perihelion:tester?secret="))
        {
          secret = g_strndup (line + strlen ("otpauth://totp/Perihelion:tester?secret="), 32);
          g_free (line);
          break;
        }
      g_free (line);
    }
  g_assert_nonnull (secret);
  code = oathtool_now ((const char *[]) { "oathtool", "--totp", "-b", secret, NULL });
  code_line = g_strconcat (code, "\n", NULL);
  g_assert_true (g_output_stream_write_all (g_subprocess_get_stdin_pipe (enroll), code_line, strlen (code_line), NULL,
                                            NULL, &error));
  g_output_stream_close (g_subprocess_get_stdin_pipe (enroll), NULL, NULL);
  g_assert_true (g_subprocess_wait (enroll, NULL, &error));
  g_assert_true (g_subprocess_get_successful (enroll));

  cli (&status, NULL, "mfa", "status", "--json");
  g_assert_nonnull (strstr (status.out, "\"totp\": true"));
  cli (&codes, NULL, "mfa", "recovery-codes");
  g_assert_cmpint (codes.status, ==, 0);
  {
    g_auto(GStrv) lines = g_strsplit (codes.out, "\n", -1);

    g_assert_cmpuint (g_strv_length (lines), ==, 11);
  }

  /* Security keys: none plugged in here, said as such. */
  {
    g_auto(Result) key = { 0 };
    g_auto(Result) keys = { 0 };

    cli (&key, NULL, "mfa", "key-add", "--name", "YubiKey");
    assert_one_line_error (&key);
    g_assert_nonnull (strstr (key.err, "No security key is plugged in"));
    cli (&keys, NULL, "mfa", "key-list");
    g_assert_cmpint (keys.status, ==, 0);
    g_assert_cmpstr (keys.out, ==, "");
  }
  /* Quick unlock: no key to set it up with; --security-key finds none either. */
  {
    g_auto(Result) enable = { 0 };
    g_auto(Result) open_with_key = { 0 };

    cli (&enable, NULL, "mfa", "quick-unlock-enable");
    assert_one_line_error (&enable);
    g_assert_nonnull (strstr (enable.err, "No security key is plugged in"));
    run_full (&open_with_key, NULL, NULL,
              (const char *[]) { cli_path, "--vault", vault_path, "--security-key", "list", NULL });
    g_assert_cmpint (open_with_key.status, !=, 0);
    g_assert_nonnull (strstr (open_with_key.err, "No security key is plugged in"));
  }

  /* A critical entry wants a second factor every time: without a terminal, refused. */
  cli (&add, "bank-pw\n", "add", "Bank", "--sensitivity", "critical");
  g_assert_cmpint (add.status, ==, 0);
  cli (&get, NULL, "get", "Bank");
  assert_one_line_error (&get);
  g_assert_cmpint (get.status, ==, 7);
  g_assert_nonnull (strstr (get.err, "second factor"));
  g_assert_null (strstr (get.out, "bank-pw"));
}

static void
test_bad_input (void)
{
  g_auto(Result) wrong = { 0 };
  g_auto(Result) bad_title = { 0 };
  g_auto(Result) bad_csv = { 0 };
  g_auto(Result) truncated = { 0 };
  g_auto(Result) missing = { 0 };
  g_auto(Result) usage = { 0 };
  g_autofree char *wrong_file = g_build_filename (workdir, "wrong", NULL);
  g_autofree char *csv = g_build_filename (workdir, "bad.csv", NULL);
  g_autofree char *cut = g_build_filename (workdir, "cut.phvault", NULL);
  g_autofree char *before = NULL;
  g_autofree char *after = NULL;
  gsize len;

  fresh_vault ();
  g_auto(Result) add = { 0 };
  cli (&add, "pw\n", "add", "keep");
  before = read_file (vault_path);

  g_file_set_contents (wrong_file, "not the password\n", -1, NULL);
  run_full (&wrong, wrong_file, NULL,
            (const char *[]) { cli_path, "--vault", vault_path, "--password-fd", "3", "list", NULL });
  assert_one_line_error (&wrong);
  g_assert_cmpint (wrong.status, ==, 3);

  cli (&bad_title, "pw\n", "add", "\xff\xfe title");
  assert_one_line_error (&bad_title);
  g_assert_cmpint (bad_title.status, ==, 2);

  g_file_set_contents (csv, "title,username,password\n\"open,quote\n", -1, NULL);
  cli (&bad_csv, NULL, "import", "csv", csv);
  assert_one_line_error (&bad_csv);
  g_assert_cmpint (bad_csv.status, ==, 2);
  g_assert_nonnull (strstr (bad_csv.err, "Line 2"));

  cli (&usage, NULL, "frobnicate");
  assert_one_line_error (&usage);
  g_assert_cmpint (usage.status, ==, 2);

  /* None of it touched the vault. */
  after = read_file (vault_path);
  g_assert_cmpstr (before, ==, after);

  g_clear_pointer (&after, g_free);
  g_file_get_contents (vault_path, &after, &len, NULL);
  g_file_set_contents (cut, after, len / 2, NULL);
  run_full (&truncated, password_file, NULL,
            (const char *[]) { cli_path, "--vault", cut, "--password-fd", "3", "list", NULL });
  assert_one_line_error (&truncated);
  g_assert_cmpint (truncated.status, ==, 5);

  run_full (&missing, password_file, NULL,
            (const char *[]) { cli_path, "--vault", "/nonexistent/x", "--password-fd", "3", "list", NULL });
  assert_one_line_error (&missing);
  g_assert_cmpint (missing.status, ==, 6);
}

static void
test_passwd_and_recovery (void)
{
  g_auto(Result) passwd = { 0 };
  g_auto(Result) old = { 0 };
  g_auto(Result) rotated = { 0 };
  g_auto(Result) reset = { 0 };
  g_auto(Result) after = { 0 };
  g_autofree char *new_file = g_build_filename (workdir, "new-password", NULL);
  g_autofree char *key_file = g_build_filename (workdir, "recovery", NULL);

  fresh_vault ();
  g_file_set_contents (new_file, "second password\n", -1, NULL);
  {
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
    g_autoptr(GSubprocess) p = NULL;

    g_subprocess_launcher_take_fd (launcher, open (password_file, O_RDONLY), 3);
    g_subprocess_launcher_take_fd (launcher, open (new_file, O_RDONLY), 4);
    p = g_subprocess_launcher_spawn (launcher, NULL, cli_path, "--vault", vault_path,
                                     "--password-fd", "3", "passwd", "--new-password-fd", "4", NULL);
    g_subprocess_wait_check (p, NULL, NULL);
    g_assert_true (g_subprocess_get_successful (p));
  }
  cli (&old, NULL, "list");
  g_assert_cmpint (old.status, ==, 3);

  run_full (&rotated, new_file, NULL,
            (const char *[]) { cli_path, "--vault", vault_path, "--password-fd", "3", "recovery-key", NULL });
  g_assert_cmpint (rotated.status, ==, 0);
  g_file_set_contents (key_file, rotated.out, -1, NULL);

  /* Forgot the password: the recovery key sets a new one. */
  {
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDERR_SILENCE);
    g_autoptr(GSubprocess) p = NULL;

    g_subprocess_launcher_take_fd (launcher, open (key_file, O_RDONLY), 3);
    g_subprocess_launcher_take_fd (launcher, open (password_file, O_RDONLY), 4);
    p = g_subprocess_launcher_spawn (launcher, NULL, cli_path, "--vault", vault_path, "--password-fd", "3",
                                     "passwd", "--with-recovery-key", "--new-password-fd", "4", NULL);
    g_subprocess_wait_check (p, NULL, NULL);
    g_assert_true (g_subprocess_get_successful (p));
  }
  cli (&after, NULL, "list");
  g_assert_cmpint (after.status, ==, 0);
}

static void
test_import_export_generate (void)
{
  g_autofree char *csv = g_build_filename (workdir, "in.csv", NULL);
  g_autofree char *out = g_build_filename (workdir, "out.csv", NULL);
  g_auto(Result) import = { 0 };
  g_auto(Result) refused = { 0 };
  g_auto(Result) export = { 0 };
  g_auto(Result) gen = { 0 };
  g_auto(Result) words = { 0 };
  g_autofree char *exported = NULL;
  g_auto(GStrv) parts = NULL;

  fresh_vault ();
  g_file_set_contents (csv, "name,url,username,password\nSite,https://site.example,me,\"p,w\"\n", -1, NULL);
  cli (&import, NULL, "import", "csv", csv);
  g_assert_cmpint (import.status, ==, 0);

  cli (&refused, NULL, "export", "csv", out);
  g_assert_cmpint (refused.status, ==, 2);
  g_assert_false (g_file_test (out, G_FILE_TEST_EXISTS));
  cli (&export, NULL, "export", "csv", "--plaintext", out);
  g_assert_cmpint (export.status, ==, 0);
  exported = read_file (out);
  g_assert_nonnull (strstr (exported, "Site,me,\"p,w\",https://site.example"));

  run_full (&gen, NULL, NULL, (const char *[]) { cli_path, "generate", "--length", "32", "--no-symbols", NULL });
  g_assert_cmpint (gen.status, ==, 0);
  g_assert_cmpuint (strlen (gen.out), ==, 33);
  run_full (&words, NULL, NULL, (const char *[]) { cli_path, "generate", "--words", "5", "--entropy", NULL });
  g_assert_cmpint (words.status, ==, 0);
  parts = g_strsplit (words.out, "-", -1);
  g_assert_cmpuint (g_strv_length (parts), ==, 5);
  g_assert_nonnull (strstr (words.err, "64.6 bits"));
}

/* git itself drives the helper: approve stores, fill reads, reject erases. */
static void
test_git_credential_with_git (void)
{
  g_autofree char *bindir = g_build_filename (workdir, "bin", NULL);
  g_autofree char *helper = g_build_filename (bindir, "git-credential-perihelion", NULL);
  g_autofree char *home = g_build_filename (workdir, "home", NULL);
  g_autofree char *helper_config = g_strdup_printf ("perihelion --vault %s --password-fd 3", vault_path);
  g_autofree char *path_env = g_strdup_printf ("%s:%s", bindir, g_getenv ("PATH"));
  const char *request = "protocol=https\nhost=git.example.org\nusername=dev\npassword=t0ken\n\n";
  const char *query = "protocol=https\nhost=git.example.org\n\n";
  const char *ops[] = { "approve", "fill", "reject", "fill" };
  char *outputs[4] = { NULL };

  fresh_vault ();
  g_mkdir_with_parents (bindir, 0700);
  g_mkdir_with_parents (home, 0700);
  g_unlink (helper);
  {
    /* The real helper program (it runs perihelion-cli beside it for --vault). */
    g_autofree char *cli_dir = g_path_get_dirname (cli_path);
    g_autofree char *real_helper = g_build_filename (cli_dir, "git-credential-perihelion", NULL);

    g_assert_no_errno (symlink (real_helper, helper));
  }

  for (guint i = 0; i < G_N_ELEMENTS (ops); i++)
    {
      g_autoptr(GSubprocessLauncher) launcher =
        g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                   G_SUBPROCESS_FLAGS_STDERR_PIPE);
      g_autoptr(GSubprocess) git = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *err = NULL;
      g_autofree char *helper_option = g_strdup_printf ("credential.helper=%s", helper_config);

      g_subprocess_launcher_take_fd (launcher, open (password_file, O_RDONLY), 3);
      g_subprocess_launcher_setenv (launcher, "HOME", home, TRUE);
      g_subprocess_launcher_setenv (launcher, "PATH", path_env, TRUE);
      g_subprocess_launcher_setenv (launcher, "GIT_CONFIG_NOSYSTEM", "1", TRUE);
      g_subprocess_launcher_setenv (launcher, "GIT_TERMINAL_PROMPT", "0", TRUE);
      git = g_subprocess_launcher_spawn (launcher, &error, "git", "-c", "credential.helper=",
                                         "-c", helper_option,
                                         "credential", ops[i], NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (git, i == 0 || i == 2 ? request : query, NULL, &outputs[i], &err, &error);
      g_assert_no_error (error);
      if (i == 1)
        g_assert_true (g_subprocess_get_successful (git));
      g_test_message ("git credential %s: %s", ops[i], err);
    }

  g_assert_nonnull (strstr (outputs[1], "username=dev\n"));
  g_assert_nonnull (strstr (outputs[1], "password=t0ken\n"));
  /* After reject, git finds nothing and, with prompts off, fails to fill. */
  g_assert_null (strstr (outputs[3] ? outputs[3] : "", "t0ken"));
  for (guint i = 0; i < 4; i++)
    g_free (outputs[i]);
}

static gboolean
file_contains (const char *path,
               const char *needle)
{
  g_autofree char *contents = NULL;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, NULL))
    return FALSE;
  return memmem (contents, len, needle, strlen (needle)) != NULL;
}

static void
assert_tree_clean (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_SYMLINK) || g_str_equal (name, "canary.csv"))
        continue;
      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        assert_tree_clean (path);
      else if (file_contains (path, CANARY))
        g_error ("The canary secret is in %s", path);
    }
}

/* A planted secret appears only where it was asked for: never in stderr, never in the output
 * of other commands, never in the vault file, its backup, or any other file written. */
static void
test_secret_hygiene (void)
{
  g_autofree char *csv = g_build_filename (workdir, "canary.csv", NULL);
  const char *commands[][6] = {
    { "list", NULL }, { "list", "--json", NULL }, { "search", "canary", NULL },
    { "search", "canary", "--json", NULL }, { "get", "Canary", "--field", "username", NULL },
    { "edit", "Canary", "--notes", "still here", NULL }, { "get", "nonexistent", NULL },
    { "recovery-key", NULL },
  };
  g_auto(Result) add = { 0 };
  g_auto(Result) get = { 0 };

  fresh_vault ();
  cli (&add, CANARY "\n", "add", "Canary", "--username", "bird");
  g_assert_cmpint (add.status, ==, 0);
  g_assert_null (strstr (add.out, CANARY));
  g_assert_null (strstr (add.err, CANARY));

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    {
      g_auto(Result) r = { 0 };
      const char *argv[12] = { cli_path, "--vault", vault_path, "--password-fd", "3" };

      for (guint j = 0; commands[i][j]; j++)
        argv[5 + j] = commands[i][j];
      run_full (&r, password_file, NULL, argv);
      g_assert_null (strstr (r.out, CANARY));
      g_assert_null (strstr (r.err, CANARY));
    }

  /* git's answer carries the password by design; a failing get's error message does not. */
  cli (&get, NULL, "get", "Canary");
  g_assert_cmpstr (get.out, ==, CANARY "\n");
  g_assert_null (strstr (get.err, CANARY));

  assert_tree_clean (workdir);
  g_unlink (csv);
}


static char *
write_work_file (const char *name,
                 const char *contents)
{
  char *path = g_build_filename (workdir, name, NULL);

  g_assert_true (g_file_set_contents (path, contents, -1, NULL));
  return path;
}

static char *
replace (const char *text,
         const char *old,
         const char *new)
{
  g_auto(GStrv) parts = g_strsplit (text, old, 2);

  g_assert_nonnull (parts[1]);
  return g_strconcat (parts[0], new, parts[1], NULL);
}

/* policy enforce answers as Casbin, and points at malformed input. */
static void
test_policy_enforce (void)
{
  g_autofree char *model = write_work_file ("abac.conf",
    "[request_definition]\nr = sub, obj, act\n[policy_definition]\np = sub_rule, obj, act\n"
    "[policy_effect]\ne = some(where (p.eft == allow))\n"
    "[matchers]\nm = eval(p.sub_rule) && r.obj == p.obj && r.act == p.act\n");
  g_autofree char *policy = write_work_file ("abac.csv", "p, r.sub.Age > 18, /data1, read\n");
  g_autofree char *bad_model = write_work_file ("bad.conf", "[request_definition]\nr = sub\n");
  g_auto(Result) ok = { 0 };
  g_auto(Result) malformed = { 0 };
  g_auto(Result) broken = { 0 };

  run_full (&ok, NULL, "{\"Age\": 30}, /data1, read\n{\"Age\": 10}, /data1, read\n\n# a comment\n"
                       "{\"Age\": 30}, /data2, read\n",
            (const char *[]) { cli_path, "policy", "enforce", "--model", model, "--policy", policy, NULL });
  g_assert_cmpint (ok.status, ==, 0);
  g_assert_cmpstr (ok.out, ==, "true\nfalse\nfalse\n");

  run_full (&malformed, NULL, "{\"Age\": 30}, /data1, read\n{\"Age\": 30}, \"/data1, read\n",
            (const char *[]) { cli_path, "policy", "enforce", "--model", model, "--policy", policy, NULL });
  g_assert_cmpint (malformed.status, ==, 2);
  g_assert_cmpstr (malformed.out, ==, "true\n");
  g_assert_nonnull (strstr (malformed.err, "Line 2, column 14"));

  run_full (&broken, NULL, "",
            (const char *[]) { cli_path, "policy", "enforce", "--model", bad_model, "--policy", policy, NULL });
  g_assert_cmpint (broken.status, ==, 2);
  assert_one_line_error (&broken);
  g_assert_nonnull (strstr (broken.err, "missing required sections"));
}

/* The vault's policy: shown, exported, tried, imported (an audited admin-policy request), and
 * never replaced by one that would lock its editor out. */
static void
test_policy_admin (void)
{
  g_autofree char *model_path = g_build_filename (workdir, "m.conf", NULL);
  g_autofree char *policy_path = g_build_filename (workdir, "p.csv", NULL);
  g_autofree char *policy = NULL;
  g_autofree char *approve = NULL;
  g_autofree char *locked = NULL;
  g_autofree char *approve_path = NULL;
  g_autofree char *locked_path = NULL;
  g_auto(Result) add = { 0 };
  g_auto(Result) show = { 0 };
  g_auto(Result) export = { 0 };
  g_auto(Result) trial = { 0 };
  g_auto(Result) import = { 0 };
  g_auto(Result) get = { 0 };
  g_auto(Result) lock = { 0 };
  g_auto(Result) after = { 0 };
  g_auto(Result) reset = { 0 };
  g_auto(Result) again = { 0 };

  fresh_vault ();
  cli (&add, CANARY "\n", "add", "Deploy key");
  g_assert_cmpint (add.status, ==, 0);

  cli (&show, NULL, "policy", "show");
  g_assert_cmpint (show.status, ==, 0);
  g_assert_nonnull (strstr (show.out, "built-in default"));
  g_assert_nonnull (strstr (show.out, "g, cli, owner"));

  cli (&export, NULL, "policy", "export", "--model", model_path, "--policy", policy_path);
  g_assert_cmpint (export.status, ==, 0);
  policy = read_file (policy_path);
  g_assert_nonnull (strstr (policy, "p, owner, *, admin-policy, true, allow, reauth=5m"));

  cli (&trial, NULL, "policy", "test", "agent:claude", "reveal", "Deploy key");
  g_assert_cmpint (trial.status, ==, 0);
  g_assert_true (g_str_has_prefix (trial.out, "allow\n"));
  g_assert_nonnull (strstr (trial.out, "obligations: approve"));

  /* Reveals by the CLI now need a person's approval: with nobody to ask, denied (exit 7). */
  approve = replace (policy, "p, owner, *, *, true, allow, \n",
                     "p, owner, *, reveal, true, allow, approve\np, owner, *, *, true, allow, \n");
  approve_path = write_work_file ("approve.csv", approve);
  cli (&import, NULL, "policy", "import", "--model", model_path, "--policy", approve_path);
  g_assert_cmpint (import.status, ==, 0);
  cli (&get, NULL, "get", "Deploy key");
  g_assert_cmpint (get.status, ==, 7);
  assert_one_line_error (&get);
  g_assert_nonnull (strstr (get.err, "approve"));
  g_assert_cmpstr (get.out, ==, "");

  /* A policy that denies its own editing is refused; the one in force stays. */
  locked = replace (policy, "p, owner, *, admin-policy, true, allow, reauth=5m",
                    "p, owner, *, admin-policy, true, deny, ");
  locked_path = write_work_file ("locked.csv", locked);
  cli (&lock, NULL, "policy", "import", "--model", model_path, "--policy", locked_path);
  g_assert_cmpint (lock.status, ==, 7);
  g_assert_nonnull (strstr (lock.err, "would not let cli change it again"));
  cli (&after, NULL, "policy", "show");
  g_assert_nonnull (strstr (after.out, "p, owner, *, reveal, true, allow, approve"));

  cli (&reset, NULL, "policy", "import", "--default");
  g_assert_cmpint (reset.status, ==, 0);
  cli (&again, NULL, "get", "Deploy key");
  g_assert_cmpint (again.status, ==, 0);
  g_assert_cmpstr (again.out, ==, CANARY "\n");
}

static char *
audit_log_path (void)
{
  return g_build_filename (workdir, "perihelion", "audit.log", NULL);
}

/* Every access lands in the audit log, no secret with it; verify catches tampering. */
static void
test_audit (void)
{
  g_autofree char *log_path = audit_log_path ();
  g_autofree char *log = NULL;
  g_autofree char *tampered = NULL;
  g_auto(Result) add = { 0 };
  g_auto(Result) get = { 0 };
  g_auto(Result) verify = { 0 };
  g_auto(Result) show = { 0 };
  g_auto(Result) show_json = { 0 };
  g_auto(Result) modified = { 0 };
  g_auto(Result) emptied = { 0 };
  g_autofree char *last_allow = NULL;

  fresh_vault ();
  cli (&add, CANARY "\n", "add", "Audit me", "--username", "someone");
  g_assert_cmpint (add.status, ==, 0);
  cli (&get, NULL, "get", "Audit me");
  g_assert_cmpstr (get.out, ==, CANARY "\n");

  cli (&verify, NULL, "audit", "verify");
  g_assert_cmpint (verify.status, ==, 0);
  g_assert_true (g_str_has_prefix (verify.out, "OK: "));

  cli (&show, NULL, "audit", "show", "--entry", "audit me");
  g_assert_cmpint (show.status, ==, 0);
  g_assert_nonnull (strstr (show.out, "reveal"));
  g_assert_nonnull (strstr (show.out, "Audit me"));
  cli (&show_json, NULL, "audit", "show", "--json", "--since", "1h", "--decision", "allow", "--subject", "cli");
  g_assert_cmpint (show_json.status, ==, 0);
  g_assert_nonnull (strstr (show_json.out, "\"action\":\"reveal\""));
  g_assert_nonnull (strstr (show_json.out, "\"mac\":\""));

  log = read_file (log_path);
  g_assert_nonnull (log);
  g_assert_null (strstr (log, CANARY));

  /* A changed record: caught, exit 5, at its line. */
  last_allow = g_strrstr (log, "\"decision\":\"allow\"") ? g_strdup (g_strrstr (log, "\"decision\":\"allow\"")) : NULL;
  g_assert_nonnull (last_allow);
  tampered = g_strdup (log);
  memcpy (g_strrstr (tampered, "\"decision\":\"allow\""), "\"decision\":\"alloW\"", 18);
  g_assert_true (g_file_set_contents (log_path, tampered, -1, NULL));
  cli (&modified, NULL, "audit", "verify");
  g_assert_cmpint (modified.status, ==, 5);
  g_assert_true (g_str_has_prefix (modified.out, "DAMAGED: "));
  g_assert_nonnull (strstr (modified.out, "modified"));

  /* An emptied log: the vault saw records, so it is caught too, even though the verify run
   * itself writes a new record (numbered after the ones the vault saw). */
  g_assert_true (g_file_set_contents (log_path, "", 0, NULL));
  cli (&emptied, NULL, "audit", "verify");
  g_assert_cmpint (emptied.status, ==, 5);
  if (!strstr (emptied.out, "deleted"))
    g_error ("%s", emptied.out);
  g_unlink (log_path);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, ==, 2);
  cli_path = argv[1];
  workdir = g_dir_make_tmp ("perihelion-cli-XXXXXX", NULL);
  vault_path = g_build_filename (workdir, "test.phvault", NULL);
  password_file = g_build_filename (workdir, "password", NULL);
  g_file_set_contents (password_file, "master password\n", -1, NULL);

  g_test_add_func ("/cli/basic-flow", test_basic_flow);
  g_test_add_func ("/cli/bad-input", test_bad_input);
  g_test_add_func ("/cli/totp", test_totp);
  g_test_add_func ("/cli/mfa", test_mfa);
  g_test_add_func ("/cli/passwd-and-recovery", test_passwd_and_recovery);
  g_test_add_func ("/cli/import-export-generate", test_import_export_generate);
  g_test_add_func ("/cli/git-credential-with-git", test_git_credential_with_git);
  g_test_add_func ("/cli/secret-hygiene", test_secret_hygiene);
  g_test_add_func ("/cli/policy-enforce", test_policy_enforce);
  g_test_add_func ("/cli/policy-admin", test_policy_admin);
  g_test_add_func ("/cli/audit", test_audit);

  status = g_test_run ();
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", workdir);
    if (system (cmd) != 0)
      g_warning ("Could not remove %s", workdir);
  }
  return status;
}
