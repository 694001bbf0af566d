/* ph-second-factors.c: the vault's own second factors.
 *
 * An authenticator app: a TOTP seed Perihelion makes (160 bits, SHA-1, 6 digits, 30 s, what
 * every authenticator reads), enabled only once the person typed a code it produced. A code is
 * accepted one step either side of now (clock skew) and only for a time step after the last one
 * used, so a code is good once, even within its window. Recovery codes: ten random 80-bit codes,
 * shown once, kept only as keyed BLAKE2b hashes, each removed when used; making new ones voids
 * the old.
 *
 * The state is a few lines of text ("totp URI LAST-STEP ENROLLED", "recovery HASH") kept in
 * guarded memory and sealed in the vault (ph_vault_set_second_factors).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "ph-crypto.h"
#include "ph-otp.h"
#include "ph-second-factors.h"

G_DEFINE_QUARK (ph-mfa-error-quark, ph_mfa_error)

#define RECOVERY_KEY_ID      5
#define RECOVERY_KEY_CONTEXT "phrecov_"
#define RECOVERY_CODE_BYTES  10

typedef struct
{
  PhFido2Credential *credential;
  gboolean uv;
  char *name;
} Key;

static void
key_free (gpointer data)
{
  Key *key = data;

  ph_fido2_credential_free (key->credential);
  g_free (key->name);
  g_free (key);
}

typedef struct
{
  PhSecret *totp_uri;      /* nullable */
  guint64 totp_last_step;
  gint64 totp_enrolled_at;
  GPtrArray *recovery;     /* hex hashes */
  GPtrArray *keys;         /* Key */
} State;

static void
state_clear (State *state)
{
  g_clear_pointer (&state->totp_uri, ph_secret_unref);
  g_clear_pointer (&state->recovery, g_ptr_array_unref);
  g_clear_pointer (&state->keys, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (State, state_clear)

static gboolean
load (PhVault  *vault,
      State    *state,
      GError  **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(PhSecret) text = ph_vault_get_second_factors (vault, &local_error);
  const char *p, *end;

  memset (state, 0, sizeof *state);
  state->recovery = g_ptr_array_new_with_free_func (g_free);
  state->keys = g_ptr_array_new_with_free_func (key_free);
  if (text == NULL)
    {
      if (local_error)
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      return TRUE;
    }
  p = ph_secret_get_text (text);
  end = p + ph_secret_get_length (text);
  while (p < end)
    {
      const char *eol = memchr (p, '\n', end - p);
      gsize n = (eol ? eol : end) - p;

      if (n > 5 && strncmp (p, "totp ", 5) == 0)
        {
          /* "totp URI STEP ENROLLED": the URI has no spaces. */
          const char *uri = p + 5, *space = memchr (uri, ' ', n - 5);

          if (space)
            {
              g_autofree char *rest = g_strndup (space + 1, (p + n) - space - 1);

              state->totp_uri = ph_secret_new_from_data (uri, space - uri);
              if (sscanf (rest, "%" G_GUINT64_FORMAT " %" G_GINT64_FORMAT, &state->totp_last_step,
                          &state->totp_enrolled_at) != 2)
                state->totp_last_step = 0;
            }
        }
      else if (n > 9 && strncmp (p, "recovery ", 9) == 0)
        g_ptr_array_add (state->recovery, g_strndup (p + 9, n - 9));
      else if (n > 6 && strncmp (p, "fido2 ", 6) == 0)
        {
          /* "fido2 ID PUBLIC-KEY COUNTER UV NAME…", ids and keys in base64 */
          g_autofree char *line = g_strndup (p + 6, n - 6);
          g_auto(GStrv) parts = g_strsplit (line, " ", 5);

          if (g_strv_length (parts) == 5)
            {
              Key *key = g_new0 (Key, 1);
              gsize length;
              guchar *raw;

              key->credential = g_new0 (PhFido2Credential, 1);
              raw = g_base64_decode (parts[0], &length);
              key->credential->id = g_bytes_new_take (raw, length);
              raw = g_base64_decode (parts[1], &length);
              key->credential->public_key = g_bytes_new_take (raw, length);
              key->credential->counter = (guint32) g_ascii_strtoull (parts[2], NULL, 10);
              key->uv = g_str_equal (parts[3], "1");
              key->name = g_strdup (parts[4]);
              g_ptr_array_add (state->keys, key);
            }
        }
      p += n + 1;
    }
  return TRUE;
}

static gboolean
store (PhVault  *vault,
       State    *state,
       GError  **error)
{
  g_autofree char *tail = state->totp_uri ? g_strdup_printf (" %" G_GUINT64_FORMAT " %" G_GINT64_FORMAT "\n",
                                                              state->totp_last_step, state->totp_enrolled_at)
                                          : NULL;
  gsize length = 0, at = 0;
  g_autoptr(PhSecret) text = NULL;
  g_autoptr(GString) key_lines = NULL;
  guint8 *out;

  if (state->totp_uri)
    length += 5 + ph_secret_get_length (state->totp_uri) + strlen (tail);
  for (guint i = 0; i < state->recovery->len; i++)
    length += 9 + strlen (g_ptr_array_index (state->recovery, i)) + 1;
  key_lines = g_string_new (NULL);
  for (guint i = 0; i < state->keys->len; i++)
    {
      Key *key = g_ptr_array_index (state->keys, i);
      g_autofree char *id = g_base64_encode (g_bytes_get_data (key->credential->id, NULL),
                                             g_bytes_get_size (key->credential->id));
      g_autofree char *pk = g_base64_encode (g_bytes_get_data (key->credential->public_key, NULL),
                                             g_bytes_get_size (key->credential->public_key));

      g_string_append_printf (key_lines, "fido2 %s %s %u %d %s\n", id, pk, key->credential->counter, key->uv ? 1 : 0,
                              key->name);
    }
  length += key_lines->len;
  text = ph_secret_new (length);
  out = ph_secret_get_mutable (text);
#define PUT(data, len) (memcpy (out + at, (data), (len)), at += (len))
  if (state->totp_uri)
    {
      PUT ("totp ", 5);
      PUT (ph_secret_get_data (state->totp_uri), ph_secret_get_length (state->totp_uri));
      PUT (tail, strlen (tail));
    }
  for (guint i = 0; i < state->recovery->len; i++)
    {
      const char *hash = g_ptr_array_index (state->recovery, i);

      PUT ("recovery ", 9);
      PUT (hash, strlen (hash));
      PUT ("\n", 1);
    }
  PUT (key_lines->str, key_lines->len);
#undef PUT
  return ph_vault_set_second_factors (vault, text, error);
}

gboolean
ph_second_factors_get_info (PhVault             *vault,
                            PhSecondFactorInfo  *info,
                            GError             **error)
{
  g_auto(State) state = { 0 };

  memset (info, 0, sizeof *info);
  if (!load (vault, &state, error))
    return FALSE;
  info->totp = state.totp_uri != NULL;
  info->totp_enrolled_at = state.totp_enrolled_at;
  info->recovery_codes = state.recovery->len;
  info->security_keys = state.keys->len;
  return TRUE;
}

/* A new seed, for the person to add to their authenticator (not stored until enrolled). */
PhSecret *
ph_second_factors_new_totp_uri (const char *account)
{
  g_autoptr(PhOtp) otp = g_new0 (PhOtp, 1);

  otp->kind = PH_OTP_TOTP;
  otp->key = ph_secret_new_random (20);
  otp->algorithm = PH_OTP_SHA1;
  otp->digits = 6;
  otp->period = 30;
  otp->issuer = g_strdup ("Perihelion");
  otp->account = g_strdup (account && *account ? account : g_get_user_name ());
  return ph_otp_to_uri (otp);
}

/* The step in -1..+1 around now whose code is @code, after @last_step; 0 when none. */
static guint64
matching_step (const PhOtp *otp,
               const char  *code,
               gint64       now,
               guint64      last_step)
{
  guint64 step = (guint64) now / otp->period;
  guint64 found = 0;

  if (strlen (code) != otp->digits)
    return 0;
  for (gint64 d = -1; d <= 1; d++)
    {
      guint64 candidate = step + d;
      g_autofree char *expected = ph_otp_code_at (otp, (gint64) (candidate * otp->period));

      /* Every candidate is computed and compared: the time taken does not say which matched. */
      if (sodium_memcmp (expected, code, otp->digits) == 0 && candidate > last_step)
        found = candidate;
      sodium_memzero (expected, strlen (expected));
    }
  return found;
}

static char *
normalize_code (const char *code)
{
  GString *out = g_string_new (NULL);

  for (const char *p = code; *p; p++)
    if (g_ascii_isalnum (*p))
      g_string_append_c (out, g_ascii_toupper (*p));
  return g_string_free (out, FALSE);
}

/**
 * ph_second_factors_enroll_totp:
 * @uri: the seed from ph_second_factors_new_totp_uri(), as shown to the person
 * @code: a code their authenticator shows for it
 *
 * Enables the authenticator app, replacing an earlier one, once @code proves it was added.
 */
gboolean
ph_second_factors_enroll_totp (PhVault     *vault,
                               const char  *uri,
                               const char  *code,
                               gint64       now,
                               GError     **error)
{
  g_auto(State) state = { 0 };
  g_autoptr(PhOtp) otp = NULL;
  g_autofree char *digits = normalize_code (code);
  guint64 step;

  if (!load (vault, &state, error) || !(otp = ph_otp_new_from_uri (uri, error)))
    return FALSE;
  if (otp->kind != PH_OTP_TOTP || !(step = matching_step (otp, digits, now, 0)))
    {
      g_set_error (error, PH_MFA_ERROR, PH_MFA_ERROR_WRONG_CODE,
                   _("That is not the code the authenticator shows for this key: check the device's clock and try "
                     "the next code"));
      return FALSE;
    }
  g_clear_pointer (&state.totp_uri, ph_secret_unref);
  state.totp_uri = ph_secret_new_from_text (uri);
  state.totp_last_step = step;
  state.totp_enrolled_at = now;
  return store (vault, &state, error);
}

gboolean
ph_second_factors_remove_totp (PhVault  *vault,
                               GError  **error)
{
  g_auto(State) state = { 0 };

  if (!load (vault, &state, error))
    return FALSE;
  g_clear_pointer (&state.totp_uri, ph_secret_unref);
  state.totp_last_step = 0;
  state.totp_enrolled_at = 0;
  return store (vault, &state, error);
}

static char *
recovery_hash (PhVault    *vault,
               const char *normalized)
{
  g_autoptr(PhSecret) key = ph_vault_derive_key (vault, RECOVERY_KEY_ID, RECOVERY_KEY_CONTEXT);
  g_autoptr(PhSecret) hash = key ? ph_crypto_keyed_hash (key, normalized, strlen (normalized)) : NULL;
  char *hex;

  if (hash == NULL)
    return NULL;
  hex = g_malloc (ph_secret_get_length (hash) * 2 + 1);
  sodium_bin2hex (hex, ph_secret_get_length (hash) * 2 + 1, ph_secret_get_data (hash), ph_secret_get_length (hash));
  return hex;
}

/**
 * ph_second_factors_new_recovery_codes:
 *
 * Ten new one-time recovery codes, replacing any earlier ones. Only their hashes are kept: the
 * codes are shown once (the caller shows them and frees them).
 *
 * Returns: (transfer full): the codes, "XXXX-XXXX-XXXX-XXXX"
 */
GStrv
ph_second_factors_new_recovery_codes (PhVault  *vault,
                                      GError  **error)
{
  g_auto(State) state = { 0 };
  g_autoptr(GPtrArray) codes = g_ptr_array_new_with_free_func (g_free);

  if (!load (vault, &state, error))
    return NULL;
  g_ptr_array_set_size (state.recovery, 0);
  for (guint i = 0; i < PH_RECOVERY_CODES; i++)
    {
      g_autoptr(PhSecret) raw = ph_secret_new_random (RECOVERY_CODE_BYTES);
      g_autoptr(PhSecret) text = ph_base32_encode (ph_secret_get_data (raw), RECOVERY_CODE_BYTES);
      const char *t = ph_secret_get_text (text);
      char *hash = recovery_hash (vault, t);

      if (hash == NULL)
        {
          g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_LOCKED, _("The vault is locked"));
          return NULL;
        }
      g_ptr_array_add (state.recovery, hash);
      g_ptr_array_add (codes, g_strdup_printf ("%.4s-%.4s-%.4s-%.4s", t, t + 4, t + 8, t + 12));
    }
  if (!store (vault, &state, error))
    return NULL;
  g_ptr_array_add (codes, NULL);
  return (GStrv) g_ptr_array_steal (codes, NULL);
}

/**
 * ph_second_factors_verify:
 * @code: a code from the authenticator app, or a recovery code
 * @out_recovery: (out) (optional): a recovery code was used (and is now void: save the vault)
 *
 * Checks a second factor, and records its use: an authenticator code's time step (a code is
 * good once), a recovery code's removal.
 */
gboolean
ph_second_factors_verify (PhVault     *vault,
                          const char  *code,
                          gint64       now,
                          gboolean    *out_recovery,
                          GError     **error)
{
  g_auto(State) state = { 0 };
  g_autofree char *normalized = normalize_code (code);
  gboolean digits_only = TRUE;

  if (out_recovery)
    *out_recovery = FALSE;
  if (!load (vault, &state, error))
    return FALSE;
  if (state.totp_uri == NULL && state.recovery->len == 0)
    {
      g_set_error (error, PH_MFA_ERROR, PH_MFA_ERROR_NOT_ENROLLED, _("No authenticator app or recovery code is set up"));
      return FALSE;
    }
  for (const char *p = normalized; *p; p++)
    digits_only &= g_ascii_isdigit (*p);

  if (digits_only && state.totp_uri)
    {
      g_autoptr(PhOtp) otp = ph_otp_new_from_uri (ph_secret_get_text (state.totp_uri), error);
      guint64 step;

      if (otp == NULL)
        return FALSE;
      if ((step = matching_step (otp, normalized, now, state.totp_last_step)))
        {
          state.totp_last_step = step;
          return store (vault, &state, error);
        }
      /* The right code, but used already: said as such, so a person knows to wait for the next. */
      if (matching_step (otp, normalized, now, 0))
        {
          g_set_error (error, PH_MFA_ERROR, PH_MFA_ERROR_REPLAYED, _("That code was used already: wait for the next"));
          return FALSE;
        }
    }
  else if (!digits_only)
    {
      g_autofree char *hash = recovery_hash (vault, normalized);

      for (guint i = 0; hash && i < state.recovery->len; i++)
        if (sodium_memcmp (hash, g_ptr_array_index (state.recovery, i), strlen (hash)) == 0)
          {
            g_ptr_array_remove_index (state.recovery, i);
            if (out_recovery)
              *out_recovery = TRUE;
            return store (vault, &state, error);
          }
    }
  g_set_error (error, PH_MFA_ERROR, PH_MFA_ERROR_WRONG_CODE, _("Wrong code"));
  return FALSE;
}

void
ph_security_key_free (PhSecurityKey *key)
{
  if (key == NULL)
    return;
  g_free (key->id);
  g_free (key->name);
  g_free (key);
}

/* Names are one line of text (the state's format): line breaks become spaces. */
static char *
clean_name (const char *name)
{
  char *clean = g_strdup (name && *name ? name : _("Security key"));

  for (char *p = clean; *p; p++)
    if (*p == '\n' || *p == '\r')
      *p = ' ';
  return clean;
}

gboolean
ph_second_factors_add_key (PhVault                  *vault,
                           const PhFido2Credential  *credential,
                           gboolean                  user_verification,
                           const char               *name,
                           GError                  **error)
{
  g_auto(State) state = { 0 };
  Key *key;

  if (!load (vault, &state, error))
    return FALSE;
  key = g_new0 (Key, 1);
  key->credential = g_new0 (PhFido2Credential, 1);
  key->credential->id = g_bytes_ref (credential->id);
  key->credential->public_key = g_bytes_ref (credential->public_key);
  key->credential->counter = credential->counter;
  key->uv = user_verification;
  key->name = clean_name (name);
  g_ptr_array_add (state.keys, key);
  return store (vault, &state, error);
}

gboolean
ph_second_factors_remove_key (PhVault     *vault,
                              const char  *id,
                              GError     **error)
{
  g_auto(State) state = { 0 };

  if (!load (vault, &state, error))
    return FALSE;
  for (guint i = 0; i < state.keys->len; i++)
    {
      Key *key = g_ptr_array_index (state.keys, i);
      g_autofree char *key_id = g_base64_encode (g_bytes_get_data (key->credential->id, NULL),
                                                 g_bytes_get_size (key->credential->id));

      if (g_str_equal (key_id, id))
        {
          g_ptr_array_remove_index (state.keys, i);
          return store (vault, &state, error);
        }
    }
  g_set_error (error, PH_MFA_ERROR, PH_MFA_ERROR_NOT_ENROLLED, _("No such security key"));
  return FALSE;
}

gboolean
ph_second_factors_rename_key (PhVault     *vault,
                              const char  *id,
                              const char  *name,
                              GError     **error)
{
  g_auto(State) state = { 0 };

  if (!load (vault, &state, error))
    return FALSE;
  for (guint i = 0; i < state.keys->len; i++)
    {
      Key *key = g_ptr_array_index (state.keys, i);
      g_autofree char *key_id = g_base64_encode (g_bytes_get_data (key->credential->id, NULL),
                                                 g_bytes_get_size (key->credential->id));

      if (g_str_equal (key_id, id))
        {
          g_free (key->name);
          key->name = clean_name (name);
          return store (vault, &state, error);
        }
    }
  g_set_error (error, PH_MFA_ERROR, PH_MFA_ERROR_NOT_ENROLLED, _("No such security key"));
  return FALSE;
}

/**
 * ph_second_factors_list_keys:
 *
 * Returns: (transfer full) (element-type PhSecurityKey): the registered security keys
 */
GPtrArray *
ph_second_factors_list_keys (PhVault  *vault,
                             GError  **error)
{
  g_auto(State) state = { 0 };
  GPtrArray *keys;

  if (!load (vault, &state, error))
    return NULL;
  keys = g_ptr_array_new_with_free_func ((GDestroyNotify) ph_security_key_free);
  for (guint i = 0; i < state.keys->len; i++)
    {
      Key *key = g_ptr_array_index (state.keys, i);
      PhSecurityKey *info = g_new0 (PhSecurityKey, 1);

      info->id = g_base64_encode (g_bytes_get_data (key->credential->id, NULL), g_bytes_get_size (key->credential->id));
      info->name = g_strdup (key->name);
      info->user_verification = key->uv;
      info->counter = key->credential->counter;
      g_ptr_array_add (keys, info);
    }
  return keys;
}

/**
 * ph_second_factors_verify_key:
 * @user_verification: ask for (and require) PIN or biometrics as well as a touch
 *
 * A touch of a registered security key (the first one plugged in): its assertion checked, its
 * counter recorded (the caller saves the vault: a clone is caught after a restart too).
 */
gboolean
ph_second_factors_verify_key (PhVault   *vault,
                              gboolean   user_verification,
                              GError   **error)
{
  g_auto(State) state = { 0 };
  g_autoptr(GPtrArray) credentials = g_ptr_array_new ();
  fido_dev_t *dev;
  gboolean ok;

  if (!load (vault, &state, error))
    return FALSE;
  if (state.keys->len == 0)
    {
      g_set_error (error, PH_MFA_ERROR, PH_MFA_ERROR_NOT_ENROLLED, _("No security key is registered"));
      return FALSE;
    }
  for (guint i = 0; i < state.keys->len; i++)
    g_ptr_array_add (credentials, ((Key *) g_ptr_array_index (state.keys, i))->credential);
  if (!(dev = ph_fido2_open_device (error)))
    return FALSE;
  ok = ph_fido2_assert_any (dev, PH_FIDO2_RP_ID, credentials, user_verification, error) != NULL;
  ph_fido2_close_device (dev);
  return ok && store (vault, &state, error);
}
