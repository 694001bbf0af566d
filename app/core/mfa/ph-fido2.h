/* ph-fido2.h: FIDO2 security keys through libfido2: register a credential, check an assertion.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <fido.h>
#include <glib.h>

#include "ph-secret.h"

G_BEGIN_DECLS

#define PH_FIDO2_ERROR (ph_fido2_error_quark ())

typedef enum
{
  PH_FIDO2_ERROR_DEVICE = 1,          /* the key failed or refused (libfido2's message) */
  PH_FIDO2_ERROR_ATTESTATION,         /* the registration's attestation does not verify */
  PH_FIDO2_ERROR_SIGNATURE,           /* the assertion is not signed by the registered key */
  PH_FIDO2_ERROR_USER_VERIFICATION,   /* user verification was required and not done */
  PH_FIDO2_ERROR_COUNTER,             /* the signature counter went back: a cloned key? */
  PH_FIDO2_ERROR_NO_DEVICE,           /* no security key is plugged in */
} PhFido2Error;

typedef struct
{
  GBytes *id;                /* the credential id */
  GBytes *public_key;        /* ES256, x || y */
  guint32 counter;           /* the last signature counter seen */
  gboolean user_verification; /* registered with PIN or biometrics */
  gboolean hmac_secret;       /* the key derives secrets for it (quick unlock) */
  char *attestation;         /* what vouched for the key, for the person to see */
} PhFido2Credential;

#define PH_FIDO2_RP_ID "perihelion.local"

/* Opens a security key, or returns NULL with PH_FIDO2_ERROR_NO_DEVICE. */
typedef fido_dev_t *(*PhFido2DeviceOpener) (gpointer data, GError **error);

GQuark             ph_fido2_error_quark      (void);
void               ph_fido2_set_device_opener (PhFido2DeviceOpener opener,
                                              gpointer            data);
fido_dev_t        *ph_fido2_open_device      (GError            **error);
void               ph_fido2_close_device     (fido_dev_t         *dev);
PhFido2Credential *ph_fido2_register         (fido_dev_t         *dev,
                                              const char         *rp_id,
                                              const char         *user_name,
                                              gboolean            user_verification,
                                              GError            **error);
PhFido2Credential *ph_fido2_register_full    (fido_dev_t         *dev,
                                              const char         *rp_id,
                                              const char         *user_name,
                                              gboolean            user_verification,
                                              gboolean            resident,
                                              gboolean            hmac_secret,
                                              GError            **error);
PhSecret          *ph_fido2_hmac_secret      (fido_dev_t         *dev,
                                              const char         *rp_id,
                                              PhFido2Credential  *credential,
                                              const guint8        salt[32],
                                              GError            **error);
gboolean           ph_fido2_assert           (fido_dev_t         *dev,
                                              const char         *rp_id,
                                              PhFido2Credential  *credential,
                                              gboolean            user_verification,
                                              GError            **error);
PhFido2Credential *ph_fido2_assert_any       (fido_dev_t         *dev,
                                              const char         *rp_id,
                                              GPtrArray          *credentials,
                                              gboolean            user_verification,
                                              GError            **error);
void               ph_fido2_credential_free  (PhFido2Credential  *credential);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhFido2Credential, ph_fido2_credential_free)

G_END_DECLS
