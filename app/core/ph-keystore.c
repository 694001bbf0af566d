/* ph-keystore.c: the OS keyring behind one interface, for "remember on this device".
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-keystore"

#include "config.h"

#include <glib/gi18n-lib.h>

#include "ph-keystore.h"
#ifdef HAVE_LIBSECRET
# include "ph-keystore-secret.h"
#endif

G_DEFINE_QUARK (ph-keystore-error-quark, ph_keystore_error)
G_DEFINE_INTERFACE (PhKeystore, ph_keystore, G_TYPE_OBJECT)

static void
ph_keystore_default_init (PhKeystoreInterface *iface)
{
}

/**
 * ph_keystore_new_default:
 *
 * Returns: (transfer full) (nullable): the keyring of this platform, or %NULL when this build
 *   has none (the Windows Credential Manager and macOS Keychain backends land with their ports)
 */
PhKeystore *
ph_keystore_new_default (void)
{
#ifdef HAVE_LIBSECRET
  return PH_KEYSTORE (ph_keystore_secret_new ());
#else
  return NULL;
#endif
}

gboolean
ph_keystore_store (PhKeystore     *self,
                   const char     *key_id,
                   const char     *label,
                   const PhSecret *secret,
                   GCancellable   *cancellable,
                   GError        **error)
{
  g_return_val_if_fail (PH_IS_KEYSTORE (self), FALSE);
  g_return_val_if_fail (key_id != NULL && secret != NULL, FALSE);

  return PH_KEYSTORE_GET_IFACE (self)->store (self, key_id, label, secret, cancellable, error);
}

PhSecret *
ph_keystore_lookup (PhKeystore   *self,
                    const char   *key_id,
                    GCancellable *cancellable,
                    GError      **error)
{
  g_return_val_if_fail (PH_IS_KEYSTORE (self), NULL);
  g_return_val_if_fail (key_id != NULL, NULL);

  return PH_KEYSTORE_GET_IFACE (self)->lookup (self, key_id, cancellable, error);
}

gboolean
ph_keystore_clear (PhKeystore   *self,
                   const char   *key_id,
                   GCancellable *cancellable,
                   GError      **error)
{
  g_return_val_if_fail (PH_IS_KEYSTORE (self), FALSE);
  g_return_val_if_fail (key_id != NULL, FALSE);

  return PH_KEYSTORE_GET_IFACE (self)->clear (self, key_id, cancellable, error);
}
