/* ph-mcp-main.c: perihelion-mcp, the MCP server over stdio: one JSON-RPC message per line on
 * standard input, replies and notifications one per line on standard output (nothing else is
 * ever written there), diagnostics on standard error.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib/gi18n.h>
#include <sodium.h>

#include "ph-mcp-server.h"

#define AGENT_NAME "org.perihelion.Agent"
#define AGENT_PATH "/org/perihelion/Agent"
#define READ_CHUNK (64 * 1024)

typedef struct
{
  GMainLoop *loop;
  GInputStream *in;
  GOutputStream *out;
  PhMcpServer *server;
  GString *line;
  gboolean discarding;   /* inside a line longer than PH_MCP_MAX_MESSAGE: dropped to its end */
} Stdio;

static void
send_line (const char *json,
           gpointer    data)
{
  Stdio *stdio = data;
  g_autoptr(GError) error = NULL;

  if (!g_output_stream_write_all (stdio->out, json, strlen (json), NULL, NULL, &error) ||
      !g_output_stream_write_all (stdio->out, "\n", 1, NULL, NULL, &error) ||
      !g_output_stream_flush (stdio->out, NULL, &error))
    {
      g_printerr ("perihelion-mcp: %s\n", error->message);
      g_main_loop_quit (stdio->loop);
    }
}

static void read_more (Stdio *stdio);

static void
take_line (Stdio *stdio)
{
  if (stdio->line->len > 0 && stdio->line->str[stdio->line->len - 1] == '\r')
    g_string_truncate (stdio->line, stdio->line->len - 1);
  if (stdio->line->len > 0)
    ph_mcp_server_receive (stdio->server, stdio->line->str, stdio->line->len);
  g_string_truncate (stdio->line, 0);
}

static void
read_done (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  Stdio *stdio = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (object), result, &error);
  const char *chunk;
  gsize size;

  if (bytes == NULL || g_bytes_get_size (bytes) == 0)
    {
      if (error)
        g_printerr ("perihelion-mcp: %s\n", error->message);
      /* The client closed its end: the session is over (MCP's stdio shutdown). */
      g_main_loop_quit (stdio->loop);
      return;
    }
  chunk = g_bytes_get_data (bytes, &size);
  while (size > 0)
    {
      const char *newline = memchr (chunk, '\n', size);
      gsize part = newline ? (gsize) (newline - chunk) : size;

      if (!stdio->discarding)
        {
          if (stdio->line->len + part > PH_MCP_MAX_MESSAGE)
            {
              /* Too large to be a request we would serve: refused once, the rest skipped. */
              ph_mcp_server_receive (stdio->server, NULL, PH_MCP_MAX_MESSAGE + 1);
              g_string_truncate (stdio->line, 0);
              stdio->discarding = TRUE;
            }
          else
            g_string_append_len (stdio->line, chunk, part);
        }
      if (newline == NULL)
        break;
      if (stdio->discarding)
        stdio->discarding = FALSE;
      else
        take_line (stdio);
      chunk += part + 1;
      size -= part + 1;
    }
  read_more (stdio);
}

static void
read_more (Stdio *stdio)
{
  g_input_stream_read_bytes_async (stdio->in, READ_CHUNK, G_PRIORITY_DEFAULT, NULL, read_done, stdio);
}

/* Over stdio, the program that started this server: the AI agent's executable, for the
 * prompts and the audit log. */
static char *
spawned_by (void)
{
  g_autofree char *link = g_strdup_printf ("/proc/%d/exe", (int) getppid ());

  return g_file_read_link (link, NULL);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PhDBusAgent1) agent = NULL;
  g_autofree char *parent = NULL;
  gboolean version = FALSE;
  char *http = NULL;
  const GOptionEntry entries[] = {
    { "http", 0, 0, G_OPTION_ARG_STRING, &http, N_("Serve Streamable HTTP on ADDRESS:PORT (not yet available)"),
      N_("ADDRESS:PORT") },
    { "version", 0, 0, G_OPTION_ARG_NONE, &version, N_("Show the version"), NULL },
    { NULL }
  };
  Stdio stdio = { 0 };

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  context = g_option_context_new (NULL);
  g_option_context_set_summary (context, _("The Model Context Protocol server of Perihelion: AI agents use "
                                           "credentials through the gate, without seeing them. Speaks MCP over "
                                           "standard input and output."));
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("perihelion-mcp: %s\n", error->message);
      return 2;
    }
  if (version)
    {
      g_print ("perihelion-mcp %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (http)
    {
      g_printerr ("perihelion-mcp: %s\n", _("The Streamable HTTP transport is not available yet; use standard input "
                                          "and output"));
      g_free (http);
      return 2;
    }
  if (sodium_init () < 0)
    return 1;

  /* The agent holds the keys and decides; it is started by D-Bus activation if needed. */
  agent = ph_dbus_agent1_proxy_new_for_bus_sync (G_BUS_TYPE_SESSION,
                                                 G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                                                 G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                                 AGENT_NAME, AGENT_PATH, NULL, &error);
  if (agent == NULL)
    {
      g_printerr ("perihelion-mcp: %s: %s\n", _("Cannot reach perihelion-agent"), error->message);
      return 1;
    }
  /* A call may wait for a person to approve in the tray: no D-Bus timeout cuts that short. */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (agent), G_MAXINT);

  parent = spawned_by ();
  stdio.loop = g_main_loop_new (NULL, FALSE);
  stdio.in = g_unix_input_stream_new (STDIN_FILENO, FALSE);
  stdio.out = g_unix_output_stream_new (STDOUT_FILENO, FALSE);
  stdio.line = g_string_new (NULL);
  stdio.server = ph_mcp_server_new (agent, parent, send_line, &stdio);
  read_more (&stdio);
  g_main_loop_run (stdio.loop);

  g_object_unref (stdio.server);
  g_string_free (stdio.line, TRUE);
  g_object_unref (stdio.in);
  g_object_unref (stdio.out);
  g_main_loop_unref (stdio.loop);
  return 0;
}
