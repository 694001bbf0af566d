/* test-keystore.c: "remember on this device" against a real gnome-keyring-daemon.
 * Run through run-with-keyring.sh, which starts a private D-Bus session and the daemon.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ph-test-util.h"

static void
test_keystore_round_trip (void)
{
  g_autoptr(PhKeystore) keystore = ph_keystore_new_default ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) value = ph_secret_new_random (32);
  g_autoptr(PhSecret) found = NULL;

  g_assert_nonnull (keystore);
  g_assert_true (ph_keystore_store (keystore, "test:1", "Perihelion test", value, NULL, &error));
  g_assert_no_error (error);
  found = ph_keystore_lookup (keystore, "test:1", NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ph_secret_equal (found, value));
  g_assert_true (ph_keystore_clear (keystore, "test:1", NULL, &error));
  g_clear_pointer (&found, ph_secret_unref);
  found = ph_keystore_lookup (keystore, "test:1", NULL, &error);
  g_assert_null (found);
  g_assert_error (error, PH_KEYSTORE_ERROR, PH_KEYSTORE_ERROR_NOT_FOUND);
}

static void
test_vault_remembered (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(PhKeystore) keystore = ph_keystore_new_default ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(PhVault) reopened = NULL;
  g_autoptr(PhVault) forgotten = NULL;

  ph_test_put_entry (vault, "t", NULL, NULL, "s");
  g_assert_true (ph_vault_remember_on_device (vault, keystore, &error));
  g_assert_no_error (error);
  ph_vault_save (vault, &error);
  g_assert_no_error (error);

  /* No password: the keyring item opens it. */
  reopened = ph_vault_load (path, &error);
  g_assert_true (ph_vault_has_slot (reopened, PH_KEY_SLOT_KEYSTORE));
  g_assert_true (ph_vault_unlock_with_keystore (reopened, keystore, &error));
  g_assert_no_error (error);
  ph_test_assert_secret (reopened, ph_vault_find (reopened, "t", NULL), PH_FIELD_PASSWORD, "s");

  g_assert_true (ph_vault_forget_on_device (reopened, keystore, &error));
  ph_vault_save (reopened, &error);
  g_assert_no_error (error);
  forgotten = ph_vault_load (path, &error);
  g_assert_false (ph_vault_unlock_with_keystore (forgotten, keystore, &error));
  g_assert_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NO_SLOT);

  ph_test_remove_dir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/keystore/round-trip", test_keystore_round_trip);
  g_test_add_func ("/keystore/vault-remembered", test_vault_remembered);

  return g_test_run ();
}
