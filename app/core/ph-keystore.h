/* ph-keystore.h: the OS keyring behind one interface, for "remember on this device".
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "ph-secret.h"

G_BEGIN_DECLS

#define PH_KEYSTORE_ERROR (ph_keystore_error_quark ())

typedef enum
{
  PH_KEYSTORE_ERROR_FAILED = 1,
  PH_KEYSTORE_ERROR_UNAVAILABLE,
  PH_KEYSTORE_ERROR_NOT_FOUND,
} PhKeystoreError;

#define PH_TYPE_KEYSTORE (ph_keystore_get_type ())

G_DECLARE_INTERFACE (PhKeystore, ph_keystore, PH, KEYSTORE, GObject)

struct _PhKeystoreInterface
{
  GTypeInterface parent_iface;

  gboolean  (*store)  (PhKeystore     *self,
                       const char     *key_id,
                       const char     *label,
                       const PhSecret *secret,
                       GCancellable   *cancellable,
                       GError        **error);
  PhSecret *(*lookup) (PhKeystore     *self,
                       const char     *key_id,
                       GCancellable   *cancellable,
                       GError        **error);
  gboolean  (*clear)  (PhKeystore     *self,
                       const char     *key_id,
                       GCancellable   *cancellable,
                       GError        **error);
};

GQuark      ph_keystore_error_quark   (void);
PhKeystore *ph_keystore_new_default   (void);
gboolean    ph_keystore_store         (PhKeystore     *self,
                                       const char     *key_id,
                                       const char     *label,
                                       const PhSecret *secret,
                                       GCancellable   *cancellable,
                                       GError        **error);
PhSecret   *ph_keystore_lookup        (PhKeystore     *self,
                                       const char     *key_id,
                                       GCancellable   *cancellable,
                                       GError        **error);
gboolean    ph_keystore_clear         (PhKeystore     *self,
                                       const char     *key_id,
                                       GCancellable   *cancellable,
                                       GError        **error);

G_END_DECLS
