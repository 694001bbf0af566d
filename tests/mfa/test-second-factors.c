/* test-second-factors.c: the vault's own authenticator app and recovery codes: enrollment only
 * with a right code, a code good once (even within its window), one step of clock skew, recovery
 * codes each good once and voided by new ones, and all of it kept across a save.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ph-otp.h"
#include "ph-second-factors.h"
#include "ph-test-util.h"

static char *
code_at (const char *uri,
         gint64      time)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhOtp) otp = ph_otp_new_from_uri (uri, &error);

  g_assert_no_error (error);
  return ph_otp_code_at (otp, time);
}

static void
test_totp (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(PhSecret) uri = ph_second_factors_new_totp_uri ("alice");
  g_autoptr(GError) error = NULL;
  const char *u = ph_secret_get_text (uri);
  gint64 now = 1800000000 + 7;   /* well inside a step */
  PhSecondFactorInfo info;

  g_assert_true (g_str_has_prefix (u, "otpauth://totp/Perihelion:alice?secret="));
  g_assert_true (ph_second_factors_get_info (vault, &info, &error));
  g_assert_false (info.totp);
  /* Nothing to check against yet. */
  g_assert_false (ph_second_factors_verify (vault, "123456", now, NULL, &error));
  g_assert_error (error, PH_MFA_ERROR, PH_MFA_ERROR_NOT_ENROLLED);
  g_clear_error (&error);

  /* Enrolled only with a code the authenticator really shows. */
  {
    g_autofree char *right = code_at (u, now);
    g_autofree char *wrong = g_strdup_printf ("%06d", (atoi (right) + 1) % 1000000);

    g_assert_false (ph_second_factors_enroll_totp (vault, u, wrong, now, &error));
    g_assert_error (error, PH_MFA_ERROR, PH_MFA_ERROR_WRONG_CODE);
    g_clear_error (&error);
    g_assert_true (ph_second_factors_get_info (vault, &info, &error));
    g_assert_false (info.totp);
    g_assert_true (ph_second_factors_enroll_totp (vault, u, right, now, &error));
    g_assert_no_error (error);
    g_assert_true (ph_second_factors_get_info (vault, &info, &error));
    g_assert_true (info.totp);
    /* The enrollment used that code: not again. */
    g_assert_false (ph_second_factors_verify (vault, right, now, NULL, &error));
    g_assert_error (error, PH_MFA_ERROR, PH_MFA_ERROR_REPLAYED);
    g_clear_error (&error);
  }
  /* The next step's code: good once. */
  {
    g_autofree char *next = code_at (u, now + 30);

    g_assert_true (ph_second_factors_verify (vault, next, now + 30, NULL, &error));
    g_assert_no_error (error);
    g_assert_false (ph_second_factors_verify (vault, next, now + 31, NULL, &error));
    g_assert_error (error, PH_MFA_ERROR, PH_MFA_ERROR_REPLAYED);
    g_clear_error (&error);
  }
  /* One step of skew either side; two steps is too far. */
  {
    g_autofree char *ahead = code_at (u, now + 120);
    g_autofree char *late = code_at (u, now + 150);
    g_autofree char *far = code_at (u, now + 300);

    g_assert_true (ph_second_factors_verify (vault, ahead, now + 90, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (ph_second_factors_verify (vault, late, now + 180, NULL, &error));
    g_assert_no_error (error);
    g_assert_false (ph_second_factors_verify (vault, far, now + 200, NULL, &error));
    g_assert_error (error, PH_MFA_ERROR, PH_MFA_ERROR_WRONG_CODE);
    g_clear_error (&error);
  }

  /* Kept, sealed, across a save; the last step too. */
  g_assert_true (ph_vault_save (vault, &error));
  g_clear_object (&vault);
  vault = ph_test_open_vault (path, "pw");
  {
    g_autofree char *late_again = code_at (u, now + 150);
    g_autofree char *later = code_at (u, now + 210);
    g_autofree char *contents = NULL;
    gsize length;
    const char *secret = strstr (u, "secret=") + 7;

    g_assert_false (ph_second_factors_verify (vault, late_again, now + 180, NULL, &error));
    g_assert_error (error, PH_MFA_ERROR, PH_MFA_ERROR_REPLAYED);
    g_clear_error (&error);
    g_assert_true (ph_second_factors_verify (vault, later, now + 210, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (path, &contents, &length, NULL));
    g_assert_null (g_strstr_len (contents, length, "Perihelion:alice"));
    g_assert_null (g_strstr_len (contents, length, (char[9]) { secret[0], secret[1], secret[2], secret[3], secret[4],
                                                             secret[5], secret[6], secret[7], 0 }));
  }
  g_assert_true (ph_second_factors_remove_totp (vault, &error));
  g_assert_true (ph_second_factors_get_info (vault, &info, &error));
  g_assert_false (info.totp);
  ph_test_remove_dir (dir);
}

static void
test_recovery_codes (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) codes = ph_second_factors_new_recovery_codes (vault, &error);
  g_auto(GStrv) fresh = NULL;
  g_autofree char *lowercase = NULL;
  PhSecondFactorInfo info;
  gboolean recovery = FALSE;

  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (codes), ==, PH_RECOVERY_CODES);
  for (guint i = 0; codes[i]; i++)
    {
      g_assert_cmpuint (strlen (codes[i]), ==, 19);
      g_assert_true (g_regex_match_simple ("^[A-Z2-7]{4}(-[A-Z2-7]{4}){3}$", codes[i], 0, 0));
      for (guint j = 0; j < i; j++)
        g_assert_cmpstr (codes[i], !=, codes[j]);
    }
  /* Any case, dashes or not: good once. */
  lowercase = g_ascii_strdown (codes[3], -1);
  g_assert_true (ph_second_factors_verify (vault, lowercase, 1800000000, &recovery, &error));
  g_assert_no_error (error);
  g_assert_true (recovery);
  g_assert_false (ph_second_factors_verify (vault, codes[3], 1800000000, NULL, &error));
  g_assert_error (error, PH_MFA_ERROR, PH_MFA_ERROR_WRONG_CODE);
  g_clear_error (&error);
  g_assert_true (ph_second_factors_get_info (vault, &info, &error));
  g_assert_cmpuint (info.recovery_codes, ==, PH_RECOVERY_CODES - 1);
  g_assert_false (ph_second_factors_verify (vault, "AAAA-BBBB-CCCC-DDDD", 1800000000, NULL, &error));
  g_assert_error (error, PH_MFA_ERROR, PH_MFA_ERROR_WRONG_CODE);
  g_clear_error (&error);

  /* New codes void the old ones. */
  fresh = ph_second_factors_new_recovery_codes (vault, &error);
  g_assert_false (ph_second_factors_verify (vault, codes[0], 1800000000, NULL, &error));
  g_assert_error (error, PH_MFA_ERROR, PH_MFA_ERROR_WRONG_CODE);
  g_clear_error (&error);
  g_assert_true (ph_vault_save (vault, &error));
  g_clear_object (&vault);
  vault = ph_test_open_vault (path, "pw");
  g_assert_true (ph_second_factors_verify (vault, fresh[9], 1800000000, NULL, &error));
  g_assert_no_error (error);
  ph_test_remove_dir (dir);
}

/* Security keys kept in the state: added, listed, renamed, removed, kept across a save. */
static void
test_security_keys (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) keys = NULL;
  PhFido2Credential credential = {
    .id = g_bytes_new ("credential-id-0123456789", 24),
    .public_key = g_bytes_new_take (g_malloc0 (64), 64),
    .counter = 7,
    .user_verification = TRUE,
  };
  PhSecondFactorInfo info;
  g_autofree char *id = NULL;

  g_assert_true (ph_second_factors_add_key (vault, &credential, TRUE, "Blue key\nwith a line break", &error));
  g_assert_no_error (error);
  g_assert_true (ph_vault_save (vault, &error));
  g_clear_object (&vault);
  vault = ph_test_open_vault (path, "pw");
  g_assert_true (ph_second_factors_get_info (vault, &info, &error));
  g_assert_cmpuint (info.security_keys, ==, 1);
  keys = ph_second_factors_list_keys (vault, &error);
  g_assert_cmpuint (keys->len, ==, 1);
  id = g_strdup (((PhSecurityKey *) g_ptr_array_index (keys, 0))->id);
  g_assert_cmpstr (((PhSecurityKey *) g_ptr_array_index (keys, 0))->name, ==, "Blue key with a line break");
  g_assert_true (((PhSecurityKey *) g_ptr_array_index (keys, 0))->user_verification);
  g_assert_cmpuint (((PhSecurityKey *) g_ptr_array_index (keys, 0))->counter, ==, 7);
  g_assert_true (ph_second_factors_rename_key (vault, id, "Spare key", &error));
  g_clear_pointer (&keys, g_ptr_array_unref);
  keys = ph_second_factors_list_keys (vault, &error);
  g_assert_cmpstr (((PhSecurityKey *) g_ptr_array_index (keys, 0))->name, ==, "Spare key");
  g_assert_false (ph_second_factors_rename_key (vault, "bm9uZQ==", "x", &error));
  g_assert_error (error, PH_MFA_ERROR, PH_MFA_ERROR_NOT_ENROLLED);
  g_clear_error (&error);
  g_assert_true (ph_second_factors_remove_key (vault, id, &error));
  g_assert_true (ph_second_factors_get_info (vault, &info, &error));
  g_assert_cmpuint (info.security_keys, ==, 0);
  g_bytes_unref (credential.id);
  g_bytes_unref (credential.public_key);
  ph_test_remove_dir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  ph_crypto_init ();
  g_test_add_func ("/mfa/second-factors/totp", test_totp);
  g_test_add_func ("/mfa/second-factors/recovery-codes", test_recovery_codes);
  g_test_add_func ("/mfa/second-factors/security-keys", test_security_keys);
  return g_test_run ();
}
