/* ph-oidc.c: the client side of OpenID Connect that needs no network: PKCE (RFC 7636), state
 * and nonce, and the checks OpenID Connect Core 1.0 §3.1.3.7 asks of a client for an ID token's
 * claims (the signature is ph-jose.c's).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "ph-jose.h"
#include "ph-oidc.h"

G_DEFINE_QUARK (ph-oidc-error-quark, ph_oidc_error)

/* 256 random bits, base64url: for state, nonce and the PKCE verifier (43 characters, within
 * RFC 7636's 43–128 of the unreserved set). */
char *
ph_oauth_random_token (void)
{
  guint8 bytes[32];
  char *token;

  randombytes_buf (bytes, sizeof bytes);
  token = ph_base64url_encode (bytes, sizeof bytes);
  sodium_memzero (bytes, sizeof bytes);
  return token;
}

char *
ph_pkce_new_verifier (void)
{
  return ph_oauth_random_token ();
}

/* BASE64URL(SHA256(ASCII(verifier))). */
char *
ph_pkce_challenge_s256 (const char *verifier)
{
  guint8 digest[crypto_hash_sha256_BYTES];

  crypto_hash_sha256 (digest, (const guint8 *) verifier, strlen (verifier));
  return ph_base64url_encode (digest, sizeof digest);
}

static gboolean
audience_contains (JsonNode   *aud,
                   const char *client_id,
                   guint      *out_count)
{
  *out_count = 0;
  if (JSON_NODE_HOLDS_VALUE (aud) && json_node_get_value_type (aud) == G_TYPE_STRING)
    {
      *out_count = 1;
      return g_strcmp0 (json_node_get_string (aud), client_id) == 0;
    }
  if (JSON_NODE_HOLDS_ARRAY (aud))
    {
      JsonArray *array = json_node_get_array (aud);
      gboolean found = FALSE;

      *out_count = json_array_get_length (array);
      for (guint i = 0; i < *out_count; i++)
        if (g_strcmp0 (json_array_get_string_element (array, i), client_id) == 0)
          found = TRUE;
      return found;
    }
  return FALSE;
}

static gboolean
get_time (JsonObject *claims,
          const char *name,
          gint64     *out)
{
  JsonNode *node = json_object_get_member (claims, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      (json_node_get_value_type (node) != G_TYPE_INT64 && json_node_get_value_type (node) != G_TYPE_DOUBLE))
    return FALSE;
  *out = json_node_get_value_type (node) == G_TYPE_INT64 ? json_node_get_int (node) : (gint64) json_node_get_double (node);
  return TRUE;
}

/**
 * ph_oidc_validate_claims:
 *
 * iss must equal the issuer; aud must contain the client id; with several audiences, azp must
 * be the client id (and when azp is present it must be the client id anyway); exp must be in
 * the future and iat not in the future (both with the leeway); nonce must equal the one sent,
 * and must be present when one was sent.
 */
gboolean
ph_oidc_validate_claims (JsonObject           *claims,
                         const PhIdTokenCheck *check,
                         GError              **error)
{
  const char *iss = json_object_get_string_member_with_default (claims, "iss", NULL);
  const char *azp = json_object_get_string_member_with_default (claims, "azp", NULL);
  const char *nonce = json_object_get_string_member_with_default (claims, "nonce", NULL);
  JsonNode *aud = json_object_get_member (claims, "aud");
  gint64 exp = 0, iat = 0;
  guint n_audiences = 0;

  if (iss == NULL || aud == NULL || json_object_get_string_member_with_default (claims, "sub", NULL) == NULL ||
      !get_time (claims, "exp", &exp) || !get_time (claims, "iat", &iat))
    {
      g_set_error (error, PH_OIDC_ERROR, PH_OIDC_ERROR_MISSING,
                   _("The ID token lacks a required claim (iss, sub, aud, exp, iat)"));
      return FALSE;
    }
  if (!g_str_equal (iss, check->issuer))
    {
      g_set_error (error, PH_OIDC_ERROR, PH_OIDC_ERROR_ISSUER,
                   _("The ID token was issued by “%s”, not by “%s”"), iss, check->issuer);
      return FALSE;
    }
  if (!audience_contains (aud, check->client_id, &n_audiences))
    {
      g_set_error (error, PH_OIDC_ERROR, PH_OIDC_ERROR_AUDIENCE, _("The ID token is not meant for this client"));
      return FALSE;
    }
  if ((n_audiences > 1 && azp == NULL) || (azp && !g_str_equal (azp, check->client_id)))
    {
      g_set_error (error, PH_OIDC_ERROR, PH_OIDC_ERROR_AUTHORIZED_PARTY,
                   _("The ID token was issued to another party (azp)"));
      return FALSE;
    }
  if (exp + check->leeway <= check->now)
    {
      g_set_error (error, PH_OIDC_ERROR, PH_OIDC_ERROR_EXPIRED, _("The ID token has expired"));
      return FALSE;
    }
  if (iat - check->leeway > check->now)
    {
      g_set_error (error, PH_OIDC_ERROR, PH_OIDC_ERROR_ISSUED_IN_FUTURE,
                   _("The ID token was issued in the future; is the clock right?"));
      return FALSE;
    }
  if (check->nonce && (nonce == NULL || !g_str_equal (nonce, check->nonce)))
    {
      g_set_error (error, PH_OIDC_ERROR, PH_OIDC_ERROR_NONCE,
                   _("The ID token's nonce does not match the request (a replayed or injected token)"));
      return FALSE;
    }
  return TRUE;
}

/**
 * ph_oauth_parse_redirect:
 * @redirect: the URI the provider redirected the browser to
 * @expected_state: the state sent with the request
 *
 * The authorization response (RFC 6749 §4.1.2): its state must be the one sent (else it is a
 * forged or replayed response: CSRF), an "error" is the provider's refusal.
 *
 * Returns: the authorization code, or %NULL with @error set
 */
char *
ph_oauth_parse_redirect (const char  *redirect,
                         const char  *expected_state,
                         GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (redirect, G_URI_FLAGS_ENCODED_QUERY, NULL);
  g_autoptr(GHashTable) params = NULL;
  const char *state, *code, *oauth_error;

  if (uri == NULL || g_uri_get_query (uri) == NULL ||
      !(params = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE, NULL)))
    {
      g_set_error (error, PH_OIDC_ERROR, PH_OIDC_ERROR_REDIRECT, _("The sign-in ended without an answer"));
      return NULL;
    }
  state = g_hash_table_lookup (params, "state");
  code = g_hash_table_lookup (params, "code");
  oauth_error = g_hash_table_lookup (params, "error");
  if (state == NULL || !g_str_equal (state, expected_state))
    {
      g_set_error (error, PH_OIDC_ERROR, PH_OIDC_ERROR_STATE,
                   _("The sign-in answer does not belong to this request (state mismatch); nothing was stored"));
      return NULL;
    }
  if (oauth_error || code == NULL || *code == '\0')
    {
      const char *description = g_hash_table_lookup (params, "error_description");

      g_set_error (error, PH_OIDC_ERROR, PH_OIDC_ERROR_REDIRECT, _("The provider refused the sign-in: %s%s%s"),
                   oauth_error ? oauth_error : _("no code"), description ? ": " : "", description ? description : "");
      return NULL;
    }
  return g_strdup (code);
}

/* Who signed in, as a person would recognise it. */
char *
ph_oidc_claims_identity (JsonObject *claims)
{
  const char *names[] = { "email", "preferred_username", "login", "sub" };

  for (guint i = 0; claims && i < G_N_ELEMENTS (names); i++)
    {
      const char *value = json_object_get_string_member_with_default (claims, names[i], NULL);

      if (value && *value)
        return g_strdup (value);
    }
  return NULL;
}
