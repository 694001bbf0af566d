/* ph-quick-unlock.c: unlocking the vault with a security key.
 *
 * A key slot (type 4) wraps the vault key with a key derived from the security key's
 * hmac-secret for a random salt: only that key, touched, can produce it (KeePassXC users have
 * asked for this since 2019). Setting it up registers a credential with the hmac-secret
 * extension and asks the key once for its secret; unlocking asks again with the salt the slot
 * keeps, after checking the answer's signature with the public key the slot keeps too. The
 * password slot stays: a lost key is a slower unlock, not a lost vault.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <glib/gi18n.h>

#include "ph-quick-unlock.h"

gboolean
ph_quick_unlock_enroll (PhVault     *vault,
                        fido_dev_t  *dev,
                        const char  *name,
                        GError     **error)
{
  g_autoptr(PhFido2Credential) credential = NULL;
  g_autoptr(PhSecret) secret = NULL;
  guint8 salt[32];

  randombytes_buf (salt, sizeof salt);
  if (!(credential = ph_fido2_register_full (dev, PH_FIDO2_RP_ID, name ? name : g_get_user_name (), FALSE, TRUE, error)) ||
      !(secret = ph_fido2_hmac_secret (dev, PH_FIDO2_RP_ID, credential, salt, error)))
    return FALSE;
  return ph_vault_set_security_key_slot (vault, credential->id, credential->public_key, salt, secret, error);
}

gboolean
ph_quick_unlock (PhVault     *vault,
                 fido_dev_t  *dev,
                 GError     **error)
{
  g_autoptr(PhFido2Credential) credential = g_new0 (PhFido2Credential, 1);
  g_autoptr(PhSecret) secret = NULL;
  guint8 salt[32];

  if (!ph_vault_get_security_key_slot (vault, &credential->id, &credential->public_key, salt, error) ||
      !(secret = ph_fido2_hmac_secret (dev, PH_FIDO2_RP_ID, credential, salt, error)))
    return FALSE;
  return ph_vault_unlock_with_security_key (vault, secret, error);
}
