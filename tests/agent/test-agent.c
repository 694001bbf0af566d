/* test-agent.c: perihelion-agent on a private session bus, as its clients see it.
 *
 * The test process is trusted as "perihelion-cli" (PERIHELION_TRUSTED_CLI); `gdbus call` is an
 * ordinary program, whom the default policy makes ask for approval (and nobody can approve).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "ph-broker.h"
#include "ph-entry-pack.h"
#include "ph-otp.h"
#include "ph-test-util.h"

#define NAME "org.perihelion.Agent"
#define PATH "/org/perihelion/Agent"
#define IFACE "org.perihelion.Agent1"
#define CANARY "canary-agent-4b1d-SECRET"

typedef struct
{
  char *dir;
  char *vault_path;
  char *log_path;
  GSubprocess *agent;
  GDBusConnection *bus;
} Fixture;

static GTestDBus *test_bus;

static gboolean
wait_until (gboolean (*condition) (gpointer), gpointer data, guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (!condition (data))
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10 * 1000);
    }
  return TRUE;
}

static gboolean
agent_on_bus (gpointer data)
{
  Fixture *f = data;
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (f->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                           "org.freedesktop.DBus", "NameHasOwner",
                                                           g_variant_new ("(s)", NAME), G_VARIANT_TYPE ("(b)"),
                                                           G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
  gboolean owned = FALSE;

  if (reply)
    g_variant_get (reply, "(b)", &owned);
  return owned;
}

static void
start_agent (Fixture    *f,
             const char *idle)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GError) error = NULL;
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);

  g_subprocess_launcher_setenv (launcher, "PERIHELION_AUDIT_LOG", f->log_path, TRUE);
  g_autofree char *trusted = g_strconcat (self_exe, ":", g_getenv ("PH_CLI_PATH"), NULL);

  g_subprocess_launcher_setenv (launcher, "PERIHELION_TRUSTED_CLI", trusted, TRUE);
  f->agent = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PH_AGENT_PATH"), "--vault", f->vault_path,
                                          "--idle-timeout", idle, NULL);
  g_assert_no_error (error);
  g_assert_true (wait_until (agent_on_bus, f, 10000));
}

static void
stop_agent (Fixture *f)
{
  if (f->agent == NULL)
    return;
  g_subprocess_send_signal (f->agent, SIGTERM);
  g_subprocess_wait (f->agent, NULL, NULL);
  g_assert_true (g_subprocess_get_if_exited (f->agent));
  g_assert_cmpint (g_subprocess_get_exit_status (f->agent), ==, 0);
  g_clear_object (&f->agent);
}

static GVariant *
call (Fixture     *f,
      const char  *method,
      GVariant    *parameters,
      GError     **error)
{
  return g_dbus_connection_call_sync (f->bus, NAME, PATH, IFACE, method, parameters, NULL,
                                      G_DBUS_CALL_FLAGS_NONE, 20000, NULL, error);
}

static GVariant *
password_variant (const char *text)
{
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, text, strlen (text), 1);
}

static void
unlock (Fixture    *f,
        const char *password)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call (f, "Unlock", g_variant_new_tuple ((GVariant *[]) { password_variant (password) }, 1),
                                    &error);

  g_assert_no_error (error);
}

static void
assert_dbus_error (const GError *error,
                   const char   *name)
{
  g_autofree char *remote = NULL;

  g_assert_nonnull (error);
  remote = g_dbus_error_get_remote_error (error);
  if (g_strcmp0 (remote, name) != 0)
    g_error ("expected %s, got %s: %s", name, remote, error->message);
}

static gboolean
get_locked (Fixture *f)
{
  g_autoptr(GVariant) reply = g_dbus_connection_call_sync (f->bus, NAME, PATH, "org.freedesktop.DBus.Properties",
                                                           "Get", g_variant_new ("(ss)", IFACE, "Locked"),
                                                           G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                                           NULL, NULL);
  g_autoptr(GVariant) value = NULL;

  g_assert_nonnull (reply);
  g_variant_get (reply, "(v)", &value);
  return g_variant_get_boolean (value);
}

static gboolean
is_locked (gpointer data)
{
  return get_locked (data);
}

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(PhEntry) github = NULL;
  g_autoptr(PhEntry) bank = NULL;
  g_autoptr(GError) error = NULL;

  f->dir = ph_test_make_dir ();
  f->vault_path = g_build_filename (f->dir, "v.phvault", NULL);
  f->log_path = g_build_filename (f->dir, "audit.log", NULL);
  vault = ph_test_new_vault (f->vault_path, "master", NULL);
  github = ph_test_add_entry (vault, "GitHub", "me", "https://github.com", CANARY);
  bank = ph_test_add_entry (vault, "Bank", "me", "https://bank.example", CANARY "-bank");
  ph_entry_set_sensitivity (bank, PH_SENSITIVITY_CRITICAL);
  ph_vault_entry_changed (vault, bank);
  g_assert_true (ph_vault_save (vault, &error));
  g_assert_no_error (error);

  f->bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_assert_no_error (error);
  start_agent (f, (const char *) data ? (const char *) data : "600");
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  stop_agent (f);
  g_clear_object (&f->bus);
  ph_test_remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->vault_path);
  g_free (f->log_path);
}

static void
test_unlock_and_rate_limit (Fixture      *f,
                            gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  g_assert_true (get_locked (f));
  reply = call (f, "List", g_variant_new ("(s)", ""), &error);
  assert_dbus_error (error, "org.perihelion.Agent1.Error.Locked");
  g_clear_error (&error);

  reply = call (f, "Unlock", g_variant_new_tuple ((GVariant *[]) { password_variant ("wrong") }, 1), &error);
  assert_dbus_error (error, "org.perihelion.Agent1.Error.WrongPassword");
  g_clear_error (&error);
  /* Right away, even the right password waits. */
  reply = call (f, "Unlock", g_variant_new_tuple ((GVariant *[]) { password_variant ("master") }, 1), &error);
  assert_dbus_error (error, "org.perihelion.Agent1.Error.RateLimited");
  g_clear_error (&error);
  g_usleep (1100 * 1000);
  unlock (f, "master");
  g_assert_false (get_locked (f));

  reply = call (f, "Lock", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (get_locked (f));
}

static void
test_list_and_secret (Fixture      *f,
                      gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) all = NULL;
  g_autoptr(GVariant) found = NULL;
  g_autoptr(GVariant) secret = NULL;
  g_autoptr(GVariant) entries = NULL;
  g_autoptr(GVariant) bytes = NULL;
  g_autofree char *log = NULL;
  const char *title;
  gsize len;
  int ttl;

  unlock (f, "master");
  all = call (f, "List", g_variant_new ("(s)", ""), &error);
  g_assert_no_error (error);
  entries = g_variant_get_child_value (all, 0);
  g_assert_cmpuint (g_variant_n_children (entries), ==, 2);
  found = call (f, "List", g_variant_new ("(s)", "git"), &error);
  g_clear_pointer (&entries, g_variant_unref);
  entries = g_variant_get_child_value (found, 0);
  g_assert_cmpuint (g_variant_n_children (entries), ==, 1);
  {
    g_autoptr(GVariant) first = g_variant_get_child_value (entries, 0);

    g_assert_true (g_variant_lookup (first, "title", "&s", &title));
    g_assert_cmpstr (title, ==, "GitHub");
  }

  secret = call (f, "GetSecret", g_variant_new ("(sss)", "GitHub", "password", "reveal"), &error);
  g_assert_no_error (error);
  g_variant_get (secret, "(@ayi)", &bytes, &ttl);
  g_assert_cmpmem (g_variant_get_fixed_array (bytes, &len, 1), len, CANARY, strlen (CANARY));
  g_assert_cmpint (ttl, ==, -1);

  /* A critical entry right after unlocking: the password was just entered. */
  g_clear_pointer (&secret, g_variant_unref);
  secret = call (f, "GetSecret", g_variant_new ("(sss)", "Bank", "password", "copy"), &error);
  g_assert_no_error (error);

  /* Bad arguments are refused cleanly. */
  g_clear_pointer (&secret, g_variant_unref);
  secret = call (f, "GetSecret", g_variant_new ("(sss)", "GitHub", "password", "export"), &error);
  assert_dbus_error (error, "org.freedesktop.DBus.Error.InvalidArgs");
  g_clear_error (&error);
  secret = call (f, "GetSecret", g_variant_new ("(sss)", "Nope", "password", "reveal"), &error);
  assert_dbus_error (error, "org.perihelion.Agent1.Error.NotFound");

  stop_agent (f);
  g_file_get_contents (f->log_path, &log, NULL, NULL);
  g_assert_nonnull (strstr (log, "\"subject\":\"cli\""));
  g_assert_nonnull (strstr (log, "\"action\":\"copy\""));
  g_assert_null (strstr (log, CANARY));
}

/* A program the user never approved asks for a secret: denied (nobody can approve), audited. */
/* One-time passwords: set (checked, canonical), the code computed in the agent (only the code
 * comes back), malformed URIs refused with the reason. */
static void
test_one_time_codes (Fixture      *f,
                     gconstpointer data)
{
  const char *uri = "otpauth://totp/GitHub:alice?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&algorithm=SHA512&digits=7";
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) set = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) code = NULL;
  g_autoptr(PhOtp) otp = ph_otp_new_from_uri (uri, &error);
  g_autofree char *expected = NULL;
  guint32 period;
  gint64 valid_until;
  gsize len;
  const char *digits;

  g_assert_no_error (error);
  unlock (f, "master");
  set = call (f, "SetOneTimePassword", g_variant_new ("(s@ay)", "GitHub", password_variant (uri)), &error);
  g_assert_no_error (error);
  reply = call (f, "GetOneTimeCode", g_variant_new ("(ss)", "GitHub", "copy"), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(@ayux)", &code, &period, &valid_until);
  digits = g_variant_get_fixed_array (code, &len, 1);
  g_assert_cmpuint (period, ==, 30);
  expected = ph_otp_code_at (otp, valid_until - 1);
  g_assert_cmpmem (digits, len, expected, strlen (expected));
  g_assert_cmpint (valid_until - g_get_real_time () / G_USEC_PER_SEC, <=, 30);

  /* Refused: a malformed URI (nothing changes), a "use" of a code, an entry without one. */
  g_clear_pointer (&set, g_variant_unref);
  set = call (f, "SetOneTimePassword", g_variant_new ("(s@ay)", "GitHub",
                                                      password_variant ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0")),
              &error);
  assert_dbus_error (error, "org.freedesktop.DBus.Error.InvalidArgs");
  g_assert_nonnull (strstr (error->message, "period"));
  g_assert_null (strstr (error->message, "JBSWY3DP"));
  g_clear_error (&error);
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, "GetOneTimeCode", g_variant_new ("(ss)", "GitHub", "use"), &error);
  assert_dbus_error (error, "org.freedesktop.DBus.Error.InvalidArgs");
  g_clear_error (&error);
  /* Removed: no code any more. */
  g_clear_pointer (&set, g_variant_unref);
  set = call (f, "SetOneTimePassword", g_variant_new ("(s@ay)", "GitHub", password_variant ("")), &error);
  g_assert_no_error (error);
  reply = call (f, "GetOneTimeCode", g_variant_new ("(ss)", "GitHub", "reveal"), &error);
  assert_dbus_error (error, "org.perihelion.Agent1.Error.NotFound");
}

/* The vault's own second factors over D-Bus: an authenticator enrolled only with a right code,
 * recovery codes; then a critical entry wants a second factor, which a headless agent cannot
 * ask for: refused, not released. */
static void
test_second_factors (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) factors = NULL;
  g_autoptr(GVariant) uri_bytes = NULL;
  g_autoptr(PhOtp) otp = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *right = NULL;
  g_autofree char *wrong = NULL;
  g_autofree const char **codes = NULL;
  gboolean totp = TRUE;
  gsize len;

  unlock (f, "master");
  reply = call (f, "GetSecondFactors", NULL, &error);
  g_assert_no_error (error);
  factors = g_variant_get_child_value (reply, 0);
  g_assert_true (g_variant_lookup (factors, "totp", "b", &totp));
  g_assert_false (totp);

  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, "BeginTotpEnrollment", g_variant_new ("(s)", "alice"), &error);
  g_assert_no_error (error);
  uri_bytes = g_variant_get_child_value (reply, 0);
  {
    /* Two statements: an argument list does not order its evaluation (len). */
    const char *key = g_variant_get_fixed_array (uri_bytes, &len, 1);

    uri = g_strndup (key, len);
  }
  otp = ph_otp_new_from_uri (uri, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (otp->issuer, ==, "Perihelion");
  right = ph_otp_code_at (otp, g_get_real_time () / G_USEC_PER_SEC);
  wrong = g_strdup_printf ("%06d", (atoi (right) + 500000) % 1000000);
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, "FinishTotpEnrollment", g_variant_new ("(s)", wrong), &error);
  assert_dbus_error (error, "org.perihelion.Agent1.Error.WrongCode");
  g_clear_error (&error);
  reply = call (f, "FinishTotpEnrollment", g_variant_new ("(s)", right), &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  g_clear_pointer (&factors, g_variant_unref);
  reply = call (f, "GetSecondFactors", NULL, &error);
  factors = g_variant_get_child_value (reply, 0);
  g_assert_true (g_variant_lookup (factors, "totp", "b", &totp));
  g_assert_true (totp);

  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, "NewRecoveryCodes", NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(^a&s)", &codes);
  g_assert_cmpuint (g_strv_length ((char **) codes), ==, 10);

  /* Security keys: none plugged in here, said as such; none listed; an unknown one not found. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, "AddSecurityKey", g_variant_new ("(sbb)", "YubiKey", TRUE, FALSE), &error);
  g_assert_null (reply);
  assert_dbus_error (error, "org.perihelion.Agent1.Error.NoDevice");
  g_clear_error (&error);
  reply = call (f, "ListSecurityKeys", NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_type_string (reply), ==, "(a(ssbu))");
  {
    g_autoptr(GVariant) keys = g_variant_get_child_value (reply, 0);

    g_assert_cmpuint (g_variant_n_children (keys), ==, 0);
  }
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, "RemoveSecurityKey", g_variant_new ("(s)", "bm9uZQ=="), &error);
  assert_dbus_error (error, "org.perihelion.Agent1.Error.NotFound");
  g_clear_error (&error);
  reply = call (f, "RenameSecurityKey", g_variant_new ("(ss)", "bm9uZQ==", "Spare"), &error);
  assert_dbus_error (error, "org.perihelion.Agent1.Error.NotFound");
  g_clear_error (&error);

  /* Quick unlock: only the password opens this vault; setting it up needs a key plugged in;
   * locked, a key cannot open it. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, "GetUnlockMethods", NULL, &error);
  g_assert_no_error (error);
  {
    g_autofree const char **methods = NULL;

    g_variant_get (reply, "(^a&s)", &methods);
    g_assert_cmpuint (g_strv_length ((char **) methods), ==, 1);
    g_assert_cmpstr (methods[0], ==, "password");
  }
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, "EnableQuickUnlock", g_variant_new ("(s)", "YubiKey"), &error);
  assert_dbus_error (error, "org.perihelion.Agent1.Error.NoDevice");
  g_clear_error (&error);

  /* "Bank" is critical: a second factor now, and nobody to ask. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, "GetSecret", g_variant_new ("(sss)", "Bank", "password", "reveal"), &error);
  g_assert_null (reply);
  assert_dbus_error (error, "org.perihelion.Agent1.Error.Reauth");
  g_assert_nonnull (strstr (error->message, "second factor"));
  g_clear_error (&error);

  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, "Lock", NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, "UnlockWithSecurityKey", NULL, &error);
  assert_dbus_error (error, "org.perihelion.Agent1.Error.NotFound");
  g_assert_nonnull (strstr (error->message, "No security key opens this vault"));
}

static void
test_unapproved_caller (Fixture      *f,
                        gconstpointer data)
{
  g_autoptr(GSubprocess) gdbus = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *log = NULL;

  unlock (f, "master");
  gdbus = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, "gdbus", "call",
                            "--session", "--dest", NAME, "--object-path", PATH, "--method", IFACE ".GetSecret",
                            "GitHub", "password", "reveal", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (gdbus, NULL, NULL, &out, &err, &error);
  g_assert_false (g_subprocess_get_successful (gdbus));
  g_assert_nonnull (strstr (err, "org.perihelion.Agent1.Error.NotApproved"));
  g_assert_null (strstr (out, CANARY));

  /* Nor may it pass for an AI agent, or have a secret handed to a program of its choosing: only
   * perihelion-mcp may (the test process is trusted as the CLI, not as perihelion-mcp). */
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&out, g_free);
  g_clear_object (&gdbus);
  gdbus = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error, "gdbus", "call",
                            "--session", "--dest", NAME, "--object-path", PATH, "--method", IFACE ".DeclareAgent",
                            "claude-code", "", NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (gdbus, NULL, NULL, &out, &err, &error);
  g_assert_false (g_subprocess_get_successful (gdbus));
  g_assert_nonnull (strstr (err, "AccessDenied"));
  {
    g_autoptr(GVariant) reply = call (f, "GetSecretForCommand",
                                      g_variant_new ("(ssss)", "GitHub", "password", "/usr/bin/env", "env"), &error);

    g_assert_null (reply);
    g_assert_true (g_dbus_error_is_remote_error (error));
    g_assert_nonnull (strstr (error->message, "perihelion-mcp"));
    g_clear_error (&error);
    reply = call (f, "DeclareAgent", g_variant_new ("(ss)", "claude-code", ""), &error);
    g_assert_null (reply);
    g_assert_nonnull (error);
    g_clear_error (&error);
  }

  stop_agent (f);
  g_file_get_contents (f->log_path, &log, NULL, NULL);
  g_assert_nonnull (strstr (log, "\"subject\":\"process:"));
  g_assert_nonnull (strstr (log, "\"decision\":\"deny\""));
  g_assert_null (strstr (log, CANARY));
}

static void
on_entries_changed (GDBusConnection *connection,
                    const char      *sender,
                    const char      *path,
                    const char      *interface,
                    const char      *signal,
                    GVariant        *parameters,
                    gpointer         data)
{
  (*(guint *) data)++;
}

static gboolean
nonzero (gpointer data)
{
  return *(guint *) data > 0;
}

/* Changes survive a restart; EntriesChanged tells clients; the audit log stays intact. */
static void
test_changes_and_restart (Fixture      *f,
                          gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) added = NULL;
  g_autoptr(GVariant) list = NULL;
  g_autoptr(GVariant) entries = NULL;
  g_autoptr(GVariant) verify = NULL;
  g_autoptr(GVariant) deleted = NULL;
  GVariantBuilder attributes;
  const char *message;
  gboolean intact;
  guint changes = 0;
  guint id;

  id = g_dbus_connection_signal_subscribe (f->bus, NAME, IFACE, "EntriesChanged", PATH, NULL,
                                           G_DBUS_SIGNAL_FLAGS_NONE, on_entries_changed, &changes, NULL);
  unlock (f, "master");
  g_variant_builder_init (&attributes, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&attributes, "{sv}", "title", g_variant_new_string ("Added over D-Bus"));
  g_variant_builder_add (&attributes, "{sv}", "tags", g_variant_new_strv ((const char *[]) { "dbus", NULL }, -1));
  added = call (f, "AddEntry", g_variant_new ("(@a{sv}@ay)", g_variant_builder_end (&attributes),
                                              password_variant ("added-secret")), &error);
  g_assert_no_error (error);
  g_assert_true (wait_until (nonzero, &changes, 5000));
  g_dbus_connection_signal_unsubscribe (f->bus, id);

  stop_agent (f);
  start_agent (f, "600");
  g_assert_true (get_locked (f));
  unlock (f, "master");
  list = call (f, "List", g_variant_new ("(s)", "added"), &error);
  g_assert_no_error (error);
  entries = g_variant_get_child_value (list, 0);
  g_assert_cmpuint (g_variant_n_children (entries), ==, 1);

  /* Edited: a new title and password. */
  {
    g_autoptr(GVariant) edited = NULL;
    g_autoptr(GVariant) secret = NULL;
    g_autoptr(GVariant) bytes = NULL;
    GVariantBuilder edits;
    gsize len;
    int ttl;

    g_variant_builder_init (&edits, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add (&edits, "{sv}", "title", g_variant_new_string ("Edited over D-Bus"));
    edited = call (f, "EditEntry", g_variant_new ("(s@a{sv}@ay)", "Added over D-Bus", g_variant_builder_end (&edits),
                                                  password_variant ("edited-secret")), &error);
    g_assert_no_error (error);
    secret = call (f, "GetSecret", g_variant_new ("(sss)", "Edited over D-Bus", "password", "use"), &error);
    g_assert_no_error (error);
    g_variant_get (secret, "(@ayi)", &bytes, &ttl);
    g_assert_cmpmem (g_variant_get_fixed_array (bytes, &len, 1), len, "edited-secret", 13);
  }

  deleted = call (f, "DeleteEntry", g_variant_new ("(s)", "Edited over D-Bus"), &error);
  g_assert_no_error (error);

  /* The policy: read, a self-locking one refused, a changed one applied; the audit records. */
  {
    g_autoptr(GVariant) got = call (f, "GetPolicy", NULL, &error);
    g_autoptr(GVariant) refused = NULL;
    g_autoptr(GVariant) applied = NULL;
    g_autoptr(GVariant) records = NULL;
    g_autofree char *locked = NULL;
    g_autofree char *changed = NULL;
    const char *model, *policy;

    g_assert_no_error (error);
    g_variant_get (got, "(&s&s)", &model, &policy);
    g_assert_nonnull (strstr (policy, "g, cli, owner"));
    locked = g_strdup (policy);
    memcpy (strstr (locked, "admin-policy, true, allow"), "admin-policy, true, deny ", 25);
    refused = call (f, "SetPolicy", g_variant_new ("(ss)", model, locked), &error);
    assert_dbus_error (error, "org.perihelion.Agent1.Error.Denied");
    g_clear_error (&error);
    changed = g_strconcat ("p, agent:robot, *, list, true, deny, \n", policy, NULL);
    applied = call (f, "SetPolicy", g_variant_new ("(ss)", model, changed), &error);
    g_assert_no_error (error);

    records = call (f, "GetAuditRecords", g_variant_new ("(xu)", (gint64) 0, 3), &error);
    g_assert_no_error (error);
    {
      g_autoptr(GVariant) lines = g_variant_get_child_value (records, 0);
      g_autoptr(GVariant) last = NULL;

      g_assert_cmpuint (g_variant_n_children (lines), ==, 3);
      last = g_variant_get_child_value (lines, 2);
      g_assert_nonnull (strstr (g_variant_get_string (last, NULL), "\"action\":\"read-metadata\""));
    }
  }
  verify = call (f, "VerifyAudit", NULL, &error);
  g_assert_no_error (error);
  g_variant_get (verify, "(b&s)", &intact, &message);
  if (!intact)
    g_error ("%s", message);
}

static void
test_idle_lock (Fixture      *f,
                gconstpointer data)
{
  unlock (f, "master");
  g_assert_false (get_locked (f));
  g_assert_true (wait_until (is_locked, f, 5000));
}

/* The session locking (logind's Lock) or the machine going to sleep locks the vault. A
 * stand-in for org.freedesktop.login1 lives on the test bus. */
static void
test_session_lock (Fixture      *f,
                   gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;

  reply = g_dbus_connection_call_sync (f->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "RequestName",
                                       g_variant_new ("(su)", "org.freedesktop.login1", 0), G_VARIANT_TYPE ("(u)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);

  unlock (f, "master");
  g_dbus_connection_emit_signal (f->bus, NULL, "/org/freedesktop/login1/session/self",
                                 "org.freedesktop.login1.Session", "Lock", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (wait_until (is_locked, f, 5000));

  unlock (f, "master");
  g_assert_false (get_locked (f));
  g_dbus_connection_emit_signal (f->bus, NULL, "/org/freedesktop/login1", "org.freedesktop.login1.Manager",
                                 "PrepareForSleep", g_variant_new ("(b)", TRUE), &error);
  g_assert_true (wait_until (is_locked, f, 5000));

  /* The screensaver turning on (a stand-in org.freedesktop.ScreenSaver); turning off does not. */
  {
    g_autoptr(GVariant) owned = g_dbus_connection_call_sync (f->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                             "org.freedesktop.DBus", "RequestName",
                                                             g_variant_new ("(su)", "org.freedesktop.ScreenSaver", 0),
                                                             G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                                                             &error);

    g_assert_no_error (error);
  }
  unlock (f, "master");
  g_dbus_connection_emit_signal (f->bus, NULL, "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver",
                                 "ActiveChanged", g_variant_new ("(b)", FALSE), &error);
  g_usleep (200 * 1000);
  g_assert_false (get_locked (f));
  g_dbus_connection_emit_signal (f->bus, NULL, "/org/freedesktop/ScreenSaver", "org.freedesktop.ScreenSaver",
                                 "ActiveChanged", g_variant_new ("(b)", TRUE), &error);
  g_assert_true (wait_until (is_locked, f, 5000));
}

/* A client that dies mid-call does not disturb the agent. */
static void
test_crashed_client (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) list = NULL;

  unlock (f, "master");
  for (int i = 0; i < 5; i++)
    {
      g_autoptr(GSubprocess) gdbus = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                                       &error, "gdbus", "call", "--session", "--dest", NAME,
                                                       "--object-path", PATH, "--method", IFACE ".List", "", NULL);

      g_assert_no_error (error);
      g_usleep (i * 2000);
      g_subprocess_force_exit (gdbus);
      g_subprocess_wait (gdbus, NULL, NULL);
    }
  list = call (f, "List", g_variant_new ("(s)", ""), &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_identifier (f->agent) != NULL);
}

static void
run_cli (Fixture     *f,
         const char  *password,
         char       **out,
         char       **err,
         int         *status,
         ...)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) cli = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *pw_path = g_build_filename (f->dir, "pw", NULL);
  const char *arg;
  va_list args;

  g_ptr_array_add (argv, (gpointer) g_getenv ("PH_CLI_PATH"));
  if (password)
    {
      g_autofree char *line = g_strconcat (password, "\n", NULL);

      g_file_set_contents (pw_path, line, -1, NULL);
      g_subprocess_launcher_take_fd (launcher, g_open (pw_path, O_RDONLY, 0), 3);
      g_ptr_array_add (argv, "--password-fd");
      g_ptr_array_add (argv, "3");
    }
  va_start (args, status);
  while ((arg = va_arg (args, const char *)))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  g_subprocess_launcher_unsetenv (launcher, "PERIHELION_VAULT");
  g_subprocess_launcher_setenv (launcher, "PERIHELION_AUDIT_LOG", f->log_path, TRUE);
  cli = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (cli, NULL, NULL, out, err, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_exit_status (cli);
}

/* perihelion-cli without --vault talks to the running agent: it unlocks it for everyone, then
 * needs no password; the agent's gate sees it as "cli". */
static void
test_cli_through_agent (Fixture      *f,
                        gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *out2 = NULL, *err2 = NULL, *out3 = NULL, *err3 = NULL;
  g_autofree char *out4 = NULL, *err4 = NULL, *log = NULL;
  int status;

  g_assert_true (get_locked (f));
  run_cli (f, "master", &out, &err, &status, "get", "GitHub", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out, ==, CANARY "\n");
  g_assert_false (get_locked (f));

  /* Unlocked: no password this time. */
  run_cli (f, NULL, &out2, &err2, &status, "list", "--json", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out2, "\"GitHub\""));
  g_assert_null (strstr (out2, CANARY));
  run_cli (f, NULL, &out3, &err3, &status, "get", "nothing-like-this", NULL);
  g_assert_cmpint (status, ==, 4);
  run_cli (f, NULL, &out4, &err4, &status, "get", "github", "--field", "username", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out4, ==, "me\n");

  stop_agent (f);
  g_file_get_contents (f->log_path, &log, NULL, NULL);
  g_assert_nonnull (strstr (log, "\"subject\":\"cli\",\"subject_detail\":\"cli perihelion-cli"));
}

static char *activation_dir;

/* The bus starts the agent on the first call (D-Bus activation, as data/ installs it). */
static void
test_activation (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GVariant) pid = NULL;
  guint32 agent_pid;

  reply = g_dbus_connection_call_sync (bus, NAME, PATH, "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", IFACE, "VaultPath"), G_VARIANT_TYPE ("(v)"),
                                       G_DBUS_CALL_FLAGS_NONE, 20000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  g_assert_true (g_str_has_prefix (g_variant_get_string (value, NULL), activation_dir));

  pid = g_dbus_connection_call_sync (bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                     "GetConnectionUnixProcessID", g_variant_new ("(s)", NAME),
                                     G_VARIANT_TYPE ("(u)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (pid, "(u)", &agent_pid);
  kill (agent_pid, SIGTERM);
}

/* What the app uses beyond the CLI's calls: the packed listing, import, favorites and rotation,
 * earlier passwords, vault info, a password change, opening another file, creating a vault. */
static GPtrArray *
list_packed (Fixture    *f,
             const char *query)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = call (f, "ListPacked", g_variant_new ("(s)", query), &error);
  g_autoptr(GVariant) bytes = NULL;
  g_autoptr(GBytes) data = NULL;
  GPtrArray *entries;

  g_assert_no_error (error);
  bytes = g_variant_get_child_value (reply, 0);
  data = g_variant_get_data_as_bytes (bytes);
  entries = ph_entry_unpack (data, &error);
  g_assert_no_error (error);
  return entries;
}

static PhEntry *
find_title (GPtrArray  *entries,
            const char *title)
{
  for (guint i = 0; i < entries->len; i++)
    if (g_str_equal (ph_entry_get_title (g_ptr_array_index (entries, i)), title))
      return g_ptr_array_index (entries, i);
  return NULL;
}

static char *
get_secret (Fixture     *f,
            const char  *entry,
            const char  *field,
            const char  *action,
            GError     **error)
{
  g_autoptr(GVariant) reply = call (f, "GetSecret", g_variant_new ("(sss)", entry, field, action), error);
  g_autoptr(GVariant) bytes = NULL;
  gsize len;
  const char *data;

  if (reply == NULL)
    return NULL;
  bytes = g_variant_get_child_value (reply, 0);
  data = g_variant_get_fixed_array (bytes, &len, 1);
  return g_strndup (data, len);
}

static void
test_app_api (Fixture      *f,
              gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *not_a_vault = g_build_filename (f->dir, "notes.txt", NULL);
  g_autofree char *secret = NULL;
  const char csv[] = "title,username,password,url\nImported,ann,imported-pw,https://imported.example\n";
  GVariantBuilder attributes;
  guint count = 0;

  /* Opening another file: only an absolute path to a real vault, only while locked. */
  g_assert_true (g_file_set_contents (not_a_vault, "hello", -1, NULL));
  reply = call (f, "OpenVault", g_variant_new ("(s)", "relative.phvault"), &error);
  assert_dbus_error (error, "org.freedesktop.DBus.Error.InvalidArgs");
  g_clear_error (&error);
  reply = call (f, "OpenVault", g_variant_new ("(s)", not_a_vault), &error);
  g_assert_nonnull (error);
  g_clear_error (&error);
  reply = call (f, "Create", g_variant_new ("(@aya{sv})", password_variant ("other"), NULL), &error);
  assert_dbus_error (error, "org.perihelion.Agent1.Error.Failed");   /* a vault is already there */
  g_clear_error (&error);

  unlock (f, "master");
  reply = call (f, "OpenVault", g_variant_new ("(s)", f->vault_path), &error);
  assert_dbus_error (error, "org.perihelion.Agent1.Error.Failed");   /* not while unlocked */
  g_clear_error (&error);

  /* The packed listing carries what List does. */
  entries = list_packed (f, "");
  g_assert_cmpuint (entries->len, ==, 2);
  g_assert_nonnull (find_title (entries, "GitHub"));
  g_assert_true (ph_entry_has_password (find_title (entries, "GitHub")));
  g_clear_pointer (&entries, g_ptr_array_unref);
  entries = list_packed (f, "bank");
  g_assert_cmpuint (entries->len, ==, 1);
  g_clear_pointer (&entries, g_ptr_array_unref);

  /* Import: one request, one save. */
  reply = call (f, "Import", g_variant_new ("(s@ay)", "csv", password_variant (csv)), &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(u)", &count);
  g_assert_cmpuint (count, ==, 1);
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, "Import", g_variant_new ("(s@ay)", "kdbx", password_variant (csv)), &error);
  assert_dbus_error (error, "org.freedesktop.DBus.Error.InvalidArgs");
  g_clear_error (&error);

  /* Favorite, rotation date, and a new password that pushes the old one into the history. */
  g_variant_builder_init (&attributes, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&attributes, "{sv}", "favorite", g_variant_new_boolean (TRUE));
  g_variant_builder_add (&attributes, "{sv}", "rotation_due", g_variant_new_int64 (1234567));
  reply = call (f, "EditEntry", g_variant_new ("(sa{sv}@ay)", "GitHub", &attributes, password_variant ("rotated-pw")),
                &error);
  g_assert_no_error (error);
  entries = list_packed (f, "");
  g_assert_cmpuint (entries->len, ==, 3);
  g_assert_true (ph_entry_get_favorite (find_title (entries, "GitHub")));
  g_assert_cmpint (ph_entry_get_rotation_due (find_title (entries, "GitHub")), ==, 1234567);
  g_assert_cmpuint (ph_entry_get_n_history (find_title (entries, "GitHub")), ==, 1);
  g_clear_pointer (&entries, g_ptr_array_unref);
  secret = get_secret (f, "GitHub", "history:0", "reveal", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (secret, ==, CANARY);
  g_clear_pointer (&secret, g_free);
  secret = get_secret (f, "GitHub", "history:0", "copy", &error);
  assert_dbus_error (error, "org.freedesktop.DBus.Error.InvalidArgs");
  g_clear_error (&error);
  secret = get_secret (f, "GitHub", "history:7", "reveal", &error);
  g_assert_null (secret);
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* Vault info, and a key derivation change that needs the master password. */
  reply = call (f, "GetVaultInfo", NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GVariant) info = g_variant_get_child_value (reply, 0);
    guint32 n = 0;
    guint64 mem = 0;

    g_assert_true (g_variant_lookup (info, "entries", "u", &n));
    g_assert_cmpuint (n, ==, 3);
    g_assert_true (g_variant_lookup (info, "kdf_mem", "t", &mem));
    g_assert_cmpuint (mem, >, 0);
  }
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, "ChangePassword", g_variant_new ("(@ay@aya{sv})", password_variant ("wrong"),
                                                    password_variant ("new master"), NULL), &error);
  assert_dbus_error (error, "org.perihelion.Agent1.Error.WrongPassword");
  g_clear_error (&error);
  {
    GVariantBuilder options;

    g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
    g_variant_builder_add (&options, "{sv}", "kdf_ops", g_variant_new_uint64 (3));
    g_variant_builder_add (&options, "{sv}", "kdf_mem", g_variant_new_uint64 (64u << 20));
    reply = call (f, "ChangePassword", g_variant_new ("(@ay@aya{sv})", password_variant ("master"),
                                                      password_variant ("new master"), &options), &error);
    g_assert_no_error (error);
  }
  reply = call (f, "Lock", NULL, &error);
  g_assert_no_error (error);
  g_usleep (1100 * 1000);   /* the delay after the wrong password above */
  unlock (f, "new master");
  reply = call (f, "GetVaultInfo", NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GVariant) info = g_variant_get_child_value (reply, 0);
    guint64 ops = 0;

    g_assert_true (g_variant_lookup (info, "kdf_ops", "t", &ops));
    g_assert_cmpuint (ops, ==, 3);
  }
}

static void
test_create (Fixture      *f,
             gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) key = NULL;
  GVariantBuilder options;
  gsize len = 0;

  /* The agent serves a path where no vault is yet: the app's first run. */
  stop_agent (f);
  g_free (f->vault_path);
  f->vault_path = g_build_filename (f->dir, "new", "created.phvault", NULL);
  start_agent (f, "600");
  g_assert_true (get_locked (f));

  reply = call (f, "Create", g_variant_new ("(@aya{sv})", password_variant (""), NULL), &error);
  assert_dbus_error (error, "org.freedesktop.DBus.Error.InvalidArgs");   /* an empty password */
  g_clear_error (&error);
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "kdf_ops", g_variant_new_uint64 (2));
  g_variant_builder_add (&options, "{sv}", "kdf_mem", g_variant_new_uint64 (64u << 20));
  reply = call (f, "Create", g_variant_new ("(@aya{sv})", password_variant ("created master"), &options), &error);
  g_assert_no_error (error);
  key = g_variant_get_child_value (reply, 0);
  g_variant_get_fixed_array (key, &len, 1);
  g_assert_cmpuint (len, >, 20);
  g_assert_false (get_locked (f));
  g_assert_true (g_file_test (f->vault_path, G_FILE_TEST_EXISTS));

  /* A second Create refuses: the vault is there now. */
  g_clear_pointer (&reply, g_variant_unref);
  reply = call (f, "Create", g_variant_new ("(@aya{sv})", password_variant ("again"), NULL), &error);
  assert_dbus_error (error, "org.perihelion.Agent1.Error.Failed");
  g_clear_error (&error);

  /* And it opens with its password after a lock. */
  reply = call (f, "Lock", NULL, &error);
  g_assert_no_error (error);
  unlock (f, "created master");
  g_assert_false (get_locked (f));
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  test_bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  {
    g_autofree char *vault = NULL;
    g_autofree char *service = NULL;
    g_autofree char *contents = NULL;
    g_autoptr(PhVault) v = NULL;

    activation_dir = ph_test_make_dir ();
    vault = g_build_filename (activation_dir, "activated.phvault", NULL);
    v = ph_test_new_vault (vault, "master", NULL);
    service = g_build_filename (activation_dir, "org.perihelion.Agent.service", NULL);
    contents = g_strdup_printf ("[D-BUS Service]\nName=org.perihelion.Agent\nExec=%s --vault %s\n",
                                g_getenv ("PH_AGENT_PATH"), vault);
    g_file_set_contents (service, contents, -1, NULL);
    g_test_dbus_add_service_dir (test_bus, activation_dir);
  }
  g_test_dbus_up (test_bus);

#define ADD(name, func, idle) g_test_add ("/agent/" name, Fixture, idle, fixture_set_up, func, fixture_tear_down)
  ADD ("unlock-and-rate-limit", test_unlock_and_rate_limit, NULL);
  ADD ("list-and-secret", test_list_and_secret, NULL);
  ADD ("unapproved-caller", test_unapproved_caller, NULL);
  ADD ("one-time-codes", test_one_time_codes, NULL);
  ADD ("second-factors", test_second_factors, NULL);
  ADD ("changes-and-restart", test_changes_and_restart, NULL);
  ADD ("idle-lock", test_idle_lock, "1");
  ADD ("session-lock", test_session_lock, NULL);
  ADD ("crashed-client", test_crashed_client, NULL);
  ADD ("cli-through-agent", test_cli_through_agent, NULL);
  ADD ("app-api", test_app_api, NULL);
  ADD ("create", test_create, NULL);
  g_test_add_func ("/agent/activation", test_activation);

  status = g_test_run ();
  g_test_dbus_down (test_bus);
  ph_test_remove_dir (activation_dir);
  g_free (activation_dir);
  g_object_unref (test_bus);
  return status;
}
