/* test-mcp.c: perihelion-mcp against the official MCP SDK (npm @modelcontextprotocol/sdk):
 * a vault with an API credential, a one-time password and a policy giving the AI agent
 * "mcp-test-client" its own rights; a real perihelion-agent on a private bus; mcp-client.js
 * drives perihelion-mcp over stdio with the SDK and a local HTTP service. Here: the audit log
 * afterwards names the AI agent and never the secret.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "ph-oauth-account.h"
#include "ph-test-util.h"

#define TOTP_SECRET "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

static char *
random_canary (void)
{
  guint8 raw[16];
  char hex[33];

  randombytes_buf (raw, sizeof raw);
  sodium_bin2hex (hex, sizeof hex, raw, sizeof raw);
  return g_strconcat ("PhCanary", hex, NULL);
}

static guint16
free_port (void)
{
  g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  g_assert_true (g_socket_bind (socket, any, TRUE, NULL));
  bound = g_socket_get_local_address (socket, NULL);
  return g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
}

static void
write_vault (const char *path,
             const char *canary,
             guint16     port)
{
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "master", NULL);
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/", port);
  g_autoptr(PhEntry) echo = ph_test_add_entry (vault, "Echo API", "bot", url, canary);
  g_autoptr(PhEntry) totp = ph_test_add_entry (vault, "Totp Site", "alice", "https://totp.example", "pw");
  g_autoptr(GError) error = NULL;
  g_autofree char *policy = NULL;

  PhOAuthTokens tokens = { .access_token = ph_secret_new_from_text ("gho_oauth-test-token"),
                           .expires_at = g_get_real_time () / G_USEC_PER_SEC + 3600 };

  ph_test_put_entry (vault, "Other Service", "carol", "https://other.example", "other-secret");
  /* An OAuth account whose token is fresh (no refresh, so no provider is needed). */
  g_assert_nonnull (ph_oauth_account_store (vault, "GitHub Bot", "github", NULL, "client-id", "bot", &tokens, &error));
  g_assert_no_error (error);
  ph_secret_unref (tokens.access_token);
  ph_test_set_secret (vault, totp, PH_FIELD_OTP, "otpauth://totp/Totp:alice?secret=" TOTP_SECRET);
  ph_vault_entry_changed (vault, totp);
  /* The AI agent mcp-test-client may use the API credential and read the one-time code; any
   * other AI agent falls to the default rules (list freely, ask for anything more). */
  g_autofree char *sh_found = g_find_program_in_path ("sh");
  g_autofree char *sh = realpath (sh_found, NULL);

  /* ...and hand it to sh (symlinks resolved, as the policy sees programs), and no other program. */
  /* (CSV: a field with quotes is quoted, its quotes doubled) */
  policy = g_strdup_printf ("p, agent:mcp-test-client, %s, use, \"r.ctx.Command == \"\"\"\"\", allow, \n"
                            "p, agent:mcp-test-client, %s, use, \"r.ctx.Command == \"\"%s\"\"\", allow, \n"
                            "p, agent:mcp-test-client, %s, reveal, true, allow, \n"
                            "p, agent:mcp-test-client, folder:OAuth, use, true, allow, \n%s",
                            ph_entry_get_id (echo), ph_entry_get_id (echo), sh, ph_entry_get_id (totp),
                            ph_pdp_get_default_policy ());
  ph_vault_set_policy (vault, ph_pdp_get_default_model (), policy);
  g_assert_true (ph_vault_save (vault, &error));
  g_assert_no_error (error);
}

static GSubprocess *
start_agent (GTestDBus  *bus,
             const char *vault_path,
             const char *pw_path,
             const char *log_path)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *agent;
  gboolean owned = FALSE;

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
  g_subprocess_launcher_set_stdin_file_path (launcher, pw_path);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_AGENT_NO_WINDOWS", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_TRUSTED_MCP", g_getenv ("PH_MCP_PATH"), TRUE);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_AUDIT_LOG", log_path, TRUE);
  agent = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PH_AGENT_PATH"), "--vault", vault_path,
                                       "--password-fd", "0", "--no-tray", "--idle-timeout", "0", NULL);
  g_assert_no_error (error);
  connection = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (bus),
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 200 && !owned; i++)
    {
      g_autoptr(GVariant) reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                               "org.freedesktop.DBus", "NameHasOwner",
                                                               g_variant_new ("(s)", "org.perihelion.Agent"),
                                                               G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                                               NULL, NULL);

      if (reply)
        g_variant_get (reply, "(b)", &owned);
      if (!owned)
        g_usleep (50 * 1000);
    }
  g_assert_true (owned);
  g_usleep (300 * 1000);   /* the unlock with --password-fd happens as it starts */
  return agent;
}

static void
run_client (const char *script_name,
            gboolean    stdio)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *vault_path = g_build_filename (dir, "vault.phv", NULL);
  g_autofree char *pw_path = g_build_filename (dir, "pw", NULL);
  g_autofree char *log_path = g_build_filename (dir, "audit.log", NULL);
  /* PH_MCP_CLIENT: tests/bench/mcp-bench.js, for the benchmarks on the same vault and agent. */
  const char *client = g_getenv ("PH_MCP_CLIENT");
  g_autofree char *script = client ? g_strdup (client)
                                   : g_build_filename (g_getenv ("PH_MCP_TEST_DIR"), script_name, NULL);
  g_autofree char *canary = random_canary ();
  g_autofree char *port = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *audit = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) agent = NULL;
  g_autoptr(GSubprocess) node = NULL;
  g_autoptr(GError) error = NULL;
  GTestDBus *bus;
  g_autofree char *node_path = g_find_program_in_path ("node");
  guint16 http_port = free_port ();

  if (node_path == NULL || g_getenv ("NODE_PATH") == NULL)
    {
      g_test_skip ("node and NODE_PATH (build-aux/dev installs them)");
      return;
    }
  g_assert_true (g_file_set_contents (pw_path, "master\n", -1, NULL));
  write_vault (vault_path, canary, http_port);

  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  agent = start_agent (bus, vault_path, pw_path, log_path);

  port = g_strdup_printf ("%u", http_port);
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "PH_CANARY", canary, TRUE);
  g_subprocess_launcher_setenv (launcher, "PH_TOTP_SECRET", TOTP_SECRET, TRUE);
  g_subprocess_launcher_setenv (launcher, "PH_HTTP_PORT", port, TRUE);
  node = g_subprocess_launcher_spawn (launcher, &error, node_path, script, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (node, NULL, NULL, &out, &err, &error));
  g_assert_no_error (error);
  g_test_message ("%s%s", out, err);
  if (client)
    {
      g_print ("%s", out);
      g_assert_true (g_subprocess_get_if_exited (node) && g_subprocess_get_exit_status (node) == 0);
      g_subprocess_send_signal (agent, SIGTERM);
      g_subprocess_wait (agent, NULL, NULL);
      g_test_dbus_down (bus);
      g_object_unref (bus);
      return;
    }
  if (!g_subprocess_get_if_exited (node) || g_subprocess_get_exit_status (node) != 0)
    g_error ("the MCP SDK tests failed:\n%s\n%s", out, err);
  g_assert_null (strstr (out, "not ok"));
  g_assert_nonnull (strstr (out, stdio ? "ok - http_request sends the credential" : "ok - refused cleanly"));

  g_subprocess_send_signal (agent, SIGTERM);
  g_subprocess_wait (agent, NULL, NULL);
  g_test_dbus_down (bus);
  g_object_unref (bus);

  /* The audit log names the AI agent, allowed and denied, and never holds the secret. */
  g_assert_true (g_file_get_contents (log_path, &audit, NULL, &error));
  g_assert_nonnull (strstr (audit, "agent:mcp-test-client"));
  g_assert_nonnull (strstr (audit, "agent:other-agent"));
  if (stdio)
    {
      /* Each record names the tool too. */
      g_assert_nonnull (strstr (audit, "purpose “request_secret: to test”"));
      g_assert_nonnull (strstr (audit, "purpose “http_request: POST http://127.0.0.1:"));
      g_assert_nonnull (strstr (audit, "purpose “run_command: /"));
      /* Over stdio, the program that started perihelion-mcp (node, here) is on record. */
      g_assert_nonnull (strstr (audit, "via “MCP client “mcp-test-client”, started by /"));
    }
  g_assert_null (strstr (audit, canary));
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);

    (void) system (cmd);
  }
}

static void
test_mcp_stdio (gconstpointer script)
{
  run_client (script, TRUE);
}

static void
test_mcp_http (gconstpointer script)
{
  run_client (script, FALSE);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_data_func ("/mcp/stdio", "mcp-client.js", test_mcp_stdio);
  if (g_getenv ("PH_MCP_CLIENT") == NULL)
    g_test_add_data_func ("/mcp/http", "mcp-http-client.js", test_mcp_http);
  return g_test_run ();
}
