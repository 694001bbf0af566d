/* test-generator.c: passwords and passphrases: lengths, classes, exclusions, uniformity.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <math.h>

#include "ph-generator.h"

static void
test_password_classes (void)
{
  PhPasswordOptions options;
  g_autoptr(GError) error = NULL;

  ph_password_options_init (&options);
  for (int i = 0; i < 500; i++)
    {
      g_autoptr(PhSecret) pw = NULL;
      const char *t;
      gboolean lower = FALSE, upper = FALSE, digit = FALSE, symbol = FALSE;

      options.length = 4 + i % 30;
      pw = ph_generate_password (&options, NULL, &error);
      g_assert_no_error (error);
      t = ph_secret_get_text (pw);
      g_assert_cmpuint (strlen (t), ==, options.length);
      for (const char *p = t; *p; p++)
        {
          lower |= g_ascii_islower (*p);
          upper |= g_ascii_isupper (*p);
          digit |= g_ascii_isdigit (*p);
          symbol |= g_ascii_ispunct (*p);
        }
      g_assert_true (lower && upper && digit && symbol);
    }
}

static void
test_password_exclusions (void)
{
  PhPasswordOptions options;
  double bits = 0;

  ph_password_options_init (&options);
  options.length = 64;
  options.classes = PH_CHARS_LOWER | PH_CHARS_DIGITS;
  options.exclude_ambiguous = TRUE;
  options.exclude = "abc";
  for (int i = 0; i < 200; i++)
    {
      g_autoptr(PhSecret) pw = ph_generate_password (&options, &bits, NULL);
      g_assert_null (strpbrk (ph_secret_get_text (pw), "abc01lIoO"));
      for (const char *p = ph_secret_get_text (pw); *p; p++)
        g_assert_true (g_ascii_islower (*p) || g_ascii_isdigit (*p));
    }
  /* 26 - 3 - 2 (l, o) letters + 10 - 2 (0, 1) digits = 29 symbols. */
  g_assert_cmpfloat_with_epsilon (bits, 64 * log2 (29), 0.001);
}

static void
test_password_invalid (void)
{
  PhPasswordOptions options;
  g_autoptr(GError) error = NULL;

  ph_password_options_init (&options);
  options.length = 0;
  g_assert_null (ph_generate_password (&options, NULL, &error));
  g_assert_error (error, PH_GENERATOR_ERROR, PH_GENERATOR_ERROR_INVALID);
  g_clear_error (&error);

  options.length = 3;
  g_assert_null (ph_generate_password (&options, NULL, &error));
  g_assert_error (error, PH_GENERATOR_ERROR, PH_GENERATOR_ERROR_INVALID);
  g_clear_error (&error);

  options.length = 10;
  options.classes = PH_CHARS_DIGITS;
  options.exclude = "0123456789";
  g_assert_null (ph_generate_password (&options, NULL, &error));
  g_assert_error (error, PH_GENERATOR_ERROR, PH_GENERATOR_ERROR_INVALID);
}

/* A chi-square test over digit-only passwords. A modulo bias (256 % 10 favours six digits by
 * 4%) gives chi-square near 360 over a million digits, far above the threshold; an unbiased
 * generator exceeds the threshold once in a million runs, so the test does not flake. */
static void
test_password_uniform (void)
{
  PhPasswordOptions options;
  guint counts[10] = { 0 };
  double chi = 0, expected;
  guint total = 0;

  ph_password_options_init (&options);
  options.classes = PH_CHARS_DIGITS;
  options.length = 100;
  for (int i = 0; i < 10000; i++)
    {
      g_autoptr(PhSecret) pw = ph_generate_password (&options, NULL, NULL);
      for (const char *p = ph_secret_get_text (pw); *p; p++, total++)
        counts[*p - '0']++;
    }
  expected = total / 10.0;
  for (int d = 0; d < 10; d++)
    chi += (counts[d] - expected) * (counts[d] - expected) / expected;
  /* 9 degrees of freedom: 44.81 is the 10^-6 critical value. */
  g_assert_cmpfloat (chi, <, 44.81);
}

static void
test_passphrase (void)
{
  g_autoptr(GError) error = NULL;
  double bits = 0;
  g_autoptr(PhSecret) phrase = ph_generate_passphrase (6, " ", &bits, &error);
  g_auto(GStrv) words = NULL;

  g_assert_no_error (error);
  words = g_strsplit (ph_secret_get_text (phrase), " ", -1);
  g_assert_cmpuint (g_strv_length (words), ==, 6);
  for (guint i = 0; words[i]; i++)
    {
      g_assert_cmpuint (strlen (words[i]), >=, 3);
      for (const char *p = words[i]; *p; p++)
        g_assert_true (g_ascii_islower (*p) || *p == '-');
    }
  g_assert_cmpfloat_with_epsilon (bits, 6 * log2 (7776), 0.001);

  g_assert_null (ph_generate_passphrase (0, NULL, NULL, &error));
  g_assert_error (error, PH_GENERATOR_ERROR, PH_GENERATOR_ERROR_INVALID);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/generator/password-classes", test_password_classes);
  g_test_add_func ("/generator/password-exclusions", test_password_exclusions);
  g_test_add_func ("/generator/password-invalid", test_password_invalid);
  g_test_add_func ("/generator/password-uniform", test_password_uniform);
  g_test_add_func ("/generator/passphrase", test_passphrase);

  return g_test_run ();
}
