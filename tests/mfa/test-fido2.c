/* test-fido2.c: security keys through libfido2's real client code, against a software
 * authenticator plugged in with fido_dev_set_io_functions (CTAPHID, GetInfo, MakeCredential,
 * GetAssertion): registration with a verified attestation, assertions checked here, and what a
 * client must refuse: another key's signature, a counter that goes back (a cloned key), and a
 * missing user-verification flag when it is required.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

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
  credential = ph_fido2_register_full (dev, RP, "alice", FALSE, TRUE, &error);
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
  return g_test_run ();
}
