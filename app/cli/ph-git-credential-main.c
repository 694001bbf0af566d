/* ph-git-credential-main.c: git-credential-perihelion, git's credential helper.
 *
 * git starts a helper for every https fetch and push, so its start-up is on the path of every
 * git command. This program links GIO only: `get` with an agent running is one D-Bus call
 * (GetGitCredential: the agent answers from the unlocked vault, with an OAuth token it refreshes
 * itself). Everything else (store and erase, --vault FILE, no agent, a locked agent that needs
 * the master password) is perihelion-cli's git-credential command, run in this process's place
 * with the request git sent.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gi18n.h>

#define AGENT_NAME "org.perihelion.Agent"
#define AGENT_PATH "/org/perihelion/Agent"
#define AGENT_IFACE "org.perihelion.Agent1"
#define MAX_REQUEST (64 * 1024)

/* perihelion-cli beside this program (a build tree), else the installed one. */
static char *
cli_path (void)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self ? g_path_get_dirname (self) : NULL;
  char *beside = dir ? g_build_filename (dir, "perihelion-cli", NULL) : NULL;

  if (beside && g_file_test (beside, G_FILE_TEST_IS_EXECUTABLE))
    return beside;
  g_free (beside);
  return g_build_filename (BINDIR, "perihelion-cli", NULL);
}

/* Becomes perihelion-cli (as git-credential-perihelion, its helper mode) with @input on stdin. */
static int
run_cli (char  **argv,
         char   *input,
         gsize   length)
{
  g_autofree char *cli = cli_path ();
  int fds[2];

  if (input)
    {
      /* The request is small (git's key=value lines): the pipe holds it whole. */
      if (pipe (fds) != 0 || write (fds[1], input, length) != (gssize) length)
        {
          g_printerr ("git-credential-perihelion: %s\n", g_strerror (errno));
          return 1;
        }
      explicit_bzero (input, length);
      close (fds[1]);
      dup2 (fds[0], STDIN_FILENO);
      close (fds[0]);
    }
  argv[0] = (char *) "git-credential-perihelion";
  execv (cli, argv);
  g_printerr ("git-credential-perihelion: cannot run %s: %s\n", cli, g_strerror (errno));
  return 1;
}

static char *
read_request (gsize *length)
{
  GString *input = g_string_sized_new (256);
  char buffer[4096];
  gssize n;

  while (input->len < MAX_REQUEST && (n = read (STDIN_FILENO, buffer, sizeof buffer)) > 0)
    g_string_append_len (input, buffer, n);
  explicit_bzero (buffer, sizeof buffer);
  *length = input->len;
  return g_string_free (input, FALSE);
}

/* The request's protocol, host, path and username; a password line is never sent on. */
static GVariant *
request_fields (const char *input)
{
  static const char * const keys[] = { "protocol", "host", "path", "username" };
  g_auto(GStrv) lines = g_strsplit (input, "\n", -1);
  GVariantBuilder fields;

  g_variant_builder_init (&fields, G_VARIANT_TYPE ("a{ss}"));
  for (guint i = 0; lines[i] && *lines[i]; i++)
    {
      char *eq = strchr (lines[i], '=');

      if (eq == NULL)
        continue;
      *eq = '\0';
      for (guint k = 0; k < G_N_ELEMENTS (keys); k++)
        if (g_str_equal (lines[i], keys[k]) && g_utf8_validate (eq + 1, -1, NULL))
          g_variant_builder_add (&fields, "{ss}", keys[k], eq + 1);
    }
  for (guint i = 0; lines[i]; i++)
    explicit_bzero (lines[i], strlen (lines[i]));
  return g_variant_builder_end (&fields);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) password = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *remote = NULL;
  g_autofree char *input = NULL;
  const char *username;
  const char *data;
  gsize length, len;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  textdomain (GETTEXT_PACKAGE);
  /* Only a plain `get` can go to the agent; the CLI does the rest (and knows the options). */
  if (argc != 2 || strcmp (argv[1], "get") != 0 || g_getenv ("PERIHELION_VAULT") ||
      g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    return run_cli (argv, NULL, 0);

  input = read_request (&length);
  if (!(bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL)))
    return run_cli (argv, input, length);
  reply = g_dbus_connection_call_sync (bus, AGENT_NAME, AGENT_PATH, AGENT_IFACE, "GetGitCredential",
                                       g_variant_new ("(@a{ss})", request_fields (input)), G_VARIANT_TYPE ("(say)"),
                                       G_DBUS_CALL_FLAGS_NO_AUTO_START, G_MAXINT, NULL, &error);
  if (reply == NULL)
    {
      remote = g_dbus_error_get_remote_error (error);
      /* No agent, or one that must be unlocked first: the CLI asks for the password. */
      if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
          g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER) ||
          (remote && g_str_has_suffix (remote, ".Locked")))
        return run_cli (argv, input, length);
      explicit_bzero (input, length);
      /* Nothing for this host: an empty answer, and git asks its next helper. */
      if (remote && g_str_has_suffix (remote, ".NotFound"))
        return 0;
      g_dbus_error_strip_remote_error (error);
      g_printerr ("git-credential-perihelion: %s\n", error->message);
      return 1;
    }
  explicit_bzero (input, length);
  g_variant_get (reply, "(&s@ay)", &username, &password);
  data = g_variant_get_fixed_array (password, &len, 1);
  if (memchr (data, '\n', len) || strchr (username, '\n'))
    {
      g_printerr ("git-credential-perihelion: %s\n", _("The credential has a line break, which git cannot take"));
      return 1;
    }
  printf ("username=%s\n", username);
  fflush (stdout);
  if (write (STDOUT_FILENO, "password=", 9) != 9 || write (STDOUT_FILENO, data, len) != (gssize) len ||
      write (STDOUT_FILENO, "\n", 1) != 1)
    return 1;
  /* The reply's bytes are the only copy here: wiped before they are freed. */
  explicit_bzero ((char *) data, len);
  return 0;
}
