/* ph-jose.c: JSON Web Keys and signed JSON Web Tokens (RFC 7515, 7517, 7518), verified through
 * OpenSSL, for OpenID Connect ID tokens.
 *
 * Only what an OpenID Connect client must accept is accepted: RS256, PS256 and ES256 with a key
 * from the provider's JWKS. "none" and the HMAC algorithms are refused outright (an attacker
 * would otherwise sign with the public key as a shared secret), and the algorithm must match
 * the key's type and, when the key says, its "alg". The signature primitives are OpenSSL's; this
 * file only turns JWKs into EVP_PKEYs and JWS into the bytes OpenSSL checks.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>

#include "ph-jose.h"

G_DEFINE_QUARK (ph-jose-error-quark, ph_jose_error)

struct _PhJwt
{
  char *alg;
  char *kid;
  JsonNode *claims;
};

char *
ph_base64url_encode (const guint8 *data,
                     gsize         len)
{
  char *text = g_base64_encode (data, len);
  gsize out = 0;

  for (gsize i = 0; text[i]; i++)
    {
      if (text[i] == '=')
        break;
      text[out++] = text[i] == '+' ? '-' : text[i] == '/' ? '_' : text[i];
    }
  text[out] = '\0';
  return text;
}

/* Strict: the base64url alphabet only, no padding, no whitespace. */
GBytes *
ph_base64url_decode (const char  *text,
                     gssize       len,
                     GError     **error)
{
  g_autoptr(GString) padded = NULL;
  guchar *data;
  gsize out_len = 0;

  if (len < 0)
    len = strlen (text);
  if (len % 4 == 1)
    goto malformed;
  padded = g_string_sized_new (len + 3);
  for (gssize i = 0; i < len; i++)
    {
      char c = text[i];

      if (g_ascii_isalnum (c))
        g_string_append_c (padded, c);
      else if (c == '-')
        g_string_append_c (padded, '+');
      else if (c == '_')
        g_string_append_c (padded, '/');
      else
        goto malformed;
    }
  while (padded->len % 4)
    g_string_append_c (padded, '=');
  data = g_base64_decode (padded->str, &out_len);
  return g_bytes_new_take (data, out_len);

malformed:
  g_set_error (error, PH_JOSE_ERROR, PH_JOSE_ERROR_MALFORMED, _("Invalid base64url data"));
  return NULL;
}

static GBytes *
member_bytes (JsonObject  *object,
              const char  *name,
              GError     **error)
{
  const char *text = json_object_get_string_member_with_default (object, name, NULL);

  if (text == NULL)
    {
      g_set_error (error, PH_JOSE_ERROR, PH_JOSE_ERROR_KEY, _("The key has no “%s”"), name);
      return NULL;
    }
  return ph_base64url_decode (text, -1, error);
}

/* A JWK (RSA or EC P-256) as an OpenSSL public key. */
static EVP_PKEY *
key_from_jwk (JsonObject  *jwk,
              GError     **error)
{
  const char *kty = json_object_get_string_member_with_default (jwk, "kty", "");
  OSSL_PARAM_BLD *build = OSSL_PARAM_BLD_new ();
  OSSL_PARAM *params = NULL;
  EVP_PKEY_CTX *ctx = NULL;
  EVP_PKEY *key = NULL;
  BIGNUM *n = NULL, *e = NULL;
  guint8 *point = NULL;

  if (g_str_equal (kty, "RSA"))
    {
      g_autoptr(GBytes) n_bytes = member_bytes (jwk, "n", error);
      g_autoptr(GBytes) e_bytes = n_bytes ? member_bytes (jwk, "e", error) : NULL;

      if (e_bytes == NULL)
        goto out;
      n = BN_bin2bn (g_bytes_get_data (n_bytes, NULL), g_bytes_get_size (n_bytes), NULL);
      e = BN_bin2bn (g_bytes_get_data (e_bytes, NULL), g_bytes_get_size (e_bytes), NULL);
      /* Below 2048 bits an RSA signature proves little. */
      if (n == NULL || e == NULL || BN_num_bits (n) < 2048)
        {
          g_set_error (error, PH_JOSE_ERROR, PH_JOSE_ERROR_KEY, _("The RSA key is invalid or shorter than 2048 bits"));
          goto out;
        }
      OSSL_PARAM_BLD_push_BN (build, OSSL_PKEY_PARAM_RSA_N, n);
      OSSL_PARAM_BLD_push_BN (build, OSSL_PKEY_PARAM_RSA_E, e);
      ctx = EVP_PKEY_CTX_new_from_name (NULL, "RSA", NULL);
    }
  else if (g_str_equal (kty, "EC"))
    {
      g_autoptr(GBytes) x = NULL;
      g_autoptr(GBytes) y = NULL;

      if (g_strcmp0 (json_object_get_string_member_with_default (jwk, "crv", ""), "P-256") != 0)
        {
          g_set_error (error, PH_JOSE_ERROR, PH_JOSE_ERROR_KEY, _("Only the P-256 curve is accepted"));
          goto out;
        }
      if (!(x = member_bytes (jwk, "x", error)) || !(y = member_bytes (jwk, "y", error)))
        goto out;
      if (g_bytes_get_size (x) != 32 || g_bytes_get_size (y) != 32)
        {
          g_set_error (error, PH_JOSE_ERROR, PH_JOSE_ERROR_KEY, _("The P-256 key has coordinates of the wrong size"));
          goto out;
        }
      /* The uncompressed point: 0x04 || x || y. */
      point = g_malloc (65);
      point[0] = 0x04;
      memcpy (point + 1, g_bytes_get_data (x, NULL), 32);
      memcpy (point + 33, g_bytes_get_data (y, NULL), 32);
      OSSL_PARAM_BLD_push_utf8_string (build, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
      OSSL_PARAM_BLD_push_octet_string (build, OSSL_PKEY_PARAM_PUB_KEY, point, 65);
      ctx = EVP_PKEY_CTX_new_from_name (NULL, "EC", NULL);
    }
  else
    {
      g_set_error (error, PH_JOSE_ERROR, PH_JOSE_ERROR_KEY, _("Unsupported key type “%s”"), kty);
      goto out;
    }

  params = OSSL_PARAM_BLD_to_param (build);
  if (ctx == NULL || params == NULL || EVP_PKEY_fromdata_init (ctx) <= 0 ||
      EVP_PKEY_fromdata (ctx, &key, EVP_PKEY_PUBLIC_KEY, params) <= 0)
    {
      g_set_error (error, PH_JOSE_ERROR, PH_JOSE_ERROR_KEY, _("The key is not a valid %s public key"), kty);
      key = NULL;
    }

out:
  OSSL_PARAM_free (params);
  OSSL_PARAM_BLD_free (build);
  EVP_PKEY_CTX_free (ctx);
  BN_free (n);
  BN_free (e);
  g_free (point);
  return key;
}

/* JWS ES256 signatures are r || s (32 bytes each); OpenSSL verifies DER. */
static guint8 *
ecdsa_raw_to_der (const guint8 *raw,
                  gsize         len,
                  int          *out_len)
{
  ECDSA_SIG *sig;
  guint8 *der = NULL;

  if (len != 64 || !(sig = ECDSA_SIG_new ()))
    return NULL;
  if (!ECDSA_SIG_set0 (sig, BN_bin2bn (raw, 32, NULL), BN_bin2bn (raw + 32, 32, NULL)) ||
      (*out_len = i2d_ECDSA_SIG (sig, &der)) <= 0)
    {
      ECDSA_SIG_free (sig);
      return NULL;
    }
  ECDSA_SIG_free (sig);
  return der;
}

static gboolean
verify_signature (EVP_PKEY     *key,
                  const char   *alg,
                  const char   *signing_input,
                  gsize         input_len,
                  GBytes       *signature)
{
  EVP_MD_CTX *md = EVP_MD_CTX_new ();
  EVP_PKEY_CTX *pctx = NULL;
  const guint8 *sig = g_bytes_get_data (signature, NULL);
  gsize sig_len = g_bytes_get_size (signature);
  guint8 *der = NULL;
  int der_len = 0;
  gboolean ok = FALSE;

  if (md == NULL || EVP_DigestVerifyInit (md, &pctx, EVP_sha256 (), NULL, key) <= 0)
    goto out;
  if (g_str_equal (alg, "PS256") &&
      (EVP_PKEY_CTX_set_rsa_padding (pctx, RSA_PKCS1_PSS_PADDING) <= 0 ||
       EVP_PKEY_CTX_set_rsa_pss_saltlen (pctx, RSA_PSS_SALTLEN_DIGEST) <= 0))
    goto out;
  if (g_str_equal (alg, "ES256"))
    {
      if (!(der = ecdsa_raw_to_der (sig, sig_len, &der_len)))
        goto out;
      sig = der;
      sig_len = der_len;
    }
  ok = EVP_DigestVerify (md, sig, sig_len, (const guint8 *) signing_input, input_len) == 1;

out:
  OPENSSL_free (der);
  EVP_MD_CTX_free (md);
  return ok;
}

static JsonNode *
parse_json_segment (const char  *segment,
                    gsize        len,
                    GError     **error)
{
  g_autoptr(GBytes) bytes = ph_base64url_decode (segment, len, error);
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize size = 0;
  const char *data;

  if (bytes == NULL)
    return NULL;
  data = g_bytes_get_data (bytes, &size);
  if (!json_parser_load_from_data (parser, data ? data : "", size, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      g_set_error (error, PH_JOSE_ERROR, PH_JOSE_ERROR_MALFORMED, _("The token is not JSON"));
      return NULL;
    }
  return json_node_copy (json_parser_get_root (parser));
}

static const char *
key_type_for_alg (const char *alg)
{
  return g_str_equal (alg, "ES256") ? "EC" : "RSA";
}

/**
 * ph_jwt_verify:
 * @token: a compact JWS ("header.payload.signature")
 * @jwks: the provider's JSON Web Key Set ({"keys": [...]})
 *
 * Checks the signature with the key the header names (or, without a "kid", the one key of the
 * right type). The claims are not checked here: see ph_oidc_validate_claims().
 *
 * Returns: the verified token, or %NULL with @error set
 */
PhJwt *
ph_jwt_verify (const char  *token,
               JsonNode    *jwks,
               GError     **error)
{
  g_autoptr(PhJwt) self = g_new0 (PhJwt, 1);
  g_autoptr(JsonNode) header = NULL;
  g_autoptr(GBytes) signature = NULL;
  JsonArray *keys;
  JsonObject *chosen = NULL;
  const char *dot1, *dot2;
  EVP_PKEY *key;
  gboolean ok;
  guint n_fitting = 0;

  if (!(dot1 = strchr (token, '.')) || !(dot2 = strchr (dot1 + 1, '.')) || strchr (dot2 + 1, '.'))
    {
      g_set_error (error, PH_JOSE_ERROR, PH_JOSE_ERROR_MALFORMED, _("The token is not a signed JWT"));
      return NULL;
    }
  if (!(header = parse_json_segment (token, dot1 - token, error)))
    return NULL;
  self->alg = g_strdup (json_object_get_string_member_with_default (json_node_get_object (header), "alg", ""));
  self->kid = g_strdup (json_object_get_string_member_with_default (json_node_get_object (header), "kid", NULL));
  if (!g_str_equal (self->alg, "RS256") && !g_str_equal (self->alg, "PS256") && !g_str_equal (self->alg, "ES256"))
    {
      g_set_error (error, PH_JOSE_ERROR, PH_JOSE_ERROR_ALGORITHM,
                   _("The token's algorithm “%s” is not accepted (RS256, PS256, ES256)"), self->alg);
      return NULL;
    }
  if (!(self->claims = parse_json_segment (dot1 + 1, dot2 - dot1 - 1, error)) ||
      !(signature = ph_base64url_decode (dot2 + 1, -1, error)))
    return NULL;

  keys = jwks && JSON_NODE_HOLDS_OBJECT (jwks) ? json_object_get_array_member (json_node_get_object (jwks), "keys") : NULL;
  for (guint i = 0; keys && i < json_array_get_length (keys); i++)
    {
      JsonObject *jwk = json_array_get_object_element (keys, i);
      const char *use = jwk ? json_object_get_string_member_with_default (jwk, "use", "sig") : NULL;
      const char *key_alg = jwk ? json_object_get_string_member_with_default (jwk, "alg", NULL) : NULL;

      if (jwk == NULL || g_strcmp0 (use, "sig") != 0 ||
          g_strcmp0 (json_object_get_string_member_with_default (jwk, "kty", ""), key_type_for_alg (self->alg)) != 0 ||
          (key_alg && !g_str_equal (key_alg, self->alg)))
        continue;
      if (self->kid && g_strcmp0 (json_object_get_string_member_with_default (jwk, "kid", NULL), self->kid) != 0)
        continue;
      chosen = jwk;
      n_fitting++;
    }
  /* Without a kid, only an unambiguous key set will do. */
  if (chosen == NULL || (self->kid == NULL && n_fitting > 1))
    {
      if (self->kid)
        g_set_error (error, PH_JOSE_ERROR, PH_JOSE_ERROR_NO_KEY, _("No key of the provider fits the token (kid “%s”)"),
                     self->kid);
      else
        g_set_error (error, PH_JOSE_ERROR, PH_JOSE_ERROR_NO_KEY,
                     _("The token names no key, and the provider has no single key that fits it"));
      return NULL;
    }
  if (!(key = key_from_jwk (chosen, error)))
    return NULL;
  ok = verify_signature (key, self->alg, token, dot2 - token, signature);
  EVP_PKEY_free (key);
  if (!ok)
    {
      g_set_error (error, PH_JOSE_ERROR, PH_JOSE_ERROR_SIGNATURE, _("The token's signature does not verify"));
      return NULL;
    }
  return g_steal_pointer (&self);
}

const char *
ph_jwt_get_algorithm (PhJwt *self)
{
  return self->alg;
}

const char *
ph_jwt_get_key_id (PhJwt *self)
{
  return self->kid;
}

JsonObject *
ph_jwt_get_claims (PhJwt *self)
{
  return json_node_get_object (self->claims);
}

void
ph_jwt_free (PhJwt *self)
{
  if (self == NULL)
    return;
  g_free (self->alg);
  g_free (self->kid);
  if (self->claims)
    json_node_unref (self->claims);
  g_free (self);
}
