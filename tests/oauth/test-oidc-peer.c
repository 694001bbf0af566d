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

/* Whose token it is, as the provider says. */
static char *
userinfo_email (PhOAuthClient *client,
                const char    *token)
{
  g_autoptr(PhSecret) secret = ph_secret_new_from_data ((const guint8 *) token, strlen (token));
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) claims = ph_oauth_client_userinfo (client, secret, NULL, NULL, &error);

  g_assert_no_error (error);
  return g_strdup (json_object_get_string_member (claims, "email"));
}

/* A "browser" for GIO: a desktop file that hands http URLs to play-user.js --follow, made the
 * default handler in private XDG directories. g_app_info_launch_default_for_uri() finds it the
 * way it finds Firefox on a desktop. */
static void
install_play_browser (const char *dir)
{
  g_autofree char *apps = g_build_filename (dir, "data", "applications", NULL);
  g_autofree char *config = g_build_filename (dir, "config", NULL);
  g_autofree char *desktop = g_build_filename (apps, "play-browser.desktop", NULL);
  g_autofree char *mimeapps = g_build_filename (config, "mimeapps.list", NULL);
  g_autofree char *script = g_build_filename (g_getenv ("PH_OAUTH_TEST_DIR"), "play-user.js", NULL);
  g_autofree char *node = g_find_program_in_path ("node");
  g_autofree char *entry = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Play Browser\n"
                                            "Exec=%s %s --follow %%u\nMimeType=x-scheme-handler/http;\n",
                                            node, script);

  g_assert_no_errno (g_mkdir_with_parents (apps, 0700));
  g_assert_no_errno (g_mkdir_with_parents (config, 0700));
  g_assert_true (g_file_set_contents (desktop, entry, -1, NULL));
  g_assert_true (g_file_set_contents (mimeapps, "[Default Applications]\nx-scheme-handler/http=play-browser.desktop\n",
                                      -1, NULL));
}

/* The git-credential-perihelion program beside the CLI. */
static char *
git_helper_path (void)
{
  g_autofree char *dir = g_path_get_dirname (g_getenv ("PH_CLI_PATH"));

  return g_build_filename (dir, "git-credential-perihelion", NULL);
}

/* `git credential fill` with git-credential-perihelion as the helper (PATH holds a link to the
 * CLI under that name): @helper_args after "perihelion"; @password_file (or NULL) as fd 3;
 * @bus_address (or NULL): the session bus where an agent answers. */
static char *
git_fill_with (const char  *dir,
               const char  *helper_args,
               const char  *password_file,
               const char  *bus_address,
               const char  *request,
               char       **out_username)
{
  g_autofree char *bindir = g_build_filename (dir, "bin", NULL);
  g_autofree char *helper = g_build_filename (bindir, "git-credential-perihelion", NULL);
  g_autofree char *helper_option = g_strdup_printf ("credential.helper=perihelion%s", helper_args);
  g_autofree char *path_env = g_strdup_printf ("%s:%s", bindir, g_getenv ("PATH"));
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) git = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *git_out = NULL;
  g_autofree char *git_err = NULL;
  const char *password, *username;
  gint64 start;

  g_mkdir_with_parents (bindir, 0700);
  if (!g_file_test (helper, G_FILE_TEST_IS_SYMLINK))
    {
      g_autofree char *real_helper = git_helper_path ();

      g_assert_no_errno (symlink (real_helper, helper));
    }
  if (password_file)
    g_subprocess_launcher_take_fd (launcher, open (password_file, O_RDONLY), 3);
  if (bus_address)
    g_subprocess_launcher_setenv (launcher, "DBUS_SESSION_BUS_ADDRESS", bus_address, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "DBUS_SESSION_BUS_ADDRESS");
  g_subprocess_launcher_setenv (launcher, "HOME", dir, TRUE);
  g_subprocess_launcher_setenv (launcher, "PATH", path_env, TRUE);
  g_subprocess_launcher_setenv (launcher, "GIT_CONFIG_NOSYSTEM", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "GIT_TERMINAL_PROMPT", "0", TRUE);
  start = g_get_monotonic_time ();
  git = g_subprocess_launcher_spawn (launcher, &error, "git", "-c", "credential.helper=", "-c", helper_option,
                                     "-c", "credential.useHttpPath=true", "credential", "fill", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (git, request, NULL, &git_out, &git_err, &error));
  g_test_message ("git credential fill%s: %.1f ms", bus_address ? " (through the agent)" : "",
                  (g_get_monotonic_time () - start) / 1000.0);
  if (!g_subprocess_get_successful (git))
    g_error ("git credential fill: %s", git_err);
  g_assert_nonnull ((username = strstr (git_out, "username=")));
  g_assert_nonnull ((password = strstr (git_out, "password=")));
  *out_username = g_strndup (username + 9, strcspn (username + 9, "\n"));
  return g_strndup (password + 9, strcspn (password + 9, "\n"));
}

static char *
git_fill (CliFixture *f,
          const char *request,
          char      **out_username)
{
  g_autofree char *args = g_strdup_printf (" --vault %s --password-fd 3", f->vault);

  return git_fill_with (f->dir, args, f->pw, NULL, request, out_username);
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
    g_autofree char *git_user = NULL;
    g_autofree char *git_token = git_fill (&f, "protocol=https\nhost=git.example.test\n\n", &git_user);

    g_assert_cmpstr (git_user, ==, "oauth2");
    g_assert_cmpstr (git_token, ==, token2);
  }

  /* A second account on the same host, signed in in the browser (the code flow, the redirect to
   * the CLI's loopback listener), as bob, for the repositories under acme/. */
  {
    g_autoptr(GSubprocessLauncher) launcher = NULL;
    g_autoptr(GSubprocess) browser_login = NULL;
    g_autofree char *xdg_data = g_build_filename (f.dir, "data", NULL);
    g_autofree char *xdg_config = g_build_filename (f.dir, "config", NULL);
    g_autofree char *login_out = NULL;
    g_autofree char *login_err = NULL;
    g_autofree char *git_user = NULL;
    g_autofree char *acme_token = NULL;
    g_autofree char *other_token = NULL;
    g_autofree char *named_token = NULL;
    g_autofree char *email = NULL;
    g_autofree char *log = g_build_filename (f.dir, "audit.log", NULL);
    const char *args[] = { g_getenv ("PH_CLI_PATH"), "--vault", f.vault, "--password-fd", "3", "oauth", "login",
                           "--issuer", issuer, "--client-id", "perihelion", "--name", "work", "--git-host",
                           "git.example.test", "--git-path", "acme/", NULL };

    install_play_browser (f.dir);
    launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
    g_subprocess_launcher_take_fd (launcher, open (f.pw, O_RDONLY), 3);
    g_subprocess_launcher_setenv (launcher, "PERIHELION_AUDIT_LOG", log, TRUE);
    g_subprocess_launcher_setenv (launcher, "XDG_DATA_HOME", xdg_data, TRUE);
    g_subprocess_launcher_setenv (launcher, "XDG_CONFIG_HOME", xdg_config, TRUE);
    g_subprocess_launcher_setenv (launcher, "PLAY_USER_LOGIN", "bob", TRUE);
    browser_login = g_subprocess_launcher_spawnv (launcher, args, &error);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_communicate_utf8 (browser_login, NULL, NULL, &login_out, &login_err, &error));
    if (!g_subprocess_get_successful (browser_login))
      g_error ("oauth login in the browser (wait status %d): %s", g_subprocess_get_status (browser_login), login_err);
    g_assert_cmpstr (g_strstrip (login_out), ==, "work");
    g_assert_null (strstr (login_err, "No browser"));

    /* The repositories under acme/ get bob's token, the others alice's; a user name in the
     * remote's URL picks the account of that identity. */
    acme_token = git_fill (&f, "protocol=https\nhost=git.example.test\npath=acme/tool.git\n\n", &git_user);
    email = userinfo_email (client, acme_token);
    g_assert_cmpstr (email, ==, "bob@example.org");
    g_free (git_user);
    other_token = git_fill (&f, "protocol=https\nhost=git.example.test\npath=other/tool.git\n\n", &git_user);
    g_assert_cmpstr (other_token, ==, token2);
    g_free (git_user);
    g_free (email);
    named_token = git_fill (&f, "protocol=https\nhost=git.example.test\nusername=bob@example.org\npath=x/y.git\n\n",
                            &git_user);
    email = userinfo_email (client, named_token);
    g_assert_cmpstr (email, ==, "bob@example.org");
    g_free (cli_run (&f, (const char *[]) { "oauth", "logout", "work", NULL }, NULL));
    g_assert_cmpint (userinfo_status (client, acme_token), ==, 401);
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

/* The app's sign-in through the agent: BeginOAuthSignIn keeps the PKCE verifier, state and
 * nonce in the agent, CompleteOAuthSignIn takes the redirect. This test is the app (the agent
 * trusts its executable as the GUI); play-user.js is the person at the page. */
typedef struct
{
  GTestDBus *bus;
  GSubprocess *agent;
  GDBusConnection *connection;
} AgentPeer;

static void
agent_peer_start (AgentPeer  *peer,
                  const char *vault_path,
                  const char *pw_path,
                  const char *log_path)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *git_helper = git_helper_path ();
  g_autofree char *trusted_cli = g_strconcat (g_getenv ("PH_CLI_PATH"), ":", git_helper, NULL);
  gboolean owned = FALSE;

  peer->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (peer->bus);
  /* After g_test_dbus_up(): a launcher copies the environment, and with it the bus address. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE);
  g_subprocess_launcher_set_stdin_file_path (launcher, pw_path);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_AGENT_NO_WINDOWS", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_TRUSTED_CLI", trusted_cli, TRUE);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_TRUSTED_GUI", self_exe, TRUE);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_AUDIT_LOG", log_path, TRUE);
  peer->agent = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PH_AGENT_PATH"), "--vault", vault_path,
                                             "--password-fd", "0", "--no-tray", "--idle-timeout", "0", NULL);
  g_assert_no_error (error);
  peer->connection = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (peer->bus),
                                                             G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                             G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                             NULL, NULL, &error);
  g_assert_no_error (error);
  for (int i = 0; i < 200 && !owned; i++)
    {
      g_autoptr(GVariant) reply = g_dbus_connection_call_sync (peer->connection, "org.freedesktop.DBus",
                                                               "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                                               "NameHasOwner", g_variant_new ("(s)", "org.perihelion.Agent"),
                                                               G_VARIANT_TYPE ("(b)"), G_DBUS_CALL_FLAGS_NONE, -1,
                                                               NULL, NULL);

      if (reply)
        g_variant_get (reply, "(b)", &owned);
      if (!owned)
        g_usleep (50 * 1000);
    }
  g_assert_true (owned);
  g_usleep (300 * 1000);   /* the unlock with --password-fd happens as it starts */
}

static void
agent_peer_stop (AgentPeer *peer)
{
  g_subprocess_send_signal (peer->agent, SIGTERM);
  g_subprocess_wait (peer->agent, NULL, NULL);
  g_clear_object (&peer->agent);
  g_clear_object (&peer->connection);
  g_test_dbus_down (peer->bus);
  g_clear_object (&peer->bus);
}

static GVariant *
agent_call (GDBusConnection  *connection,
            const char       *method,
            GVariant         *args,
            const char       *reply_type,
            GError          **error)
{
  return g_dbus_connection_call_sync (connection, "org.perihelion.Agent", "/org/perihelion/Agent",
                                      "org.perihelion.Agent1", method, args,
                                      reply_type ? G_VARIANT_TYPE (reply_type) : NULL, G_DBUS_CALL_FLAGS_NONE, 30000,
                                      NULL, error);
}

static void
assert_remote_error (const GError *error,
                     const char   *name)
{
  g_autofree char *remote = NULL;

  g_assert_nonnull (error);
  remote = g_dbus_error_get_remote_error (error);
  g_assert_cmpstr (remote, ==, name);
}

/* Begins a sign-in and plays the person: the handle, and the redirect the page ended with. */
static char *
agent_begin (GDBusConnection *connection,
             GVariant        *options,
             char           **out_redirect)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = agent_call (connection, "BeginOAuthSignIn",
                                          g_variant_new ("(s@a{ss}s)", "oidc", options, REDIRECT), "(ss)", &error);
  g_autofree char *out = NULL;
  const char *handle, *url;
  char *redirect;

  g_assert_no_error (error);
  g_variant_get (reply, "(&s&s)", &handle, &url);
  g_assert_true (g_str_has_prefix (url, issuer));
  g_assert_nonnull (strstr (url, "code_challenge_method=S256"));
  out = run_user (url);
  g_assert_nonnull ((redirect = strstr (out, "REDIRECT ")));
  redirect += strlen ("REDIRECT ");
  *strchr (redirect, '\n') = '\0';
  *out_redirect = g_strdup (redirect);
  return g_strdup (handle);
}

static GVariant *
sign_in_options (void)
{
  GVariantBuilder builder;

  g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
  g_variant_builder_add (&builder, "{ss}", "client_id", "perihelion");
  g_variant_builder_add (&builder, "{ss}", "issuer", issuer);
  g_variant_builder_add (&builder, "{ss}", "name", "company");
  g_variant_builder_add (&builder, "{ss}", "git_host", "git.company.test");
  return g_variant_builder_end (&builder);
}

static char *
agent_token (GDBusConnection *connection,
             const char      *account)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) reply = agent_call (connection, "GetOAuthToken", g_variant_new ("(s)", account), "(ayx)", &error);
  g_autoptr(GVariant) bytes = NULL;
  gsize len;
  const char *data;

  g_assert_no_error (error);
  bytes = g_variant_get_child_value (reply, 0);
  data = g_variant_get_fixed_array (bytes, &len, 1);
  return g_strndup (data, len);
}

static void
test_agent_sign_in (void)
{
  g_autofree char *dir = g_dir_make_tmp ("perihelion-oauth-agent-XXXXXX", NULL);
  g_autofree char *vault_path = g_build_filename (dir, "v.phvault", NULL);
  g_autofree char *pw = g_build_filename (dir, "pw", NULL);
  g_autofree char *log = g_build_filename (dir, "audit.log", NULL);
  g_autoptr(PhOAuthClient) client = ph_test_oidc_client (issuer);
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) stranger = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *redirect = NULL;
  g_autofree char *account = NULL;
  g_autofree char *token = NULL;
  g_autofree char *token2 = NULL;
  g_autofree char *audit = NULL;
  AgentPeer peer = { NULL };

  g_assert_true (ph_oauth_client_discover (client, NULL, &error));
  g_assert_true (g_file_set_contents (pw, "master\n", -1, NULL));
  vault = ph_test_new_vault (vault_path, "master", NULL);
  g_assert_true (ph_vault_save (vault, &error));
  g_clear_object (&vault);
  agent_peer_start (&peer, vault_path, pw, log);
  stranger = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (peer.bus),
                                                     G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                     G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                     NULL, NULL, &error);
  g_assert_no_error (error);

  /* A redirect anywhere but this machine: refused before the provider is asked. */
  {
    g_autoptr(GVariant) none = agent_call (peer.connection, "BeginOAuthSignIn",
                                           g_variant_new ("(s@a{ss}s)", "oidc", sign_in_options (),
                                                          "https://attacker.example/cb"), "(ss)", &error);

    g_assert_null (none);
    g_assert_true (g_dbus_error_is_remote_error (error));
    assert_remote_error (error, "org.freedesktop.DBus.Error.InvalidArgs");
    g_clear_error (&error);
  }

  /* Another connection cannot complete this caller's sign-in; a forged state fails it, stores
   * nothing, and uses it up. */
  handle = agent_begin (peer.connection, sign_in_options (), &redirect);
  {
    g_autoptr(GVariant) none = agent_call (stranger, "CompleteOAuthSignIn", g_variant_new ("(ss)", handle, redirect),
                                           "(s)", &error);
    g_autofree char *forged = NULL;
    char *state = strstr (redirect, "state=");

    g_assert_null (none);
    assert_remote_error (error, "org.perihelion.Agent1.Error.NotFound");
    g_clear_error (&error);
    g_assert_nonnull (state);
    forged = g_strdup (redirect);
    forged[state - redirect + strlen ("state=")] ^= 1;
    none = agent_call (peer.connection, "CompleteOAuthSignIn", g_variant_new ("(ss)", handle, forged), "(s)", &error);
    g_assert_null (none);
    assert_remote_error (error, "org.perihelion.Agent1.Error.SignInFailed");
    g_clear_error (&error);
    none = agent_call (peer.connection, "CompleteOAuthSignIn", g_variant_new ("(ss)", handle, redirect), "(s)", &error);
    g_assert_null (none);
    assert_remote_error (error, "org.perihelion.Agent1.Error.NotFound");
    g_clear_error (&error);
    none = agent_call (peer.connection, "GetOAuthToken", g_variant_new ("(s)", "company"), "(ayx)", &error);
    g_assert_null (none);
    assert_remote_error (error, "org.perihelion.Agent1.Error.NotFound");
    g_clear_error (&error);
  }
  /* The provider's refusal (the person declined) is a failed sign-in too. */
  g_clear_pointer (&handle, g_free);
  g_clear_pointer (&redirect, g_free);
  handle = agent_begin (peer.connection, sign_in_options (), &redirect);
  {
    g_autofree char *state = g_strdup (strstr (redirect, "state=") + strlen ("state="));
    g_autofree char *declined = NULL;
    g_autoptr(GVariant) none = NULL;

    state[strcspn (state, "&")] = '\0';
    declined = g_strdup_printf ("%s?error=access_denied&state=%s", REDIRECT, state);
    none = agent_call (peer.connection, "CompleteOAuthSignIn", g_variant_new ("(ss)", handle, declined), "(s)", &error);
    g_assert_null (none);
    assert_remote_error (error, "org.perihelion.Agent1.Error.SignInFailed");
    g_assert_nonnull (strstr (error->message, "access_denied"));
    g_clear_error (&error);
  }

  /* The real one: an account whose token the provider accepts. */
  g_clear_pointer (&handle, g_free);
  g_clear_pointer (&redirect, g_free);
  handle = agent_begin (peer.connection, sign_in_options (), &redirect);
  {
    g_autoptr(GVariant) reply = agent_call (peer.connection, "CompleteOAuthSignIn",
                                            g_variant_new ("(ss)", handle, redirect), "(s)", &error);

    g_assert_no_error (error);
    g_variant_get (reply, "(s)", &account);
  }
  token = agent_token (peer.connection, "company");
  g_assert_cmpint (userinfo_status (client, token), ==, 200);

  /* git through the agent: the helper has no --vault and unlocks nothing; the agent answers
   * with the account's token, and refreshes it first when it has expired. */
  {
    g_autofree char *git_user = NULL;
    g_autofree char *git_token = git_fill_with (dir, "", NULL, g_test_dbus_get_bus_address (peer.bus),
                                                "protocol=https\nhost=git.company.test\n\n", &git_user);

    g_assert_cmpstr (git_user, ==, "oauth2");
    g_assert_cmpstr (git_token, ==, token);
  }

  /* Signing in again keeps the account (same id), with new tokens. */
  g_clear_pointer (&handle, g_free);
  g_clear_pointer (&redirect, g_free);
  {
    GVariantBuilder builder;
    g_autoptr(GVariant) reply = NULL;
    const char *again;

    g_variant_builder_init (&builder, G_VARIANT_TYPE ("a{ss}"));
    g_variant_builder_add (&builder, "{ss}", "account", account);
    handle = agent_begin (peer.connection, g_variant_builder_end (&builder), &redirect);
    reply = agent_call (peer.connection, "CompleteOAuthSignIn", g_variant_new ("(ss)", handle, redirect), "(s)", &error);
    g_assert_no_error (error);
    g_variant_get (reply, "(&s)", &again);
    g_assert_cmpstr (again, ==, account);
  }
  token2 = agent_token (peer.connection, account);
  g_assert_cmpstr (token2, !=, token);
  g_assert_cmpint (userinfo_status (client, token2), ==, 200);

  /* Sign out: revoked at the provider, gone from the vault. */
  g_variant_unref (agent_call (peer.connection, "SignOutOAuthAccount", g_variant_new ("(s)", account), "()", &error));
  g_assert_no_error (error);
  g_assert_cmpint (userinfo_status (client, token2), ==, 401);
  g_assert_null (agent_call (peer.connection, "GetOAuthToken", g_variant_new ("(s)", account), "(ayx)", &error));
  assert_remote_error (error, "org.perihelion.Agent1.Error.NotFound");
  g_clear_error (&error);

  agent_peer_stop (&peer);
  /* The audit log saw it all, and never a token. */
  g_assert_true (g_file_get_contents (log, &audit, NULL, NULL));
  g_assert_null (strstr (audit, token));
  g_assert_null (strstr (audit, token2));
  g_assert_nonnull (strstr (audit, "\"delete\""));
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);

    (void) system (cmd);
  }
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
  g_test_add_func ("/oauth/peer/agent-sign-in", test_agent_sign_in);
  status = g_test_run ();
  ph_test_stop_oidc_provider (provider_process);
  g_free (issuer);
  return status;
}
