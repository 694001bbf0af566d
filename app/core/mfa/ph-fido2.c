/* ph-fido2.c: FIDO2 security keys through libfido2.
 *
 * Registering makes an ES256 credential for Perihelion's relying party id, with user
 * verification when asked for, and verifies its attestation: a certificate chain's signature
 * ("packed" with x5c) or self-attestation; what vouched for the key is kept to show the person.
 * An assertion is asked for that one credential with a fresh random challenge and checked here,
 * not trusted from the key: the signature with the registered public key, user presence, user
 * verification when required, and a signature counter that must go up (a counter that goes
 * back means the key may have been cloned).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <fido/es256.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "ph-fido2.h"

G_DEFINE_QUARK (ph-fido2-error-quark, ph_fido2_error)

static gboolean
check (int          r,
       const char  *what,
       GError     **error)
{
  if (r == FIDO_OK)
    return TRUE;
  g_set_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_DEVICE, _("The security key could not %s: %s"), what,
               fido_strerr (r));
  return FALSE;
}

void
ph_fido2_credential_free (PhFido2Credential *credential)
{
  if (credential == NULL)
    return;
  g_clear_pointer (&credential->id, g_bytes_unref);
  g_clear_pointer (&credential->public_key, g_bytes_unref);
  g_free (credential->attestation);
  g_free (credential);
}

/**
 * ph_fido2_register:
 * @rp_id: the relying party id (Perihelion's: "perihelion.local" by default)
 * @user_verification: ask the key to verify the person (PIN or biometrics) too, when it can
 *   (a key with neither registers with a touch only: @credential says which)
 *
 * Returns: (transfer full): the credential, with its attestation verified
 */
PhFido2Credential *
ph_fido2_register (fido_dev_t  *dev,
                   const char  *rp_id,
                   const char  *user_name,
                   gboolean     user_verification,
                   GError     **error)
{
  return ph_fido2_register_full (dev, rp_id, user_name, user_verification, FALSE, FALSE, error);
}

/**
 * ph_fido2_register_full:
 * @resident: keep the credential on the key (a discoverable credential), or not
 * @hmac_secret: ask for the hmac-secret extension (a secret the key derives from a salt, only
 *   for this credential: what quick unlock wraps the vault key with)
 */
PhFido2Credential *
ph_fido2_register_full (fido_dev_t  *dev,
                        const char  *rp_id,
                        const char  *user_name,
                        gboolean     user_verification,
                        gboolean     resident,
                        gboolean     hmac_secret,
                        GError     **error)
{
  fido_cred_t *cred = fido_cred_new ();
  g_autoptr(PhFido2Credential) credential = NULL;
  guint8 challenge[32], user_id[16];
  int r;

  randombytes_buf (challenge, sizeof challenge);
  randombytes_buf (user_id, sizeof user_id);
  if (user_verification && fido_dev_supports_uv (dev) == FALSE && fido_dev_has_pin (dev) == FALSE)
    user_verification = FALSE;
  if (!check (fido_cred_set_type (cred, COSE_ES256), "use ES256", error) ||
      !check (fido_cred_set_clientdata_hash (cred, challenge, sizeof challenge), "take the challenge", error) ||
      !check (fido_cred_set_rp (cred, rp_id, "Perihelion"), "take the relying party", error) ||
      !check (fido_cred_set_user (cred, user_id, sizeof user_id, user_name, user_name, NULL), "take the user", error) ||
      !check (fido_cred_set_rk (cred, resident ? FIDO_OPT_TRUE : FIDO_OPT_OMIT), "set the options", error) ||
      !check (fido_cred_set_uv (cred, user_verification ? FIDO_OPT_TRUE : FIDO_OPT_OMIT), "set the options", error) ||
      (hmac_secret && !check (fido_cred_set_extensions (cred, FIDO_EXT_HMAC_SECRET), "derive secrets", error)) ||
      !check (fido_dev_make_cred (dev, cred, NULL), "make a credential", error))
    {
      fido_cred_free (&cred);
      return NULL;
    }
  /* Said as such, before libfido2's verification refuses it as a bad parameter. */
  if (user_verification && !(fido_cred_flags (cred) & 0x04))
    {
      g_set_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_USER_VERIFICATION,
                   _("The security key did not verify the person (no PIN or biometrics)"));
      fido_cred_free (&cred);
      return NULL;
    }
  credential = g_new0 (PhFido2Credential, 1);
  if (fido_cred_x5c_ptr (cred) != NULL)
    {
      r = fido_cred_verify (cred);
      credential->attestation = g_strdup_printf (_("“%s” attestation with a certificate"), fido_cred_fmt (cred));
    }
  else
    {
      r = fido_cred_verify_self (cred);
      credential->attestation = g_strdup (_("self-attestation (the key vouches for itself)"));
    }
  if (r != FIDO_OK)
    {
      g_set_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_ATTESTATION, _("The security key's attestation does not verify: %s"),
                   fido_strerr (r));
      fido_cred_free (&cred);
      return NULL;
    }
  credential->id = g_bytes_new (fido_cred_id_ptr (cred), fido_cred_id_len (cred));
  credential->public_key = g_bytes_new (fido_cred_pubkey_ptr (cred), fido_cred_pubkey_len (cred));
  credential->counter = fido_cred_sigcount (cred);
  credential->user_verification = user_verification;
  credential->hmac_secret = hmac_secret && (fido_cred_flags (cred) & 0x80);
  fido_cred_free (&cred);
  if (hmac_secret && !credential->hmac_secret)
    {
      g_set_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_DEVICE,
                   _("The security key cannot derive secrets (no hmac-secret): it cannot unlock the vault"));
      return NULL;
    }
  return g_steal_pointer (&credential);
}

static PhFido2DeviceOpener device_opener;
static gpointer device_opener_data;

/**
 * ph_fido2_set_device_opener:
 * @opener: (nullable): where security keys come from; %NULL: the ones libfido2 finds
 *
 * Another source of security keys than the USB and NFC devices libfido2 lists (which cannot be
 * extended from outside the library): a platform's own, or the tests' software authenticator.
 */
void
ph_fido2_set_device_opener (PhFido2DeviceOpener opener,
                            gpointer            data)
{
  device_opener = opener;
  device_opener_data = data;
}

/**
 * ph_fido2_open_device:
 *
 * The first security key libfido2 finds (USB HID or NFC), opened.
 */
fido_dev_t *
ph_fido2_open_device (GError **error)
{
  fido_dev_info_t *list;
  fido_dev_t *dev = NULL;
  size_t n = 0;
  int r = FIDO_OK;

  if (device_opener)
    return device_opener (device_opener_data, error);
  list = fido_dev_info_new (16);
  if (fido_dev_info_manifest (list, 16, &n) != FIDO_OK || n == 0)
    {
      g_set_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_NO_DEVICE, _("No security key is plugged in"));
      fido_dev_info_free (&list, 16);
      return NULL;
    }
  dev = fido_dev_new_with_info (fido_dev_info_ptr (list, 0));
  if (dev == NULL || (r = fido_dev_open_with_info (dev)) != FIDO_OK)
    {
      g_set_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_DEVICE, _("The security key could not be opened: %s"),
                   dev ? fido_strerr (r) : "out of memory");
      fido_dev_free (&dev);
    }
  fido_dev_info_free (&list, 16);
  return dev;
}

void
ph_fido2_close_device (fido_dev_t *dev)
{
  if (dev == NULL)
    return;
  fido_dev_close (dev);
  fido_dev_free (&dev);
}

/**
 * ph_fido2_assert_any:
 * @credentials: (element-type PhFido2Credential): the registered credentials
 *
 * Asks the key to sign a fresh challenge with any of @credentials and checks the answer; the
 * signature counter seen is recorded in the credential that answered (the caller saves it).
 *
 * Returns: (transfer none): the credential that answered, or %NULL with an error
 */
PhFido2Credential *
ph_fido2_assert_any (fido_dev_t         *dev,
                     const char         *rp_id,
                     GPtrArray          *credentials,
                     gboolean            user_verification,
                     GError            **error)
{
  fido_assert_t *assert = fido_assert_new ();
  es256_pk_t *pk = es256_pk_new ();
  PhFido2Credential *credential = NULL, *answered = NULL;
  guint8 challenge[32];
  guint32 counter;
  int r;

  randombytes_buf (challenge, sizeof challenge);
  if (!check (fido_assert_set_clientdata_hash (assert, challenge, sizeof challenge), "take the challenge", error) ||
      !check (fido_assert_set_rp (assert, rp_id), "take the relying party", error) ||
      !check (fido_assert_set_up (assert, FIDO_OPT_TRUE), "set the options", error) ||
      !check (fido_assert_set_uv (assert, user_verification ? FIDO_OPT_TRUE : FIDO_OPT_OMIT), "set the options", error))
    goto out;
  for (guint i = 0; i < credentials->len; i++)
    {
      PhFido2Credential *c = g_ptr_array_index (credentials, i);

      if (!check (fido_assert_allow_cred (assert, g_bytes_get_data (c->id, NULL), g_bytes_get_size (c->id)),
                  "take the credential", error))
        goto out;
    }
  if (!check (fido_dev_get_assert (dev, assert, NULL), "sign", error))
    goto out;
  /* The credential the key answered with (a key returns the id it used). */
  for (guint i = 0; i < credentials->len && credential == NULL; i++)
    {
      PhFido2Credential *c = g_ptr_array_index (credentials, i);

      if (fido_assert_id_len (assert, 0) == g_bytes_get_size (c->id) &&
          memcmp (fido_assert_id_ptr (assert, 0), g_bytes_get_data (c->id, NULL), g_bytes_get_size (c->id)) == 0)
        credential = c;
    }
  if (credential == NULL)
    {
      g_set_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_SIGNATURE, _("The security key answered with a credential it was not asked for"));
      goto out;
    }
  if (es256_pk_from_ptr (pk, g_bytes_get_data (credential->public_key, NULL),
                         g_bytes_get_size (credential->public_key)) != FIDO_OK)
    {
      g_set_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_SIGNATURE, _("The registered public key is damaged"));
      goto out;
    }
  /* libfido2 checks the relying party hash, user presence and (when asked) user verification
   * in the signed data, and the signature. */
  if ((r = fido_assert_verify (assert, 0, COSE_ES256, pk)) != FIDO_OK)
    {
      gboolean no_uv = user_verification && !(fido_assert_flags (assert, 0) & 0x04);

      g_set_error (error, PH_FIDO2_ERROR, no_uv ? PH_FIDO2_ERROR_USER_VERIFICATION : PH_FIDO2_ERROR_SIGNATURE,
                   no_uv ? _("The security key did not verify the person (no PIN or biometrics)")
                         : _("The security key's answer does not verify: %s"), fido_strerr (r));
      goto out;
    }
  counter = fido_assert_sigcount (assert, 0);
  if ((counter != 0 || credential->counter != 0) && counter <= credential->counter)
    {
      g_set_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_COUNTER,
                   _("The security key's counter went back (%u after %u): it may have been cloned"), counter,
                   credential->counter);
      goto out;
    }
  credential->counter = counter;
  answered = credential;
out:
  es256_pk_free (&pk);
  fido_assert_free (&assert);
  return answered;
}

/**
 * ph_fido2_assert:
 *
 * ph_fido2_assert_any() for one credential.
 */
gboolean
ph_fido2_assert (fido_dev_t         *dev,
                 const char         *rp_id,
                 PhFido2Credential  *credential,
                 gboolean            user_verification,
                 GError            **error)
{
  g_autoptr(GPtrArray) one = g_ptr_array_new ();

  g_ptr_array_add (one, credential);
  return ph_fido2_assert_any (dev, rp_id, one, user_verification, error) != NULL;
}

/**
 * ph_fido2_hmac_secret:
 * @salt: 32 bytes, kept with what the secret protects
 *
 * The secret the key derives for @credential from @salt (HMAC-SHA-256 with a random value only
 * the key knows), after a touch; the assertion that carries it is checked like any other (the
 * signature with the registered public key, presence, the counter).
 *
 * Returns: (transfer full): 32 bytes
 */
PhSecret *
ph_fido2_hmac_secret (fido_dev_t         *dev,
                      const char         *rp_id,
                      PhFido2Credential  *credential,
                      const guint8        salt[32],
                      GError            **error)
{
  fido_assert_t *assert = fido_assert_new ();
  es256_pk_t *pk = es256_pk_new ();
  PhSecret *secret = NULL;
  guint8 challenge[32];
  guint32 counter;
  int r;

  randombytes_buf (challenge, sizeof challenge);
  if (!check (fido_assert_set_clientdata_hash (assert, challenge, sizeof challenge), "take the challenge", error) ||
      !check (fido_assert_set_rp (assert, rp_id), "take the relying party", error) ||
      !check (fido_assert_allow_cred (assert, g_bytes_get_data (credential->id, NULL), g_bytes_get_size (credential->id)),
              "take the credential", error) ||
      !check (fido_assert_set_up (assert, FIDO_OPT_TRUE), "set the options", error) ||
      !check (fido_assert_set_extensions (assert, FIDO_EXT_HMAC_SECRET), "derive secrets", error) ||
      !check (fido_assert_set_hmac_salt (assert, salt, 32), "take the salt", error) ||
      !check (fido_dev_get_assert (dev, assert, NULL), "derive the secret", error))
    goto out;
  if (es256_pk_from_ptr (pk, g_bytes_get_data (credential->public_key, NULL),
                         g_bytes_get_size (credential->public_key)) != FIDO_OK ||
      (r = fido_assert_verify (assert, 0, COSE_ES256, pk)) != FIDO_OK)
    {
      g_set_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_SIGNATURE, _("The security key's answer does not verify"));
      goto out;
    }
  counter = fido_assert_sigcount (assert, 0);
  if ((counter != 0 || credential->counter != 0) && counter <= credential->counter)
    {
      g_set_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_COUNTER,
                   _("The security key's counter went back (%u after %u): it may have been cloned"), counter,
                   credential->counter);
      goto out;
    }
  if (fido_assert_hmac_secret_len (assert, 0) != 32)
    {
      g_set_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_DEVICE, _("The security key derived no secret"));
      goto out;
    }
  credential->counter = counter;
  secret = ph_secret_new_from_data (fido_assert_hmac_secret_ptr (assert, 0), 32);
out:
  es256_pk_free (&pk);
  fido_assert_free (&assert);
  return secret;
}
