/* test-oidc-peer.c: the OAuth client against a real OpenID Connect provider (npm oidc-provider,
 * OpenID-certified) on 127.0.0.1, with the person's side (confirm the code, log in, consent)
 * played by play-user.js over real HTTP. Discovery, JWKS and ID token verification; the device
 * flow; the authorization code flow with PKCE; refresh with rotation and the reuse of an old
 * refresh token refused; revocation; and the answers a client must refuse.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ph-jose.h"
#include "ph-oauth-client.h"
#include "ph-oidc.h"

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

static PhOAuthClient *
new_client (const char *for_issuer)
{
  g_autoptr(PhOAuthCatalog) catalog = ph_oauth_catalog_load_default (NULL);
  g_autoptr(GHashTable) params = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  PhOAuthProvider *provider;

  g_hash_table_insert (params, (gpointer) "issuer", (gpointer) for_issuer);
  provider = ph_oauth_catalog_resolve (catalog, "oidc", params, &error);
  g_assert_no_error (error);
  return ph_oauth_client_new (provider, "perihelion");
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
  g_autoptr(PhOAuthClient) client = new_client (issuer);
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
  impostor = new_client (other);
  g_assert_false (ph_oauth_client_discover (impostor, NULL, &error));
  g_assert_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_DISCOVERY);
  g_test_message ("refused: %s", error->message);
}

static void
test_device_flow_refresh_revoke (void)
{
  g_autoptr(PhOAuthClient) client = new_client (issuer);
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
  g_autoptr(PhOAuthClient) client = new_client (issuer);
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

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *script = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("NODE_PATH") == NULL || !g_find_program_in_path ("node"))
    {
      g_test_skip ("node and npm oidc-provider are needed (build-aux/dev test installs them)");
      return g_test_run ();
    }
  script = g_build_filename (g_getenv ("PH_OAUTH_TEST_DIR"), "oidc-provider.js", NULL);
  provider_process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                                       "node", script, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (provider_process));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (line && g_str_has_prefix (line, "READY "));
  issuer = g_strdup_printf ("http://127.0.0.1:%s", line + strlen ("READY "));

  g_test_add_func ("/oauth/peer/discovery", test_discovery);
  g_test_add_func ("/oauth/peer/device-flow-refresh-revoke", test_device_flow_refresh_revoke);
  g_test_add_func ("/oauth/peer/code-flow-and-attacks", test_code_flow_and_attacks);
  status = g_test_run ();
  g_subprocess_send_signal (provider_process, SIGTERM);
  g_subprocess_wait (provider_process, NULL, NULL);
  g_object_unref (provider_process);
  g_free (issuer);
  return status;
}
