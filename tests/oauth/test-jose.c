/* test-jose.c: ID token verification and the OpenID Connect client checks.
 *
 * Keys are made and tokens signed here with OpenSSL directly, so every case an attacker could
 * craft can be made: a changed payload or signature, "alg": "none", HS256 signed with the public
 * key, an unknown kid, a short RSA key, and each claim wrong in turn. (The full flows against a
 * real OpenID provider are another test.)
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "ph-jose.h"
#include "ph-oidc.h"

static EVP_PKEY *rsa_key, *rsa_key2, *ec_key;

static char *
b64 (const void *data,
     gsize       len)
{
  return ph_base64url_encode (data, len);
}

static char *
bn_b64 (EVP_PKEY   *key,
        const char *name)
{
  BIGNUM *bn = NULL;
  g_autofree guint8 *buf = NULL;
  int len;

  g_assert_true (EVP_PKEY_get_bn_param (key, name, &bn));
  len = BN_num_bytes (bn);
  buf = g_malloc (len);
  BN_bn2bin (bn, buf);
  BN_free (bn);
  return b64 (buf, len);
}

static char *
jwk_json (EVP_PKEY   *key,
          const char *kid,
          const char *alg)
{
  g_autofree char *alg_member = alg ? g_strdup_printf (",\"alg\":\"%s\"", alg) : g_strdup ("");

  if (EVP_PKEY_is_a (key, "RSA"))
    {
      g_autofree char *n = bn_b64 (key, OSSL_PKEY_PARAM_RSA_N);
      g_autofree char *e = bn_b64 (key, OSSL_PKEY_PARAM_RSA_E);

      return g_strdup_printf ("{\"kty\":\"RSA\",\"kid\":\"%s\",\"use\":\"sig\",\"n\":\"%s\",\"e\":\"%s\"%s}", kid, n, e,
                              alg_member);
    }
  else
    {
      guint8 point[65];
      gsize len = 0;
      g_autofree char *x = NULL;
      g_autofree char *y = NULL;

      g_assert_true (EVP_PKEY_get_octet_string_param (key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point, &len));
      g_assert_cmpuint (len, ==, 65);
      x = b64 (point + 1, 32);
      y = b64 (point + 33, 32);
      return g_strdup_printf ("{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"%s}", kid, x, y,
                              alg_member);
    }
}

static JsonNode *
jwks (const char *keys_json)
{
  g_autofree char *text = g_strdup_printf ("{\"keys\":[%s]}", keys_json);

  return json_from_string (text, NULL);
}

/* header.payload signed with @key by @alg ("RS256", "PS256", "ES256"). */
static char *
sign (EVP_PKEY   *key,
      const char *alg,
      const char *kid,
      const char *payload_json)
{
  g_autofree char *header_json = kid ? g_strdup_printf ("{\"alg\":\"%s\",\"kid\":\"%s\",\"typ\":\"JWT\"}", alg, kid)
                                     : g_strdup_printf ("{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
  g_autofree char *header = b64 (header_json, strlen (header_json));
  g_autofree char *payload = b64 (payload_json, strlen (payload_json));
  g_autofree char *input = g_strconcat (header, ".", payload, NULL);
  g_autofree char *signature = NULL;
  EVP_MD_CTX *md = EVP_MD_CTX_new ();
  EVP_PKEY_CTX *pctx = NULL;
  guint8 sig[512];
  gsize sig_len = sizeof sig;

  g_assert_true (EVP_DigestSignInit (md, &pctx, EVP_sha256 (), NULL, key) > 0);
  if (g_str_equal (alg, "PS256"))
    {
      g_assert_true (EVP_PKEY_CTX_set_rsa_padding (pctx, RSA_PKCS1_PSS_PADDING) > 0);
      g_assert_true (EVP_PKEY_CTX_set_rsa_pss_saltlen (pctx, RSA_PSS_SALTLEN_DIGEST) > 0);
    }
  g_assert_true (EVP_DigestSign (md, sig, &sig_len, (const guint8 *) input, strlen (input)) > 0);
  EVP_MD_CTX_free (md);
  if (g_str_equal (alg, "ES256"))
    {
      const guint8 *p = sig;
      ECDSA_SIG *ecdsa = d2i_ECDSA_SIG (NULL, &p, sig_len);
      guint8 raw[64];

      g_assert_nonnull (ecdsa);
      BN_bn2binpad (ECDSA_SIG_get0_r (ecdsa), raw, 32);
      BN_bn2binpad (ECDSA_SIG_get0_s (ecdsa), raw + 32, 32);
      ECDSA_SIG_free (ecdsa);
      signature = b64 (raw, 64);
    }
  else
    signature = b64 (sig, sig_len);
  return g_strconcat (input, ".", signature, NULL);
}

static const char *claims = "{\"iss\":\"https://op.example\",\"sub\":\"alice\",\"aud\":\"perihelion\","
                            "\"exp\":2000000000,\"iat\":1700000000,\"nonce\":\"n-0S6_WzA2Mj\"}";

static void
assert_refused (const char *token,
                JsonNode   *keys,
                int         code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhJwt) jwt = ph_jwt_verify (token, keys, &error);

  g_assert_null (jwt);
  g_assert_error (error, PH_JOSE_ERROR, code);
  g_test_message ("refused: %s", error->message);
}

static void
test_base64url (void)
{
  const guint8 data[] = { 0xfb, 0xff, 0x00, 0x3e };
  g_autofree char *text = ph_base64url_encode (data, sizeof data);
  g_autoptr(GBytes) back = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (text, ==, "-_8APg");
  back = ph_base64url_decode (text, -1, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (back, NULL), g_bytes_get_size (back), data, sizeof data);
  for (const char **bad = (const char *[]) { "+_8APg", "-_8APg==", "-_8 Pg", "a", NULL }; *bad; bad++)
    {
      g_autoptr(GBytes) none = ph_base64url_decode (*bad, -1, &error);

      g_assert_null (none);
      g_assert_error (error, PH_JOSE_ERROR, PH_JOSE_ERROR_MALFORMED);
      g_clear_error (&error);
    }
}

/* RFC 7636, appendix B. */
static void
test_pkce (void)
{
  g_autofree char *challenge = ph_pkce_challenge_s256 ("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
  g_autofree char *a = ph_pkce_new_verifier ();
  g_autofree char *b = ph_pkce_new_verifier ();

  g_assert_cmpstr (challenge, ==, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  g_assert_cmpuint (strlen (a), ==, 43);
  g_assert_cmpstr (a, !=, b);
  for (const char *p = a; *p; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '-' || *p == '_');
}

static void
test_signatures (void)
{
  g_autofree char *rsa_jwk = jwk_json (rsa_key, "r1", NULL);
  g_autofree char *rsa2_jwk = jwk_json (rsa_key2, "r2", "RS256");
  g_autofree char *ec_jwk = jwk_json (ec_key, "e1", "ES256");
  g_autofree char *all = g_strjoin (",", rsa_jwk, rsa2_jwk, ec_jwk, NULL);
  g_autoptr(JsonNode) keys = jwks (all);
  const char *algs[][2] = { { "RS256", "r1" }, { "PS256", "r1" }, { "RS256", "r2" }, { "ES256", "e1" } };

  for (guint i = 0; i < G_N_ELEMENTS (algs); i++)
    {
      EVP_PKEY *key = g_str_equal (algs[i][1], "r1") ? rsa_key : g_str_equal (algs[i][1], "r2") ? rsa_key2 : ec_key;
      g_autofree char *token = sign (key, algs[i][0], algs[i][1], claims);
      g_autoptr(GError) error = NULL;
      g_autoptr(PhJwt) jwt = ph_jwt_verify (token, keys, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (ph_jwt_get_algorithm (jwt), ==, algs[i][0]);
      g_assert_cmpstr (json_object_get_string_member (ph_jwt_get_claims (jwt), "sub"), ==, "alice");
    }

  /* Without a kid, one key of the right type is enough; two are ambiguous. */
  {
    g_autofree char *token = sign (ec_key, "ES256", NULL, claims);
    g_autoptr(JsonNode) ec_only = jwks (ec_jwk);
    g_autoptr(PhJwt) jwt = ph_jwt_verify (token, ec_only, NULL);
    g_autofree char *rsa_token = sign (rsa_key, "RS256", NULL, claims);

    g_assert_nonnull (jwt);
    assert_refused (rsa_token, keys, PH_JOSE_ERROR_NO_KEY);
  }
}

static void
test_attacks (void)
{
  g_autofree char *rsa_jwk = jwk_json (rsa_key, "r1", NULL);
  g_autofree char *rsa2_jwk = jwk_json (rsa_key2, "r2", "RS256");
  g_autofree char *all = g_strjoin (",", rsa_jwk, rsa2_jwk, NULL);
  g_autoptr(JsonNode) keys = jwks (all);
  g_autofree char *token = sign (rsa_key, "RS256", "r1", claims);
  const char *dot1 = strchr (token, '.'), *dot2 = strrchr (token, '.');

  /* Another payload under the same signature. */
  {
    const char *evil = "{\"iss\":\"https://op.example\",\"sub\":\"mallory\",\"aud\":\"perihelion\",\"exp\":2000000000,\"iat\":1700000000}";
    g_autofree char *payload = b64 (evil, strlen (evil));
    g_autofree char *forged = g_strdup_printf ("%.*s.%s%s", (int) (dot1 - token), token, payload, dot2);

    assert_refused (forged, keys, PH_JOSE_ERROR_SIGNATURE);
  }
  /* One bit of the signature. */
  {
    g_autofree char *forged = g_strdup (token);
    char *last = forged + strlen (forged) - 2;

    *last = *last == 'A' ? 'B' : 'A';
    assert_refused (forged, keys, PH_JOSE_ERROR_SIGNATURE);
  }
  /* "alg": "none", with and without an empty signature. */
  {
    const char *header_json = "{\"alg\":\"none\",\"typ\":\"JWT\"}";
    g_autofree char *header = b64 (header_json, strlen (header_json));
    g_autofree char *none = g_strdup_printf ("%s%.*s.", header, (int) (dot2 - dot1), dot1);

    assert_refused (none, keys, PH_JOSE_ERROR_ALGORITHM);
  }
  /* HS256 "signed" with the public key as the HMAC secret: the classic key confusion. */
  {
    const char *header_json = "{\"alg\":\"HS256\",\"kid\":\"r1\"}";
    g_autofree char *header = b64 (header_json, strlen (header_json));
    g_autofree char *hs = g_strdup_printf ("%s%s", header, dot1);

    assert_refused (hs, keys, PH_JOSE_ERROR_ALGORITHM);
  }
  /* A kid the provider does not have; a key whose alg forbids PS256. */
  {
    g_autofree char *unknown = sign (rsa_key, "RS256", "nope", claims);
    g_autofree char *wrong_alg = sign (rsa_key2, "PS256", "r2", claims);

    assert_refused (unknown, keys, PH_JOSE_ERROR_NO_KEY);
    assert_refused (wrong_alg, keys, PH_JOSE_ERROR_NO_KEY);
  }
  /* A signature by another key under r1's kid. */
  {
    g_autofree char *other = sign (rsa_key2, "RS256", "r1", claims);

    assert_refused (other, keys, PH_JOSE_ERROR_SIGNATURE);
  }
  /* Not a JWS at all. */
  assert_refused ("abc.def", keys, PH_JOSE_ERROR_MALFORMED);
  assert_refused ("a.b.c.d", keys, PH_JOSE_ERROR_MALFORMED);
  assert_refused ("bm90IGpzb24.e30.AA", keys, PH_JOSE_ERROR_MALFORMED);
}

static void
test_short_rsa_key (void)
{
  EVP_PKEY *weak = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 1024);
  g_autofree char *jwk = jwk_json (weak, "w", NULL);
  g_autoptr(JsonNode) keys = jwks (jwk);
  g_autofree char *token = sign (weak, "RS256", "w", claims);

  assert_refused (token, keys, PH_JOSE_ERROR_KEY);
  EVP_PKEY_free (weak);
}

static void
assert_claims (const char *json,
               const char *nonce,
               int         expected)
{
  g_autoptr(JsonNode) node = json_from_string (json, NULL);
  g_autoptr(GError) error = NULL;
  PhIdTokenCheck check = { "https://op.example", "perihelion", nonce, 1800000000, 60 };
  gboolean ok = ph_oidc_validate_claims (json_node_get_object (node), &check, &error);

  if (expected == 0)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
    }
  else
    {
      g_assert_false (ok);
      g_assert_error (error, PH_OIDC_ERROR, expected);
    }
}

static void
test_claims (void)
{
#define BASE "\"sub\":\"alice\",\"iat\":1700000000"
  assert_claims ("{\"iss\":\"https://op.example\",\"aud\":\"perihelion\",\"exp\":1900000000," BASE ",\"nonce\":\"n1\"}", "n1", 0);
  assert_claims ("{\"iss\":\"https://op.example\",\"aud\":[\"perihelion\"],\"exp\":1900000000," BASE "}", NULL, 0);
  assert_claims ("{\"iss\":\"https://evil.example\",\"aud\":\"perihelion\",\"exp\":1900000000," BASE "}", NULL, PH_OIDC_ERROR_ISSUER);
  assert_claims ("{\"iss\":\"https://op.example/\",\"aud\":\"perihelion\",\"exp\":1900000000," BASE "}", NULL, PH_OIDC_ERROR_ISSUER);
  assert_claims ("{\"iss\":\"https://op.example\",\"aud\":\"someone-else\",\"exp\":1900000000," BASE "}", NULL, PH_OIDC_ERROR_AUDIENCE);
  assert_claims ("{\"iss\":\"https://op.example\",\"aud\":[\"perihelion\",\"other\"],\"exp\":1900000000," BASE "}", NULL,
                 PH_OIDC_ERROR_AUTHORIZED_PARTY);
  assert_claims ("{\"iss\":\"https://op.example\",\"aud\":[\"perihelion\",\"other\"],\"azp\":\"perihelion\",\"exp\":1900000000," BASE "}",
                 NULL, 0);
  assert_claims ("{\"iss\":\"https://op.example\",\"aud\":\"perihelion\",\"azp\":\"other\",\"exp\":1900000000," BASE "}", NULL,
                 PH_OIDC_ERROR_AUTHORIZED_PARTY);
  /* exp: 59 s ago passes with the leeway of 60, 61 s ago does not. */
  assert_claims ("{\"iss\":\"https://op.example\",\"aud\":\"perihelion\",\"exp\":1799999941," BASE "}", NULL, 0);
  assert_claims ("{\"iss\":\"https://op.example\",\"aud\":\"perihelion\",\"exp\":1799999939," BASE "}", NULL, PH_OIDC_ERROR_EXPIRED);
  assert_claims ("{\"iss\":\"https://op.example\",\"aud\":\"perihelion\",\"exp\":1900000000,\"sub\":\"a\",\"iat\":1800000100}", NULL,
                 PH_OIDC_ERROR_ISSUED_IN_FUTURE);
  assert_claims ("{\"iss\":\"https://op.example\",\"aud\":\"perihelion\",\"exp\":1900000000," BASE "}", "n1", PH_OIDC_ERROR_NONCE);
  assert_claims ("{\"iss\":\"https://op.example\",\"aud\":\"perihelion\",\"exp\":1900000000," BASE ",\"nonce\":\"n2\"}", "n1",
                 PH_OIDC_ERROR_NONCE);
  assert_claims ("{\"iss\":\"https://op.example\",\"aud\":\"perihelion\"," BASE "}", NULL, PH_OIDC_ERROR_MISSING);
  assert_claims ("{\"iss\":\"https://op.example\",\"aud\":\"perihelion\",\"exp\":\"soon\"," BASE "}", NULL, PH_OIDC_ERROR_MISSING);
#undef BASE
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  rsa_key = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 2048);
  rsa_key2 = EVP_PKEY_Q_keygen (NULL, NULL, "RSA", (size_t) 2048);
  ec_key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  g_assert_true (rsa_key && rsa_key2 && ec_key);

  g_test_add_func ("/jose/base64url", test_base64url);
  g_test_add_func ("/jose/pkce", test_pkce);
  g_test_add_func ("/jose/signatures", test_signatures);
  g_test_add_func ("/jose/attacks", test_attacks);
  g_test_add_func ("/jose/short-rsa-key", test_short_rsa_key);
  g_test_add_func ("/oidc/claims", test_claims);
  status = g_test_run ();
  EVP_PKEY_free (rsa_key);
  EVP_PKEY_free (rsa_key2);
  EVP_PKEY_free (ec_key);
  return status;
}
