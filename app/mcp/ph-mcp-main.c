/* ph-mcp-main.c: perihelion-mcp, the MCP server over stdio: one JSON-RPC message per line on
 * standard input, replies and notifications one per line on standard output (nothing else is
 * ever written there), diagnostics on standard error.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <sys/stat.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <glib-unix.h>
#include <sodium.h>

#include "ph-mcp-http.h"
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

/* The bearer token HTTP clients must send: PERIHELION_MCP_TOKEN, or a new random one written to
 * $XDG_RUNTIME_DIR/perihelion/mcp-token (mode 0600) for the person to give their MCP client. */
static char *
http_token (GError **error)
{
  g_autofree char *dir = g_build_filename (g_get_user_runtime_dir (), "perihelion", NULL);
  g_autofree char *path = g_build_filename (dir, "mcp-token", NULL);
  guint8 raw[32];
  char hex[65];
  int fd;

  if (g_getenv ("PERIHELION_MCP_TOKEN") && strlen (g_getenv ("PERIHELION_MCP_TOKEN")) >= 32)
    return g_strdup (g_getenv ("PERIHELION_MCP_TOKEN"));
  randombytes_buf (raw, sizeof raw);
  sodium_bin2hex (hex, sizeof hex, raw, sizeof raw);
  sodium_memzero (raw, sizeof raw);
  if (g_mkdir_with_parents (dir, 0700) < 0 ||
      (fd = g_open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", path, g_strerror (errno));
      return NULL;
    }
  if (write (fd, hex, 64) != 64 || fchmod (fd, 0600) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", path, g_strerror (errno));
      close (fd);
      return NULL;
    }
  close (fd);
  g_printerr (_("perihelion-mcp: the bearer token is in %s\n"), path);
  return g_strdup (hex);
}

static gboolean
quit_on_signal (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

/* --new-client: the person approves the client in the agent's window; its token is printed once
 * and only its hash is kept. */
static int
approve_client (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhDBusAgent1) agent = NULL;
  guint8 raw[32];
  char token[65];

  agent = ph_dbus_agent1_proxy_new_for_bus_sync (G_BUS_TYPE_SESSION,
                                                 G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                                                 G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                                 AGENT_NAME, AGENT_PATH, NULL, &error);
  if (agent)
    g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (agent), G_MAXINT);
  if (agent == NULL || !ph_dbus_agent1_call_approve_mcp_client_sync (agent, name, NULL, &error))
    {
      g_dbus_error_strip_remote_error (error);
      g_printerr ("perihelion-mcp: %s\n", error->message);
      return 1;
    }
  randombytes_buf (raw, sizeof raw);
  sodium_bin2hex (token, sizeof token, raw, sizeof raw);
  sodium_memzero (raw, sizeof raw);
  if (!ph_mcp_http_add_client (name, token, &error))
    {
      g_printerr ("perihelion-mcp: %s\n", error->message);
      sodium_memzero (token, sizeof token);
      return 1;
    }
  g_print ("%s\n", token);
  sodium_memzero (token, sizeof token);
  return 0;
}

static int
serve_http (const char *address)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhMcpHttp) server = NULL;
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autofree char *bus = g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, &error);
  g_autofree char *token = NULL;

  if (bus == NULL || (token = http_token (&error)) == NULL)
    {
      g_printerr ("perihelion-mcp: %s\n", error->message);
      return 1;
    }
  server = ph_mcp_http_new (bus, token);
  sodium_memzero (token, strlen (token));
  if (!ph_mcp_http_listen (server, address, &error))
    {
      g_printerr ("perihelion-mcp: %s\n", error->message);
      return 1;
    }
  /* The endpoint on standard output, for whoever started us (scripts, tests). */
  g_print ("http://%s:%u/mcp\n", strchr (address, ':') && address[0] != '[' ? "127.0.0.1" : "[::1]",
           ph_mcp_http_get_port (server));
  g_unix_signal_add (SIGTERM, quit_on_signal, loop);
  g_unix_signal_add (SIGINT, quit_on_signal, loop);
  g_main_loop_run (loop);
  return 0;
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
  char *new_client = NULL;
  const GOptionEntry entries[] = {
    { "http", 0, 0, G_OPTION_ARG_STRING, &http, N_("Serve Streamable HTTP on ADDRESS:PORT (loopback only; "
                                                   "PORT 0 picks one) instead of standard input and output"),
      N_("ADDRESS:PORT") },
    { "new-client", 0, 0, G_OPTION_ARG_STRING, &new_client,
      N_("Ask the person to approve an HTTP client as the AI agent NAME, and print its token"), N_("NAME") },
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
  if (sodium_init () < 0)
    return 1;
  if (new_client)
    {
      int status = approve_client (new_client);

      g_free (new_client);
      return status;
    }
  if (http)
    {
      int status = serve_http (http);

      g_free (http);
      return status;
    }

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
