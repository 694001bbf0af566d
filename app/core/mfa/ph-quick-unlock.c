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

/**
 * ph_quick_unlock_prepare:
 * @salt: (out): the new salt
 * @out_secret: (out): the key's secret for it
 *
 * The security key's part of setting up (two touches, no vault needed: it can run in a thread).
 *
 * Returns: (transfer full): the credential
 */
PhFido2Credential *
ph_quick_unlock_prepare (fido_dev_t   *dev,
                         const char   *name,
                         guint8        salt[32],
                         PhSecret    **out_secret,
                         GError      **error)
{
  g_autoptr(PhFido2Credential) credential = NULL;

  randombytes_buf (salt, 32);
  if (!(credential = ph_fido2_register_full (dev, PH_FIDO2_RP_ID, name && *name ? name : g_get_user_name (), FALSE,
                                             FALSE, TRUE, error)) ||
      !(*out_secret = ph_fido2_hmac_secret (dev, PH_FIDO2_RP_ID, credential, salt, error)))
    return NULL;
  return g_steal_pointer (&credential);
}

gboolean
ph_quick_unlock_enroll (PhVault     *vault,
                        fido_dev_t  *dev,
                        const char  *name,
                        GError     **error)
{
  g_autoptr(PhFido2Credential) credential = NULL;
  g_autoptr(PhSecret) secret = NULL;
  guint8 salt[32];

  if (!(credential = ph_quick_unlock_prepare (dev, name, salt, &secret, error)))
    return FALSE;
  return ph_vault_set_security_key_slot (vault, credential->id, credential->public_key, salt, secret, error);
}

/* The security key's secret for the vault's slot (read from the locked file), after a touch. */
gboolean
ph_quick_unlock_secret (PhVault     *vault,
                        fido_dev_t  *dev,
                        PhSecret   **out_secret,
                        GError     **error)
{
  g_autoptr(PhFido2Credential) credential = g_new0 (PhFido2Credential, 1);
  guint8 salt[32];

  if (!ph_vault_get_security_key_slot (vault, &credential->id, &credential->public_key, salt, error))
    return FALSE;
  return (*out_secret = ph_fido2_hmac_secret (dev, PH_FIDO2_RP_ID, credential, salt, error)) != NULL;
}

gboolean
ph_quick_unlock (PhVault     *vault,
                 fido_dev_t  *dev,
                 GError     **error)
{
  g_autoptr(PhSecret) secret = NULL;

  return ph_quick_unlock_secret (vault, dev, &secret, error) &&
         ph_vault_unlock_with_security_key (vault, secret, error);
}
