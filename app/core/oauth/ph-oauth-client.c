/* ph-oauth-client.c: talking to an OAuth 2.0 / OpenID Connect provider: discovery, keys, the
 * device flow (RFC 8628), the code exchange with PKCE (RFC 6749, 7636), refresh with rotation,
 * and revocation (RFC 7009), over libsoup 3.
 *
 * Token responses are parsed straight into guarded memory (PhSecret); the response body is wiped
 * after parsing. The client is public (a native app: no client secret, PKCE instead), so every
 * request carries client_id. ID tokens are verified with the provider's JWKS (ph-jose.c), which
 * is fetched again once when a token names a key the cached set lacks (key rotation).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <libsoup/soup.h>
#include <glib/gi18n.h>

#include "ph-jose.h"
#include "ph-oauth-client.h"
#include "ph-oidc.h"

struct _PhOAuthClient
{
  PhOAuthProvider *provider;
  char *client_id;
  char *jwks_uri;
  JsonNode *jwks;
  SoupSession *session;
};

PhOAuthClient *
ph_oauth_client_new (PhOAuthProvider *provider,
                     const char      *client_id)
{
  PhOAuthClient *self = g_new0 (PhOAuthClient, 1);

  self->provider = provider;
  self->client_id = g_strdup (client_id);
  return self;
}

void
ph_oauth_client_free (PhOAuthClient *self)
{
  if (self == NULL)
    return;
  ph_oauth_provider_free (self->provider);
  g_free (self->client_id);
  g_free (self->jwks_uri);
  if (self->jwks)
    json_node_unref (self->jwks);
  g_clear_object (&self->session);
  g_free (self);
}

/* The HTTP session, made on first use: a client that only describes an account (which git
 * host, which user name) never pays for one. */
static SoupSession *
session (PhOAuthClient *self)
{
  if (self->session == NULL)
    self->session = soup_session_new_with_options ("timeout", 30, "user-agent", "Perihelion/" PACKAGE_VERSION, NULL);
  return self->session;
}

PhOAuthProvider *
ph_oauth_client_get_provider (PhOAuthClient *self)
{
  return self->provider;
}

const char *
ph_oauth_client_get_client_id (PhOAuthClient *self)
{
  return self->client_id;
}

void
ph_oauth_tokens_free (PhOAuthTokens *tokens)
{
  if (tokens == NULL)
    return;
  g_clear_pointer (&tokens->access_token, ph_secret_unref);
  g_clear_pointer (&tokens->refresh_token, ph_secret_unref);
  g_free (tokens->id_token);
  g_free (tokens->token_type);
  g_free (tokens->scope);
  g_free (tokens);
}

void
ph_device_authorization_free (PhDeviceAuthorization *authorization)
{
  if (authorization == NULL)
    return;
  g_free (authorization->device_code);
  g_free (authorization->user_code);
  g_free (authorization->verification_uri);
  g_free (authorization->verification_uri_complete);
  g_free (authorization);
}

/* One request; the answer as JSON. An OAuth error response becomes a GError; @out_status tells
 * the caller the HTTP status for flows that read error codes themselves (device polling). */
static JsonObject *
send (PhOAuthClient  *self,
      SoupMessage    *message,
      char          **out_oauth_error,
      GCancellable   *cancellable,
      GError        **error)
{
  g_autoptr(GBytes) body = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;
  JsonObject *object = NULL;
  const char *oauth_error;
  guint status;
  gsize size = 0;
  const char *data;

  soup_message_headers_replace (soup_message_get_request_headers (message), "Accept", "application/json");
  if (!(body = soup_session_send_and_read (session (self), message, cancellable, &local_error)))
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_HTTP, _("%s could not be reached: %s"),
                   self->provider->name, local_error->message);
      return NULL;
    }
  status = soup_message_get_status (message);
  data = g_bytes_get_data (body, &size);
  if (!json_parser_load_from_data (parser, data ? data : "", size, NULL) ||
      !(root = json_parser_get_root (parser)) || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_HTTP, _("%s answered with HTTP %u and no JSON"),
                   self->provider->name, status);
      sodium_memzero ((gpointer) data, size);
      return NULL;
    }
  /* The body may hold tokens: they are copied out by the caller, and this copy wiped now. */
  sodium_memzero ((gpointer) data, size);
  object = json_object_ref (json_node_get_object (root));
  oauth_error = json_object_get_string_member_with_default (object, "error", NULL);
  if (oauth_error || status >= 400)
    {
      const char *description = json_object_get_string_member_with_default (object, "error_description", NULL);

      if (out_oauth_error)
        *out_oauth_error = g_strdup (oauth_error ? oauth_error : "http_error");
      g_set_error (error, PH_OAUTH_ERROR,
                   g_strcmp0 (oauth_error, "access_denied") == 0 ? PH_OAUTH_ERROR_DENIED : PH_OAUTH_ERROR_PROVIDER,
                   _("%s refused: %s%s%s"), self->provider->name, oauth_error ? oauth_error : "HTTP error",
                   description ? ": " : "", description ? description : "");
      json_object_unref (object);
      return NULL;
    }
  return object;
}

static JsonObject *
get_json (PhOAuthClient  *self,
          const char     *url,
          GCancellable   *cancellable,
          GError        **error)
{
  g_autoptr(SoupMessage) message = soup_message_new (SOUP_METHOD_GET, url);

  if (message == NULL)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_ENDPOINT, _("Not a URL: %s"), url);
      return NULL;
    }
  return send (self, message, NULL, cancellable, error);
}

static JsonObject *
post_form (PhOAuthClient  *self,
           const char     *url,
           GHashTable     *form,
           char          **out_oauth_error,
           GCancellable   *cancellable,
           GError        **error)
{
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *encoded = NULL;
  JsonObject *result;

  if (url == NULL)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_ENDPOINT, _("%s has no endpoint for this"), self->provider->name);
      return NULL;
    }
  g_hash_table_insert (form, (gpointer) "client_id", self->client_id);
  encoded = soup_form_encode_hash (form);
  message = soup_message_new_from_encoded_form (SOUP_METHOD_POST, url, g_steal_pointer (&encoded));
  if (message == NULL)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_ENDPOINT, _("Not a URL: %s"), url);
      return NULL;
    }
  result = send (self, message, out_oauth_error, cancellable, error);
  return result;
}

static void
replace (char       **field,
         const char  *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

/**
 * ph_oauth_client_discover:
 *
 * Fetches the issuer's discovery document. Its "issuer" must equal the issuer exactly (OpenID
 * Connect Discovery §4.3: otherwise a document could send the client to another provider), and
 * every endpoint must be https (or http to this machine).
 */
gboolean
ph_oauth_client_discover (PhOAuthClient  *self,
                          GCancellable   *cancellable,
                          GError        **error)
{
  g_autofree char *url = NULL;
  g_autoptr(JsonObject) doc = NULL;
  const struct
  {
    const char *member;
    char **field;
  } endpoints[] = {
    { "authorization_endpoint", &self->provider->authorization_endpoint },
    { "token_endpoint", &self->provider->token_endpoint },
    { "device_authorization_endpoint", &self->provider->device_authorization_endpoint },
    { "revocation_endpoint", &self->provider->revocation_endpoint },
    { "userinfo_endpoint", &self->provider->userinfo_endpoint },
    { "jwks_uri", &self->jwks_uri },
  };

  if (self->provider->issuer == NULL)
    return TRUE;   /* plain OAuth 2.0: the catalog has the endpoints */
  url = ph_oidc_discovery_url (self->provider->issuer);
  if (!(doc = get_json (self, url, cancellable, error)))
    return FALSE;
  if (g_strcmp0 (json_object_get_string_member_with_default (doc, "issuer", NULL), self->provider->issuer) != 0)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_DISCOVERY,
                   _("The discovery document at %s is for issuer “%s”, not “%s”"), url,
                   json_object_get_string_member_with_default (doc, "issuer", ""), self->provider->issuer);
      return FALSE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (endpoints); i++)
    {
      const char *value = json_object_get_string_member_with_default (doc, endpoints[i].member, NULL);

      if (value == NULL)
        continue;
      if (!ph_oauth_redirect_is_loopback (value) && !g_str_has_prefix (value, "https://"))
        {
          g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_DISCOVERY, _("The %s “%s” is not https"),
                       endpoints[i].member, value);
          return FALSE;
        }
      replace (endpoints[i].field, value);
    }
  if (self->jwks_uri == NULL || self->provider->token_endpoint == NULL)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_DISCOVERY,
                   _("The discovery document at %s lacks jwks_uri or token_endpoint"), url);
      return FALSE;
    }
  return TRUE;
}

JsonNode *
ph_oauth_client_get_jwks (PhOAuthClient  *self,
                          gboolean        refresh,
                          GCancellable   *cancellable,
                          GError        **error)
{
  g_autoptr(JsonObject) keys = NULL;

  if (self->jwks && !refresh)
    return self->jwks;
  if (self->jwks_uri == NULL && !ph_oauth_client_discover (self, cancellable, error))
    return NULL;
  if (self->jwks_uri == NULL)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_DISCOVERY, _("%s publishes no keys"), self->provider->name);
      return NULL;
    }
  if (!(keys = get_json (self, self->jwks_uri, cancellable, error)))
    return NULL;
  if (self->jwks)
    json_node_unref (self->jwks);
  self->jwks = json_node_init_object (json_node_alloc (), keys);
  return self->jwks;
}

static PhSecret *
secret_member (JsonObject *object,
               const char *name)
{
  const char *value = json_object_get_string_member_with_default (object, name, NULL);

  return value && *value ? ph_secret_new_from_data ((const guint8 *) value, strlen (value)) : NULL;
}

static PhOAuthTokens *
tokens_from_response (PhOAuthClient  *self,
                      JsonObject     *response,
                      GError        **error)
{
  PhOAuthTokens *tokens = g_new0 (PhOAuthTokens, 1);
  gint64 expires_in = json_object_get_int_member_with_default (response, "expires_in", 0);

  tokens->access_token = secret_member (response, "access_token");
  tokens->refresh_token = secret_member (response, "refresh_token");
  tokens->id_token = g_strdup (json_object_get_string_member_with_default (response, "id_token", NULL));
  tokens->token_type = g_strdup (json_object_get_string_member_with_default (response, "token_type", "Bearer"));
  tokens->scope = g_strdup (json_object_get_string_member_with_default (response, "scope", NULL));
  tokens->expires_at = expires_in > 0 ? g_get_real_time () / G_USEC_PER_SEC + expires_in : 0;
  if (tokens->access_token == NULL)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_PROVIDER, _("%s answered without an access token"),
                   self->provider->name);
      ph_oauth_tokens_free (tokens);
      return NULL;
    }
  return tokens;
}

PhDeviceAuthorization *
ph_oauth_client_device_start (PhOAuthClient  *self,
                              const char     *scope,
                              GCancellable   *cancellable,
                              GError        **error)
{
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonObject) answer = NULL;
  PhDeviceAuthorization *authorization;

  g_hash_table_insert (form, (gpointer) "scope", (gpointer) scope);
  if (!(answer = post_form (self, self->provider->device_authorization_endpoint, form, NULL, cancellable, error)))
    return NULL;
  authorization = g_new0 (PhDeviceAuthorization, 1);
  authorization->device_code = g_strdup (json_object_get_string_member_with_default (answer, "device_code", NULL));
  authorization->user_code = g_strdup (json_object_get_string_member_with_default (answer, "user_code", NULL));
  authorization->verification_uri = g_strdup (json_object_get_string_member_with_default (answer, "verification_uri", NULL));
  authorization->verification_uri_complete =
    g_strdup (json_object_get_string_member_with_default (answer, "verification_uri_complete", NULL));
  authorization->interval = MAX (1, json_object_get_int_member_with_default (answer, "interval", 5));
  authorization->expires_at = g_get_monotonic_time () / G_USEC_PER_SEC +
                              json_object_get_int_member_with_default (answer, "expires_in", 600);
  if (!authorization->device_code || !authorization->user_code || !authorization->verification_uri)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_PROVIDER, _("%s's device authorization is incomplete"),
                   self->provider->name);
      ph_device_authorization_free (authorization);
      return NULL;
    }
  return authorization;
}

/* RFC 8628 §3.4–3.5: poll at the interval; authorization_pending waits, slow_down adds 5 s,
 * access_denied and expired_token end it. */
PhOAuthTokens *
ph_oauth_client_device_poll (PhOAuthClient          *self,
                             PhDeviceAuthorization  *authorization,
                             GCancellable           *cancellable,
                             GError                **error)
{
  while (!g_cancellable_is_cancelled (cancellable))
    {
      g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);
      g_autoptr(JsonObject) answer = NULL;
      g_autoptr(GError) local_error = NULL;
      g_autofree char *code = NULL;

      if (g_get_monotonic_time () / G_USEC_PER_SEC > authorization->expires_at)
        {
          g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_TIMED_OUT, _("The sign-in code expired"));
          return NULL;
        }
      g_hash_table_insert (form, (gpointer) "grant_type", (gpointer) "urn:ietf:params:oauth:grant-type:device_code");
      g_hash_table_insert (form, (gpointer) "device_code", authorization->device_code);
      if ((answer = post_form (self, self->provider->token_endpoint, form, &code, cancellable, &local_error)))
        return tokens_from_response (self, answer, error);
      if (g_strcmp0 (code, "slow_down") == 0)
        authorization->interval += 5;
      else if (g_strcmp0 (code, "expired_token") == 0)
        {
          g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_TIMED_OUT, _("The sign-in code expired"));
          return NULL;
        }
      else if (g_strcmp0 (code, "authorization_pending") != 0)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      g_usleep ((gulong) authorization->interval * G_USEC_PER_SEC);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
  return NULL;
}

PhOAuthTokens *
ph_oauth_client_exchange_code (PhOAuthClient  *self,
                               const char     *code,
                               const char     *code_verifier,
                               const char     *redirect_uri,
                               GCancellable   *cancellable,
                               GError        **error)
{
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonObject) answer = NULL;

  g_hash_table_insert (form, (gpointer) "grant_type", (gpointer) "authorization_code");
  g_hash_table_insert (form, (gpointer) "code", (gpointer) code);
  g_hash_table_insert (form, (gpointer) "code_verifier", (gpointer) code_verifier);
  g_hash_table_insert (form, (gpointer) "redirect_uri", (gpointer) redirect_uri);
  if (!(answer = post_form (self, self->provider->token_endpoint, form, NULL, cancellable, error)))
    return NULL;
  return tokens_from_response (self, answer, error);
}

PhOAuthTokens *
ph_oauth_client_refresh (PhOAuthClient   *self,
                         const PhSecret  *refresh_token,
                         GCancellable    *cancellable,
                         GError         **error)
{
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(JsonObject) answer = NULL;
  g_autofree char *token = g_strndup ((const char *) ph_secret_get_data (refresh_token), ph_secret_get_length (refresh_token));

  g_hash_table_insert (form, (gpointer) "grant_type", (gpointer) "refresh_token");
  g_hash_table_insert (form, (gpointer) "refresh_token", token);
  answer = post_form (self, self->provider->token_endpoint, form, NULL, cancellable, error);
  sodium_memzero (token, strlen (token));
  if (answer == NULL)
    return NULL;
  return tokens_from_response (self, answer, error);
}

gboolean
ph_oauth_client_revoke (PhOAuthClient   *self,
                        const PhSecret  *token,
                        const char      *token_type_hint,
                        GCancellable    *cancellable,
                        GError         **error)
{
  g_autoptr(GHashTable) form = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(SoupMessage) message = NULL;
  g_autoptr(GBytes) body = NULL;
  g_autofree char *text = g_strndup ((const char *) ph_secret_get_data (token), ph_secret_get_length (token));
  g_autofree char *encoded = NULL;
  guint status;

  if (self->provider->revocation_endpoint == NULL)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_ENDPOINT, _("%s offers no token revocation"), self->provider->name);
      sodium_memzero (text, strlen (text));
      return FALSE;
    }
  g_hash_table_insert (form, (gpointer) "token", text);
  g_hash_table_insert (form, (gpointer) "client_id", self->client_id);
  if (token_type_hint)
    g_hash_table_insert (form, (gpointer) "token_type_hint", (gpointer) token_type_hint);
  encoded = soup_form_encode_hash (form);
  sodium_memzero (text, strlen (text));
  message = soup_message_new_from_encoded_form (SOUP_METHOD_POST, self->provider->revocation_endpoint,
                                                g_steal_pointer (&encoded));
  body = soup_session_send_and_read (session (self), message, cancellable, error);
  if (body == NULL)
    return FALSE;
  /* RFC 7009 §2.2: 200 whether or not the token was valid. */
  status = soup_message_get_status (message);
  if (status != 200)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_PROVIDER, _("%s refused the revocation (HTTP %u)"),
                   self->provider->name, status);
      return FALSE;
    }
  return TRUE;
}

/**
 * ph_oauth_client_verify_id_token:
 * @nonce: (nullable): the nonce of the authorization request; NULL for the device flow
 *
 * Returns: (transfer full): the verified claims
 */
JsonObject *
ph_oauth_client_verify_id_token (PhOAuthClient  *self,
                                 const char     *id_token,
                                 const char     *nonce,
                                 GCancellable   *cancellable,
                                 GError        **error)
{
  g_autoptr(PhJwt) jwt = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonNode *jwks;
  PhIdTokenCheck check = {
    .issuer = self->provider->issuer,
    .client_id = self->client_id,
    .nonce = nonce,
    .now = g_get_real_time () / G_USEC_PER_SEC,
    .leeway = 60,
  };

  if (!(jwks = ph_oauth_client_get_jwks (self, FALSE, cancellable, error)))
    return NULL;
  jwt = ph_jwt_verify (id_token, jwks, &local_error);
  /* A key the cached set lacks: the provider may have rotated its keys; fetch them once more. */
  if (jwt == NULL && g_error_matches (local_error, PH_JOSE_ERROR, PH_JOSE_ERROR_NO_KEY))
    {
      g_clear_error (&local_error);
      if (!(jwks = ph_oauth_client_get_jwks (self, TRUE, cancellable, error)))
        return NULL;
      jwt = ph_jwt_verify (id_token, jwks, &local_error);
    }
  if (jwt == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (!ph_oidc_validate_claims (ph_jwt_get_claims (jwt), &check, error))
    return NULL;
  return json_object_ref (ph_jwt_get_claims (jwt));
}

/**
 * ph_oauth_client_userinfo:
 * @expected_sub: (nullable): the ID token's subject: the answer must be about the same person
 *   (OpenID Connect Core §5.3.2), else it is refused
 *
 * Returns: (transfer full): the provider's claims about the person
 */
JsonObject *
ph_oauth_client_userinfo (PhOAuthClient   *self,
                          const PhSecret  *access_token,
                          const char      *expected_sub,
                          GCancellable    *cancellable,
                          GError         **error)
{
  g_autoptr(SoupMessage) message = NULL;
  g_autofree char *bearer = NULL;
  JsonObject *claims;

  if (self->provider->userinfo_endpoint == NULL)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_ENDPOINT, _("%s has no userinfo endpoint"), self->provider->name);
      return NULL;
    }
  message = soup_message_new (SOUP_METHOD_GET, self->provider->userinfo_endpoint);
  bearer = g_strdup_printf ("Bearer %.*s", (int) ph_secret_get_length (access_token),
                            (const char *) ph_secret_get_data (access_token));
  soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", bearer);
  sodium_memzero (bearer, strlen (bearer));
  if (!(claims = send (self, message, NULL, cancellable, error)))
    return NULL;
  if (expected_sub && g_strcmp0 (json_object_get_string_member_with_default (claims, "sub", NULL), expected_sub) != 0)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_PROVIDER,
                   _("%s's userinfo is about another subject than the ID token"), self->provider->name);
      json_object_unref (claims);
      return NULL;
    }
  return claims;
}

/**
 * ph_oauth_client_identify:
 * @nonce: (nullable): the nonce sent with the authorization request (none in the device flow)
 *
 * Who signed in: the ID token verified (an OpenID provider must send one), then the userinfo
 * endpoint asked when the token names the person only by "sub" (or when there is no ID token,
 * as with GitHub). Any check that fails fails the sign-in: nothing is stored for a token that
 * does not verify.
 *
 * Returns: (transfer full): the identity (email, preferred_username, login or sub)
 */
char *
ph_oauth_client_identify (PhOAuthClient  *self,
                          PhOAuthTokens  *tokens,
                          const char     *nonce,
                          GCancellable   *cancellable,
                          GError        **error)
{
  g_autoptr(JsonObject) claims = NULL;
  g_autofree char *identity = NULL;

  if (tokens->id_token == NULL && g_strcmp0 (self->provider->kind, "oidc") == 0 &&
      tokens->scope && strstr (tokens->scope, "openid"))
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_PROVIDER, _("%s sent no ID token"), self->provider->name);
      return NULL;
    }
  if (tokens->id_token && !(claims = ph_oauth_client_verify_id_token (self, tokens->id_token, nonce, cancellable, error)))
    return NULL;
  identity = ph_oidc_claims_identity (claims);
  /* ID tokens often carry only "sub": the userinfo endpoint names the person. */
  if (self->provider->userinfo_endpoint && (claims == NULL || !json_object_has_member (claims, "email")))
    {
      const char *sub = claims ? json_object_get_string_member_with_default (claims, "sub", NULL) : NULL;
      g_autoptr(JsonObject) userinfo = ph_oauth_client_userinfo (self, tokens->access_token, sub, cancellable, error);

      if (userinfo == NULL)
        return NULL;
      g_free (identity);
      identity = ph_oidc_claims_identity (userinfo);
    }
  if (identity == NULL)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_PROVIDER, _("%s did not say who signed in"), self->provider->name);
      return NULL;
    }
  return g_steal_pointer (&identity);
}
