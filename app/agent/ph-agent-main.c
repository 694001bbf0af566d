/* ph-agent-main.c: perihelion-agent: owns org.perihelion.Agent and serves the vault.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "perihelion-agent"

#include "config.h"

#include <locale.h>
#include <signal.h>
#include <sodium.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <glib/gi18n.h>
#include <glib-unix.h>

#include "ph-agent.h"
#include "ph-secret-service.h"
#include "ph-tray.h"
#include "ph-gtk-prompter.h"

#include <adwaita.h>
#include "ph-crypto.h"
#include "ph-vault.h"

typedef struct
{
  PhAgent *agent;
  PhTray *tray;
  PhSecretService *secret_service;
  GMainLoop *loop;
  int status;
} State;

static void
on_secrets_bus_acquired (GDBusConnection *connection,
                         const char      *name,
                         gpointer         data)
{
  State *state = data;
  g_autoptr(GError) error = NULL;

  if (!ph_secret_service_export (state->secret_service, connection, &error))
    g_warning ("Could not serve the Secret Service: %s", error->message);
}

static void
on_secrets_name_acquired (GDBusConnection *connection,
                          const char      *name,
                          gpointer         data)
{
  g_message ("Serving the Secret Service (%s)", name);
}

static void
on_secrets_name_lost (GDBusConnection *connection,
                      const char      *name,
                      gpointer         data)
{
  /* Another keyring serves it; the agent goes on without (--replace takes it over). */
  g_message ("%s is served by another program: not serving the Secret Service", name);
}

static void
on_bus_acquired (GDBusConnection *connection,
                 const char      *name,
                 gpointer         data)
{
  State *state = data;
  g_autoptr(GError) error = NULL;

  if (!ph_agent_export (state->agent, connection, &error))
    {
      g_printerr ("perihelion-agent: %s\n", error->message);
      state->status = 1;
      g_main_loop_quit (state->loop);
      return;
    }
  if (state->tray && !ph_tray_start (state->tray, connection, &error))
    g_warning ("No tray icon: %s", error->message);
}

static void
on_name_acquired (GDBusConnection *connection,
                  const char      *name,
                  gpointer         data)
{
  g_message ("Serving %s", name);
}

static void
on_name_lost (GDBusConnection *connection,
              const char      *name,
              gpointer         data)
{
  State *state = data;

  /* Another agent runs (start it with --replace), or it replaced us. */
  if (connection == NULL)
    g_printerr ("perihelion-agent: no session bus\n");
  else
    g_printerr (_("perihelion-agent: %s is taken by another agent (use --replace)\n"), name);
  state->status = 1;
  g_main_loop_quit (state->loop);
}

static gboolean
on_quit_signal (gpointer data)
{
  State *state = data;

  g_main_loop_quit (state->loop);
  return G_SOURCE_REMOVE;
}

/* The auto-lock settings, when the schema is installed (tests and uninstalled runs may not). */
static GSettings *
load_settings (void)
{
  GSettingsSchemaSource *source = g_settings_schema_source_get_default ();
  g_autoptr(GSettingsSchema) schema = source ? g_settings_schema_source_lookup (source, APP_ID, TRUE) : NULL;

  return schema ? g_settings_new_full (schema, NULL, NULL) : NULL;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *vault_path = NULL;
  int password_fd = -1;
  gboolean replace = FALSE;
  int idle_timeout = -1;
  gboolean secret_service = FALSE;
  gboolean no_tray = FALSE;
  GOptionEntry entries[] = {
    { "no-tray", 0, 0, G_OPTION_ARG_NONE, &no_tray, N_("Show no tray icon"), NULL },
    { "secret-service", 0, 0, G_OPTION_ARG_NONE, &secret_service,
      N_("Serve the freedesktop Secret Service (also the setting secret-service)"), NULL },
    { "vault", 0, 0, G_OPTION_ARG_FILENAME, &vault_path, N_("The vault (default: the default vault)"), "FILE" },
    { "password-fd", 0, 0, G_OPTION_ARG_INT, &password_fd, N_("Unlock at start with the password on this file descriptor"), "N" },
    { "replace", 0, 0, G_OPTION_ARG_NONE, &replace, N_("Replace a running agent"), NULL },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout, N_("Lock after this many idle seconds (0: never)"), "SECONDS" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSettings) settings = NULL;
  g_autoptr(GDBusConnection) system_bus = NULL;
  struct rlimit no_core = { 0, 0 };
  State state = { 0 };
  guint owner, secrets_owner = 0;

  /* The agent holds keys: no core dump, no ptrace by other processes of the user. */
  setrlimit (RLIMIT_CORE, &no_core);
  prctl (PR_SET_DUMPABLE, 0);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, _("The Perihelion agent: holds the unlocked vault and serves it on D-Bus."));
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("perihelion-agent: %s\n", error->message);
      return 2;
    }
  ph_crypto_init ();
  settings = load_settings ();
  if (vault_path == NULL)
    vault_path = g_strdup (g_getenv ("PERIHELION_VAULT"));
  if (vault_path == NULL && settings)
    {
      /* A vault the user opened in the app, else the default. */
      vault_path = g_settings_get_string (settings, "vault-path");
      if (*vault_path == '\0')
        g_clear_pointer (&vault_path, g_free);
    }
  if (vault_path == NULL)
    vault_path = ph_vault_dup_default_path ();

  state.agent = ph_agent_new (vault_path);
  /* With a display, obligations and unlocks are asked in windows; without, they deny. */
  if (g_getenv ("PERIHELION_AGENT_NO_WINDOWS") == NULL && gtk_init_check ())
    {
      g_autoptr(PhPrompter) prompter = ph_gtk_prompter_new ();

      adw_init ();
      ph_agent_set_prompter (state.agent, prompter, ph_gtk_prompter_unlock, NULL);
    }
  state.loop = g_main_loop_new (NULL, FALSE);
  {
    g_autofree char *cli = g_build_filename (BINDIR, "perihelion-cli", NULL);
    g_autofree char *git_helper = g_build_filename (BINDIR, "git-credential-perihelion", NULL);
    /* Tests and uninstalled runs name their CLI builds (colon-separated). */
    g_auto(GStrv) extra = g_strsplit (g_getenv ("PERIHELION_TRUSTED_CLI") ? g_getenv ("PERIHELION_TRUSTED_CLI") : "",
                                      ":", -1);

    g_autofree char *gui = g_build_filename (BINDIR, "perihelion", NULL);
    g_auto(GStrv) guis = g_strsplit (g_getenv ("PERIHELION_TRUSTED_GUI") ? g_getenv ("PERIHELION_TRUSTED_GUI") : "",
                                     ":", -1);

    ph_agent_add_trusted_gui (state.agent, gui);
    {
      g_autofree char *mcp = g_build_filename (BINDIR, "perihelion-mcp", NULL);
      g_auto(GStrv) mcps = g_strsplit (g_getenv ("PERIHELION_TRUSTED_MCP") ? g_getenv ("PERIHELION_TRUSTED_MCP") : "",
                                       ":", -1);

      ph_agent_add_trusted_mcp (state.agent, mcp);
      for (guint i = 0; mcps[i]; i++)
        if (*mcps[i])
          ph_agent_add_trusted_mcp (state.agent, mcps[i]);
    }
    for (guint i = 0; guis[i]; i++)
      if (*guis[i])
        ph_agent_add_trusted_gui (state.agent, guis[i]);
    ph_agent_add_trusted_client (state.agent, cli);
    ph_agent_add_trusted_client (state.agent, git_helper);
    for (guint i = 0; extra[i]; i++)
      if (*extra[i])
        ph_agent_add_trusted_client (state.agent, extra[i]);
  }

  if (idle_timeout >= 0)
    ph_agent_set_idle_timeout (state.agent, idle_timeout);
  else if (settings)
    ph_agent_set_idle_timeout (state.agent, g_settings_get_uint (settings, "auto-lock-timeout"));

  if (password_fd >= 0)
    {
      g_autoptr(PhSecret) password = ph_secret_read_line (password_fd, TRUE, &error);

      if (password == NULL || !ph_agent_unlock (state.agent, password, &error))
        {
          g_printerr ("perihelion-agent: %s\n", error->message);
          return 3;
        }
    }

  if (settings == NULL || g_settings_get_boolean (settings, "lock-on-session-lock"))
    {
      g_autoptr(GDBusConnection) session_bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);

      if ((system_bus = g_bus_get_sync (G_BUS_TYPE_SYSTEM, NULL, NULL)))
        ph_agent_watch_session (state.agent, system_bus);
      /* The screensaver lives on the session bus (and a test bus may carry logind). */
      if (session_bus)
        ph_agent_watch_session (state.agent, session_bus);
    }

  if (!no_tray)
    state.tray = ph_tray_new (state.agent);
  owner = g_bus_own_name (G_BUS_TYPE_SESSION, PH_AGENT_DBUS_NAME,
                          G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT |
                          (replace ? G_BUS_NAME_OWNER_FLAGS_REPLACE : 0),
                          on_bus_acquired, on_name_acquired, on_name_lost, &state, NULL);
  if (secret_service || (settings && g_settings_get_boolean (settings, "secret-service")))
    {
      state.secret_service = ph_secret_service_new (state.agent);
      secrets_owner = g_bus_own_name (G_BUS_TYPE_SESSION, PH_SECRET_SERVICE_NAME,
                                      G_BUS_NAME_OWNER_FLAGS_ALLOW_REPLACEMENT |
                                      (replace ? G_BUS_NAME_OWNER_FLAGS_REPLACE : 0),
                                      on_secrets_bus_acquired, on_secrets_name_acquired, on_secrets_name_lost,
                                      &state, NULL);
    }
  g_unix_signal_add (SIGTERM, on_quit_signal, &state);
  g_unix_signal_add (SIGINT, on_quit_signal, &state);
  g_unix_signal_add (SIGHUP, on_quit_signal, &state);

  g_main_loop_run (state.loop);

  g_bus_unown_name (owner);
  if (secrets_owner)
    g_bus_unown_name (secrets_owner);
  g_clear_object (&state.secret_service);
  g_clear_object (&state.tray);
  ph_agent_lock (state.agent);
  g_object_unref (state.agent);
  g_main_loop_unref (state.loop);
  return state.status;
}
