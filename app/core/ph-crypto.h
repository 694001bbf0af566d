/* ph-crypto.h: the few cryptographic operations Perihelion needs, all from libsodium.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ph-secret.h"

G_BEGIN_DECLS

#define PH_CRYPTO_ERROR (ph_crypto_error_quark ())

typedef enum
{
  PH_CRYPTO_ERROR_FAILED = 1,
  PH_CRYPTO_ERROR_KDF_PARAMS,
  PH_CRYPTO_ERROR_OUT_OF_MEMORY,
  PH_CRYPTO_ERROR_DECRYPT,
  PH_CRYPTO_ERROR_RECOVERY_KEY,
} PhCryptoError;

#define PH_KEY_BYTES         32
#define PH_SALT_BYTES        16
#define PH_NONCE_BYTES       24
#define PH_MAC_BYTES         16
#define PH_SEAL_OVERHEAD     (PH_NONCE_BYTES + PH_MAC_BYTES)
#define PH_RECOVERY_KEY_BYTES 20

/* Argon2id cost. Perihelion never goes below these: 64 MiB is what KeePassXC and Bitwarden use. */
#define PH_KDF_MIN_MEMLIMIT  (64u * 1024 * 1024)
#define PH_KDF_MIN_OPSLIMIT  2u

typedef struct
{
  guint64 opslimit;
  guint64 memlimit;
} PhKdfParams;

GQuark    ph_crypto_error_quark        (void);
void      ph_crypto_init               (void);
gboolean  ph_kdf_params_validate       (const PhKdfParams *params,
                                        GError           **error);
PhSecret *ph_kdf_derive                (const PhSecret    *password,
                                        const guint8      *salt,
                                        const PhKdfParams *params,
                                        GError           **error);
void      ph_kdf_calibrate             (double             target_seconds,
                                        guint64            min_memlimit,
                                        PhKdfParams       *out_params,
                                        double            *out_seconds);
PhSecret *ph_crypto_subkey             (const PhSecret    *key,
                                        guint64            subkey_id,
                                        const char        *context);
PhSecret *ph_crypto_keyed_hash         (const PhSecret    *key,
                                        gconstpointer      message,
                                        gsize              length);
void      ph_crypto_seal_into          (const PhSecret    *key,
                                        gconstpointer      plain,
                                        gsize              plain_len,
                                        gconstpointer      ad,
                                        gsize              ad_len,
                                        guint8            *out);
GBytes   *ph_crypto_seal               (const PhSecret    *key,
                                        gconstpointer      plain,
                                        gsize              plain_len,
                                        gconstpointer      ad,
                                        gsize              ad_len);
PhSecret *ph_crypto_open               (const PhSecret    *key,
                                        gconstpointer      sealed,
                                        gsize              sealed_len,
                                        gconstpointer      ad,
                                        gsize              ad_len,
                                        GError           **error);
gboolean  ph_crypto_open_into          (const PhSecret    *key,
                                        gconstpointer      sealed,
                                        gsize              sealed_len,
                                        gconstpointer      ad,
                                        gsize              ad_len,
                                        guint8            *out);
PhSecret *ph_recovery_key_format       (const PhSecret    *raw);
PhSecret *ph_recovery_key_parse        (const char        *text,
                                        GError           **error);

G_END_DECLS
