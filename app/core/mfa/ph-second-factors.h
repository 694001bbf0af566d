/* ph-second-factors.h: the vault's own second factors: an authenticator app (TOTP) and one-time
 * recovery codes, for the gate's step-up.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-fido2.h"
#include "ph-vault.h"

G_BEGIN_DECLS

#define PH_MFA_ERROR (ph_mfa_error_quark ())

typedef enum
{
  PH_MFA_ERROR_NOT_ENROLLED = 1,  /* no second factor to check against */
  PH_MFA_ERROR_WRONG_CODE,        /* not the current code, nor an unused recovery code */
  PH_MFA_ERROR_REPLAYED,          /* a code already used (codes are good once) */
} PhMfaError;

typedef struct
{
  gboolean totp;
  gint64 totp_enrolled_at;        /* seconds since the epoch */
  guint recovery_codes;           /* unused ones left */
  guint security_keys;            /* registered FIDO2 keys */
} PhSecondFactorInfo;

typedef struct
{
  char *id;                       /* the credential id, base64 */
  char *name;
  gboolean user_verification;     /* registered with (and asked for) PIN or biometrics */
  guint32 counter;
} PhSecurityKey;

#define PH_RECOVERY_CODES 10

GQuark    ph_mfa_error_quark                   (void);
gboolean  ph_second_factors_get_info           (PhVault            *vault,
                                                PhSecondFactorInfo *info,
                                                GError            **error);
PhSecret *ph_second_factors_new_totp_uri       (const char         *account);
gboolean  ph_second_factors_enroll_totp        (PhVault            *vault,
                                                const char         *uri,
                                                const char         *code,
                                                gint64              now,
                                                GError            **error);
gboolean  ph_second_factors_remove_totp        (PhVault            *vault,
                                                GError            **error);
GStrv     ph_second_factors_new_recovery_codes (PhVault            *vault,
                                                GError            **error);
gboolean  ph_second_factors_add_key            (PhVault            *vault,
                                                const PhFido2Credential *credential,
                                                gboolean            user_verification,
                                                const char         *name,
                                                GError            **error);
gboolean  ph_second_factors_remove_key         (PhVault            *vault,
                                                const char         *id,
                                                GError            **error);
gboolean  ph_second_factors_rename_key         (PhVault            *vault,
                                                const char         *id,
                                                const char         *name,
                                                GError            **error);
GPtrArray *ph_second_factors_list_keys         (PhVault            *vault,
                                                GError            **error);
gboolean  ph_second_factors_verify_key         (PhVault            *vault,
                                                gboolean            user_verification,
                                                GError            **error);
void      ph_security_key_free                 (PhSecurityKey      *key);
gboolean  ph_second_factors_verify             (PhVault            *vault,
                                                const char         *code,
                                                gint64              now,
                                                gboolean           *out_recovery,
                                                GError            **error);

G_END_DECLS
