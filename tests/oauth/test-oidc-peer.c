/* test-oidc-peer.c: the OAuth client against a real OpenID Connect provider (npm oidc-provider,
 * OpenID-certified) on 127.0.0.1, with the person's side (confirm the code, log in, consent)
 * played by play-user.js over real HTTP. Discovery, JWKS and ID token verification; the device
 * flow; the authorization code flow with PKCE; refresh with rotation and the reuse of an old
 * refresh token refused; revocation; and the answers a client must refuse.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <libsoup/soup.h>

#include "ph-jose.h"
#include "ph-oauth-client.h"
#include "ph-oidc.h"
#include "ph-oidc-test-peer.h"
#include "ph-test-util.h"

#define REDIRECT "http://127.0.0.1:43210/callback"

static GSubprocess *provider_process;
static char *issuer;

static char *
run_user (const char *url)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *script = g_build_filename (g_getenv ("PH_OAUTH_TEST_DIR"), "play-user.js", NULL);
  g_autoptr(GSubprocess) user = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "node", script, url, NULL);
  char *out = NULL;

  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (user, NULL, NULL, &out, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_subprocess_get_successful (user));
  return out;
}

/* In a thread, so the poll can run while the person's side is played here. */
static gpointer
poll_thread (gpointer data)
{
  gpointer *args = data;
  GError *error = NULL;
  PhOAuthTokens *tokens = ph_oauth_client_device_poll (args[0], args[1], NULL, &error);

  g_assert_no_error (error);
  return tokens;
}

static PhOAuthTokens *
device_sign_in (PhOAuthClient *client)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhDeviceAuthorization) authorization = ph_oauth_client_device_start (client, "openid email offline_access",
                                                                                 NULL, &error);
  g_autofree char *out = NULL;
  gpointer args[2];
  GThread *thread;

  g_assert_no_error (error);
  g_assert_nonnull (authorization->verification_uri_complete);
  g_assert_true (strstr (authorization->verification_uri_complete, authorization->user_code) != NULL);
  args[0] = client;
  args[1] = authorization;
  thread = g_thread_new ("poll", poll_thread, args);
  out = run_user (authorization->verification_uri_complete);
  g_assert_nonnull (strstr (out, "Sign-in Success"));
  return g_thread_join (thread);
}

static void
test_discovery (void)
{
  g_autoptr(PhOAuthClient) client = ph_test_oidc_client (issuer);
  g_autoptr(PhOAuthClient) impostor = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *other = NULL;

  g_assert_true (ph_oauth_client_discover (client, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (ph_oauth_client_get_provider (client)->token_endpoint, issuer));
  g_assert_nonnull (ph_oauth_client_get_provider (client)->device_authorization_endpoint);
  g_assert_nonnull (ph_oauth_client_get_provider (client)->revocation_endpoint);
  g_assert_nonnull (ph_oauth_client_get_jwks (client, FALSE, NULL, &error));

  /* The same server under another name: its document names another issuer, and is refused. */
  other = g_strdup_printf ("http://localhost:%s", strrchr (issuer, ':') + 1);
  impostor = ph_test_oidc_client (other);
  g_assert_false (ph_oauth_client_discover (impostor, NULL, &error));
  g_assert_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_DISCOVERY);
  g_test_message ("refused: %s", error->message);
}

static void
test_device_flow_refresh_revoke (void)
{
  g_autoptr(PhOAuthClient) client = ph_test_oidc_client (issuer);
  g_autoptr(PhOAuthTokens) tokens = NULL;
  g_autoptr(PhOAuthTokens) refreshed = NULL;
  g_autoptr(PhOAuthTokens) reused = NULL;
  g_autoptr(JsonObject) claims = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_true (ph_oauth_client_discover (client, NULL, &error));
  tokens = device_sign_in (client);
  g_assert_nonnull (tokens);
  g_assert_nonnull (tokens->access_token);
  g_assert_nonnull (tokens->refresh_token);
  g_assert_nonnull (tokens->id_token);
  g_assert_cmpint (tokens->expires_at, >, g_get_real_time () / G_USEC_PER_SEC);

  claims = ph_oauth_client_verify_id_token (client, tokens->id_token, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (claims, "sub"), ==, "alice");
  g_assert_cmpstr (json_object_get_string_member (claims, "iss"), ==, issuer);

  /* Refresh rotates the refresh token; the old one, used again, is refused. */
  refreshed = ph_oauth_client_refresh (client, tokens->refresh_token, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (refreshed->refresh_token);
  g_assert_false (ph_secret_equal (refreshed->refresh_token, tokens->refresh_token));
  g_assert_false (ph_secret_equal (refreshed->access_token, tokens->access_token));
  reused = ph_oauth_client_refresh (client, tokens->refresh_token, NULL, &error);
  g_assert_null (reused);
  g_assert_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_PROVIDER);
  g_assert_nonnull (strstr (error->message, "invalid_grant"));
  g_test_message ("reuse refused: %s", error->message);
  g_clear_error (&error);

  /* Revocation (a fresh sign-in: the reuse above may have ended the whole grant). */
  {
    g_autoptr(PhOAuthTokens) again = device_sign_in (client);
    g_autoptr(PhOAuthTokens) after = NULL;

    g_assert_true (ph_oauth_client_revoke (client, again->refresh_token, "refresh_token", NULL, &error));
    g_assert_no_error (error);
    after = ph_oauth_client_refresh (client, again->refresh_token, NULL, &error);
    g_assert_null (after);
    g_assert_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_PROVIDER);
  }
}

static void
test_code_flow_and_attacks (void)
{
  g_autoptr(PhOAuthClient) client = ph_test_oidc_client (issuer);
  g_autoptr(GError) error = NULL;
  g_autofree char *verifier = ph_pkce_new_verifier ();
  g_autofree char *challenge = ph_pkce_challenge_s256 (verifier);
  g_autofree char *state = ph_oauth_random_token ();
  g_autofree char *nonce = ph_oauth_random_token ();
  g_autofree char *url = NULL;
  g_autofree char *out = NULL;
  g_autofree char *code = NULL;
  g_autoptr(PhOAuthTokens) tokens = NULL;
  g_autoptr(JsonObject) claims = NULL;
  const char *redirect;

  g_assert_true (ph_oauth_client_discover (client, NULL, &error));
  url = ph_oauth_authorization_url (ph_oauth_client_get_provider (client), "perihelion", REDIRECT,
                                    "openid email offline_access", state, nonce, challenge, &error);
  g_assert_no_error (error);
  out = run_user (url);
  redirect = strstr (out, "REDIRECT ");
  g_assert_nonnull (redirect);
  redirect += strlen ("REDIRECT ");
  *strchr (redirect, '\n') = '\0';

  /* A response for another request: refused. */
  {
    g_autofree char *none = ph_oauth_parse_redirect (redirect, "another-state", &error);

    g_assert_null (none);
    g_assert_error (error, PH_OIDC_ERROR, PH_OIDC_ERROR_STATE);
    g_clear_error (&error);
  }
  code = ph_oauth_parse_redirect (redirect, state, &error);
  g_assert_no_error (error);

  /* The code without the PKCE verifier it was bound to: refused by the provider. */
  {
    g_autofree char *wrong_verifier = ph_pkce_new_verifier ();
    g_autoptr(PhOAuthTokens) none = ph_oauth_client_exchange_code (client, code, wrong_verifier, REDIRECT, NULL, &error);

    g_assert_null (none);
    g_assert_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_PROVIDER);
    g_clear_error (&error);
  }
  /* That attempt used the code up (codes are single-use): sign in once more for the real one. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&code, g_free);
  g_free (url);
  url = ph_oauth_authorization_url (ph_oauth_client_get_provider (client), "perihelion", REDIRECT,
                                    "openid email offline_access", state, nonce, challenge, &error);
  out = run_user (url);
  redirect = strstr (out, "REDIRECT ") + strlen ("REDIRECT ");
  *strchr (redirect, '\n') = '\0';
  code = ph_oauth_parse_redirect (redirect, state, &error);
  g_assert_no_error (error);
  tokens = ph_oauth_client_exchange_code (client, code, verifier, REDIRECT, NULL, &error);
  g_assert_no_error (error);
  claims = ph_oauth_client_verify_id_token (client, tokens->id_token, nonce, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (claims, "nonce"), ==, nonce);

  /* The same ID token for another request's nonce; with its signature changed; cut short. */
  {
    g_autoptr(JsonObject) none = ph_oauth_client_verify_id_token (client, tokens->id_token, "another-nonce", NULL, &error);
    g_autofree char *tampered = g_strdup (tokens->id_token);
    char *last = tampered + strlen (tampered) - 3;

    g_assert_null (none);
    g_assert_error (error, PH_OIDC_ERROR, PH_OIDC_ERROR_NONCE);
    g_clear_error (&error);
    *last = *last == 'A' ? 'B' : 'A';
    none = ph_oauth_client_verify_id_token (client, tampered, nonce, NULL, &error);
    g_assert_null (none);
    g_assert_error (error, PH_JOSE_ERROR, PH_JOSE_ERROR_SIGNATURE);
    g_clear_error (&error);
  }
  /* The provider's error answer (the person declined) is an error, not a code. */
  {
    g_autofree char *denied = g_strdup_printf ("%s?error=access_denied&error_description=End-User+aborted&state=%s",
                                               REDIRECT, state);
    g_autofree char *none = ph_oauth_parse_redirect (denied, state, &error);

    g_assert_null (none);
    g_assert_error (error, PH_OIDC_ERROR, PH_OIDC_ERROR_REDIRECT);
    g_clear_error (&error);
  }
  /* A redirect to anywhere but this machine is never requested. */
  {
    g_autofree char *none = ph_oauth_authorization_url (ph_oauth_client_get_provider (client), "perihelion",
                                                        "https://attacker.example/cb", "openid", state, nonce,
                                                        challenge, &error);

    g_assert_null (none);
    g_assert_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_REDIRECT);
  }
}

/* perihelion-cli oauth: a device sign-in stored in a vault, a fresh token that works at the
 * provider, a refresh when it expires, and sign-out. */
typedef struct
{
  char *dir;
  char *vault;
  char *pw;
} CliFixture;

static GSubprocess *
cli_spawn (CliFixture  *f,
           GSubprocessFlags flags,
           const char * const *args)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  int fd = open (f->pw, O_RDONLY);
  GSubprocess *process;

  g_assert_cmpint (fd, >=, 0);
  g_subprocess_launcher_take_fd (launcher, fd, 3);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_AUDIT_LOG", f->dir, TRUE);
  {
    g_autofree char *log = g_build_filename (f->dir, "audit.log", NULL);

    g_subprocess_launcher_setenv (launcher, "PERIHELION_AUDIT_LOG", log, TRUE);
  }
  g_ptr_array_add (argv, (gpointer) g_getenv ("PH_CLI_PATH"));
  g_ptr_array_add (argv, (gpointer) "--vault");
  g_ptr_array_add (argv, f->vault);
  g_ptr_array_add (argv, (gpointer) "--password-fd");
  g_ptr_array_add (argv, (gpointer) "3");
  for (guint i = 0; args[i]; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  return process;
}

static char *
cli_run (CliFixture          *f,
         const char * const  *args,
         char               **out_err)
{
  g_autoptr(GSubprocess) process = cli_spawn (f, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, args);
  g_autoptr(GError) error = NULL;
  char *out = NULL, *err = NULL;

  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &out, &err, &error));
  if (!g_subprocess_get_successful (process))
    g_error ("perihelion-cli %s failed: %s", args[0], err);
  if (out_err)
    *out_err = err;
  else
    g_free (err);
  return out;
}

static int
userinfo_status (PhOAuthClient *client,
                 const char    *token)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_GET, ph_oauth_client_get_provider (client)->userinfo_endpoint);
  g_autofree char *bearer = g_strdup_printf ("Bearer %s", token);
  g_autoptr(GBytes) body = NULL;

  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", bearer);
  body = soup_session_send_and_read (session, message, NULL, NULL);
  return soup_message_get_status (message);
}

static void
test_cli (void)
{
  CliFixture f = { g_dir_make_tmp ("perihelion-oauth-XXXXXX", NULL) };
  g_autoptr(PhOAuthClient) client = ph_test_oidc_client (issuer);
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) login = NULL;
  g_autoptr(GDataInputStream) err_lines = NULL;
  g_autofree char *line = NULL;
  g_autofree char *user_out = NULL;
  g_autofree char *name = NULL;
  g_autofree char *list = NULL;
  g_autofree char *token = NULL;
  g_autofree char *token2 = NULL;
  g_autofree char *errors = NULL;
  g_autofree char *empty = NULL;
  char *out = NULL;

  g_assert_true (ph_oauth_client_discover (client, NULL, &error));
  f.vault = g_build_filename (f.dir, "v.phvault", NULL);
  f.pw = g_build_filename (f.dir, "pw", NULL);
  g_assert_true (g_file_set_contents (f.pw, "master\n", -1, NULL));
  vault = ph_test_new_vault (f.vault, "master", NULL);
  g_assert_true (ph_vault_save (vault, &error));
  g_clear_object (&vault);

  /* Sign in: the URL and code on stderr, the person's side played from there. */
  login = cli_spawn (&f, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                     (const char *[]) { "oauth", "login", "--issuer", issuer, "--client-id", "perihelion", "--device",
                                        "--git-host", "git.example.test", NULL });
  err_lines = g_data_input_stream_new (g_subprocess_get_stderr_pipe (login));
  while ((line = g_data_input_stream_read_line_utf8 (err_lines, NULL, NULL, &error)) && !g_str_has_prefix (line, "Open "))
    g_clear_pointer (&line, g_free);
  g_assert_nonnull (line);
  user_out = run_user (line + strlen ("Open "));
  g_assert_nonnull (strstr (user_out, "Sign-in Success"));
  g_assert_true (g_subprocess_communicate_utf8 (login, NULL, NULL, &out, NULL, &error));
  g_assert_true (g_subprocess_get_successful (login));
  name = g_strstrip (out);
  g_assert_cmpstr (name, ==, "oidc:alice@example.org");

  list = cli_run (&f, (const char *[]) { "oauth", "list", "--json", NULL }, NULL);
  g_assert_nonnull (strstr (list, "\"identity\" : \"alice@example.org\""));

  /* A token the provider accepts; never on stderr. */
  token = cli_run (&f, (const char *[]) { "oauth", "token", name, NULL }, &errors);
  g_strstrip (token);
  g_assert_cmpuint (strlen (token), >, 20);
  g_assert_cmpint (userinfo_status (client, token), ==, 200);
  g_assert_null (strstr (errors, token));

  /* Expired: the next token is a refreshed one, and works. */
  vault = ph_test_open_vault (f.vault, "master");
  {
    PhEntry *entry = ph_vault_find (vault, name, &error);

    g_assert_no_error (error);
    ph_entry_set_field (entry, "oauth.expires_at", "1");
    ph_vault_entry_changed (vault, entry);
    g_assert_true (ph_vault_save (vault, &error));
  }
  g_clear_object (&vault);
  token2 = cli_run (&f, (const char *[]) { "oauth", "token", name, NULL }, NULL);
  g_strstrip (token2);
  g_assert_cmpstr (token2, !=, token);
  g_assert_cmpint (userinfo_status (client, token2), ==, 200);

  /* git: `git credential fill` through git-credential-perihelion gets the account's token. */
  {
    g_autofree char *bindir = g_build_filename (f.dir, "bin", NULL);
    g_autofree char *helper = g_build_filename (bindir, "git-credential-perihelion", NULL);
    g_autofree char *helper_option = g_strdup_printf ("credential.helper=perihelion --vault %s --password-fd 3", f.vault);
    g_autofree char *path_env = g_strdup_printf ("%s:%s", bindir, g_getenv ("PATH"));
    g_autoptr(GSubprocessLauncher) launcher =
      g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                 G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_autoptr(GSubprocess) git = NULL;
    g_autofree char *git_out = NULL;
    g_autofree char *git_err = NULL;
    g_autofree char *expected = g_strdup_printf ("password=%s\n", token2);
    gint64 start;

    g_mkdir_with_parents (bindir, 0700);
    g_assert_no_errno (symlink (g_getenv ("PH_CLI_PATH"), helper));
    g_subprocess_launcher_take_fd (launcher, open (f.pw, O_RDONLY), 3);
    g_subprocess_launcher_setenv (launcher, "HOME", f.dir, TRUE);
    g_subprocess_launcher_setenv (launcher, "PATH", path_env, TRUE);
    g_subprocess_launcher_setenv (launcher, "GIT_CONFIG_NOSYSTEM", "1", TRUE);
    g_subprocess_launcher_setenv (launcher, "GIT_TERMINAL_PROMPT", "0", TRUE);
    start = g_get_monotonic_time ();
    git = g_subprocess_launcher_spawn (launcher, &error, "git", "-c", "credential.helper=", "-c", helper_option,
                                       "credential", "fill", NULL);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_communicate_utf8 (git, "protocol=https\nhost=git.example.test\n\n", NULL, &git_out,
                                                  &git_err, &error));
    g_test_message ("git credential fill: %.1f ms", (g_get_monotonic_time () - start) / 1000.0);
    g_assert_true (g_subprocess_get_successful (git));
    g_assert_nonnull (strstr (git_out, "username=oauth2\n"));
    g_assert_nonnull (strstr (git_out, expected));
  }

  /* Through the agent: it refreshes (in a thread) and hands out only the access token. */
  {
    GTestDBus *bus = g_test_dbus_new (G_TEST_DBUS_NONE);
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autoptr(GSubprocess) agent = NULL;
    g_autoptr(GSubprocess) cli = NULL;
    g_autoptr(GDBusConnection) connection = NULL;
    g_autofree char *token3 = NULL;
    g_autofree char *cli_err = NULL;
    g_autofree char *log = g_build_filename (f.dir, "audit.log", NULL);
    gboolean owned = FALSE;

    vault = ph_test_open_vault (f.vault, "master");
    {
      PhEntry *entry = ph_vault_find (vault, name, &error);

      g_assert_no_error (error);
      ph_entry_set_field (entry, "oauth.expires_at", "1");
      ph_vault_entry_changed (vault, entry);
      g_assert_true (ph_vault_save (vault, &error));
    }
    g_clear_object (&vault);

    g_test_dbus_up (bus);
    /* After g_test_dbus_up(): a launcher copies the environment, and with it the bus address. */
    launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
    g_subprocess_launcher_set_stdin_file_path (launcher, f.pw);
    g_subprocess_launcher_setenv (launcher, "PERIHELION_AGENT_NO_WINDOWS", "1", TRUE);
    g_subprocess_launcher_setenv (launcher, "PERIHELION_TRUSTED_CLI", g_getenv ("PH_CLI_PATH"), TRUE);
    g_subprocess_launcher_setenv (launcher, "PERIHELION_AUDIT_LOG", log, TRUE);
    agent = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PH_AGENT_PATH"), "--vault", f.vault,
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

    cli = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE, &error,
                            g_getenv ("PH_CLI_PATH"), "oauth", "token", name, NULL);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_communicate_utf8 (cli, NULL, NULL, &token3, &cli_err, &error));
    if (!g_subprocess_get_successful (cli))
      g_error ("oauth token through the agent: %s", cli_err);
    g_strstrip (token3);
    g_assert_cmpstr (token3, !=, token2);
    g_assert_cmpint (userinfo_status (client, token3), ==, 200);
    g_free (token2);
    token2 = g_strdup (token3);

    g_subprocess_send_signal (agent, SIGTERM);
    g_subprocess_wait (agent, NULL, NULL);
    g_clear_object (&connection);
    g_test_dbus_down (bus);
    g_object_unref (bus);
  }

  /* Sign out: revoked at the provider, gone from the vault. */
  g_free (cli_run (&f, (const char *[]) { "oauth", "logout", name, NULL }, NULL));
  empty = cli_run (&f, (const char *[]) { "oauth", "list", "--json", NULL }, NULL);
  g_assert_null (strstr (empty, "alice"));
  g_assert_cmpint (userinfo_status (client, token2), ==, 401);

  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", f.dir);

    (void) system (cmd);
  }
  g_free (f.dir);
  g_free (f.vault);
  g_free (f.pw);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  if (!(provider_process = ph_test_start_oidc_provider (&issuer)))
    {
      g_test_skip ("node and npm oidc-provider are needed (build-aux/dev test installs them)");
      return g_test_run ();
    }
  g_test_add_func ("/oauth/peer/discovery", test_discovery);
  g_test_add_func ("/oauth/peer/device-flow-refresh-revoke", test_device_flow_refresh_revoke);
  g_test_add_func ("/oauth/peer/code-flow-and-attacks", test_code_flow_and_attacks);
  g_test_add_func ("/oauth/peer/cli", test_cli);
  status = g_test_run ();
  ph_test_stop_oidc_provider (provider_process);
  g_free (issuer);
  return status;
}
