/* ph-secret-session.c: Secret Service transfer sessions: "plain" and the
 * "dh-ietf1024-sha256-aes128-cbc-pkcs7" key agreement.
 *
 * As the Secret Service specification and libsecret do it: Diffie-Hellman over the RFC 2409
 * 1024-bit group (generator 2), the shared secret padded to the prime's 128 bytes, HKDF-SHA256
 * with no salt and no info to a 16-byte AES key, and each secret sent as AES-128-CBC with PKCS#7
 * padding under a fresh 16-byte IV (the "parameters"). All primitives are OpenSSL's.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "perihelion-agent"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>
#include <gio/gio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/rand.h>
#include <sodium.h>

#include "ph-secret-session.h"

#define DH_ALGORITHM "dh-ietf1024-sha256-aes128-cbc-pkcs7"
#define PRIME_BYTES 128
#define AES_KEY_BYTES 16
#define IV_BYTES 16

struct _PhSecretSession
{
  gboolean plain;
  guint8 key[AES_KEY_BYTES];
};

void
ph_secret_session_free (PhSecretSession *session)
{
  if (session == NULL)
    return;
  sodium_memzero (session->key, sizeof session->key);
  g_free (session);
}

static gboolean
fail (GError    **error,
      const char *message)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, message);
  return FALSE;
}

/* Our key pair, the shared secret with the peer's public key, and the AES key from it. */
static gboolean
agree (PhSecretSession *session,
       const guint8    *peer,
       gsize            peer_len,
       guint8           public_key[PRIME_BYTES],
       GError         **error)
{
  BN_CTX *ctx = BN_CTX_new ();
  BIGNUM *p = BN_get_rfc2409_prime_1024 (NULL);
  BIGNUM *g = BN_new (), *x = BN_new (), *y = BN_new (), *peer_y = BN_bin2bn (peer, peer_len, NULL);
  BIGNUM *shared = BN_new (), *limit = BN_new ();
  guint8 ikm[PRIME_BYTES];
  gboolean ok = FALSE;
  EVP_PKEY_CTX *kdf = NULL;
  size_t key_len = AES_KEY_BYTES;

  BN_set_word (g, 2);
  BN_copy (limit, p);
  BN_sub_word (limit, 1);
  /* The peer's key must be in [2, p-2], or the shared secret is predictable. */
  if (peer_y == NULL || BN_cmp (peer_y, BN_value_one ()) <= 0 || BN_cmp (peer_y, limit) >= 0)
    {
      fail (error, _("The session's public key is invalid"));
      goto out;
    }
  if (!BN_priv_rand_range (x, limit) || BN_is_zero (x) || !BN_mod_exp (y, g, x, p, ctx) ||
      !BN_mod_exp (shared, peer_y, x, p, ctx) || BN_bn2binpad (y, public_key, PRIME_BYTES) != PRIME_BYTES ||
      BN_bn2binpad (shared, ikm, PRIME_BYTES) != PRIME_BYTES)
    {
      fail (error, _("The key agreement failed"));
      goto out;
    }
  kdf = EVP_PKEY_CTX_new_id (EVP_PKEY_HKDF, NULL);
  if (kdf == NULL || EVP_PKEY_derive_init (kdf) <= 0 || EVP_PKEY_CTX_set_hkdf_md (kdf, EVP_sha256 ()) <= 0 ||
      EVP_PKEY_CTX_set1_hkdf_key (kdf, ikm, PRIME_BYTES) <= 0 ||
      EVP_PKEY_derive (kdf, session->key, &key_len) <= 0 || key_len != AES_KEY_BYTES)
    {
      fail (error, _("The key agreement failed"));
      goto out;
    }
  ok = TRUE;

out:
  sodium_memzero (ikm, sizeof ikm);
  EVP_PKEY_CTX_free (kdf);
  BN_clear_free (x);
  BN_clear_free (shared);
  BN_free (p);
  BN_free (g);
  BN_free (y);
  BN_free (peer_y);
  BN_free (limit);
  BN_CTX_free (ctx);
  return ok;
}

/**
 * ph_secret_session_new:
 * @output: (out): the reply's output variant (our public key, or "")
 *
 * Returns: (transfer full): the session, or %NULL with G_IO_ERROR_NOT_SUPPORTED for an unknown
 *   algorithm (clients then fall back to another)
 */
PhSecretSession *
ph_secret_session_new (const char  *algorithm,
                       GVariant    *input,
                       GVariant   **output,
                       GError     **error)
{
  g_autoptr(PhSecretSession) session = g_new0 (PhSecretSession, 1);

  if (strcmp (algorithm, "plain") == 0)
    {
      session->plain = TRUE;
      *output = g_variant_new_variant (g_variant_new_string (""));
      return g_steal_pointer (&session);
    }
  if (strcmp (algorithm, DH_ALGORITHM) == 0)
    {
      guint8 public_key[PRIME_BYTES];
      const guint8 *peer;
      gsize peer_len;

      if (!g_variant_is_of_type (input, G_VARIANT_TYPE_BYTESTRING))
        {
          fail (error, _("The session input must be a byte array"));
          return NULL;
        }
      peer = g_variant_get_fixed_array (input, &peer_len, 1);
      if (!agree (session, peer, peer_len, public_key, error))
        return NULL;
      *output = g_variant_new_variant (g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, public_key, PRIME_BYTES, 1));
      return g_steal_pointer (&session);
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("Algorithm “%s” is not supported"), algorithm);
  return NULL;
}

gboolean
ph_secret_session_encode (PhSecretSession  *session,
                          const PhSecret   *secret,
                          GBytes          **parameters,
                          GBytes          **value,
                          GError          **error)
{
  guint8 iv[IV_BYTES];
  g_autofree guint8 *out = NULL;
  EVP_CIPHER_CTX *ctx;
  int len = 0, tail = 0;
  gsize n = ph_secret_get_length (secret);

  if (session->plain)
    {
      *parameters = g_bytes_new (NULL, 0);
      *value = g_bytes_new (ph_secret_get_data (secret), n);
      return TRUE;
    }
  out = g_malloc (n + IV_BYTES);
  if (RAND_bytes (iv, IV_BYTES) != 1 || !(ctx = EVP_CIPHER_CTX_new ()))
    return fail (error, _("Could not encrypt the secret"));
  if (EVP_EncryptInit_ex (ctx, EVP_aes_128_cbc (), NULL, session->key, iv) != 1 ||
      EVP_EncryptUpdate (ctx, out, &len, ph_secret_get_data (secret), (int) n) != 1 ||
      EVP_EncryptFinal_ex (ctx, out + len, &tail) != 1)
    {
      EVP_CIPHER_CTX_free (ctx);
      return fail (error, _("Could not encrypt the secret"));
    }
  EVP_CIPHER_CTX_free (ctx);
  *parameters = g_bytes_new (iv, IV_BYTES);
  *value = g_bytes_new (out, len + tail);
  return TRUE;
}

PhSecret *
ph_secret_session_decode (PhSecretSession  *session,
                          GVariant         *parameters,
                          GVariant         *value,
                          GError          **error)
{
  gsize value_len, iv_len;
  const guint8 *data = g_variant_get_fixed_array (value, &value_len, 1);
  const guint8 *iv = g_variant_get_fixed_array (parameters, &iv_len, 1);
  PhSecret *secret;
  EVP_CIPHER_CTX *ctx;
  int len = 0, tail = 0;

  if (session->plain)
    return ph_secret_new_from_data (data, value_len);
  if (iv_len != IV_BYTES || value_len == 0 || value_len % 16 != 0)
    {
      fail (error, _("The secret is not encrypted for this session"));
      return NULL;
    }
  secret = ph_secret_new (value_len);
  if (!(ctx = EVP_CIPHER_CTX_new ()) ||
      EVP_DecryptInit_ex (ctx, EVP_aes_128_cbc (), NULL, session->key, iv) != 1 ||
      EVP_DecryptUpdate (ctx, ph_secret_get_mutable (secret), &len, data, (int) value_len) != 1 ||
      EVP_DecryptFinal_ex (ctx, ph_secret_get_mutable (secret) + len, &tail) != 1)
    {
      EVP_CIPHER_CTX_free (ctx);
      ph_secret_unref (secret);
      fail (error, _("The secret does not decrypt with this session's key"));
      return NULL;
    }
  EVP_CIPHER_CTX_free (ctx);
  ph_secret_truncate (secret, len + tail);
  return secret;
}
