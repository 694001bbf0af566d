/* test-secret-service.c: perihelion-agent as the freedesktop Secret Service, used by the real
 * secret-tool and by libsecret's C API, on a private session bus.
 *
 * The vault's policy lets secret-tool and this test program use the "login" collection; any
 * other program (gdbus here) must be approved, and with nobody to approve, is denied.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libsecret/secret.h>

#include "ph-broker.h"
#include "ph-test-util.h"

#define CANARY "canary-ss-91e2-SECRET"

static GTestDBus *test_bus;
static char *dir;
static char *vault_path;
static char *log_path;
static GSubprocess *agent;

static const SecretSchema schema = {
  "org.perihelion.Test", SECRET_SCHEMA_NONE,
  { { "service", SECRET_SCHEMA_ATTRIBUTE_STRING }, { "account", SECRET_SCHEMA_ATTRIBUTE_STRING }, { NULL, 0 } }
};

static char *
run (const char *input,
     int        *status,
     char      **err,
     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;
  const char *arg;
  va_list args;

  va_start (args, err);
  while ((arg = va_arg (args, const char *)))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  child = g_subprocess_newv ((const char * const *) argv->pdata,
                             G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                             G_SUBPROCESS_FLAGS_STDERR_PIPE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (child, input, NULL, &out, err, &error);
  g_assert_no_error (error);
  *status = g_subprocess_get_exit_status (child);
  return out;
}

static void
test_secret_tool (void)
{
  g_autofree char *out1 = NULL, *out2 = NULL, *out3 = NULL, *out4 = NULL, *out5 = NULL;
  g_autofree char *err1 = NULL, *err2 = NULL, *err3 = NULL, *err4 = NULL, *err5 = NULL;
  int status;

  out1 = run (CANARY, &status, &err1, "secret-tool", "store", "--label=Example login", "service", "org.example",
              "account", "alice", NULL);
  if (status != 0)
    g_error ("secret-tool store: %s", err1);
  out2 = run (NULL, &status, &err2, "secret-tool", "lookup", "service", "org.example", "account", "alice", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_cmpstr (out2, ==, CANARY);
  out3 = run (NULL, &status, &err3, "secret-tool", "search", "service", "org.example", NULL);
  g_assert_cmpint (status, ==, 0);
  g_assert_nonnull (strstr (out3, "label = Example login"));
  /* secret-tool prints the attributes on stderr. */
  g_assert_nonnull (strstr (err3, "attribute.account = alice"));
  g_assert_nonnull (strstr (out3, "secret = " CANARY));
  out4 = run (NULL, &status, &err4, "secret-tool", "clear", "service", "org.example", "account", "alice", NULL);
  g_assert_cmpint (status, ==, 0);
  out5 = run (NULL, &status, &err5, "secret-tool", "lookup", "service", "org.example", "account", "alice", NULL);
  g_assert_cmpint (status, !=, 0);
  g_assert_cmpstr (out5, ==, "");
}

/* libsecret's C API from this program (another subject, allowed by its own rule). It runs in
 * a child process: libsecret keeps its bus connection to the end of the process. */
static void
test_libsecret_api (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *found = NULL;
  gboolean stored, cleared;

  if (!g_test_subprocess ())
    {
      g_test_trap_subprocess (NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
      g_test_trap_assert_passed ();
      return;
    }

  stored = secret_password_store_sync (&schema, SECRET_COLLECTION_DEFAULT, "API login", CANARY "-api", NULL, &error,
                                       "service", "org.api", "account", "bob", NULL);
  g_assert_no_error (error);
  g_assert_true (stored);
  /* Storing again with the same attributes replaces, not duplicates. */
  secret_password_store_sync (&schema, SECRET_COLLECTION_DEFAULT, "API login", CANARY "-api2", NULL, &error,
                              "service", "org.api", "account", "bob", NULL);
  g_assert_no_error (error);
  found = secret_password_lookup_sync (&schema, NULL, &error, "service", "org.api", "account", "bob", NULL);
  g_assert_no_error (error);
  g_assert_cmpstr (found, ==, CANARY "-api2");
  cleared = secret_password_clear_sync (&schema, NULL, &error, "service", "org.api", "account", "bob", NULL);
  g_assert_no_error (error);
  g_assert_true (cleared);
  g_clear_pointer (&found, g_free);
  found = secret_password_lookup_sync (&schema, NULL, &error, "service", "org.api", "account", "bob", NULL);
  g_assert_no_error (error);
  g_assert_null (found);
}

/* The plain algorithm, spoken by hand; an unknown algorithm is NotSupported. */
static void
test_plain_session (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) opened = NULL;
  g_autoptr(GVariant) created = NULL;
  g_autoptr(GVariant) secrets = NULL;
  g_autoptr(GVariant) bad = NULL;
  GVariantBuilder props, attrs;
  const char *session, *item;

  opened = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets", "/org/freedesktop/secrets",
                                        "org.freedesktop.Secret.Service", "OpenSession",
                                        g_variant_new ("(sv)", "plain", g_variant_new_string ("")), NULL,
                                        G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (opened, "(v&o)", NULL, &session);

  g_variant_builder_init (&attrs, G_VARIANT_TYPE ("a{ss}"));
  g_variant_builder_add (&attrs, "{ss}", "service", "org.plain");
  g_variant_builder_init (&props, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&props, "{sv}", "org.freedesktop.Secret.Item.Label", g_variant_new_string ("Plain"));
  g_variant_builder_add (&props, "{sv}", "org.freedesktop.Secret.Item.Attributes", g_variant_builder_end (&attrs));
  created = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets", "/org/freedesktop/secrets/aliases/default",
                                         "org.freedesktop.Secret.Collection", "CreateItem",
                                         g_variant_new ("(@a{sv}(o@ay@ays)b)", g_variant_builder_end (&props), session,
                                                        g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "", 0, 1),
                                                        g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "plain-value", 11, 1),
                                                        "text/plain", TRUE),
                                         NULL, G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (created, "(&o&o)", &item, NULL);
  g_assert_true (g_str_has_prefix (item, "/org/freedesktop/secrets/collection/login/"));

  secrets = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets", "/org/freedesktop/secrets",
                                         "org.freedesktop.Secret.Service", "GetSecrets",
                                         g_variant_new ("(^ao&o)", (const char *[]) { item, NULL }, session), NULL,
                                         G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_no_error (error);
  {
    g_autoptr(GVariant) map = g_variant_get_child_value (secrets, 0);
    g_autoptr(GVariant) secret = g_variant_lookup_value (map, item, G_VARIANT_TYPE ("(oayays)"));
    g_autoptr(GVariant) value = g_variant_get_child_value (secret, 2);
    gsize len;

    g_assert_cmpmem (g_variant_get_fixed_array (value, &len, 1), len, "plain-value", 11);
  }

  bad = g_dbus_connection_call_sync (bus, "org.freedesktop.secrets", "/org/freedesktop/secrets",
                                     "org.freedesktop.Secret.Service", "OpenSession",
                                     g_variant_new ("(sv)", "rot13", g_variant_new_string ("")), NULL,
                                     G_DBUS_CALL_FLAGS_NONE, 10000, NULL, &error);
  g_assert_error (error, G_DBUS_ERROR, G_DBUS_ERROR_NOT_SUPPORTED);
}

/* A program the policy does not know (secret-tool copied elsewhere: another executable): it may
 * search, but reading the secret needs a person's approval, and nobody can give it. */
static void
test_unapproved_program (void)
{
  g_autofree char *copy = g_build_filename (dir, "other-secret-tool", NULL);
  g_autoptr(GFile) from = g_file_new_for_path ("/usr/bin/secret-tool");
  g_autoptr(GFile) to = g_file_new_for_path (copy);
  g_autoptr(GError) error = NULL;
  g_autofree char *out0 = NULL, *err0 = NULL, *out = NULL, *err = NULL;
  int status;

  g_assert_true (g_file_copy (from, to, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error));
  g_assert_no_error (error);
  g_chmod (copy, 0755);
  out0 = run (CANARY "-x", &status, &err0, "secret-tool", "store", "--label=X", "service", "org.x", NULL);
  g_assert_cmpint (status, ==, 0);
  out = run (NULL, &status, &err, copy, "lookup", "service", "org.x", NULL);
  g_assert_cmpint (status, !=, 0);
  g_assert_nonnull (strstr (err, "approve"));
  g_assert_null (strstr (out, CANARY));
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *policy = NULL;
  g_autofree char *pw = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  if (g_test_subprocess ())
    {
      /* The child of a trapped test: the parent's bus and agent serve it. */
      g_test_add_func ("/secret-service/libsecret-api", test_libsecret_api);
      return g_test_run ();
    }
  test_bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (test_bus);

  dir = ph_test_make_dir ();
  vault_path = g_build_filename (dir, "v.phvault", NULL);
  log_path = g_build_filename (dir, "audit.log", NULL);
  {
    g_autoptr(PhVault) vault = ph_test_new_vault (vault_path, "master", NULL);

    /* Secret-tool and this program may use the login collection; the rest is the default. */
    policy = g_strdup_printf ("p, process:/usr/bin/secret-tool, folder:Secret Service/login, *, true, allow, \n"
                              "p, process:/usr/bin/secret-tool, vault, *, true, allow, \n"
                              "p, process:%s, folder:Secret Service/login, *, true, allow, \n"
                              "p, process:%s, vault, *, true, allow, \n%s",
                              self_exe, self_exe, ph_pdp_get_default_policy ());
    ph_vault_set_policy (vault, ph_pdp_get_default_model (), policy);
    g_assert_true (ph_vault_save (vault, &error));
  }
  pw = g_build_filename (dir, "pw", NULL);
  g_file_set_contents (pw, "master\n", -1, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_AUDIT_LOG", log_path, TRUE);
  g_subprocess_launcher_take_fd (launcher, g_open (pw, O_RDONLY, 0), 3);
  agent = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PH_AGENT_PATH"), "--vault", vault_path,
                                       "--password-fd", "3", "--secret-service", NULL);
  g_assert_no_error (error);
  {
    g_autofree char *out = NULL, *err = NULL;

    out = run (NULL, &status, &err, "gdbus", "wait", "--session", "--timeout", "10", "org.freedesktop.secrets", NULL);
    g_assert_cmpint (status, ==, 0);
  }

  g_test_add_func ("/secret-service/secret-tool", test_secret_tool);
  g_test_add_func ("/secret-service/libsecret-api", test_libsecret_api);
  g_test_add_func ("/secret-service/plain-session", test_plain_session);
  g_test_add_func ("/secret-service/unapproved-program", test_unapproved_program);
  status = g_test_run ();

  g_subprocess_send_signal (agent, SIGTERM);
  g_subprocess_wait (agent, NULL, NULL);
  if (status == 0)
    {
      g_autofree char *log = NULL;

      g_assert_true (g_subprocess_get_if_exited (agent) && g_subprocess_get_exit_status (agent) == 0);
      g_file_get_contents (log_path, &log, NULL, NULL);
      g_assert_nonnull (strstr (log, "\"subject\":\"process:/usr/bin/secret-tool\""));
      g_assert_nonnull (strstr (log, "other-secret-tool\",\"subject_detail\""));
      g_assert_nonnull (strstr (log, "\"decision\":\"deny\""));
      g_assert_null (strstr (log, CANARY));
    }
  g_object_unref (agent);
  ph_test_remove_dir (dir);
  g_test_dbus_down (test_bus);
  g_object_unref (test_bus);
  return status;
}
