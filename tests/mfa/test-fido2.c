/* test-fido2.c: security keys through libfido2's real client code, against a software
 * authenticator plugged in with fido_dev_set_io_functions (CTAPHID, GetInfo, MakeCredential,
 * GetAssertion): registration with a verified attestation, assertions checked here, and what a
 * client must refuse: another key's signature, a counter that goes back (a cloned key), and a
 * missing user-verification flag when it is required.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <openssl/pem.h>
#include <fido/es256.h>

#include "ph-fido2.h"
#include "ph-quick-unlock.h"
#include "ph-test-util.h"
#include "ph-soft-authenticator.h"

#define RP "perihelion.local"

static void
test_register_and_assert (void)
{
  g_autoptr(PhSoftAuthenticator) authenticator = ph_soft_authenticator_new ();
  fido_dev_t *dev = ph_soft_authenticator_open (authenticator);
  g_autoptr(PhFido2Credential) credential = NULL;
  g_autoptr(PhFido2Credential) other = NULL;
  g_autoptr(GError) error = NULL;
  guint32 before;

  g_assert_nonnull (dev);
  g_assert_true (fido_dev_is_fido2 (dev));
  credential = ph_fido2_register (dev, RP, "alice", TRUE, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (credential->id), ==, 32);
  g_assert_cmpuint (g_bytes_get_size (credential->public_key), ==, 64);
  g_assert_nonnull (strstr (credential->attestation, "self-attestation"));

  /* Signed by the key, with presence and verification, the counter going up. */
  before = credential->counter;
  g_assert_true (ph_fido2_assert (dev, RP, credential, TRUE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (credential->counter, >, before);
  g_assert_true (ph_fido2_assert (dev, RP, credential, FALSE, &error));
  g_assert_no_error (error);

  /* Another credential's public key: the signature does not verify. */
  other = ph_fido2_register (dev, RP, "mallory", FALSE, &error);
  g_assert_no_error (error);
  {
    PhFido2Credential forged = *credential;

    forged.public_key = other->public_key;
    g_assert_false (ph_fido2_assert (dev, RP, &forged, FALSE, &error));
    g_assert_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_SIGNATURE);
    g_clear_error (&error);
  }
  /* Another relying party: the key has no credential for it. */
  g_assert_false (ph_fido2_assert (dev, "evil.example", credential, FALSE, &error));
  g_assert_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_DEVICE);
  g_clear_error (&error);

  /* A counter that goes back: a clone of the key. */
  ph_soft_authenticator_set_counter (authenticator, 1);
  g_assert_false (ph_fido2_assert (dev, RP, credential, FALSE, &error));
  g_assert_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_COUNTER);
  g_clear_error (&error);
  ph_soft_authenticator_set_counter (authenticator, credential->counter + 10);

  /* No user verification where it is required. */
  ph_soft_authenticator_set_uv (authenticator, FALSE);
  g_assert_false (ph_fido2_assert (dev, RP, credential, TRUE, &error));
  g_assert_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_USER_VERIFICATION);
  g_clear_error (&error);
  g_assert_true (ph_fido2_assert (dev, RP, credential, FALSE, &error));
  g_assert_no_error (error);
  g_assert_null (ph_fido2_register (dev, RP, "bob", TRUE, &error));
  g_assert_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_USER_VERIFICATION);

  fido_dev_close (dev);
  fido_dev_free (&dev);
}

/* hmac-secret: the same salt gives the same secret (and only with this key), another salt
 * another one. */
static void
test_hmac_secret (void)
{
  g_autoptr(PhSoftAuthenticator) authenticator = ph_soft_authenticator_new ();
  g_autoptr(PhSoftAuthenticator) other_authenticator = ph_soft_authenticator_new ();
  fido_dev_t *dev = ph_soft_authenticator_open (authenticator);
  g_autoptr(PhFido2Credential) credential = NULL;
  g_autoptr(PhSecret) first = NULL;
  g_autoptr(PhSecret) again = NULL;
  g_autoptr(PhSecret) other = NULL;
  g_autoptr(GError) error = NULL;
  guint8 salt[32], salt2[32];

  memset (salt, 7, sizeof salt);
  memset (salt2, 9, sizeof salt2);
  credential = ph_fido2_register_full (dev, RP, "alice", FALSE, TRUE, TRUE, &error);
  g_assert_no_error (error);
  g_assert_true (credential->hmac_secret);
  first = ph_fido2_hmac_secret (dev, RP, credential, salt, &error);
  g_assert_no_error (error);
  again = ph_fido2_hmac_secret (dev, RP, credential, salt, &error);
  g_assert_no_error (error);
  other = ph_fido2_hmac_secret (dev, RP, credential, salt2, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (ph_secret_get_data (first), 32, ph_secret_get_data (again), 32);
  g_assert_true (memcmp (ph_secret_get_data (first), ph_secret_get_data (other), 32) != 0);
  fido_dev_close (dev);
  fido_dev_free (&dev);

  /* Another key does not have the credential. */
  dev = ph_soft_authenticator_open (other_authenticator);
  g_assert_null (ph_fido2_hmac_secret (dev, RP, credential, salt, &error));
  g_assert_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_DEVICE);
  fido_dev_close (dev);
  fido_dev_free (&dev);
}

/* Quick unlock: the vault opened with the security key (and only with it); the password still
 * opens it; the slot survives a save. */
static void
test_quick_unlock (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(PhSoftAuthenticator) authenticator = ph_soft_authenticator_new ();
  g_autoptr(PhSoftAuthenticator) stranger = ph_soft_authenticator_new ();
  g_autoptr(GError) error = NULL;
  fido_dev_t *dev = ph_soft_authenticator_open (authenticator);

  {
    g_autoptr(PhVault) vault = ph_test_new_vault (path, "master", NULL);

    g_object_unref (ph_test_add_entry (vault, "GitHub", "me", "https://github.com", "s3cr3t"));
    g_assert_true (ph_quick_unlock_enroll (vault, dev, "alice", &error));
    g_assert_no_error (error);
    g_assert_true (ph_vault_has_slot (vault, PH_KEY_SLOT_SECURITY_KEY));
    g_assert_true (ph_vault_save (vault, &error));
  }
  /* A locked vault, opened with the key. */
  {
    g_autoptr(PhVault) vault = ph_vault_load (path, &error);

    g_assert_no_error (error);
    g_assert_true (ph_vault_get_locked (vault));
    g_assert_true (ph_quick_unlock (vault, dev, &error));
    g_assert_no_error (error);
    g_assert_false (ph_vault_get_locked (vault));
    ph_test_assert_secret (vault, ph_vault_find (vault, "GitHub", NULL), PH_FIELD_PASSWORD, "s3cr3t");
  }
  /* Another key: refused, still locked. */
  {
    g_autoptr(PhVault) vault = ph_vault_load (path, &error);
    fido_dev_t *other = ph_soft_authenticator_open (stranger);

    g_assert_false (ph_quick_unlock (vault, other, &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
    g_assert_true (ph_vault_get_locked (vault));
    fido_dev_close (other);
    fido_dev_free (&other);
  }
  /* The password still opens it; removing the slot leaves the password. */
  {
    g_autoptr(PhVault) vault = ph_test_open_vault (path, "master");

    g_assert_true (ph_vault_remove_security_key_slot (vault, &error));
    g_assert_true (ph_vault_save (vault, &error));
  }
  {
    g_autoptr(PhVault) vault = ph_vault_load (path, &error);

    g_assert_false (ph_quick_unlock (vault, dev, &error));
    g_assert_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NO_SLOT);
  }
  fido_dev_close (dev);
  fido_dev_free (&dev);
  ph_test_remove_dir (dir);
}

/* fido2-assert -V (fido2-tools) checks the software authenticator's assertions independently of
 * libfido2's library calls: the signed data and signature format are real; a changed signature
 * fails there too. */
static gboolean
fido2_assert_verifies (const char *input,
                       const char *key_path)
{
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;

  process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, "fido2-assert",
                              "-V", "-p", "-v", key_path, "es256", NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, input, NULL, NULL, NULL, &error));
  return g_subprocess_get_successful (process);
}

static void
test_fido2_assert_cross_check (void)
{
  g_autoptr(PhSoftAuthenticator) authenticator = ph_soft_authenticator_new ();
  g_autofree char *program = g_find_program_in_path ("fido2-assert");
  g_autofree char *dir = NULL;
  g_autofree char *key_path = NULL;
  g_autofree char *cdh64 = NULL, *auth64 = NULL, *sig64 = NULL, *input = NULL, *forged = NULL;
  g_autoptr(PhFido2Credential) credential = NULL;
  g_autoptr(GError) error = NULL;
  fido_dev_t *dev;
  fido_assert_t *assert;
  es256_pk_t *pk;
  EVP_PKEY *pkey;
  FILE *pem;
  guint8 cdh[32];

  if (program == NULL)
    {
      g_test_skip ("fido2-assert (fido2-tools) is not installed");
      return;
    }
  dir = g_dir_make_tmp ("perihelion-fido2-XXXXXX", NULL);
  key_path = g_build_filename (dir, "key.pem", NULL);
  dev = ph_soft_authenticator_open (authenticator);
  credential = ph_fido2_register (dev, RP, "alice", TRUE, &error);
  g_assert_no_error (error);

  /* The public key as PEM, for fido2-assert. */
  pk = es256_pk_new ();
  g_assert_cmpint (es256_pk_from_ptr (pk, g_bytes_get_data (credential->public_key, NULL), 64), ==, FIDO_OK);
  pkey = es256_pk_to_EVP_PKEY (pk);
  pem = fopen (key_path, "w");
  g_assert_nonnull (pem);
  g_assert_true (PEM_write_PUBKEY (pem, pkey));
  fclose (pem);
  EVP_PKEY_free (pkey);
  es256_pk_free (&pk);

  memset (cdh, 0x42, sizeof cdh);
  assert = fido_assert_new ();
  fido_assert_set_clientdata_hash (assert, cdh, sizeof cdh);
  fido_assert_set_rp (assert, RP);
  fido_assert_allow_cred (assert, g_bytes_get_data (credential->id, NULL), g_bytes_get_size (credential->id));
  fido_assert_set_up (assert, FIDO_OPT_TRUE);
  fido_assert_set_uv (assert, FIDO_OPT_TRUE);
  g_assert_cmpint (fido_dev_get_assert (dev, assert, NULL), ==, FIDO_OK);
  cdh64 = g_base64_encode (cdh, sizeof cdh);
  auth64 = g_base64_encode (fido_assert_authdata_ptr (assert, 0), fido_assert_authdata_len (assert, 0));
  sig64 = g_base64_encode (fido_assert_sig_ptr (assert, 0), fido_assert_sig_len (assert, 0));
  input = g_strdup_printf ("%s\n%s\n%s\n%s\n", cdh64, RP, auth64, sig64);
  g_assert_true (fido2_assert_verifies (input, key_path));

  /* Another client data hash: the same signature no longer verifies. */
  memset (cdh, 0x43, sizeof cdh);
  g_free (cdh64);
  cdh64 = g_base64_encode (cdh, sizeof cdh);
  forged = g_strdup_printf ("%s\n%s\n%s\n%s\n", cdh64, RP, auth64, sig64);
  g_assert_false (fido2_assert_verifies (forged, key_path));

  fido_assert_free (&assert);
  fido_dev_close (dev);
  fido_dev_free (&dev);
  g_unlink (key_path);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  fido_init (0);
  ph_crypto_init ();
  g_test_add_func ("/mfa/fido2/register-and-assert", test_register_and_assert);
  g_test_add_func ("/mfa/fido2/hmac-secret", test_hmac_secret);
  g_test_add_func ("/mfa/fido2/quick-unlock", test_quick_unlock);
  g_test_add_func ("/mfa/fido2/fido2-assert-cross-check", test_fido2_assert_cross_check);
  return g_test_run ();
}
