/* ph-crypto.c: the few cryptographic operations Perihelion needs, all from libsodium.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-crypto"

#include "config.h"

#include <sodium.h>
#include <glib/gi18n-lib.h>

#include "ph-crypto.h"

G_DEFINE_QUARK (ph-crypto-error-quark, ph_crypto_error)

/* Crockford's base32: no I, L, O or U, so a handwritten key reads back unambiguously. */
static const char crockford[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
#define PH_RECOVERY_CHECK_BYTES 3
/* 160 key bits and 20 checksum bits make 36 characters, nine groups of four. */
#define PH_RECOVERY_GROUPS      9

void
ph_crypto_init (void)
{
  static gsize initialized = 0;

  if (g_once_init_enter (&initialized))
    {
      if (sodium_init () < 0)
        g_error ("libsodium could not be initialized");
      g_once_init_leave (&initialized, 1);
    }
}

gboolean
ph_kdf_params_validate (const PhKdfParams *params,
                        GError           **error)
{
  if (params->opslimit < crypto_pwhash_OPSLIMIT_MIN ||
      params->opslimit > G_MAXUINT32 ||
      params->memlimit < 8 * 1024 ||
      params->memlimit > crypto_pwhash_MEMLIMIT_MAX ||
      params->memlimit > (guint64) 4 * 1024 * 1024 * 1024)
    {
      g_set_error (error, PH_CRYPTO_ERROR, PH_CRYPTO_ERROR_KDF_PARAMS,
                   _("Argon2id parameters out of range: %" G_GUINT64_FORMAT " passes, %"
                     G_GUINT64_FORMAT " KiB (allowed: 1 to %u passes, 8 KiB to 4 GiB)"),
                   params->opslimit, params->memlimit / 1024, G_MAXUINT32);
      return FALSE;
    }
  return TRUE;
}

/**
 * ph_kdf_derive:
 * @password: the master password
 * @salt: %PH_SALT_BYTES random bytes
 * @params: Argon2id cost
 *
 * Runs Argon2id v1.3 (libsodium crypto_pwhash) and returns a %PH_KEY_BYTES key.
 */
PhSecret *
ph_kdf_derive (const PhSecret    *password,
               const guint8      *salt,
               const PhKdfParams *params,
               GError           **error)
{
  g_autoptr(PhSecret) key = NULL;

  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (salt != NULL, NULL);

  if (!ph_kdf_params_validate (params, error))
    return NULL;

  key = ph_secret_new (PH_KEY_BYTES);
  if (crypto_pwhash (ph_secret_get_mutable (key), PH_KEY_BYTES,
                     ph_secret_get_text (password), ph_secret_get_length (password),
                     salt, params->opslimit, (size_t) params->memlimit,
                     crypto_pwhash_ALG_ARGON2ID13) != 0)
    {
      g_set_error (error, PH_CRYPTO_ERROR, PH_CRYPTO_ERROR_OUT_OF_MEMORY,
                   _("Not enough memory for key derivation (%" G_GUINT64_FORMAT " MiB)"),
                   params->memlimit / (1024 * 1024));
      return NULL;
    }
  return g_steal_pointer (&key);
}

static double
time_kdf (const PhKdfParams *params)
{
  g_autoptr(PhSecret) password = ph_secret_new_from_text ("calibration");
  g_autoptr(PhSecret) key = NULL;
  guint8 salt[PH_SALT_BYTES] = { 0 };
  gint64 start = g_get_monotonic_time ();

  key = ph_kdf_derive (password, salt, params, NULL);
  if (key == NULL)
    return -1;
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

/**
 * ph_kdf_calibrate:
 * @target_seconds: how long one unlock should take on this machine
 * @min_memlimit: the least memory to use, in bytes
 * @out_params: (out): the chosen cost
 * @out_seconds: (out) (optional): the measured time of the chosen cost
 *
 * Memory is the cost that hurts attackers with GPUs most, so it grows first (up to 1 GiB, while
 * one pass takes less than a quarter of the target); then passes are added until one derivation
 * takes about @target_seconds. Never below %PH_KDF_MIN_OPSLIMIT passes.
 */
void
ph_kdf_calibrate (double       target_seconds,
                  guint64      min_memlimit,
                  PhKdfParams *out_params,
                  double      *out_seconds)
{
  PhKdfParams params = { 1, MAX (min_memlimit, 8 * 1024) };
  double t = time_kdf (&params);

  while (t >= 0 && t < target_seconds / 4 / PH_KDF_MIN_OPSLIMIT &&
         params.memlimit < (guint64) 1024 * 1024 * 1024)
    {
      params.memlimit *= 2;
      t = time_kdf (&params);
    }

  if (t <= 0)
    t = target_seconds;
  params.opslimit = MAX ((guint64) (target_seconds / t + 0.5), PH_KDF_MIN_OPSLIMIT);
  *out_params = params;
  if (out_seconds != NULL)
    *out_seconds = t * params.opslimit;
}

/* Derives an independent key for one purpose (libsodium crypto_kdf, BLAKE2b). */
PhSecret *
ph_crypto_subkey (const PhSecret *key,
                  guint64         subkey_id,
                  const char     *context)
{
  PhSecret *subkey;

  g_return_val_if_fail (key != NULL && ph_secret_get_length (key) == PH_KEY_BYTES, NULL);
  g_return_val_if_fail (context != NULL && strlen (context) == crypto_kdf_CONTEXTBYTES, NULL);

  subkey = ph_secret_new (PH_KEY_BYTES);
  crypto_kdf_derive_from_key (ph_secret_get_mutable (subkey), PH_KEY_BYTES, subkey_id, context,
                              ph_secret_get_data (key));
  return subkey;
}

/* BLAKE2b-256 keyed with @key: a key per entry id, per recovery slot salt. */
PhSecret *
ph_crypto_keyed_hash (const PhSecret *key,
                      gconstpointer   message,
                      gsize           length)
{
  PhSecret *out = ph_secret_new (PH_KEY_BYTES);

  crypto_generichash (ph_secret_get_mutable (out), PH_KEY_BYTES, message, length,
                      ph_secret_get_data (key), ph_secret_get_length (key));
  return out;
}

/* Writes nonce || ciphertext || tag (plain_len + PH_SEAL_OVERHEAD bytes) to @out. */
void
ph_crypto_seal_into (const PhSecret *key,
                     gconstpointer   plain,
                     gsize           plain_len,
                     gconstpointer   ad,
                     gsize           ad_len,
                     guint8         *out)
{
  randombytes_buf (out, PH_NONCE_BYTES);
  crypto_aead_xchacha20poly1305_ietf_encrypt (out + PH_NONCE_BYTES, NULL, plain, plain_len,
                                              ad, ad_len, NULL, out,
                                              ph_secret_get_data (key));
}

GBytes *
ph_crypto_seal (const PhSecret *key,
                gconstpointer   plain,
                gsize           plain_len,
                gconstpointer   ad,
                gsize           ad_len)
{
  guint8 *out = g_malloc (plain_len + PH_SEAL_OVERHEAD);

  ph_crypto_seal_into (key, plain, plain_len, ad, ad_len, out);
  return g_bytes_new_take (out, plain_len + PH_SEAL_OVERHEAD);
}

/* Opens nonce || ciphertext || tag into @out (sealed_len - PH_SEAL_OVERHEAD bytes). */
gboolean
ph_crypto_open_into (const PhSecret *key,
                     gconstpointer   sealed,
                     gsize           sealed_len,
                     gconstpointer   ad,
                     gsize           ad_len,
                     guint8         *out)
{
  const guint8 *in = sealed;

  if (sealed_len < PH_SEAL_OVERHEAD)
    return FALSE;
  return crypto_aead_xchacha20poly1305_ietf_decrypt (out, NULL, NULL, in + PH_NONCE_BYTES,
                                                     sealed_len - PH_NONCE_BYTES, ad, ad_len,
                                                     in, ph_secret_get_data (key)) == 0;
}

/* Opens a sealed value straight into guarded memory. */
PhSecret *
ph_crypto_open (const PhSecret *key,
                gconstpointer   sealed,
                gsize           sealed_len,
                gconstpointer   ad,
                gsize           ad_len,
                GError        **error)
{
  g_autoptr(PhSecret) plain = NULL;

  if (sealed_len < PH_SEAL_OVERHEAD)
    goto fail;

  plain = ph_secret_new (sealed_len - PH_SEAL_OVERHEAD);
  if (!ph_crypto_open_into (key, sealed, sealed_len, ad, ad_len, ph_secret_get_mutable (plain)))
    goto fail;
  return g_steal_pointer (&plain);

fail:
  g_set_error (error, PH_CRYPTO_ERROR, PH_CRYPTO_ERROR_DECRYPT,
               _("Decryption failed: the data is damaged or the key is wrong"));
  return NULL;
}

/**
 * ph_recovery_key_format:
 * @raw: %PH_RECOVERY_KEY_BYTES random bytes
 *
 * Formats a recovery key for people: 160 random bits and a 20-bit checksum (BLAKE2b) in
 * Crockford base32, nine groups of four separated by dashes, for example
 * `7K2M-...`. The checksum catches a mistyped character before any decryption is tried.
 */
PhSecret *
ph_recovery_key_format (const PhSecret *raw)
{
  guint8 buf[PH_RECOVERY_KEY_BYTES + PH_RECOVERY_CHECK_BYTES];
  guint8 check[32];
  g_autoptr(PhSecret) text = NULL;
  guint bits = 0, acc = 0, nchars = 0;
  gsize total_chars = PH_RECOVERY_GROUPS * 4;
  char *out;

  g_return_val_if_fail (ph_secret_get_length (raw) == PH_RECOVERY_KEY_BYTES, NULL);

  memcpy (buf, ph_secret_get_data (raw), PH_RECOVERY_KEY_BYTES);
  crypto_generichash (check, sizeof check, buf, PH_RECOVERY_KEY_BYTES, NULL, 0);
  memcpy (buf + PH_RECOVERY_KEY_BYTES, check, PH_RECOVERY_CHECK_BYTES);

  text = ph_secret_new (total_chars + PH_RECOVERY_GROUPS - 1);
  out = (char *) ph_secret_get_mutable (text);
  for (gsize i = 0; i < sizeof buf && nchars < total_chars; i++)
    {
      acc = (acc << 8) | buf[i];
      bits += 8;
      while (bits >= 5 && nchars < total_chars)
        {
          if (nchars > 0 && nchars % 4 == 0)
            *out++ = '-';
          *out++ = crockford[(acc >> (bits - 5)) & 31];
          bits -= 5;
          nchars++;
        }
    }
  sodium_memzero (buf, sizeof buf);
  sodium_memzero (&acc, sizeof acc);
  g_assert (nchars == total_chars);
  return g_steal_pointer (&text);
}

static int
crockford_value (char c)
{
  c = g_ascii_toupper (c);
  if (c == 'O')
    c = '0';
  else if (c == 'I' || c == 'L')
    c = '1';
  for (int i = 0; i < 32; i++)
    if (crockford[i] == c)
      return i;
  return -1;
}

/* Parses a recovery key as a person may type it: any case, spaces or dashes, O for 0, I/L for 1. */
PhSecret *
ph_recovery_key_parse (const char *text,
                       GError    **error)
{
  guint8 buf[PH_RECOVERY_KEY_BYTES + PH_RECOVERY_CHECK_BYTES + 1] = { 0 };
  guint8 check[32];
  guint acc = 0, bits = 0;
  gsize nbytes = 0, nchars = 0;
  PhSecret *raw;

  for (const char *p = text; *p; p++)
    {
      int v;

      if (*p == '-' || *p == ' ' || *p == '\t')
        continue;
      v = crockford_value (*p);
      if (v < 0 || nchars >= PH_RECOVERY_GROUPS * 4)
        goto invalid;
      nchars++;
      acc = (acc << 5) | (guint) v;
      bits += 5;
      if (bits >= 8)
        {
          buf[nbytes++] = (acc >> (bits - 8)) & 0xff;
          bits -= 8;
        }
    }

  if (bits > 0)
    buf[nbytes++] = (acc << (8 - bits)) & 0xff;
  if (nchars != PH_RECOVERY_GROUPS * 4 || nbytes < PH_RECOVERY_KEY_BYTES + PH_RECOVERY_CHECK_BYTES)
    goto invalid;

  crypto_generichash (check, sizeof check, buf, PH_RECOVERY_KEY_BYTES, NULL, 0);
  /* The checksum is 20 bits wide: 2 full bytes and the top nibble of the third. */
  if (sodium_memcmp (check, buf + PH_RECOVERY_KEY_BYTES, 2) != 0 ||
      (check[2] & 0xf0) != (buf[PH_RECOVERY_KEY_BYTES + 2] & 0xf0))
    goto invalid;

  raw = ph_secret_new_from_data (buf, PH_RECOVERY_KEY_BYTES);
  sodium_memzero (buf, sizeof buf);
  sodium_memzero (&acc, sizeof acc);
  return raw;

invalid:
  sodium_memzero (buf, sizeof buf);
  sodium_memzero (&acc, sizeof acc);
  g_set_error (error, PH_CRYPTO_ERROR, PH_CRYPTO_ERROR_RECOVERY_KEY,
               _("This is not a valid recovery key: check it for typing mistakes"));
  return NULL;
}
