/* ph-cli-oauth.c: perihelion-cli oauth login|list|token|logout.
 *
 * `login` signs in with the authorization-code flow in the person's browser, the redirect caught
 * by a loopback listener (RFC 8252), or with --device the device flow (RFC 8628), which needs no
 * browser on this machine: the verification URL and the code go to stderr, the account's name
 * to stdout. The tokens are sealed into the vault as an OAuth account entry.
 * `token` prints a fresh access token: a "use" request by the calling program, refreshed first
 * when it is about to expire. `logout` revokes the tokens at the provider and removes the account.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <json-glib/json-glib.h>
#include <glib/gi18n.h>

#include "ph-cli.h"
#include "ph-oauth-account.h"
#include "ph-oauth-client.h"
#include "ph-oauth-sign-in.h"
#include "ph-loopback-listener.h"

#ifdef G_OS_UNIX
#include <gio/gdesktopappinfo.h>
#endif

typedef struct
{
  GMainLoop *loop;
  char *redirect;
  GError *error;
} Wait;

static void
on_redirect (GObject      *object,
             GAsyncResult *result,
             gpointer      data)
{
  Wait *wait = data;

  wait->redirect = ph_loopback_listener_wait_finish (PH_LOOPBACK_LISTENER (object), result, &wait->error);
  g_main_loop_quit (wait->loop);
}

static gboolean
on_timeout (gpointer data)
{
  g_cancellable_cancel (data);
  return G_SOURCE_REMOVE;
}

/* The person's browser, its output kept out of ours (stdout carries the account's name). */
static gboolean
launch_browser (const char  *url,
                GError     **error)
{
#ifdef G_OS_UNIX
  g_autofree char *scheme = g_uri_parse_scheme (url);
  g_autoptr(GAppInfo) app = scheme ? g_app_info_get_default_for_uri_scheme (scheme) : NULL;

  if (app && G_IS_DESKTOP_APP_INFO (app))
    {
      GList uris = { (gpointer) url, NULL, NULL };
      int null_fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
      gboolean launched;

      launched = g_desktop_app_info_launch_uris_as_manager_with_fds (G_DESKTOP_APP_INFO (app), &uris, NULL,
                                                                    G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL,
                                                                    null_fd, null_fd, null_fd, error);
      if (null_fd >= 0)
        close (null_fd);
      return launched;
    }
#endif
  return g_app_info_launch_default_for_uri (url, NULL, error);
}

/* The authorization-code flow in the person's browser: the page is opened there (or its URL
 * printed for them to open), and the provider's redirect comes back to a loopback listener. */
static PhOAuthTokens *
sign_in_with_browser (PhOAuthClient  *client,     /* (transfer full) */
                      const char     *scopes,
                      gboolean        open_browser,
                      char          **out_identity,
                      GError        **error)
{
  g_autoptr(PhOAuthClient) owned_client = client;
  g_autoptr(PhLoopbackListener) listener = NULL;
  g_autoptr(PhOAuthSignIn) sign_in = NULL;
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(GError) launch_error = NULL;
  g_autofree char *redirect = NULL;
  Wait wait = { loop, NULL, NULL };
  guint timeout;

  if (!(listener = ph_loopback_listener_new (error)) ||
      !(sign_in = ph_oauth_sign_in_new (g_steal_pointer (&owned_client), scopes,
                                        ph_loopback_listener_get_redirect_uri (listener), error)))
    return NULL;
  g_printerr (_("Sign in at\n%s\n"), ph_oauth_sign_in_get_authorization_url (sign_in));
  if (open_browser &&
      !launch_browser (ph_oauth_sign_in_get_authorization_url (sign_in), &launch_error))
    g_printerr (_("No browser could be opened (%s): open the address yourself\n"), launch_error->message);
  /* The person has five minutes; the provider's codes do not live longer anyway. */
  timeout = g_timeout_add_seconds (300, on_timeout, cancellable);
  ph_loopback_listener_wait_async (listener, cancellable, on_redirect, &wait);
  g_main_loop_run (loop);
  g_source_remove (timeout);
  /* The listener closes; the browser's connection is let go before the exchange blocks. */
  g_clear_object (&listener);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  if (wait.error)
    {
      if (g_error_matches (wait.error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_clear_error (&wait.error);
          g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_TIMED_OUT, _("No sign-in within five minutes"));
        }
      else
        g_propagate_error (error, wait.error);
      return NULL;
    }
  redirect = wait.redirect;
  return ph_oauth_sign_in_complete (sign_in, redirect, out_identity, NULL, error);
}

/* The device flow (RFC 8628): the person signs in on any device with a browser. */
static PhOAuthTokens *
sign_in_with_device (PhOAuthClient  *client,
                     const char     *scopes,
                     char          **out_identity,
                     GError        **error)
{
  g_autoptr(PhDeviceAuthorization) authorization = NULL;
  g_autoptr(PhOAuthTokens) tokens = NULL;

  if (!ph_oauth_client_get_provider (client)->device_flow)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_PARAMETER, _("%s offers no device sign-in"),
                   ph_oauth_client_get_provider (client)->name);
      return NULL;
    }
  if (!(authorization = ph_oauth_client_device_start (client, scopes, NULL, error)))
    return NULL;
  if (authorization->verification_uri_complete)
    g_printerr (_("Open %s\nand check that it shows the code %s\n"), authorization->verification_uri_complete,
                authorization->user_code);
  else
    g_printerr (_("Open %s\nand enter the code %s\n"), authorization->verification_uri, authorization->user_code);
  if (!(tokens = ph_oauth_client_device_poll (client, authorization, NULL, error)) ||
      !(*out_identity = ph_oauth_client_identify (client, tokens, NULL, NULL, error)))
    return NULL;
  return g_steal_pointer (&tokens);
}

static int
cmd_login (PhCli  *cli,
           int     argc,
           char  **argv)
{
  g_autofree char *issuer = NULL, *client_id = NULL, *scope = NULL, *name = NULL;
  g_autofree char *base_url = NULL, *tenant = NULL, *realm_url = NULL, *domain = NULL, *region = NULL;
  g_autofree char *git_host = NULL, *git_path = NULL;
  gboolean device = FALSE, no_browser = FALSE;
  GOptionEntry entries[] = {
    { "issuer", 0, 0, G_OPTION_ARG_STRING, &issuer, N_("Any OpenID provider, by its issuer URL"), "URL" },
    { "client-id", 0, 0, G_OPTION_ARG_STRING, &client_id, N_("The OAuth client id registered for Perihelion"), "ID" },
    { "scope", 0, 0, G_OPTION_ARG_STRING, &scope, N_("Scopes (default: the provider's)"), "SCOPES" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("The account's name (default: PROVIDER:IDENTITY)"), "ACCOUNT" },
    { "device", 0, 0, G_OPTION_ARG_NONE, &device, N_("Sign in on another device (no browser here)"), NULL },
    { "no-browser", 0, 0, G_OPTION_ARG_NONE, &no_browser, N_("Print the sign-in address instead of opening it"), NULL },
    { "base-url", 0, 0, G_OPTION_ARG_STRING, &base_url, N_("A self-hosted GitLab or Gitea"), "URL" },
    { "tenant", 0, 0, G_OPTION_ARG_STRING, &tenant, N_("The Entra ID tenant"), "TENANT" },
    { "realm-url", 0, 0, G_OPTION_ARG_STRING, &realm_url, N_("The Keycloak realm URL"), "URL" },
    { "domain", 0, 0, G_OPTION_ARG_STRING, &domain, N_("The Okta domain"), "DOMAIN" },
    { "region", 0, 0, G_OPTION_ARG_STRING, &region, N_("The AWS region"), "REGION" },
    { "git-host", 0, 0, G_OPTION_ARG_STRING, &git_host, N_("Serve this git host with the account's token"), "HOST" },
    { "git-path", 0, 0, G_OPTION_ARG_STRING, &git_path,
      N_("Only for repositories under this path (several accounts on one host)"), "PREFIX" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhOAuthCatalog) catalog = NULL;
  g_autoptr(GHashTable) params = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(PhOAuthClient) client = NULL;
  g_autoptr(PhOAuthTokens) tokens = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autofree char *identity = NULL;
  g_autofree char *scopes = NULL;
  g_autofree char *account = NULL;
  const char *provider_id;
  PhOAuthProvider *provider;
  PhEntry *entry;

  if (!ph_cli_parse_options (&argc, &argv, _("PROVIDER|--issuer URL"), entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if ((argc == 2) == (issuer != NULL) || argc > 2)
    return ph_cli_usage (_("oauth login takes a PROVIDER or --issuer URL"));
  if (client_id == NULL)
    return ph_cli_usage (_("oauth login needs --client-id (the id registered with the provider)"));
  provider_id = issuer ? "oidc" : argv[1];
  if (issuer)
    g_hash_table_insert (params, (gpointer) "issuer", issuer);
#define PARAM(key, value) if (value) g_hash_table_insert (params, (gpointer) key, value)
  PARAM ("base_url", base_url);
  PARAM ("tenant", tenant);
  PARAM ("realm_url", realm_url);
  PARAM ("domain", domain);
  PARAM ("region", region);
  PARAM ("git_host", git_host);
#undef PARAM

  if (!(catalog = ph_oauth_catalog_load_default (&error)) ||
      !(vault = ph_cli_open_vault (cli, &error)) || !ph_cli_authorize (PH_ACTION_WRITE, NULL, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (!(provider = ph_oauth_catalog_resolve (catalog, provider_id, params, &error)))
    return ph_cli_fail (g_steal_pointer (&error));
  client = ph_oauth_client_new (provider, client_id);
  /* Without --device, a provider that offers only the device flow (AWS) uses it anyway. */
  device = device || !provider->code_flow;
  scopes = scope ? g_strdup (scope) : g_strjoinv (" ", provider->scopes);
  if (!ph_oauth_client_discover (client, NULL, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (device)
    tokens = sign_in_with_device (client, scopes, &identity, &error);
  else
    tokens = sign_in_with_browser (g_steal_pointer (&client), scopes, !no_browser, &identity, &error);
  if (tokens == NULL)
    return ph_cli_fail (g_steal_pointer (&error));
  account = name ? g_strdup (name) : g_strdup_printf ("%s:%s", provider_id, identity);
  if (!(entry = ph_oauth_account_store (vault, account, provider_id, params, client_id, identity, tokens, &error)))
    return ph_cli_fail (g_steal_pointer (&error));
  if (git_path)
    ph_entry_set_field (entry, "oauth.git_path", git_path);
  if (!ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  g_print ("%s\n", account);
  return PH_EXIT_OK;
}

static int
cmd_list (PhCli  *cli,
          int     argc,
          char  **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  guint n;

  if (!ph_cli_parse_options (&argc, &argv, "", entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (!(vault = ph_cli_open_vault (cli, &error)) || !ph_cli_authorize (PH_ACTION_LIST, NULL, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  n = g_list_model_get_n_items (G_LIST_MODEL (vault));
  json_builder_begin_array (builder);
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PhEntry) entry = g_list_model_get_item (G_LIST_MODEL (vault), i);
      gint64 expires = ph_oauth_account_expires_at (entry);

      if (!ph_oauth_account_is (entry))
        continue;
      if (json)
        {
          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "name");
          json_builder_add_string_value (builder, ph_entry_get_title (entry));
          json_builder_set_member_name (builder, "provider");
          json_builder_add_string_value (builder, ph_entry_get_field (entry, "oauth.provider"));
          json_builder_set_member_name (builder, "identity");
          json_builder_add_string_value (builder, ph_entry_get_username (entry));
          json_builder_set_member_name (builder, "expires_at");
          json_builder_add_int_value (builder, expires);
          json_builder_end_object (builder);
        }
      else
        {
          g_autoptr(GDateTime) time = expires ? g_date_time_new_from_unix_local (expires) : NULL;
          g_autofree char *until = time ? g_date_time_format (time, "%Y-%m-%d %H:%M") : g_strdup ("-");

          g_print ("%s\t%s\t%s\t%s\n", ph_entry_get_title (entry), ph_entry_get_field (entry, "oauth.provider"),
                   ph_entry_get_username (entry), until);
        }
    }
  json_builder_end_array (builder);
  if (json)
    {
      g_autoptr(JsonNode) root = json_builder_get_root (builder);
      g_autofree char *text = json_to_string (root, TRUE);

      g_print ("%s\n", text);
    }
  return PH_EXIT_OK;
}

static PhEntry *
find_account (PhVault     *vault,
              const char  *name,
              GError     **error)
{
  PhEntry *entry = ph_vault_find (vault, name, error);

  if (entry && !ph_oauth_account_is (entry))
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NOT_FOUND, _("“%s” is not an OAuth account"), name);
      return NULL;
    }
  return entry;
}

static int
cmd_token (PhCli  *cli,
           int     argc,
           char  **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(PhOAuthCatalog) catalog = NULL;
  g_autoptr(PhSecret) token = NULL;
  gboolean refreshed = FALSE;
  PhEntry *entry;

  if (!ph_cli_parse_options (&argc, &argv, _("ACCOUNT"), entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc != 2)
    return ph_cli_usage (_("oauth token takes one ACCOUNT"));
  if (!(catalog = ph_oauth_catalog_load_default (&error)) || !(vault = ph_cli_open_vault (cli, &error)) ||
      !(entry = find_account (vault, argv[1], &error)) ||
      !(token = ph_oauth_account_fresh_token (ph_cli_get_broker (), ph_cli_get_subject (), entry, catalog,
                                              &refreshed, &error)) ||
      (refreshed && !ph_cli_save (vault, &error)) ||
      !ph_secret_write_to_fd (token, STDOUT_FILENO, TRUE, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  return PH_EXIT_OK;
}

static int
cmd_logout (PhCli  *cli,
            int     argc,
            char  **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(PhOAuthCatalog) catalog = NULL;
  g_autoptr(PhOAuthClient) client = NULL;
  g_autoptr(PhSecret) refresh = NULL;
  g_autoptr(PhSecret) access = NULL;
  PhEntry *entry;

  if (!ph_cli_parse_options (&argc, &argv, _("ACCOUNT"), entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc != 2)
    return ph_cli_usage (_("oauth logout takes one ACCOUNT"));
  if (!(catalog = ph_oauth_catalog_load_default (&error)) || !(vault = ph_cli_open_vault (cli, &error)) ||
      !(entry = find_account (vault, argv[1], &error)) || !ph_cli_authorize (PH_ACTION_DELETE, entry, &error) ||
      !(client = ph_oauth_account_new_client (entry, catalog, &error)))
    return ph_cli_fail (g_steal_pointer (&error));

  /* A provider that cannot be reached is reported, and the account stays so the revocation can
   * be tried again. */
  if (!ph_oauth_account_open_tokens (ph_cli_get_broker (), ph_cli_get_subject (), entry, &refresh, &access, &error) ||
      !ph_oauth_account_revoke (client, refresh, access, NULL, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  ph_vault_remove (vault, entry);
  if (!ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  g_printerr (_("Signed out of %s and revoked its tokens\n"), argv[1]);
  return PH_EXIT_OK;
}

int
ph_cli_cmd_oauth (PhCli  *cli,
                  int     argc,
                  char  **argv)
{
  static const struct
  {
    const char *name;
    int (*run) (PhCli *cli, int argc, char **argv);
  } subcommands[] = {
    { "login", cmd_login },
    { "list", cmd_list },
    { "token", cmd_token },
    { "logout", cmd_logout },
  };

  for (guint i = 0; argc >= 2 && i < G_N_ELEMENTS (subcommands); i++)
    if (strcmp (argv[1], subcommands[i].name) == 0)
      return subcommands[i].run (cli, argc - 1, argv + 1);
  return ph_cli_usage (_("oauth takes login, list, token or logout"));
}
