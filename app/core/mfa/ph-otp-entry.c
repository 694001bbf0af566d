/* ph-otp-entry.c: an entry's one-time code, read through the gate.
 *
 * The seed stays where it is: the code is computed where the vault is open (the agent, or the
 * CLI on a vault of its own) from the sealed "otp" field, which the gate releases for the request
 * (reveal or copy, audited like any secret); only the code leaves. An HOTP code uses its counter
 * up: the field is written back with the next counter, and the caller saves the vault.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ph-otp-entry.h"

/**
 * ph_otp_entry_code:
 * @out_period: (out): the TOTP period in seconds (0 for HOTP)
 * @out_valid_until: (out): when the code changes (seconds since the epoch; 0 for HOTP)
 * @out_changed: (out): the entry changed (an HOTP counter advanced): save the vault
 *
 * Returns: (transfer full): the code's digits
 */
PhSecret *
ph_otp_entry_code (PhBroker         *broker,
                   const PhSubject  *subject,
                   PhAction          action,
                   PhEntry          *entry,
                   gint64            unix_time,
                   guint            *out_period,
                   gint64           *out_valid_until,
                   gboolean         *out_changed,
                   GError          **error)
{
  g_autoptr(PhSecret) uri = NULL;
  g_autoptr(PhOtp) otp = NULL;
  g_autofree char *code = NULL;
  PhSecret *result;

  *out_period = 0;
  *out_valid_until = 0;
  *out_changed = FALSE;
  if (!ph_entry_has_otp (entry))
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NOT_FOUND, _("“%s” has no one-time password"),
                   ph_entry_get_title (entry));
      return NULL;
    }
  if (!(uri = ph_broker_open (broker, subject, action, entry, PH_FIELD_OTP, error)) ||
      !(otp = ph_otp_new_from_uri (ph_secret_get_text (uri), error)))
    return NULL;
  code = ph_otp_code_at (otp, unix_time);
  result = ph_secret_new_from_text (code);
  explicit_bzero (code, strlen (code));
  if (otp->kind == PH_OTP_HOTP)
    {
      g_autoptr(PhSecret) next = NULL;

      otp->counter++;
      next = ph_otp_to_uri (otp);
      if (!ph_vault_set_secret (ph_broker_get_vault (broker), entry, PH_FIELD_OTP, next, error))
        {
          ph_secret_unref (result);
          return NULL;
        }
      *out_changed = TRUE;
    }
  else
    {
      *out_period = otp->period;
      *out_valid_until = unix_time + ph_otp_seconds_left (otp, unix_time);
    }
  return result;
}

/**
 * ph_otp_normalize_uri:
 * @uri_or_secret: an otpauth:// URI, or a Base32 secret as sites show it
 * @issuer: (nullable): for a bare secret: the issuer (the entry's title)
 * @account: (nullable): for a bare secret: the account (the entry's user name)
 *
 * Checks what a person gave and writes it as a Key URI, in guarded memory.
 */
PhSecret *
ph_otp_normalize_uri (const char  *uri_or_secret,
                      const char  *issuer,
                      const char  *account,
                      GError     **error)
{
  g_autoptr(PhOtp) otp = NULL;

  if (g_ascii_strncasecmp (uri_or_secret, "otpauth:", 8) == 0)
    otp = ph_otp_new_from_uri (uri_or_secret, error);
  else
    otp = ph_otp_new_from_secret (uri_or_secret, issuer, account, error);
  return otp ? ph_otp_to_uri (otp) : NULL;
}
