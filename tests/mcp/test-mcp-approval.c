/* test-mcp-approval.c: the approval outcomes of perihelion-mcp, clicked as a person would. The
 * agent runs in this process with its GTK prompts under Xvfb; mcp-approval.js (the official MCP
 * SDK) asks through perihelion-mcp; this test answers the approval windows: the reason the AI
 * agent gave is shown, "Allow Once" releases, "Deny" refuses; the audit log keeps the reason.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "ph-agent-private.h"
#include "ph-approval-window.h"
#include "ph-gtk-prompter.h"
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
  g_assert_nonnull (find_widget (GTK_WIDGET (window), GTK_TYPE_LABEL, "The AI agent “mcp-test-client”"));
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

static void
test_approval_outcomes (void)
{
  static const char * const answers[] = { "Allow _Once", "Allow _Once", "_Deny", NULL };
  static const char * const reasons[] = { "Reason given: “deploy the staging app”", "", "just curious", NULL };
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
    ph_test_put_entry (vault, "Echo API", "bot", url, "approved-s3cret");
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
  g_assert_cmpuint (person.answered, ==, 3);

  ph_agent_lock (agent);
  g_assert_true (g_file_get_contents (g_getenv ("PERIHELION_AUDIT_LOG"), &audit, NULL, &error));
  g_assert_nonnull (strstr (audit, "deploy the staging app"));
  g_assert_nonnull (strstr (audit, "agent:mcp-test-client"));
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
