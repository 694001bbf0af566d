/* ph-vault.h: an encrypted vault file: key slots, the entry index, sealed fields, atomic saves.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "ph-crypto.h"
#include "ph-entry.h"
#include "ph-keystore.h"

G_BEGIN_DECLS

#define PH_VAULT_ERROR (ph_vault_error_quark ())

typedef enum
{
  PH_VAULT_ERROR_FAILED = 1,
  PH_VAULT_ERROR_NOT_A_VAULT,
  PH_VAULT_ERROR_UNSUPPORTED_VERSION,
  PH_VAULT_ERROR_CORRUPT,
  PH_VAULT_ERROR_WRONG_PASSWORD,
  PH_VAULT_ERROR_NO_SLOT,
  PH_VAULT_ERROR_LOCKED,
  PH_VAULT_ERROR_NOT_FOUND,
  PH_VAULT_ERROR_AMBIGUOUS,
  PH_VAULT_ERROR_INVALID,
  PH_VAULT_ERROR_EXISTS,
  PH_VAULT_ERROR_REPLACED,
} PhVaultError;

typedef enum
{
  PH_KEY_SLOT_PASSWORD = 1,
  PH_KEY_SLOT_RECOVERY = 2,
  PH_KEY_SLOT_KEYSTORE = 3,
  PH_KEY_SLOT_SECURITY_KEY = 4,
} PhKeySlotType;

#define PH_TYPE_VAULT (ph_vault_get_type ())

G_DECLARE_FINAL_TYPE (PhVault, ph_vault, PH, VAULT, GObject)

GQuark      ph_vault_error_quark               (void);
char       *ph_vault_dup_default_path          (void);

PhVault    *ph_vault_new                       (const char        *path,
                                                const PhSecret    *password,
                                                const PhKdfParams *params,
                                                PhSecret         **out_recovery_key,
                                                GError           **error);
PhVault    *ph_vault_load                      (const char        *path,
                                                GError           **error);
gboolean    ph_vault_unlock_with_password      (PhVault           *self,
                                                const PhSecret    *password,
                                                GError           **error);
gboolean    ph_vault_unlock_with_recovery_key  (PhVault           *self,
                                                const char        *recovery_key,
                                                GError           **error);
gboolean    ph_vault_unlock_with_keystore      (PhVault           *self,
                                                PhKeystore        *keystore,
                                                GError           **error);
void        ph_vault_lock                      (PhVault           *self);
gboolean    ph_vault_get_locked                (PhVault           *self);
gboolean    ph_vault_has_slot                  (PhVault           *self,
                                                PhKeySlotType      type);
gboolean    ph_vault_get_kdf_params            (PhVault           *self,
                                                PhKdfParams       *out_params);
const char *ph_vault_get_path                  (PhVault           *self);
char       *ph_vault_dup_id                    (PhVault           *self);
guint64     ph_vault_get_generation            (PhVault           *self);
gboolean    ph_vault_verify_password           (PhVault           *self,
                                                const PhSecret    *password,
                                                GError           **error);
PhSecret   *ph_vault_derive_key                (PhVault           *self,
                                                guint64            subkey_id,
                                                const char        *context);
gboolean    ph_vault_get_policy                (PhVault           *self,
                                                char             **model,
                                                char             **policy,
                                                gint64            *modified);
void        ph_vault_set_policy                (PhVault           *self,
                                                const char        *model,
                                                const char        *policy);
gboolean    ph_vault_get_audit_head            (PhVault           *self,
                                                guint64           *seq,
                                                guint8             mac[32]);
void        ph_vault_set_audit_head            (PhVault           *self,
                                                guint64            seq,
                                                const guint8       mac[32]);
PhSecret   *ph_vault_get_second_factors        (PhVault           *self,
                                                GError           **error);
gboolean    ph_vault_set_second_factors        (PhVault           *self,
                                                const PhSecret    *state,
                                                GError           **error);
gboolean    ph_vault_set_security_key_slot     (PhVault           *self,
                                                GBytes            *credential_id,
                                                GBytes            *public_key,
                                                const guint8       salt[32],
                                                const PhSecret    *secret,
                                                GError           **error);
gboolean    ph_vault_get_security_key_slot     (PhVault           *self,
                                                GBytes           **credential_id,
                                                GBytes           **public_key,
                                                guint8             salt[32],
                                                GError           **error);
gboolean    ph_vault_unlock_with_security_key  (PhVault           *self,
                                                const PhSecret    *secret,
                                                GError           **error);
gboolean    ph_vault_remove_security_key_slot  (PhVault           *self,
                                                GError           **error);
gboolean    ph_vault_save                      (PhVault           *self,
                                                GError           **error);
guint       ph_vault_get_n_conflicts           (PhVault           *self);

gboolean    ph_vault_set_password              (PhVault           *self,
                                                const PhSecret    *password,
                                                const PhKdfParams *params,
                                                GError           **error);
PhSecret   *ph_vault_rotate_recovery_key       (PhVault           *self,
                                                GError           **error);
gboolean    ph_vault_remember_on_device        (PhVault           *self,
                                                PhKeystore        *keystore,
                                                GError           **error);
gboolean    ph_vault_forget_on_device          (PhVault           *self,
                                                PhKeystore        *keystore,
                                                GError           **error);

PhEntry    *ph_vault_lookup                    (PhVault           *self,
                                                const char        *id);
PhEntry    *ph_vault_find                      (PhVault           *self,
                                                const char        *title_or_id,
                                                GError           **error);
gboolean    ph_vault_add                       (PhVault           *self,
                                                PhEntry           *entry,
                                                GError           **error);
void        ph_vault_remove                    (PhVault           *self,
                                                PhEntry           *entry);
void        ph_vault_entry_changed             (PhVault           *self,
                                                PhEntry           *entry);
GPtrArray  *ph_vault_search                    (PhVault           *self,
                                                const char        *query);

gboolean    ph_vault_set_secret                (PhVault           *self,
                                                PhEntry           *entry,
                                                const char        *field,
                                                const PhSecret    *value,
                                                GError           **error);

G_END_DECLS
