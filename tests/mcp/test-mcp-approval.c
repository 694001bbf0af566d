/* test-mcp-approval.c: the approval outcomes of perihelion-mcp, clicked as a person would. The
 * agent runs in this process with its GTK prompts under Xvfb; mcp-approval.js (the official MCP
 * SDK) asks through perihelion-mcp; this test answers the approval windows: the reason the AI
 * agent gave is shown, "Allow Once" releases, "Deny" refuses; the audit log keeps the reason.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <string.h>
#include <adwaita.h>
#include <libsoup/soup.h>

#include "ph-agent-private.h"
#include "ph-approval-window.h"
#include "ph-gtk-prompter.h"
#include "ph-oauth-account.h"
#include "ph-test-util.h"

static GtkWindow *
find_window (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* owned by GTK */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_mapped (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

static GtkWidget *
find_widget (GtkWidget  *root,
             GType       type,
             const char *label)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) &&
      (label == NULL || (GTK_IS_BUTTON (root) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (root)), label) == 0) ||
       (GTK_IS_LABEL (root) && strstr (gtk_label_get_text (GTK_LABEL (root)), label))))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type, label);

      if (found)
        return found;
    }
  return NULL;
}

/* The person: answers each approval window in turn, after a moment (so the AI agent's client
 * sees the request pending). */
typedef struct
{
  const char * const *answers;
  const char * const *reasons;   /* the reason each window must show, or "" */
  guint answered;
  gint64 seen_at;
} Person;

static gboolean
answer (gpointer data)
{
  Person *person = data;
  GtkWindow *window = find_window (PH_TYPE_APPROVAL_WINDOW);
  GtkWidget *button;

  if (window == NULL || person->answers[person->answered] == NULL)
    {
      person->seen_at = 0;
      return G_SOURCE_CONTINUE;
    }
  if (person->seen_at == 0)
    person->seen_at = g_get_monotonic_time ();
  if (g_get_monotonic_time () - person->seen_at < 2500 * 1000)
    return G_SOURCE_CONTINUE;
  g_assert_nonnull (find_widget (GTK_WIDGET (window), GTK_TYPE_LABEL,
                               person->answered < 6 ? "The AI agent “mcp-test-client”" : "The AI agent “my-ide”"));
  if (*person->reasons[person->answered])
    g_assert_nonnull (find_widget (GTK_WIDGET (window), GTK_TYPE_LABEL, person->reasons[person->answered]));
  button = find_widget (GTK_WIDGET (window), GTK_TYPE_BUTTON, person->answers[person->answered]);
  g_assert_nonnull (button);
  person->answered++;
  person->seen_at = 0;
  g_signal_emit_by_name (button, "clicked");
  return G_SOURCE_CONTINUE;
}

typedef struct
{
  gboolean done;
  char *out;
  char *err;
  GError *error;
} Run;

static void
node_done (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  Run *run = data;

  g_subprocess_communicate_utf8_finish (G_SUBPROCESS (object), result, &run->out, &run->err, &run->error);
  run->done = TRUE;
}

typedef struct
{
  GBytes *body;
  GError *error;
  gboolean done;
} Post;

static void
post_done (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  Post *post = data;

  post->body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &post->error);
  post->done = TRUE;
}

/* One POST to perihelion-mcp --http, the main loop turning (the agent answers in this process). */
static int
post (SoupSession *soup,
      const char  *url,
      const char  *token,
      const char  *session_id,
      const char  *json,
      char       **out_session_id)
{
  g_autoptr(SoupMessage) message = soup_message_new ("POST", url);
  g_autoptr(GBytes) body = g_bytes_new (json, strlen (json));
  g_autofree char *authorization = g_strdup_printf ("Bearer %s", token);
  SoupMessageHeaders *headers = soup_message_get_request_headers (message);
  Post result = { 0 };

  soup_message_headers_replace (headers, "Authorization", authorization);
  soup_message_headers_replace (headers, "Accept", "application/json, text/event-stream");
  if (session_id)
    soup_message_headers_replace (headers, "Mcp-Session-Id", session_id);
  soup_message_set_request_body_from_bytes (message, "application/json", body);
  soup_session_send_and_read_async (soup, message, G_PRIORITY_DEFAULT, NULL, post_done, &result);
  while (!result.done)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (result.error);
  g_bytes_unref (result.body);
  if (out_session_id)
    *out_session_id = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (message),
                                                              "Mcp-Session-Id"));
  return soup_message_get_status (message);
}

static void
test_approval_outcomes (void)
{
  static const char * const answers[] = { "Allow _Once", "Allow _Once", "_Deny", "Allow _Once", "Allow _Once",
                                          "Allow _Once", "Allow _Once", NULL };
  static const char * const reasons[] = { "For: “request_secret: deploy the staging app”", "http_request: GET http://127.0.0.1:",
                                          "just curious", "run_command: /", "", "",
                                          "connect to perihelion-mcp over HTTP", NULL };
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *vault_path = g_build_filename (dir, "vault.phv", NULL);
  g_autofree char *script = g_build_filename (g_getenv ("PH_MCP_TEST_DIR"), "mcp-approval.js", NULL);
  g_autofree char *node_path = g_find_program_in_path ("node");
  g_autofree char *audit = NULL;
  g_autofree char *port = NULL;
  g_autoptr(PhPrompter) prompter = ph_gtk_prompter_new ();
  g_autoptr(PhSecret) password = ph_secret_new_from_text ("master");
  g_autoptr(PhAgent) agent = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GSubprocess) node = NULL;
  g_autoptr(GError) error = NULL;
  Person person = { answers, reasons, 0, 0 };
  Run run = { 0 };
  guint person_source;
  gint64 deadline;

  if (node_path == NULL || g_getenv ("NODE_PATH") == NULL)
    {
      g_test_skip ("node and NODE_PATH (build-aux/dev installs them)");
      return;
    }
  {
    g_autoptr(GSocket) socket = g_socket_new (G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL);
    g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) any = g_inet_socket_address_new (loopback, 0);
    g_autoptr(GSocketAddress) bound = NULL;
    g_autoptr(PhVault) vault = ph_test_new_vault (vault_path, "master", NULL);
    g_autofree char *url = NULL;

    g_assert_true (g_socket_bind (socket, any, TRUE, NULL));
    bound = g_socket_get_local_address (socket, NULL);
    port = g_strdup_printf ("%u", g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
    url = g_strdup_printf ("http://127.0.0.1:%s/", port);
    g_autoptr(PhEntry) echo = ph_test_add_entry (vault, "Echo API", "bot", url, "approved-s3cret");
    PhOAuthTokens tokens = { .access_token = ph_secret_new_from_text ("gho_approved-token"),
                             .expires_at = g_get_real_time () / G_USEC_PER_SEC + 3600 };

    ph_test_set_secret (vault, echo, PH_FIELD_OTP, "otpauth://totp/Echo:bot?secret=JBSWY3DPEHPK3PXP");
    ph_vault_entry_changed (vault, echo);
    g_assert_nonnull (ph_oauth_account_store (vault, "GitHub Bot", "github", NULL, "client-id", "bot", &tokens, NULL));
    ph_secret_unref (tokens.access_token);
    g_assert_true (ph_vault_save (vault, NULL));
  }

  /* The agent, in this process, with its prompts; the default policy asks a person. */
  agent = ph_agent_new (vault_path);
  ph_agent_set_prompter (agent, prompter, ph_gtk_prompter_unlock, NULL);
  ph_agent_add_trusted_mcp (agent, g_getenv ("PH_MCP_PATH"));
  g_assert_true (ph_agent_unlock (agent, password, &error));
  connection = g_dbus_connection_new_for_address_sync (g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, NULL),
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ph_agent_export (agent, connection, &error));
  g_bus_own_name_on_connection (connection, "org.perihelion.Agent", G_BUS_NAME_OWNER_FLAGS_NONE, NULL, NULL, NULL, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_subprocess_launcher_setenv (launcher, "PH_SECRET", "approved-s3cret", TRUE);
  g_subprocess_launcher_setenv (launcher, "PH_HTTP_PORT", port, TRUE);
  node = g_subprocess_launcher_spawn (launcher, &error, node_path, script, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8_async (node, NULL, NULL, node_done, &run);
  person_source = g_timeout_add (50, answer, &person);

  /* The approvals run nested main loops of their own; this loop turns between them. */
  deadline = g_get_monotonic_time () + 90 * G_USEC_PER_SEC;
  while (!run.done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (person_source);
  g_assert_true (run.done);
  g_assert_no_error (run.error);
  g_test_message ("%s%s", run.out, run.err);
  if (!g_subprocess_get_if_exited (node) || g_subprocess_get_exit_status (node) != 0)
    g_error ("the MCP approval tests failed:\n%s\n%s", run.out, run.err);
  g_assert_nonnull (strstr (run.out, "ok - denied is a tool error"));
  g_assert_cmpuint (person.answered, ==, 6);
  g_clear_pointer (&run.out, g_free);
  g_clear_pointer (&run.err, g_free);

  /* An HTTP client approved once in the window: its token makes it the AI agent "my-ide",
   * whatever it calls itself, and its session is its own. */
  {
    g_autoptr(GSubprocessLauncher) mcp_launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                             G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autoptr(GSubprocess) approve = NULL;
    g_autoptr(GSubprocess) server = NULL;
    g_autoptr(GDataInputStream) lines = NULL;
    g_autoptr(SoupSession) soup = soup_session_new ();
    g_autofree char *url = NULL;
    g_autofree char *master = NULL;
    g_autofree char *master_path = g_build_filename (dir, "perihelion", "mcp-token", NULL);
    g_autofree char *session_id = NULL;
    g_autofree char *clients = NULL;
    g_autofree char *clients_path = g_build_filename (dir, "perihelion", "mcp-clients", NULL);
    g_autofree char *client_token = NULL;
    int status;

    g_subprocess_launcher_setenv (mcp_launcher, "XDG_CONFIG_HOME", dir, TRUE);
    g_subprocess_launcher_setenv (mcp_launcher, "XDG_RUNTIME_DIR", dir, TRUE);
    approve = g_subprocess_launcher_spawn (mcp_launcher, &error, g_getenv ("PH_MCP_PATH"), "--new-client", "my-ide", NULL);
    g_assert_no_error (error);
    run.done = FALSE;
    g_subprocess_communicate_utf8_async (approve, NULL, NULL, node_done, &run);
    person_source = g_timeout_add (50, answer, &person);
    deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;
    while (!run.done && g_get_monotonic_time () < deadline)
      g_main_context_iteration (NULL, TRUE);
    g_source_remove (person_source);
    g_assert_true (run.done);
    g_assert_cmpuint (person.answered, ==, 7);
    if (!g_subprocess_get_successful (approve))
      g_error ("perihelion-mcp --new-client: %s", run.err);
    client_token = g_strstrip (g_strdup (run.out));
    g_assert_cmpuint (strlen (client_token), ==, 64);
    g_assert_true (g_file_get_contents (clients_path, &clients, NULL, NULL));
    g_assert_true (g_str_has_prefix (clients, "my-ide "));
    g_assert_null (strstr (clients, client_token));   /* only its hash is kept */

    server = g_subprocess_launcher_spawn (mcp_launcher, &error, g_getenv ("PH_MCP_PATH"), "--http", "127.0.0.1:0", NULL);
    g_assert_no_error (error);
    lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
    url = g_data_input_stream_read_line (lines, NULL, NULL, &error);
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (master_path, &master, NULL, NULL));

    status = post (soup, url, client_token, NULL,
                   "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
                   "\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{\"name\":\"liar\",\"version\":\"1\"}}}",
                   &session_id);
    g_assert_cmpint (status, ==, 200);
    g_assert_nonnull (session_id);
    status = post (soup, url, client_token, session_id,
                   "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":"
                   "\"list_credentials\",\"arguments\":{}}}", NULL);
    g_assert_cmpint (status, ==, 200);
    /* Another token may not ride this session; a token nobody approved gets nowhere. */
    status = post (soup, url, master, session_id, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}", NULL);
    g_assert_cmpint (status, ==, 403);
    status = post (soup, url, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", NULL,
                   "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}", NULL);
    g_assert_cmpint (status, ==, 401);
    g_subprocess_send_signal (server, SIGTERM);
    g_subprocess_wait (server, NULL, NULL);
    g_free (run.out);
    g_free (run.err);
    run.out = run.err = NULL;
  }

  ph_agent_lock (agent);
  g_assert_true (g_file_get_contents (g_getenv ("PERIHELION_AUDIT_LOG"), &audit, NULL, &error));
  g_assert_nonnull (strstr (audit, "deploy the staging app"));
  g_assert_nonnull (strstr (audit, "agent:mcp-test-client"));
  g_assert_nonnull (strstr (audit, "\"subject\":\"agent:my-ide\""));
  g_assert_null (strstr (audit, "agent:liar"));
  g_assert_null (strstr (audit, "approved-s3cret"));
  g_free (run.out);
  g_free (run.err);
  g_dbus_connection_flush_sync (connection, NULL, NULL);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);

    (void) system (cmd);
  }
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *log = g_build_filename (dir, "audit.log", NULL);
  int status;

  /* The environment is set before GTK starts threads: setenv() is not thread-safe. */
  g_setenv ("PERIHELION_AUDIT_LOG", log, TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add_func ("/mcp/approval-outcomes", test_approval_outcomes);
  status = g_test_run ();
  g_unlink (log);
  g_rmdir (dir);
  return status;
}
