/* ph-cli-agent.c: perihelion-cli as a client of a running perihelion-agent.
 *
 * Without --vault (or $PERIHELION_VAULT), and with an agent on the session bus, the reading
 * commands ask the agent: one unlock serves every client, the agent's gate decides (this
 * program is the subject "cli" when it is the installed perihelion-cli), and no key enters this
 * process. A locked agent is unlocked with the password from --password-fd or the terminal.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "perihelion-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "ph-cli.h"

#define AGENT_NAME "org.perihelion.Agent"
#define AGENT_PATH "/org/perihelion/Agent"
#define AGENT_IFACE "org.perihelion.Agent1"

static GDBusConnection *
agent_connection (void)
{
  if (g_getenv ("DBUS_SESSION_BUS_ADDRESS") == NULL)
    return NULL;
  return g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
}

/* No agent on the bus: the caller works on the vault file itself. */
static gboolean
no_agent (const GError *error)
{
  return g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
         g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER);
}

static gboolean
is_locked_error (const GError *error)
{
  g_autofree char *remote = g_dbus_error_get_remote_error (error);

  return remote && g_str_has_suffix (remote, ".Locked");
}

/* The agent's errors, as the CLI's exit statuses. */
static int
agent_fail (GError *error)
{
  g_autofree char *remote = g_dbus_error_get_remote_error (error);
  int code = PH_EXIT_FAILURE;

  if (remote)
    {
      g_dbus_error_strip_remote_error (error);
      if (g_str_has_suffix (remote, ".Denied") || g_str_has_suffix (remote, ".NotApproved") ||
          g_str_has_suffix (remote, ".Reauth"))
        code = PH_EXIT_DENIED;
      else if (g_str_has_suffix (remote, ".WrongPassword") || g_str_has_suffix (remote, ".RateLimited"))
        code = PH_EXIT_AUTH;
      else if (g_str_has_suffix (remote, ".NotFound"))
        code = PH_EXIT_NOT_FOUND;
      else if (g_str_has_suffix (remote, ".InvalidArgs"))
        code = PH_EXIT_USAGE;
    }
  g_printerr ("perihelion-cli: %s\n", error->message);
  g_error_free (error);
  return code;
}

static GVariant *
agent_call (GDBusConnection  *bus,
            const char       *method,
            GVariant         *parameters,
            GError          **error)
{
  return g_dbus_connection_call_sync (bus, AGENT_NAME, AGENT_PATH, AGENT_IFACE, method, parameters, NULL,
                                      G_DBUS_CALL_FLAGS_NO_AUTO_START, G_MAXINT, NULL, error);
}

static gboolean ensure_unlocked (PhCli *cli, GDBusConnection *bus, GError **error);

/* A call, and if the agent says it is locked, an unlock and the call again: the common case
 * (unlocked) costs one round trip. */
static GVariant *
agent_call_unlocked (PhCli            *cli,
                     GDBusConnection  *bus,
                     const char       *method,
                     GVariant         *parameters,
                     GError          **error)
{
  GError *local_error = NULL;
  GVariant *reply;

  /* Sunk, so each call borrows it (a call consumes only floating parameters) and it can be sent
   * twice. */
  g_variant_ref_sink (parameters);
  reply = agent_call (bus, method, parameters, &local_error);
  if (reply == NULL && is_locked_error (local_error))
    {
      g_clear_error (&local_error);
      if (ensure_unlocked (cli, bus, &local_error))
        reply = agent_call (bus, method, parameters, &local_error);
    }
  g_variant_unref (parameters);
  if (local_error)
    g_propagate_error (error, local_error);
  return reply;
}

static gboolean
ensure_unlocked (PhCli            *cli,
                 GDBusConnection  *bus,
                 GError          **error)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) locked = NULL;
  g_autoptr(PhSecret) password = NULL;

  reply = g_dbus_connection_call_sync (bus, AGENT_NAME, AGENT_PATH, "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", AGENT_IFACE, "Locked"), G_VARIANT_TYPE ("(v)"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (reply == NULL)
    return FALSE;
  g_variant_get (reply, "(v)", &locked);
  if (!g_variant_get_boolean (locked))
    return TRUE;
  if (!(password = ph_cli_read_password (cli, _("Master password (for the agent): "), error)))
    return FALSE;
  g_clear_pointer (&reply, g_variant_unref);
  reply = agent_call (bus, "Unlock",
                      g_variant_new_tuple ((GVariant *[]) {
                        g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, ph_secret_get_data (password),
                                                   ph_secret_get_length (password), 1) }, 1),
                      error);
  return reply != NULL;
}

/* Finds an entry by id, else by title (case-insensitive, unique), in the agent's list. */
static GVariant *
find_entry (GVariant    *entries,
            const char  *name,
            GError     **error)
{
  g_autofree char *folded = g_utf8_casefold (name, -1);
  GVariant *match = NULL;
  guint n_matches = 0;

  for (gsize i = 0; i < g_variant_n_children (entries); i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (entries, i);
      const char *id = "", *title = "";
      g_autofree char *title_folded = NULL;

      g_variant_lookup (entry, "id", "&s", &id);
      g_variant_lookup (entry, "title", "&s", &title);
      if (strcmp (id, name) == 0)
        {
          g_clear_pointer (&match, g_variant_unref);
          return g_steal_pointer (&entry);
        }
      title_folded = g_utf8_casefold (title, -1);
      if (strcmp (title_folded, folded) == 0)
        {
          n_matches++;
          g_clear_pointer (&match, g_variant_unref);
          match = g_steal_pointer (&entry);
        }
    }
  if (n_matches == 1)
    return match;
  g_clear_pointer (&match, g_variant_unref);
  g_set_error (error, PH_VAULT_ERROR, n_matches ? PH_VAULT_ERROR_AMBIGUOUS : PH_VAULT_ERROR_NOT_FOUND,
               n_matches ? _("Several entries are called “%s”: use its id") : _("No entry “%s”"), name);
  return NULL;
}

static void
print_agent_entries (GVariant *entries,
                     gboolean  json)
{
  if (json)
    {
      g_autoptr(JsonNode) node = json_gvariant_serialize (entries);
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autofree char *text = NULL;

      json_generator_set_root (generator, node);
      json_generator_set_pretty (generator, TRUE);
      text = json_generator_to_data (generator, NULL);
      g_print ("%s\n", text);
      return;
    }
  for (gsize i = 0; i < g_variant_n_children (entries); i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (entries, i);
      g_autofree const char **urls = NULL;
      const char *id = "", *title = "", *username = "";

      g_variant_lookup (entry, "id", "&s", &id);
      g_variant_lookup (entry, "title", "&s", &title);
      g_variant_lookup (entry, "username", "&s", &username);
      g_variant_lookup (entry, "urls", "^a&s", &urls);
      g_print ("%s\t%s\t%s\t%s\n", id, title, username, urls && urls[0] ? urls[0] : "");
    }
}

static int run_with_agent (PhCli *cli, GDBusConnection *bus, const char *command, int argc, char **argv,
                           const char *field, gboolean json);

/* `oauth token ACCOUNT` through the agent: it refreshes, so this process never holds a refresh
 * token. Returns -1 without an agent. */
int
ph_cli_agent_oauth_token (PhCli      *cli,
                          const char *account)
{
  g_autoptr(GDBusConnection) bus = agent_connection ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) bytes = NULL;
  g_autoptr(PhSecret) token = NULL;
  const guint8 *data;
  gsize len;

  if (bus == NULL)
    return -1;
  if (!(reply = agent_call_unlocked (cli, bus, "GetOAuthToken", g_variant_new ("(s)", account), &error)))
    return no_agent (error) ? -1 : agent_fail (g_steal_pointer (&error));
  bytes = g_variant_get_child_value (reply, 0);
  data = g_variant_get_fixed_array (bytes, &len, 1);
  token = ph_secret_new_from_data (data, len);
  if (!ph_secret_write_to_fd (token, STDOUT_FILENO, TRUE, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  return PH_EXIT_OK;
}

/* `totp ENTRY` through the agent: the seed stays there, only the code comes back. Returns -1
 * without an agent. */
int
ph_cli_agent_totp (PhCli      *cli,
                   const char *entry)
{
  g_autoptr(GDBusConnection) bus = agent_connection ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) bytes = NULL;
  g_autoptr(PhSecret) code = NULL;
  guint32 period;
  gint64 valid_until;
  const guint8 *data;
  gsize len;

  if (bus == NULL)
    return -1;
  if (!(reply = agent_call_unlocked (cli, bus, "GetOneTimeCode", g_variant_new ("(ss)", entry, "reveal"), &error)))
    return no_agent (error) ? -1 : agent_fail (g_steal_pointer (&error));
  g_variant_get (reply, "(@ayux)", &bytes, &period, &valid_until);
  data = g_variant_get_fixed_array (bytes, &len, 1);
  code = ph_secret_new_from_data (data, len);
  if (!ph_secret_write_to_fd (code, STDOUT_FILENO, TRUE, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (valid_until && isatty (STDERR_FILENO))
    g_printerr (_("(valid for %d more seconds)\n"), (int) (valid_until - g_get_real_time () / G_USEC_PER_SEC));
  return PH_EXIT_OK;
}

/* git's "get" through the agent (GetGitCredential): the running agent answers without an unlock
 * of this process's own, and refreshes OAuth tokens itself. Nothing found is an empty answer, as
 * git expects. Returns -1 without an agent. */
int
ph_cli_agent_git_credential (PhCli           *cli,
                             PhGitCredential *request)
{
  g_autoptr(GDBusConnection) bus = agent_connection ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) bytes = NULL;
  g_autoptr(PhSecret) password = NULL;
  GVariantBuilder fields;
  const char *username;
  const guint8 *data;
  gsize len;

  if (bus == NULL)
    return -1;
  g_variant_builder_init (&fields, G_VARIANT_TYPE ("a{ss}"));
#define FIELD(name) if (request->name) g_variant_builder_add (&fields, "{ss}", #name, request->name)
  FIELD (protocol);
  FIELD (host);
  FIELD (path);
  FIELD (username);
#undef FIELD
  if (!(reply = agent_call_unlocked (cli, bus, "GetGitCredential", g_variant_new ("(@a{ss})",
                                                                                  g_variant_builder_end (&fields)),
                                     &error)))
    {
      g_autofree char *remote = g_dbus_error_get_remote_error (error);

      if (no_agent (error))
        return -1;
      if (remote && g_str_has_suffix (remote, ".NotFound"))
        return PH_EXIT_OK;
      return agent_fail (g_steal_pointer (&error));
    }
  g_variant_get (reply, "(&s@ay)", &username, &bytes);
  data = g_variant_get_fixed_array (bytes, &len, 1);
  password = ph_secret_new_from_data (data, len);
  g_print ("username=%s\n", username);
  fflush (stdout);
  if (write (STDOUT_FILENO, "password=", 9) != 9 || !ph_secret_write_to_fd (password, STDOUT_FILENO, TRUE, &error))
    return ph_cli_fail (error ? g_steal_pointer (&error)
                              : g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not write the answer")));
  return PH_EXIT_OK;
}

/**
 * ph_cli_agent_run:
 *
 * Runs get, list or search through the agent. Returns -1 when there is no agent to ask (the
 * caller then works on the vault file itself).
 */
int
ph_cli_agent_run (PhCli       *cli,
                  const char  *command,
                  int          argc,
                  char       **argv)
{
  g_autoptr(GDBusConnection) bus = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *field = NULL;
  gboolean json = FALSE;
  GOptionEntry get_entries[] = {
    { "field", 'f', 0, G_OPTION_ARG_STRING, &field, N_("password (default), username, url, title, id, or a field"), "NAME" },
    { NULL }
  };
  GOptionEntry list_entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  gboolean is_get = strcmp (command, "get") == 0;

  if (!(bus = agent_connection ()))
    return -1;
  /* Options are parsed on a copy: without an agent, the command itself parses them again. */
  {
    g_auto(GStrv) owned = g_strdupv (argv);
    g_autofree char **args = g_memdup2 (owned, (g_strv_length (owned) + 1) * sizeof (char *));

    if (!ph_cli_parse_options (&argc, &args, NULL, is_get ? get_entries : list_entries, &error))
      return ph_cli_fail (g_steal_pointer (&error));
    if (is_get ? argc != 2 : strcmp (command, "search") == 0 ? argc < 2 : argc != 1)
      return ph_cli_usage (_("%s: wrong number of arguments (see --help)"), command);
    return run_with_agent (cli, bus, command, argc, args, field, json);
  }
}

static int
run_with_agent (PhCli           *cli,
                GDBusConnection *bus,
                const char      *command,
                int              argc,
                char           **argv,
                const char      *field,
                gboolean         json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) entries = NULL;
  gboolean is_get = strcmp (command, "get") == 0;

  if (!is_get)
    {
      g_autofree char *query = strcmp (command, "search") == 0 ? g_strjoinv (" ", argv + 1) : g_strdup ("");

      if (!(reply = agent_call_unlocked (cli, bus, "List", g_variant_new ("(s)", query), &error)))
        return no_agent (error) ? -1 : agent_fail (g_steal_pointer (&error));
      entries = g_variant_get_child_value (reply, 0);
      print_agent_entries (entries, json);
      return *query && g_variant_n_children (entries) == 0 && !json ? PH_EXIT_NOT_FOUND : PH_EXIT_OK;
    }

  {
    const char *name = field ? field : "password";

    if (g_strv_contains ((const char * const[]) { "username", "title", "id", "url", "urls", NULL }, name))
      {
        g_autoptr(GVariant) entry = NULL;

        if (!(reply = agent_call_unlocked (cli, bus, "List", g_variant_new ("(s)", ""), &error)))
          return no_agent (error) ? -1 : agent_fail (g_steal_pointer (&error));
        entries = g_variant_get_child_value (reply, 0);
        if (!(entry = find_entry (entries, argv[1], &error)))
          return ph_cli_fail (g_steal_pointer (&error));
        if (g_str_has_prefix (name, "url"))
          {
            g_autofree const char **urls = NULL;

            g_variant_lookup (entry, "urls", "^a&s", &urls);
            for (guint i = 0; urls && urls[i]; i++)
              g_print ("%s\n", urls[i]);
          }
        else
          {
            const char *value = "";

            g_variant_lookup (entry, name, "&s", &value);
            g_print ("%s\n", value);
          }
        return PH_EXIT_OK;
      }

    reply = agent_call_unlocked (cli, bus, "GetSecret", g_variant_new ("(sss)", argv[1], name, "reveal"), &error);
    if (reply == NULL)
      return no_agent (error) ? -1 : agent_fail (g_steal_pointer (&error));
    {
      g_autoptr(GVariant) bytes = g_variant_get_child_value (reply, 0);
      g_autoptr(PhSecret) secret = NULL;
      gsize len;
      const guint8 *data = g_variant_get_fixed_array (bytes, &len, 1);

      secret = ph_secret_new_from_data (data, len);
      if (!ph_secret_write_to_fd (secret, STDOUT_FILENO, TRUE, &error))
        return ph_cli_fail (g_steal_pointer (&error));
    }
    return PH_EXIT_OK;
  }
}
