/* ph-otp.c: one-time passwords.
 *
 * HOTP (RFC 4226) with HMAC-SHA-1, -256 or -512 through OpenSSL, dynamic truncation, 6 to 8
 * digits; TOTP (RFC 6238) is HOTP of the time step. Key URIs follow Google Authenticator's
 * format (otpauth://TYPE/LABEL?secret=…&issuer=…&algorithm=…&digits=…&period=…&counter=…), the
 * one every authenticator and password manager reads. The seed is a secret: the URI is read and
 * written in guarded memory (the stored form is a sealed field), decoded straight into a
 * PhSecret, and every scratch copy is wiped.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "ph-otp.h"

G_DEFINE_QUARK (ph-otp-error-quark, ph_otp_error)

#define MIN_KEY_BYTES 10     /* 80 bits: RFC 4226 §4 R6 asks for at least 128, many sites use 80 */
#define MAX_PERIOD    (24 * 60 * 60)

static const char base32_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/**
 * ph_base32_decode:
 *
 * RFC 4648 Base32, as authenticator seeds are written: any case, spaces and dashes between
 * groups, padding optional.
 */
PhSecret *
ph_base32_decode (const char  *text,
                  gsize        length,
                  GError     **error)
{
  g_autoptr(PhSecret) out = ph_secret_new (length * 5 / 8 + 1);
  guint8 *bytes = ph_secret_get_mutable (out);
  guint64 buffer = 0;
  guint bits = 0;
  gsize n = 0;
  gboolean padding = FALSE;

  for (gsize i = 0; i < length; i++)
    {
      char c = g_ascii_toupper (text[i]);
      const char *at;

      if (c == ' ' || c == '-')
        continue;
      if (c == '=')
        {
          padding = TRUE;
          continue;
        }
      if (padding || c == '\0' || !(at = strchr (base32_alphabet, c)))
        {
          buffer = 0;
          g_set_error (error, PH_OTP_ERROR, PH_OTP_ERROR_SECRET, _("The secret is not Base32 (A–Z and 2–7)"));
          return NULL;
        }
      buffer = (buffer << 5) | (guint64) (at - base32_alphabet);
      bits += 5;
      if (bits >= 8)
        {
          bits -= 8;
          bytes[n++] = (buffer >> bits) & 0xff;
        }
    }
  buffer = 0;
  ph_secret_truncate (out, n);
  return g_steal_pointer (&out);
}

PhSecret *
ph_base32_encode (const guint8 *data,
                  gsize         length)
{
  g_autoptr(PhSecret) out = ph_secret_new ((length * 8 + 4) / 5);
  char *text = (char *) ph_secret_get_mutable (out);
  guint64 buffer = 0;
  guint bits = 0;
  gsize n = 0;

  for (gsize i = 0; i < length; i++)
    {
      buffer = (buffer << 8) | data[i];
      bits += 8;
      while (bits >= 5)
        {
          bits -= 5;
          text[n++] = base32_alphabet[(buffer >> bits) & 31];
        }
    }
  if (bits > 0)
    text[n++] = base32_alphabet[(buffer << (5 - bits)) & 31];
  buffer = 0;
  ph_secret_truncate (out, n);
  return g_steal_pointer (&out);
}

static const EVP_MD *
digest (PhOtpAlgorithm algorithm)
{
  switch (algorithm)
    {
    case PH_OTP_SHA256:
      return EVP_sha256 ();
    case PH_OTP_SHA512:
      return EVP_sha512 ();
    case PH_OTP_SHA1:
    default:
      return EVP_sha1 ();
    }
}

/* RFC 4226 §5.3: HMAC of the big-endian counter, dynamic truncation, modulo 10^digits. */
guint32
ph_hotp (const guint8   *key,
         gsize           key_length,
         PhOtpAlgorithm  algorithm,
         guint64         counter,
         guint           digits)
{
  guint8 message[8];
  guint8 mac[EVP_MAX_MD_SIZE];
  unsigned int mac_length = 0;
  guint32 binary, modulus = 1;
  guint offset;

  g_return_val_if_fail (digits >= 6 && digits <= 8, 0);

  for (int i = 7; i >= 0; i--, counter >>= 8)
    message[i] = counter & 0xff;
  if (HMAC (digest (algorithm), key, (int) key_length, message, sizeof message, mac, &mac_length) == NULL)
    return 0;
  offset = mac[mac_length - 1] & 0x0f;
  binary = ((guint32) (mac[offset] & 0x7f) << 24) | ((guint32) mac[offset + 1] << 16) |
           ((guint32) mac[offset + 2] << 8) | mac[offset + 3];
  sodium_memzero (mac, sizeof mac);
  for (guint i = 0; i < digits; i++)
    modulus *= 10;
  return binary % modulus;
}

char *
ph_otp_code_at (const PhOtp *self,
                gint64       unix_time)
{
  guint64 counter = self->kind == PH_OTP_HOTP ? self->counter : (guint64) MAX (unix_time, 0) / self->period;
  guint32 code = ph_hotp (ph_secret_get_data (self->key), ph_secret_get_length (self->key), self->algorithm, counter,
                          self->digits);

  return g_strdup_printf ("%0*u", (int) self->digits, code);
}

/* Seconds until the code changes (TOTP); 0 for HOTP. */
guint
ph_otp_seconds_left (const PhOtp *self,
                     gint64       unix_time)
{
  if (self->kind != PH_OTP_TOTP)
    return 0;
  return self->period - (guint) ((guint64) MAX (unix_time, 0) % self->period);
}

void
ph_otp_free (PhOtp *self)
{
  if (self == NULL)
    return;
  g_clear_pointer (&self->key, ph_secret_unref);
  g_free (self->issuer);
  g_free (self->account);
  g_free (self);
}

static gboolean
parse_number (const char  *text,
              guint64      min,
              guint64      max,
              const char  *name,
              guint64     *out,
              GError     **error)
{
  if (!g_ascii_string_to_unsigned (text, 10, min, max, out, NULL))
    {
      g_set_error (error, PH_OTP_ERROR, PH_OTP_ERROR_PARAMETER,
                   _("The %s “%s” is not a number from %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT), name, text, min,
                   max);
      return FALSE;
    }
  return TRUE;
}

/* A percent-encoded value into guarded memory (the secret may be written %3D-padded). */
static PhSecret *
unescape_secret (const char *value,
                 gsize       length)
{
  g_autoptr(PhSecret) out = ph_secret_new (length);
  char *text = (char *) ph_secret_get_mutable (out);
  gsize n = 0;

  for (gsize i = 0; i < length; i++)
    {
      if (value[i] == '%' && i + 2 < length + 0 && g_ascii_isxdigit (value[i + 1]) && g_ascii_isxdigit (value[i + 2]))
        {
          text[n++] = (char) (g_ascii_xdigit_value (value[i + 1]) * 16 + g_ascii_xdigit_value (value[i + 2]));
          i += 2;
        }
      else
        text[n++] = value[i] == '+' ? ' ' : value[i];
    }
  ph_secret_truncate (out, n);
  return g_steal_pointer (&out);
}

static gboolean
check_key (PhOtp   *self,
           GError **error)
{
  if (ph_secret_get_length (self->key) < MIN_KEY_BYTES)
    {
      g_set_error (error, PH_OTP_ERROR, PH_OTP_ERROR_SECRET,
                   _("The secret is too short: %zu bytes, at least %d are needed"),
                   ph_secret_get_length (self->key), MIN_KEY_BYTES);
      return FALSE;
    }
  return TRUE;
}

/**
 * ph_otp_new_from_uri:
 * @uri: an otpauth:// Key URI (from guarded memory: nothing of the secret is copied outside it)
 *
 * Returns: (transfer full): the parameters, or %NULL with an error naming what is wrong
 */
PhOtp *
ph_otp_new_from_uri (const char  *uri,
                     GError     **error)
{
  g_autoptr(PhOtp) self = g_new0 (PhOtp, 1);
  g_autofree char *label = NULL;
  g_autofree char *label_issuer = NULL;
  const char *p = uri, *query, *end;
  guint64 number;
  gboolean has_counter = FALSE;

  self->algorithm = PH_OTP_SHA1;
  self->digits = 6;
  self->period = 30;
  if (g_ascii_strncasecmp (p, "otpauth://", 10) != 0)
    {
      g_set_error (error, PH_OTP_ERROR, PH_OTP_ERROR_URI, _("Not an otpauth:// URI"));
      return NULL;
    }
  p += 10;
  if (g_ascii_strncasecmp (p, "totp/", 5) == 0)
    self->kind = PH_OTP_TOTP;
  else if (g_ascii_strncasecmp (p, "hotp/", 5) == 0)
    self->kind = PH_OTP_HOTP;
  else
    {
      g_set_error (error, PH_OTP_ERROR, PH_OTP_ERROR_URI, _("The type must be totp or hotp"));
      return NULL;
    }
  p += 5;
  query = strchr (p, '?');
  if (query == NULL)
    {
      g_set_error (error, PH_OTP_ERROR, PH_OTP_ERROR_SECRET, _("The URI has no secret"));
      return NULL;
    }
  /* The label: "Issuer:account", "account", each part percent-encoded. */
  {
    g_autofree char *raw = g_strndup (p, query - p);
    char *colon;

    label = g_uri_unescape_string (raw, NULL);
    if (label == NULL || !g_utf8_validate (label, -1, NULL))
      {
        g_set_error (error, PH_OTP_ERROR, PH_OTP_ERROR_URI, _("The label is not valid UTF-8 text"));
        return NULL;
      }
    if ((colon = strchr (label, ':')))
      {
        label_issuer = g_strstrip (g_strndup (label, colon - label));
        self->account = g_strstrip (g_strdup (colon + 1));
      }
    else if (*label)
      self->account = g_strstrip (g_strdup (label));
  }
  for (p = query + 1; *p; p = *end ? end + 1 : end)
    {
      const char *eq;
      g_autofree char *name = NULL;
      g_autofree char *value = NULL;

      end = p + strcspn (p, "&");
      eq = memchr (p, '=', end - p);
      if (eq == NULL)
        continue;
      name = g_strndup (p, eq - p);
      if (g_ascii_strcasecmp (name, "secret") == 0)
        {
          g_autoptr(PhSecret) text = unescape_secret (eq + 1, end - eq - 1);

          g_clear_pointer (&self->key, ph_secret_unref);
          if (!(self->key = ph_base32_decode (ph_secret_get_text (text), ph_secret_get_length (text), error)))
            return NULL;
          continue;
        }
      {
        g_autofree char *raw = g_strndup (eq + 1, end - eq - 1);

        value = g_uri_unescape_string (raw, NULL);
      }
      if (value == NULL || !g_utf8_validate (value, -1, NULL))
        {
          g_set_error (error, PH_OTP_ERROR, PH_OTP_ERROR_URI, _("The parameter “%s” is not valid text"), name);
          return NULL;
        }
      if (g_ascii_strcasecmp (name, "issuer") == 0)
        {
          g_free (self->issuer);
          self->issuer = g_strdup (value);
        }
      else if (g_ascii_strcasecmp (name, "algorithm") == 0)
        {
          if (g_ascii_strcasecmp (value, "SHA1") == 0)
            self->algorithm = PH_OTP_SHA1;
          else if (g_ascii_strcasecmp (value, "SHA256") == 0)
            self->algorithm = PH_OTP_SHA256;
          else if (g_ascii_strcasecmp (value, "SHA512") == 0)
            self->algorithm = PH_OTP_SHA512;
          else
            {
              g_set_error (error, PH_OTP_ERROR, PH_OTP_ERROR_PARAMETER,
                           _("The algorithm “%s” is not SHA1, SHA256 or SHA512"), value);
              return NULL;
            }
        }
      else if (g_ascii_strcasecmp (name, "digits") == 0)
        {
          if (!parse_number (value, 6, 8, _("digit count"), &number, error))
            return NULL;
          self->digits = number;
        }
      else if (g_ascii_strcasecmp (name, "period") == 0)
        {
          if (!parse_number (value, 1, MAX_PERIOD, _("period"), &number, error))
            return NULL;
          self->period = number;
        }
      else if (g_ascii_strcasecmp (name, "counter") == 0)
        {
          if (!parse_number (value, 0, G_MAXUINT64, _("counter"), &number, error))
            return NULL;
          self->counter = number;
          has_counter = TRUE;
        }
      /* Other parameters (image, …) are ignored, as authenticators do. */
    }
  if (self->key == NULL)
    {
      g_set_error (error, PH_OTP_ERROR, PH_OTP_ERROR_SECRET, _("The URI has no secret"));
      return NULL;
    }
  if (!check_key (self, error))
    return NULL;
  if (self->kind == PH_OTP_HOTP && !has_counter)
    {
      g_set_error (error, PH_OTP_ERROR, PH_OTP_ERROR_PARAMETER, _("An HOTP URI needs a counter"));
      return NULL;
    }
  if (self->issuer && label_issuer && g_strcmp0 (self->issuer, label_issuer) != 0)
    {
      g_set_error (error, PH_OTP_ERROR, PH_OTP_ERROR_URI, _("The label's issuer “%s” is not the issuer “%s”"),
                   label_issuer, self->issuer);
      return NULL;
    }
  if (self->issuer == NULL && label_issuer && *label_issuer)
    self->issuer = g_steal_pointer (&label_issuer);
  return g_steal_pointer (&self);
}

/* A TOTP with the usual parameters (SHA-1, 6 digits, 30 s) from a typed secret. */
PhOtp *
ph_otp_new_from_secret (const char  *base32,
                        const char  *issuer,
                        const char  *account,
                        GError     **error)
{
  g_autoptr(PhOtp) self = g_new0 (PhOtp, 1);

  self->kind = PH_OTP_TOTP;
  self->algorithm = PH_OTP_SHA1;
  self->digits = 6;
  self->period = 30;
  self->issuer = issuer && *issuer ? g_strdup (issuer) : NULL;
  self->account = account && *account ? g_strdup (account) : NULL;
  if (!(self->key = ph_base32_decode (base32, strlen (base32), error)) || !check_key (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/* The Key URI, in guarded memory. */
PhSecret *
ph_otp_to_uri (const PhOtp *self)
{
  static const char * const algorithms[] = { "SHA1", "SHA256", "SHA512" };
  g_autoptr(PhSecret) secret = ph_base32_encode (ph_secret_get_data (self->key), ph_secret_get_length (self->key));
  g_autofree char *issuer = self->issuer ? g_uri_escape_string (self->issuer, NULL, FALSE) : NULL;
  g_autofree char *account = g_uri_escape_string (self->account ? self->account : "", NULL, FALSE);
  g_autofree char *head = g_strdup_printf ("otpauth://%s/%s%s%s?secret=", self->kind == PH_OTP_HOTP ? "hotp" : "totp",
                                           issuer ? issuer : "", issuer ? ":" : "", account);
  g_autofree char *tail = NULL;
  g_autoptr(PhSecret) uri = NULL;
  guint8 *out;

  if (self->kind == PH_OTP_HOTP)
    tail = g_strdup_printf ("%s%s&algorithm=%s&digits=%u&counter=%" G_GUINT64_FORMAT, issuer ? "&issuer=" : "",
                            issuer ? issuer : "", algorithms[self->algorithm], self->digits, self->counter);
  else
    tail = g_strdup_printf ("%s%s&algorithm=%s&digits=%u&period=%u", issuer ? "&issuer=" : "", issuer ? issuer : "",
                            algorithms[self->algorithm], self->digits, self->period);
  uri = ph_secret_new (strlen (head) + ph_secret_get_length (secret) + strlen (tail));
  out = ph_secret_get_mutable (uri);
  memcpy (out, head, strlen (head));
  memcpy (out + strlen (head), ph_secret_get_data (secret), ph_secret_get_length (secret));
  memcpy (out + strlen (head) + ph_secret_get_length (secret), tail, strlen (tail));
  return g_steal_pointer (&uri);
}
