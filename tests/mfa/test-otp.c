/* test-otp.c: HOTP and TOTP against the RFC 4226 and 6238 vectors and against oathtool (OATH
 * Toolkit) for a few hundred random seeds, algorithms, digit counts, periods and times; Key URIs
 * round-tripped and malformed ones refused with their reason; QR codes made and read back.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <gio/gio.h>

#include "ph-otp.h"
#include "ph-qr.h"

static void
test_rfc4226 (void)
{
  static const guint32 expected[] = { 755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489 };
  const char *key = "12345678901234567890";

  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    g_assert_cmpuint (ph_hotp ((const guint8 *) key, 20, PH_OTP_SHA1, i, 6), ==, expected[i]);
}

static void
test_rfc6238 (void)
{
  static const struct
  {
    gint64 time;
    const char *codes[3];   /* SHA1, SHA256, SHA512 */
  } vectors[] = {
    { 59, { "94287082", "46119246", "90693936" } },
    { 1111111109, { "07081804", "68084774", "25091201" } },
    { 1111111111, { "14050471", "67062674", "99943326" } },
    { 1234567890, { "89005924", "91819424", "93441116" } },
    { 2000000000, { "69279037", "90698825", "38618901" } },
    { G_GINT64_CONSTANT (20000000000), { "65353130", "77737706", "47863826" } },
  };
  const char *seeds[3] = { "12345678901234567890", "12345678901234567890123456789012",
                           "1234567890123456789012345678901234567890123456789012345678901234" };

  for (guint a = 0; a < 3; a++)
    {
      PhOtp otp = { PH_OTP_TOTP, ph_secret_new_from_text (seeds[a]), (PhOtpAlgorithm) a, 8, 30, 0, NULL, NULL };

      for (guint i = 0; i < G_N_ELEMENTS (vectors); i++)
        {
          g_autofree char *code = ph_otp_code_at (&otp, vectors[i].time);

          g_assert_cmpstr (code, ==, vectors[i].codes[a]);
        }
      g_assert_cmpuint (ph_otp_seconds_left (&otp, 59), ==, 1);
      g_assert_cmpuint (ph_otp_seconds_left (&otp, 60), ==, 30);
      ph_secret_unref (otp.key);
    }
}

/* What oathtool says for the same parameters. */
static char *
oathtool (const PhOtp *otp,
          const char  *base32,
          gint64       time)
{
  static const char * const modes[] = { "SHA1", "SHA256", "SHA512" };
  g_autofree char *mode = g_strdup_printf ("--totp=%s", modes[otp->algorithm]);
  g_autofree char *digits = g_strdup_printf ("%u", otp->digits);
  g_autofree char *step = g_strdup_printf ("%us", otp->period);
  g_autofree char *now = g_strdup_printf ("@%" G_GINT64_FORMAT, time);
  g_autofree char *counter = g_strdup_printf ("%" G_GUINT64_FORMAT, otp->counter);
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  char *out = NULL;

  if (otp->kind == PH_OTP_HOTP)
    process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "oathtool", "-b", "-d", digits, "-c", counter,
                                base32, NULL);
  else
    process = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "oathtool", mode, "-b", "-d", digits, "-s",
                                step, "-N", now, base32, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error));
  g_assert_true (g_subprocess_get_successful (process));
  return g_strstrip (out);
}

static void
test_against_oathtool (void)
{
  static const guint periods[] = { 30, 60, 15, 90, 7 };
  guint n = 0;

  g_autofree char *program = g_find_program_in_path ("oathtool");

  if (program == NULL)
    {
      g_test_skip ("oathtool is not installed");
      return;
    }
  for (guint i = 0; i < 300; i++)
    {
      gsize key_length = g_test_rand_int_range (10, 65);
      g_autoptr(PhSecret) key = ph_secret_new_random (key_length);
      g_autoptr(PhSecret) base32 = ph_base32_encode (ph_secret_get_data (key), key_length);
      PhOtp otp = { i % 10 == 9 ? PH_OTP_HOTP : PH_OTP_TOTP, key, (PhOtpAlgorithm) g_test_rand_int_range (0, 3),
                    g_test_rand_int_range (6, 9), periods[i % G_N_ELEMENTS (periods)],
                    (guint64) g_test_rand_int_range (0, G_MAXINT32), NULL, NULL };
      gint64 time = ((gint64) g_test_rand_int_range (0, G_MAXINT32) << 2) + g_test_rand_int_range (0, 4);
      g_autofree char *ours = NULL;
      g_autofree char *theirs = NULL;

      /* oathtool does HOTP with SHA-1 only. */
      if (otp.kind == PH_OTP_HOTP)
        otp.algorithm = PH_OTP_SHA1;
      ours = ph_otp_code_at (&otp, time);
      theirs = oathtool (&otp, ph_secret_get_text (base32), time);
      if (g_strcmp0 (ours, theirs) != 0)
        g_error ("case %u (%s, algorithm %d, %u digits, period %u, time %" G_GINT64_FORMAT "): %s, oathtool %s", i,
                 otp.kind == PH_OTP_HOTP ? "HOTP" : "TOTP", otp.algorithm, otp.digits, otp.period, time, ours, theirs);
      n++;
    }
  g_test_message ("%u codes equal to oathtool's", n);
}

static void
test_base32 (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) decoded = ph_base32_decode ("jbsw y3dp-ehpk3pxp==", strlen ("jbsw y3dp-ehpk3pxp=="), &error);
  g_autoptr(PhSecret) encoded = NULL;

  g_assert_no_error (error);
  g_assert_cmpmem (ph_secret_get_data (decoded), ph_secret_get_length (decoded), "Hello!\xde\xad\xbe\xef", 10);
  encoded = ph_base32_encode (ph_secret_get_data (decoded), ph_secret_get_length (decoded));
  g_assert_cmpstr (ph_secret_get_text (encoded), ==, "JBSWY3DPEHPK3PXP");
  for (guint n = 0; n < 40; n++)
    {
      g_autoptr(PhSecret) data = ph_secret_new_random (n);
      g_autoptr(PhSecret) text = ph_base32_encode (ph_secret_get_data (data), n);
      g_autoptr(PhSecret) back = ph_base32_decode (ph_secret_get_text (text), ph_secret_get_length (text), &error);

      g_assert_no_error (error);
      g_assert_cmpmem (ph_secret_get_data (back), ph_secret_get_length (back), ph_secret_get_data (data), n);
    }
  g_assert_null (ph_base32_decode ("JBSW1", 5, &error));
  g_assert_error (error, PH_OTP_ERROR, PH_OTP_ERROR_SECRET);
}

static void
test_uri_round_trip (void)
{
  const char *uris[] = {
    "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example",
    "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co"
    "&algorithm=SHA256&digits=8&period=60",
    "otpauth://hotp/bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=42&algorithm=SHA512&digits=7",
    "otpauth://totp/GitHub:octocat?secret=gezdgnbvgy3tqojqgezdgnbvgy3tqojq%3D%3D%3D&issuer=GitHub",
  };

  for (guint i = 0; i < G_N_ELEMENTS (uris); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PhOtp) otp = ph_otp_new_from_uri (uris[i], &error);
      g_autoptr(PhSecret) uri = NULL;
      g_autoptr(PhOtp) again = NULL;
      g_autofree char *code = NULL;
      g_autofree char *code_again = NULL;

      g_assert_no_error (error);
      uri = ph_otp_to_uri (otp);
      again = ph_otp_new_from_uri (ph_secret_get_text (uri), &error);
      g_assert_no_error (error);
      g_assert_cmpint (again->kind, ==, otp->kind);
      g_assert_cmpint (again->algorithm, ==, otp->algorithm);
      g_assert_cmpuint (again->digits, ==, otp->digits);
      g_assert_cmpuint (again->period, ==, otp->period);
      g_assert_cmpuint (again->counter, ==, otp->counter);
      g_assert_cmpstr (again->issuer, ==, otp->issuer);
      g_assert_cmpstr (again->account, ==, otp->account);
      g_assert_cmpmem (ph_secret_get_data (again->key), ph_secret_get_length (again->key),
                       ph_secret_get_data (otp->key), ph_secret_get_length (otp->key));
      code = ph_otp_code_at (otp, 1700000000);
      code_again = ph_otp_code_at (again, 1700000000);
      g_assert_cmpstr (code, ==, code_again);
    }
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(PhOtp) otp = ph_otp_new_from_uri (uris[1], &error);

    g_assert_cmpstr (otp->issuer, ==, "ACME Co");
    g_assert_cmpstr (otp->account, ==, "john.doe@email.com");
    g_assert_cmpint (otp->algorithm, ==, PH_OTP_SHA256);
    g_assert_cmpuint (otp->digits, ==, 8);
    g_assert_cmpuint (otp->period, ==, 60);
  }
  /* A typed secret: the usual parameters. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(PhOtp) otp = ph_otp_new_from_secret ("jbsw y3dp ehpk 3pxp", "Example", "alice", &error);
    g_autoptr(PhSecret) uri = NULL;

    g_assert_no_error (error);
    uri = ph_otp_to_uri (otp);
    g_assert_cmpstr (ph_secret_get_text (uri), ==,
                     "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example&algorithm=SHA1&digits=6&period=30");
  }
}

static void
test_uri_refused (void)
{
  static const struct
  {
    const char *uri;
    int code;
    const char *words;   /* in the message */
  } cases[] = {
    { "https://example.com/?secret=JBSWY3DPEHPK3PXP", PH_OTP_ERROR_URI, "otpauth" },
    { "otpauth://motp/x?secret=JBSWY3DPEHPK3PXP", PH_OTP_ERROR_URI, "totp or hotp" },
    { "otpauth://totp/x", PH_OTP_ERROR_SECRET, "no secret" },
    { "otpauth://totp/x?issuer=X", PH_OTP_ERROR_SECRET, "no secret" },
    { "otpauth://totp/x?secret=JBSWY3DP1HPK3PXP", PH_OTP_ERROR_SECRET, "Base32" },
    { "otpauth://totp/x?secret=JBSWY3DP", PH_OTP_ERROR_SECRET, "too short" },
    { "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=9", PH_OTP_ERROR_PARAMETER, "digit count" },
    { "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=5", PH_OTP_ERROR_PARAMETER, "digit count" },
    { "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=six", PH_OTP_ERROR_PARAMETER, "digit count" },
    { "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0", PH_OTP_ERROR_PARAMETER, "period" },
    { "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5", PH_OTP_ERROR_PARAMETER, "MD5" },
    { "otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP", PH_OTP_ERROR_PARAMETER, "counter" },
    { "otpauth://totp/A:x?secret=JBSWY3DPEHPK3PXP&issuer=B", PH_OTP_ERROR_URI, "issuer" },
    { "otpauth://totp/%FF?secret=JBSWY3DPEHPK3PXP", PH_OTP_ERROR_URI, "UTF-8" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PhOtp) otp = ph_otp_new_from_uri (cases[i].uri, &error);

      g_assert_null (otp);
      g_assert_error (error, PH_OTP_ERROR, cases[i].code);
      if (strstr (error->message, cases[i].words) == NULL)
        g_error ("%s: “%s” does not say “%s”", cases[i].uri, error->message, cases[i].words);
      /* No message repeats the secret. */
      g_assert_null (strstr (error->message, "JBSWY3DP"));
    }
}

/* A code drawn as pixels: @scale pixels a module, a quiet zone of four modules. */
static guint8 *
render (const guint8 *modules,
        guint         width,
        guint         scale,
        guint        *out_size)
{
  guint size = (width + 8) * scale;
  guint8 *pixels = g_malloc (size * size);

  memset (pixels, 255, size * size);
  for (guint y = 0; y < width; y++)
    for (guint x = 0; x < width; x++)
      if (modules[y * width + x])
        for (guint dy = 0; dy < scale; dy++)
          memset (pixels + ((y + 4) * scale + dy) * size + (x + 4) * scale, 0, scale);
  *out_size = size;
  return pixels;
}

static void
test_qr_round_trip (void)
{
  const char *uri = "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ"
                    "&issuer=ACME%20Co&algorithm=SHA256&digits=8&period=60";
  g_autoptr(GError) error = NULL;
  guint width = 0, size = 0;
  g_autoptr(PhSecret) modules = ph_qr_encode (uri, &width, &error);
  g_autofree guint8 *pixels = NULL;
  g_autoptr(PhSecret) text = NULL;

  g_assert_no_error (error);
  g_assert_cmpuint (width, >=, 21);
  pixels = render (ph_secret_get_data (modules), width, 4, &size);
  text = ph_qr_decode (pixels, size, size, size, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ph_secret_get_text (text), ==, uri);

  /* A blank image has no code. */
  memset (pixels, 255, (gsize) size * size);
  g_assert_null (ph_qr_decode (pixels, size, size, size, &error));
  g_assert_error (error, PH_QR_ERROR, PH_QR_ERROR_NOT_FOUND);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);
  g_test_add_func ("/mfa/hotp/rfc4226", test_rfc4226);
  g_test_add_func ("/mfa/totp/rfc6238", test_rfc6238);
  g_test_add_func ("/mfa/totp/oathtool", test_against_oathtool);
  g_test_add_func ("/mfa/base32", test_base32);
  g_test_add_func ("/mfa/uri/round-trip", test_uri_round_trip);
  g_test_add_func ("/mfa/uri/refused", test_uri_refused);
  g_test_add_func ("/mfa/qr/round-trip", test_qr_round_trip);
  return g_test_run ();
}
