/* ph-keystore-secret.c: the keystore on the freedesktop Secret Service, through libsecret.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-keystore"

#include "config.h"

#include <libsecret/secret.h>
#include <glib/gi18n-lib.h>

#include "ph-keystore-secret.h"

struct _PhKeystoreSecret
{
  GObject parent_instance;
};

static void ph_keystore_iface_init (PhKeystoreInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PhKeystoreSecret, ph_keystore_secret, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (PH_TYPE_KEYSTORE, ph_keystore_iface_init))

static const SecretSchema *
get_schema (void)
{
  static const SecretSchema schema = {
    "org.perihelion.DeviceKey", SECRET_SCHEMA_DONT_MATCH_NAME,
    {
      { "key-id", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    }
  };
  return &schema;
}

static void
to_keystore_error (GError **error)
{
  /* libsecret reports a missing service as a D-Bus error; name it for what it means here. */
  if (error != NULL && *error != NULL && (*error)->domain != PH_KEYSTORE_ERROR)
    {
      g_autofree char *message = g_strdup ((*error)->message);

      g_clear_error (error);
      g_set_error (error, PH_KEYSTORE_ERROR, PH_KEYSTORE_ERROR_UNAVAILABLE,
                   _("The keyring is not available: %s"), message);
    }
}

static gboolean
ph_keystore_secret_store (PhKeystore     *keystore,
                          const char     *key_id,
                          const char     *label,
                          const PhSecret *secret,
                          GCancellable   *cancellable,
                          GError        **error)
{
  g_autoptr(SecretValue) value = NULL;
  gboolean ok;

  /* libsecret copies the value into its own non-pageable memory. */
  value = secret_value_new ((const char *) ph_secret_get_data (secret),
                            ph_secret_get_length (secret), "application/octet-stream");
  ok = secret_password_store_binary_sync (get_schema (), SECRET_COLLECTION_DEFAULT, label, value,
                                          cancellable, error, "key-id", key_id, NULL);
  if (!ok)
    to_keystore_error (error);
  return ok;
}

static PhSecret *
ph_keystore_secret_lookup (PhKeystore   *keystore,
                           const char   *key_id,
                           GCancellable *cancellable,
                           GError      **error)
{
  g_autoptr(SecretValue) value = NULL;
  const char *data;
  gsize length;

  value = secret_password_lookup_binary_sync (get_schema (), cancellable, error,
                                              "key-id", key_id, NULL);
  if (value == NULL)
    {
      if (error == NULL || *error == NULL)
        g_set_error (error, PH_KEYSTORE_ERROR, PH_KEYSTORE_ERROR_NOT_FOUND,
                     _("This device does not remember the vault key"));
      else
        to_keystore_error (error);
      return NULL;
    }

  data = secret_value_get (value, &length);
  return ph_secret_new_from_data (data, length);
}

static gboolean
ph_keystore_secret_clear (PhKeystore   *keystore,
                          const char   *key_id,
                          GCancellable *cancellable,
                          GError      **error)
{
  g_autoptr(GError) local_error = NULL;

  /* Clearing what is not there is not an error: the wanted state is reached. */
  if (!secret_password_clear_sync (get_schema (), cancellable, &local_error,
                                   "key-id", key_id, NULL) && local_error != NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      to_keystore_error (error);
      return FALSE;
    }
  return TRUE;
}

static void
ph_keystore_iface_init (PhKeystoreInterface *iface)
{
  iface->store = ph_keystore_secret_store;
  iface->lookup = ph_keystore_secret_lookup;
  iface->clear = ph_keystore_secret_clear;
}

static void
ph_keystore_secret_class_init (PhKeystoreSecretClass *klass)
{
}

static void
ph_keystore_secret_init (PhKeystoreSecret *self)
{
}

PhKeystoreSecret *
ph_keystore_secret_new (void)
{
  return g_object_new (PH_TYPE_KEYSTORE_SECRET, NULL);
}
