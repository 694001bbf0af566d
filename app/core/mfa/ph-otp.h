/* ph-otp.h: one-time passwords: HOTP (RFC 4226), TOTP (RFC 6238) and otpauth:// Key URIs.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ph-secret.h"

G_BEGIN_DECLS

#define PH_OTP_ERROR (ph_otp_error_quark ())

typedef enum
{
  PH_OTP_ERROR_URI = 1,      /* not an otpauth:// URI, or a malformed one */
  PH_OTP_ERROR_SECRET,       /* no secret, or not Base32, or too short */
  PH_OTP_ERROR_PARAMETER,    /* an algorithm, digit count, period or counter out of range */
} PhOtpError;

typedef enum
{
  PH_OTP_SHA1,
  PH_OTP_SHA256,
  PH_OTP_SHA512,
} PhOtpAlgorithm;

typedef enum
{
  PH_OTP_TOTP,
  PH_OTP_HOTP,
} PhOtpKind;

typedef struct
{
  PhOtpKind kind;
  PhSecret *key;             /* the decoded seed, in guarded memory */
  PhOtpAlgorithm algorithm;
  guint digits;              /* 6 to 8 */
  guint period;              /* seconds (TOTP) */
  guint64 counter;           /* HOTP */
  char *issuer;              /* nullable */
  char *account;             /* nullable */
} PhOtp;

GQuark    ph_otp_error_quark        (void);
PhOtp    *ph_otp_new_from_uri       (const char       *uri,
                                     GError          **error);
PhOtp    *ph_otp_new_from_secret    (const char       *base32,
                                     const char       *issuer,
                                     const char       *account,
                                     GError          **error);
void      ph_otp_free               (PhOtp            *self);
PhSecret *ph_otp_to_uri             (const PhOtp      *self);
char     *ph_otp_code_at            (const PhOtp      *self,
                                     gint64            unix_time);
guint     ph_otp_seconds_left       (const PhOtp      *self,
                                     gint64            unix_time);
guint32   ph_hotp                   (const guint8     *key,
                                     gsize             key_length,
                                     PhOtpAlgorithm    algorithm,
                                     guint64           counter,
                                     guint             digits);
PhSecret *ph_base32_decode          (const char       *text,
                                     gsize             length,
                                     GError          **error);
PhSecret *ph_base32_encode          (const guint8     *data,
                                     gsize             length);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhOtp, ph_otp_free)

G_END_DECLS
