/* ph-vault.c: an encrypted vault file: key slots, the entry index, sealed fields, atomic saves.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-vault"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ph-vault-private.h"

#define PH_KDF_ALG_ARGON2ID13    1
#define PASSWORD_SLOT_BYTES      (1 + 4 + 8 + PH_SALT_BYTES + PH_KEY_BYTES + PH_SEAL_OVERHEAD)
#define RECOVERY_SLOT_BYTES      (PH_SALT_BYTES + PH_KEY_BYTES + PH_SEAL_OVERHEAD)
#define KEYSTORE_SLOT_BYTES      (16 + PH_KEY_BYTES + PH_SEAL_OVERHEAD)
#define RECOVERY_CONTEXT         "perihelion recovery slot v1"

static void ph_vault_list_model_init (GListModelInterface *iface);

G_DEFINE_QUARK (ph-vault-error-quark, ph_vault_error)
G_DEFINE_FINAL_TYPE_WITH_CODE (PhVault, ph_vault, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, ph_vault_list_model_init))


static GType
ph_vault_get_item_type (GListModel *model)
{
  return PH_TYPE_ENTRY;
}

static guint
ph_vault_get_n_items (GListModel *model)
{
  return PH_VAULT (model)->entries->len;
}

static gpointer
ph_vault_get_item (GListModel *model,
                   guint       position)
{
  PhVault *self = PH_VAULT (model);

  if (position >= self->entries->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->entries, position));
}

static void
ph_vault_list_model_init (GListModelInterface *iface)
{
  iface->get_item_type = ph_vault_get_item_type;
  iface->get_n_items = ph_vault_get_n_items;
  iface->get_item = ph_vault_get_item;
}

static void
ph_vault_clear_keys (PhVault *self)
{
  g_clear_pointer (&self->vault_key, ph_secret_unref);
  g_clear_pointer (&self->payload_key, ph_secret_unref);
  g_clear_pointer (&self->field_key, ph_secret_unref);
}

static void
ph_vault_finalize (GObject *object)
{
  PhVault *self = (PhVault *) object;

  ph_vault_clear_keys (self);
  g_clear_pointer (&self->file, ph_vault_file_free);
  g_clear_pointer (&self->disk_stamp, g_bytes_unref);
  g_clear_pointer (&self->index, ph_search_index_free);
  g_clear_pointer (&self->slots, g_ptr_array_unref);
  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->tombstones, g_hash_table_unref);
  g_clear_pointer (&self->extra_records, g_ptr_array_unref);
  g_free (self->path);

  G_OBJECT_CLASS (ph_vault_parent_class)->finalize (object);
}

static void
ph_vault_class_init (PhVaultClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ph_vault_finalize;
}

static void
ph_vault_init (PhVault *self)
{
  self->slots = g_ptr_array_new_with_free_func (ph_key_slot_free);
  self->entries = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->tombstones = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->extra_records = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
}

char *
ph_vault_dup_default_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "perihelion", "default.phvault", NULL);
}

static void
ph_vault_set_keys (PhVault  *self,
                   PhSecret *vault_key)
{
  ph_vault_clear_keys (self);
  self->vault_key = ph_secret_ref (vault_key);
  self->payload_key = ph_crypto_subkey (vault_key, 1, "PHVPAYLD");
  self->field_key = ph_crypto_subkey (vault_key, 2, "PHVFIELD");
}

static void
ph_vault_invalidate_index (PhVault *self)
{
  g_clear_pointer (&self->index, ph_search_index_free);
}

static PhKeySlot *
find_slot (GPtrArray *slots,
           guint8     type)
{
  for (guint i = 0; i < slots->len; i++)
    {
      PhKeySlot *slot = g_ptr_array_index (slots, i);
      if (slot->type == type)
        return slot;
    }
  return NULL;
}

static void
replace_slot (PhVault *self,
              guint8   type,
              GBytes  *body)
{
  PhKeySlot *slot = find_slot (self->slots, type);

  if (slot == NULL)
    {
      slot = g_new0 (PhKeySlot, 1);
      slot->type = type;
      g_ptr_array_add (self->slots, slot);
    }
  g_clear_pointer (&slot->body, g_bytes_unref);
  slot->body = body;
  self->slots_changed = TRUE;
}

/* Wraps the vault key with @slot_key and appends nonce || ciphertext to @body. */
static void
wrap_vault_key (PhVault        *self,
                const PhSecret *slot_key,
                guint8          type,
                guint8         *out)
{
  guint8 ad[PH_VAULT_SLOT_AD_BYTES];

  ph_vault_slot_ad (self->vault_id, type, ad);
  ph_crypto_seal_into (slot_key, ph_secret_get_data (self->vault_key), PH_KEY_BYTES,
                       ad, sizeof ad, out);
}

static PhSecret *
unwrap_vault_key (const guint8   *vault_id,
                  const PhSecret *slot_key,
                  guint8          type,
                  const guint8   *wrapped)
{
  guint8 ad[PH_VAULT_SLOT_AD_BYTES];

  ph_vault_slot_ad (vault_id, type, ad);
  return ph_crypto_open (slot_key, wrapped, PH_KEY_BYTES + PH_SEAL_OVERHEAD, ad, sizeof ad, NULL);
}

/* The Argon2id cost stored in a password slot body. */
static void
read_password_slot_params (const guint8 *body,
                           PhKdfParams  *out_params)
{
  guint32 ops;
  guint64 mem;

  memcpy (&ops, body + 1, 4);
  memcpy (&mem, body + 5, 8);
  out_params->opslimit = GUINT32_FROM_LE (ops);
  out_params->memlimit = GUINT64_FROM_LE (mem);
}

static gboolean
make_password_slot (PhVault           *self,
                    const PhSecret    *password,
                    const PhKdfParams *params,
                    GError           **error)
{
  guint8 *body = g_malloc0 (PASSWORD_SLOT_BYTES);
  g_autoptr(PhSecret) slot_key = NULL;
  guint32 ops = GUINT32_TO_LE ((guint32) params->opslimit);
  guint64 mem = GUINT64_TO_LE (params->memlimit);

  body[0] = PH_KDF_ALG_ARGON2ID13;
  memcpy (body + 1, &ops, 4);
  memcpy (body + 5, &mem, 8);
  randombytes_buf (body + 13, PH_SALT_BYTES);

  slot_key = ph_kdf_derive (password, body + 13, params, error);
  if (slot_key == NULL)
    {
      g_free (body);
      return FALSE;
    }
  wrap_vault_key (self, slot_key, PH_KEY_SLOT_PASSWORD, body + 13 + PH_SALT_BYTES);
  replace_slot (self, PH_KEY_SLOT_PASSWORD, g_bytes_new_take (body, PASSWORD_SLOT_BYTES));
  return TRUE;
}

static PhSecret *
recovery_slot_key (const PhSecret *raw,
                   const guint8   *salt)
{
  guint8 message[sizeof RECOVERY_CONTEXT - 1 + PH_SALT_BYTES];

  memcpy (message, RECOVERY_CONTEXT, sizeof RECOVERY_CONTEXT - 1);
  memcpy (message + sizeof RECOVERY_CONTEXT - 1, salt, PH_SALT_BYTES);
  return ph_crypto_keyed_hash (raw, message, sizeof message);
}

PhSecret *
ph_vault_rotate_recovery_key (PhVault *self,
                              GError **error)
{
  g_autoptr(PhSecret) raw = ph_secret_new_random (PH_RECOVERY_KEY_BYTES);
  g_autoptr(PhSecret) slot_key = NULL;
  guint8 *body;

  g_return_val_if_fail (PH_IS_VAULT (self), NULL);

  if (self->vault_key == NULL)
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_LOCKED, _("The vault is locked"));
      return NULL;
    }

  body = g_malloc0 (RECOVERY_SLOT_BYTES);
  randombytes_buf (body, PH_SALT_BYTES);
  slot_key = recovery_slot_key (raw, body);
  wrap_vault_key (self, slot_key, PH_KEY_SLOT_RECOVERY, body + PH_SALT_BYTES);
  replace_slot (self, PH_KEY_SLOT_RECOVERY, g_bytes_new_take (body, RECOVERY_SLOT_BYTES));
  return ph_recovery_key_format (raw);
}

/**
 * ph_vault_new:
 * @path: where ph_vault_save() will write the vault
 * @out_recovery_key: (out) (optional): the recovery key, formatted; show it once
 *
 * Creates an empty unlocked vault in memory with a password slot and a recovery slot.
 */
PhVault *
ph_vault_new (const char        *path,
              const PhSecret    *password,
              const PhKdfParams *params,
              PhSecret         **out_recovery_key,
              GError           **error)
{
  g_autoptr(PhVault) self = NULL;
  g_autoptr(PhSecret) vault_key = NULL;
  g_autoptr(PhSecret) recovery = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (params != NULL, NULL);

  ph_crypto_init ();

  self = g_object_new (PH_TYPE_VAULT, NULL);
  self->path = g_strdup (path);
  randombytes_buf (self->vault_id, PH_VAULT_ID_BYTES);
  vault_key = ph_secret_new_random (PH_KEY_BYTES);
  ph_vault_set_keys (self, vault_key);

  if (!make_password_slot (self, password, params, error))
    return NULL;
  recovery = ph_vault_rotate_recovery_key (self, error);
  if (out_recovery_key != NULL)
    *out_recovery_key = g_steal_pointer (&recovery);
  return g_steal_pointer (&self);
}

static gboolean
read_file (const char   *path,
           PhVaultFile **out_file,
           GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  g_autoptr(GBytes) bytes = NULL;
  gsize len;

  if (!g_file_get_contents (path, &contents, &len, &local_error))
    {
      g_autofree char *name = g_filename_display_name (path);

      if (g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                     _("There is no vault at %s (create one with “perihelion-cli init”)"), name);
      else
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s", local_error->message);
      return FALSE;
    }

  bytes = g_bytes_new_take (g_steal_pointer (&contents), len);
  *out_file = ph_vault_file_parse (path, bytes, error);
  return *out_file != NULL;
}

/**
 * ph_vault_load:
 *
 * Reads and checks a vault file; the result is locked until one of the unlock functions runs.
 */
PhVault *
ph_vault_load (const char *path,
               GError    **error)
{
  g_autoptr(PhVault) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  ph_crypto_init ();

  self = g_object_new (PH_TYPE_VAULT, NULL);
  self->path = g_strdup (path);
  if (!read_file (path, &self->file, error))
    return NULL;
  memcpy (self->vault_id, self->file->vault_id, PH_VAULT_ID_BYTES);
  return g_steal_pointer (&self);
}

static gboolean
ensure_file (PhVault *self,
             GError **error)
{
  if (self->vault_key != NULL)
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_FAILED, _("The vault is already unlocked"));
      return FALSE;
    }
  if (self->file == NULL && !read_file (self->path, &self->file, error))
    return FALSE;
  return TRUE;
}

static PhKeySlot *
require_slot (PhVault *self,
              guint8   type,
              gsize    body_len,
              GError **error)
{
  PhKeySlot *slot = find_slot (self->file->slots, type);

  if (slot == NULL)
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NO_SLOT,
                   type == PH_KEY_SLOT_KEYSTORE ? _("This vault is not remembered on this device")
                   : _("This vault has no key slot of this kind"));
      return NULL;
    }
  if (g_bytes_get_size (slot->body) != body_len)
    {
      corrupt_slot:
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_CORRUPT, _("A key slot of the vault is damaged"));
      return NULL;
    }
  if (type == PH_KEY_SLOT_PASSWORD &&
      ((const guint8 *) g_bytes_get_data (slot->body, NULL))[0] != PH_KDF_ALG_ARGON2ID13)
    goto corrupt_slot;
  return slot;
}

/* With the vault key in hand: open the payload and take over what the file holds. */
static gboolean
finish_unlock (PhVault  *self,
               PhSecret *vault_key,
               GError  **error)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GHashTable) by_id = NULL;
  g_autoptr(GHashTable) tombstones = NULL;
  g_autoptr(GPtrArray) extra = NULL;
  guint old_len = self->entries->len;

  ph_vault_set_keys (self, vault_key);
  if (!ph_vault_parse_payload (self, self->file, &entries, &by_id, &tombstones, &extra, error))
    {
      ph_vault_clear_keys (self);
      return FALSE;
    }

  g_clear_pointer (&self->entries, g_ptr_array_unref);
  g_clear_pointer (&self->tombstones, g_hash_table_unref);
  g_clear_pointer (&self->extra_records, g_ptr_array_unref);
  self->entries = g_steal_pointer (&entries);
  self->tombstones = g_steal_pointer (&tombstones);
  self->extra_records = g_steal_pointer (&extra);
  g_hash_table_unref (self->by_id);
  self->by_id = g_steal_pointer (&by_id);

  g_clear_pointer (&self->slots, g_ptr_array_unref);
  self->slots = g_ptr_array_ref (self->file->slots);
  self->slots_changed = FALSE;
  self->generation = self->file->generation;
  g_clear_pointer (&self->disk_stamp, g_bytes_unref);
  self->disk_stamp = ph_vault_file_stamp (self->file);
  g_clear_pointer (&self->file, ph_vault_file_free);
  ph_vault_invalidate_index (self);

  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_len, self->entries->len);
  return TRUE;
}

static gboolean
wrong_password (GError    **error,
                const char *message)
{
  g_set_error_literal (error, PH_VAULT_ERROR, PH_VAULT_ERROR_WRONG_PASSWORD, message);
  return FALSE;
}

/* The vault key a password slot gives for @password (the KDF runs here), or NULL. */
static PhSecret *
open_password_slot (PhVault        *self,
                    PhKeySlot      *slot,
                    const PhSecret *password,
                    GError        **error)
{
  g_autoptr(PhSecret) slot_key = NULL;
  const guint8 *body = g_bytes_get_data (slot->body, NULL);
  PhKdfParams params;
  PhSecret *vault_key;

  read_password_slot_params (body, &params);
  if (!(slot_key = ph_kdf_derive (password, body + 13, &params, error)))
    return NULL;
  vault_key = unwrap_vault_key (self->vault_id, slot_key, PH_KEY_SLOT_PASSWORD, body + 13 + PH_SALT_BYTES);
  if (vault_key == NULL)
    wrong_password (error, _("Wrong password"));
  return vault_key;
}

gboolean
ph_vault_unlock_with_password (PhVault        *self,
                               const PhSecret *password,
                               GError        **error)
{
  g_autoptr(PhSecret) vault_key = NULL;
  PhKeySlot *slot;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);
  g_return_val_if_fail (password != NULL, FALSE);

  if (!ensure_file (self, error) ||
      !(slot = require_slot (self, PH_KEY_SLOT_PASSWORD, PASSWORD_SLOT_BYTES, error)) ||
      !(vault_key = open_password_slot (self, slot, password, error)))
    return FALSE;
  return finish_unlock (self, vault_key, error);
}

/**
 * ph_vault_verify_password:
 *
 * Checks @password against the unlocked vault's password slot without changing anything: the
 * re-authentication a policy can demand before it releases a secret.
 */
gboolean
ph_vault_verify_password (PhVault        *self,
                          const PhSecret *password,
                          GError        **error)
{
  g_autoptr(PhSecret) vault_key = NULL;
  PhKeySlot *slot;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);
  g_return_val_if_fail (password != NULL, FALSE);

  if (self->vault_key == NULL)
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_LOCKED, _("The vault is locked"));
      return FALSE;
    }
  slot = find_slot (self->slots, PH_KEY_SLOT_PASSWORD);
  if (slot == NULL || g_bytes_get_size (slot->body) != PASSWORD_SLOT_BYTES)
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NO_SLOT, _("This vault has no password"));
      return FALSE;
    }
  if (!(vault_key = open_password_slot (self, slot, password, error)))
    return FALSE;
  /* Another slot's password may unwrap to a different key only if the file was tampered with. */
  if (sodium_memcmp (ph_secret_get_data (vault_key), ph_secret_get_data (self->vault_key), PH_KEY_BYTES) != 0)
    return wrong_password (error, _("Wrong password"));
  return TRUE;
}

/**
 * ph_vault_derive_key:
 * @context: 8 characters naming the use
 *
 * A key for another purpose (the audit log's MAC key), derived from the vault key.
 *
 * Returns: (transfer full) (nullable): the key, or %NULL while locked
 */
PhSecret *
ph_vault_derive_key (PhVault    *self,
                     guint64     subkey_id,
                     const char *context)
{
  g_return_val_if_fail (PH_IS_VAULT (self), NULL);
  g_return_val_if_fail (subkey_id > 2, NULL);   /* 1 and 2 are the payload and field keys */

  if (self->vault_key == NULL)
    return NULL;
  return ph_crypto_subkey (self->vault_key, subkey_id, context);
}

static GBytes *
find_record (PhVault *self,
             guint8   kind,
             guint   *index)
{
  for (guint i = 0; i < self->extra_records->len; i++)
    {
      GBytes *record = g_ptr_array_index (self->extra_records, i);
      gsize len;
      const guint8 *data = g_bytes_get_data (record, &len);

      if (len >= 5 && data[0] == kind)
        {
          if (index)
            *index = i;
          return record;
        }
    }
  return NULL;
}

static void
set_record (PhVault    *self,
            guint8      kind,
            GByteArray *body)
{
  GByteArray *record = g_byte_array_sized_new (5 + body->len);
  guint8 head[5];
  guint index;

  head[0] = kind;
  head[1] = body->len & 0xff;
  head[2] = (body->len >> 8) & 0xff;
  head[3] = (body->len >> 16) & 0xff;
  head[4] = (body->len >> 24) & 0xff;
  g_byte_array_append (record, head, 5);
  g_byte_array_append (record, body->data, body->len);
  if (find_record (self, kind, &index))
    g_ptr_array_remove_index (self->extra_records, index);
  g_ptr_array_add (self->extra_records, g_byte_array_free_to_bytes (record));
}

static guint64
read_u64_le (const guint8 *p)
{
  guint64 v = 0;

  for (int i = 7; i >= 0; i--)
    v = (v << 8) | p[i];
  return v;
}

static guint32
read_u32_le (const guint8 *p)
{
  return (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 | (guint32) p[3] << 24;
}

static void
append_u64_le (GByteArray *out,
               guint64     v)
{
  guint8 b[8];

  for (int i = 0; i < 8; i++)
    b[i] = (v >> (8 * i)) & 0xff;
  g_byte_array_append (out, b, 8);
}

static void
append_text (GByteArray *out,
             const char *text)
{
  guint32 len = strlen (text);
  guint8 b[4] = { len & 0xff, (len >> 8) & 0xff, (len >> 16) & 0xff, (len >> 24) & 0xff };

  g_byte_array_append (out, b, 4);
  g_byte_array_append (out, (const guint8 *) text, len);
}

static gboolean
read_policy_record (GBytes  *record,
                    char   **model,
                    char   **policy,
                    gint64  *modified)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (record, &len);
  const guint8 *p = data + 5, *end = data + len;
  guint32 model_len, policy_len;

  if (end - p < 12)
    return FALSE;
  if (modified)
    *modified = (gint64) read_u64_le (p);
  p += 8;
  model_len = read_u32_le (p);
  p += 4;
  if ((gsize) (end - p) < (gsize) model_len + 4)
    return FALSE;
  if (model)
    *model = g_strndup ((const char *) p, model_len);
  p += model_len;
  policy_len = read_u32_le (p);
  p += 4;
  if ((gsize) (end - p) < policy_len)
    {
      if (model)
        g_clear_pointer (model, g_free);
      return FALSE;
    }
  if (policy)
    *policy = g_strndup ((const char *) p, policy_len);
  return TRUE;
}

/**
 * ph_vault_get_policy:
 *
 * The access policy kept in the vault (Casbin model and policy text), if one was set.
 */
gboolean
ph_vault_get_policy (PhVault  *self,
                     char    **model,
                     char    **policy,
                     gint64   *modified)
{
  GBytes *record;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);

  if (!(record = find_record (self, PH_RECORD_POLICY, NULL)))
    return FALSE;
  return read_policy_record (record, model, policy, modified);
}

void
ph_vault_set_policy (PhVault    *self,
                     const char *model,
                     const char *policy)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();

  g_return_if_fail (PH_IS_VAULT (self));

  append_u64_le (body, (guint64) g_get_real_time ());
  append_text (body, model);
  append_text (body, policy);
  set_record (self, PH_RECORD_POLICY, body);
}

static gboolean
read_audit_head (GBytes  *record,
                 guint64 *seq,
                 guint8   mac[32])
{
  gsize len;
  const guint8 *data = g_bytes_get_data (record, &len);

  if (len != 5 + 8 + 32)
    return FALSE;
  *seq = read_u64_le (data + 5);
  if (mac)
    memcpy (mac, data + 13, 32);
  return TRUE;
}

/**
 * ph_vault_get_audit_head:
 *
 * The last audit record known when the vault was saved, so a log cut short after it is caught.
 */
gboolean
ph_vault_get_audit_head (PhVault *self,
                         guint64 *seq,
                         guint8   mac[32])
{
  GBytes *record;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);

  if (!(record = find_record (self, PH_RECORD_AUDIT_HEAD, NULL)))
    return FALSE;
  return read_audit_head (record, seq, mac);
}

void
ph_vault_set_audit_head (PhVault      *self,
                         guint64       seq,
                         const guint8  mac[32])
{
  g_autoptr(GByteArray) body = g_byte_array_new ();

  g_return_if_fail (PH_IS_VAULT (self));

  append_u64_le (body, seq);
  g_byte_array_append (body, mac, 32);
  set_record (self, PH_RECORD_AUDIT_HEAD, body);
}

static gboolean require_unlocked (PhVault *self, GError **error);

#define SECOND_FACTORS_KEY_ID      4
#define SECOND_FACTORS_KEY_CONTEXT "phmfa___"
#define SECOND_FACTORS_AD          "perihelion second factors"

static gint64
second_factors_modified (GBytes *record)
{
  gsize len;
  const guint8 *data = g_bytes_get_data (record, &len);

  return len >= 5 + 8 ? (gint64) read_u64_le (data + 5) : 0;
}

/**
 * ph_vault_get_second_factors:
 *
 * The vault's own second factors (its TOTP seed, its recovery code hashes), as the text
 * ph_vault_set_second_factors() stored, opened into guarded memory; in memory and on disk the
 * state stays sealed with a key derived from the vault key.
 *
 * Returns: (transfer full) (nullable): the state, or %NULL (without an error) when none is set
 */
PhSecret *
ph_vault_get_second_factors (PhVault  *self,
                             GError  **error)
{
  g_autoptr(PhSecret) key = NULL;
  GBytes *record;
  gsize len;
  const guint8 *data;

  g_return_val_if_fail (PH_IS_VAULT (self), NULL);

  if (!require_unlocked (self, error) || !(record = find_record (self, PH_RECORD_SECOND_FACTORS, NULL)))
    return NULL;
  data = g_bytes_get_data (record, &len);
  if (len < 5 + 8)
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_CORRUPT, _("The second-factor record is damaged"));
      return NULL;
    }
  key = ph_vault_derive_key (self, SECOND_FACTORS_KEY_ID, SECOND_FACTORS_KEY_CONTEXT);
  return ph_crypto_open (key, data + 13, len - 13, SECOND_FACTORS_AD, strlen (SECOND_FACTORS_AD), error);
}

gboolean
ph_vault_set_second_factors (PhVault         *self,
                             const PhSecret  *state,
                             GError         **error)
{
  g_autoptr(GByteArray) body = g_byte_array_new ();
  g_autoptr(PhSecret) key = NULL;
  g_autoptr(GBytes) sealed = NULL;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);

  if (!require_unlocked (self, error))
    return FALSE;
  key = ph_vault_derive_key (self, SECOND_FACTORS_KEY_ID, SECOND_FACTORS_KEY_CONTEXT);
  sealed = ph_crypto_seal (key, ph_secret_get_data (state), ph_secret_get_length (state), SECOND_FACTORS_AD,
                           strlen (SECOND_FACTORS_AD));
  append_u64_le (body, (guint64) g_get_real_time ());
  g_byte_array_append (body, g_bytes_get_data (sealed, NULL), g_bytes_get_size (sealed));
  set_record (self, PH_RECORD_SECOND_FACTORS, body);
  return TRUE;
}

/* Records beside the entries, after another writer saved: the newer policy, the later audit
 * head; records of kinds this version does not know come from the other (newer) side. */
static void
merge_records (PhVault   *self,
               GPtrArray *theirs)
{
  for (guint i = 0; i < theirs->len; i++)
    {
      GBytes *record = g_ptr_array_index (theirs, i);
      const guint8 *data = g_bytes_get_data (record, NULL);
      guint8 kind = data[0];
      guint index;
      GBytes *ours = find_record (self, kind, &index);

      if (ours && kind == PH_RECORD_POLICY)
        {
          gint64 our_time = 0, their_time = 0;

          read_policy_record (ours, NULL, NULL, &our_time);
          read_policy_record (record, NULL, NULL, &their_time);
          if (our_time >= their_time)
            continue;
        }
      else if (ours && kind == PH_RECORD_SECOND_FACTORS)
        {
          if (second_factors_modified (ours) >= second_factors_modified (record))
            continue;
        }
      else if (ours && kind == PH_RECORD_AUDIT_HEAD)
        {
          guint64 our_seq = 0, their_seq = 0;

          read_audit_head (ours, &our_seq, NULL);
          read_audit_head (record, &their_seq, NULL);
          if (our_seq >= their_seq)
            continue;
        }
      if (ours)
        g_ptr_array_remove_index (self->extra_records, index);
      g_ptr_array_add (self->extra_records, g_bytes_ref (record));
    }
}

gboolean
ph_vault_unlock_with_recovery_key (PhVault    *self,
                                   const char *recovery_key,
                                   GError    **error)
{
  g_autoptr(PhSecret) raw = NULL;
  g_autoptr(PhSecret) slot_key = NULL;
  g_autoptr(PhSecret) vault_key = NULL;
  const guint8 *body;
  PhKeySlot *slot;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);
  g_return_val_if_fail (recovery_key != NULL, FALSE);

  if (!ensure_file (self, error) ||
      !(slot = require_slot (self, PH_KEY_SLOT_RECOVERY, RECOVERY_SLOT_BYTES, error)))
    return FALSE;

  raw = ph_recovery_key_parse (recovery_key, NULL);
  if (raw == NULL)
    return wrong_password (error, _("This is not a valid recovery key: check it for typing mistakes"));

  body = g_bytes_get_data (slot->body, NULL);
  slot_key = recovery_slot_key (raw, body);
  vault_key = unwrap_vault_key (self->vault_id, slot_key, PH_KEY_SLOT_RECOVERY,
                                body + PH_SALT_BYTES);
  if (vault_key == NULL)
    return wrong_password (error, _("This recovery key does not belong to this vault, or it was replaced"));
  return finish_unlock (self, vault_key, error);
}

static char *
keystore_key_id (const guint8 *vault_id,
                 const guint8 *slot_id)
{
  char vault_hex[PH_VAULT_ID_BYTES * 2 + 1];
  char slot_hex[16 * 2 + 1];

  sodium_bin2hex (vault_hex, sizeof vault_hex, vault_id, PH_VAULT_ID_BYTES);
  sodium_bin2hex (slot_hex, sizeof slot_hex, slot_id, 16);
  return g_strdup_printf ("%s:%s", vault_hex, slot_hex);
}

gboolean
ph_vault_unlock_with_keystore (PhVault    *self,
                               PhKeystore *keystore,
                               GError    **error)
{
  g_autoptr(PhSecret) slot_key = NULL;
  g_autoptr(PhSecret) vault_key = NULL;
  g_autofree char *key_id = NULL;
  const guint8 *body;
  PhKeySlot *slot;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);
  g_return_val_if_fail (PH_IS_KEYSTORE (keystore), FALSE);

  if (!ensure_file (self, error) ||
      !(slot = require_slot (self, PH_KEY_SLOT_KEYSTORE, KEYSTORE_SLOT_BYTES, error)))
    return FALSE;

  body = g_bytes_get_data (slot->body, NULL);
  key_id = keystore_key_id (self->vault_id, body);
  slot_key = ph_keystore_lookup (keystore, key_id, NULL, error);
  if (slot_key == NULL)
    return FALSE;
  if (ph_secret_get_length (slot_key) != PH_KEY_BYTES ||
      (vault_key = unwrap_vault_key (self->vault_id, slot_key, PH_KEY_SLOT_KEYSTORE,
                                     body + 16)) == NULL)
    return wrong_password (error, _("The key this device remembers does not open this vault"));
  return finish_unlock (self, vault_key, error);
}

/**
 * ph_vault_lock:
 *
 * Wipes the keys and forgets the entries; the next unlock reads the file again.
 */
void
ph_vault_lock (PhVault *self)
{
  guint old_len;

  g_return_if_fail (PH_IS_VAULT (self));

  old_len = self->entries->len;
  ph_vault_clear_keys (self);
  ph_vault_invalidate_index (self);
  g_ptr_array_set_size (self->entries, 0);
  g_hash_table_remove_all (self->by_id);
  g_hash_table_remove_all (self->tombstones);
  g_ptr_array_set_size (self->extra_records, 0);
  if (old_len > 0)
    g_list_model_items_changed (G_LIST_MODEL (self), 0, old_len, 0);
}

gboolean
ph_vault_get_locked (PhVault *self)
{
  g_return_val_if_fail (PH_IS_VAULT (self), TRUE);

  return self->vault_key == NULL;
}

gboolean
ph_vault_has_slot (PhVault       *self,
                   PhKeySlotType  type)
{
  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);

  return find_slot (self->file ? self->file->slots : self->slots, type) != NULL;
}

gboolean
ph_vault_get_kdf_params (PhVault     *self,
                         PhKdfParams *out_params)
{
  PhKeySlot *slot;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);

  slot = find_slot (self->file ? self->file->slots : self->slots, PH_KEY_SLOT_PASSWORD);
  if (slot == NULL || g_bytes_get_size (slot->body) != PASSWORD_SLOT_BYTES)
    return FALSE;
  read_password_slot_params (g_bytes_get_data (slot->body, NULL), out_params);
  return TRUE;
}

const char *
ph_vault_get_path (PhVault *self)
{
  g_return_val_if_fail (PH_IS_VAULT (self), NULL);

  return self->path;
}

char *
ph_vault_dup_id (PhVault *self)
{
  char hex[PH_VAULT_ID_BYTES * 2 + 1];

  g_return_val_if_fail (PH_IS_VAULT (self), NULL);

  sodium_bin2hex (hex, sizeof hex, self->vault_id, PH_VAULT_ID_BYTES);
  return g_strdup (hex);
}

guint64
ph_vault_get_generation (PhVault *self)
{
  g_return_val_if_fail (PH_IS_VAULT (self), 0);

  return self->generation;
}

guint
ph_vault_get_n_conflicts (PhVault *self)
{
  g_return_val_if_fail (PH_IS_VAULT (self), 0);

  return self->n_conflicts;
}

static gboolean
require_unlocked (PhVault *self,
                  GError **error)
{
  if (self->vault_key == NULL)
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_LOCKED, _("The vault is locked"));
      return FALSE;
    }
  return TRUE;
}

/**
 * ph_vault_set_password:
 * @params: (nullable): new Argon2id cost, or %NULL to keep the current one
 *
 * Rewraps the vault key under a new password; entries are not re-encrypted.
 */
gboolean
ph_vault_set_password (PhVault           *self,
                       const PhSecret    *password,
                       const PhKdfParams *params,
                       GError           **error)
{
  PhKdfParams current;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);
  g_return_val_if_fail (password != NULL, FALSE);

  if (!require_unlocked (self, error))
    return FALSE;
  if (params == NULL)
    {
      if (!ph_vault_get_kdf_params (self, &current))
        {
          current.opslimit = PH_KDF_MIN_OPSLIMIT;
          current.memlimit = PH_KDF_MIN_MEMLIMIT;
        }
      params = &current;
    }
  return make_password_slot (self, password, params, error);
}

gboolean
ph_vault_remember_on_device (PhVault    *self,
                             PhKeystore *keystore,
                             GError    **error)
{
  g_autoptr(PhSecret) slot_key = ph_secret_new_random (PH_KEY_BYTES);
  g_autofree char *key_id = NULL;
  g_autofree char *label = NULL;
  g_autofree char *name = NULL;
  guint8 *body;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);
  g_return_val_if_fail (PH_IS_KEYSTORE (keystore), FALSE);

  if (!require_unlocked (self, error))
    return FALSE;

  body = g_malloc0 (KEYSTORE_SLOT_BYTES);
  randombytes_buf (body, 16);
  key_id = keystore_key_id (self->vault_id, body);
  name = g_filename_display_basename (self->path);
  /* Translators: the label of the item in the system keyring; %s is the vault's file name */
  label = g_strdup_printf (_("Perihelion vault key (%s)"), name);
  if (!ph_keystore_store (keystore, key_id, label, slot_key, NULL, error))
    {
      g_free (body);
      return FALSE;
    }
  wrap_vault_key (self, slot_key, PH_KEY_SLOT_KEYSTORE, body + 16);

  /* A key remembered earlier belongs to the slot being replaced: drop it from the keyring. */
  if (find_slot (self->slots, PH_KEY_SLOT_KEYSTORE))
    ph_vault_forget_on_device (self, keystore, NULL);
  replace_slot (self, PH_KEY_SLOT_KEYSTORE, g_bytes_new_take (body, KEYSTORE_SLOT_BYTES));
  return TRUE;
}

gboolean
ph_vault_forget_on_device (PhVault    *self,
                           PhKeystore *keystore,
                           GError    **error)
{
  PhKeySlot *slot;
  g_autofree char *key_id = NULL;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);
  g_return_val_if_fail (PH_IS_KEYSTORE (keystore), FALSE);

  if (!require_unlocked (self, error))
    return FALSE;
  slot = find_slot (self->slots, PH_KEY_SLOT_KEYSTORE);
  if (slot == NULL)
    return TRUE;
  key_id = keystore_key_id (self->vault_id, g_bytes_get_data (slot->body, NULL));
  if (!ph_keystore_clear (keystore, key_id, NULL, error))
    return FALSE;
  g_ptr_array_remove (self->slots, slot);
  self->slots_changed = TRUE;
  return TRUE;
}

/* Security key slot (type 4): credential id length (2, LE), credential id, ES256 public key
 * (64), salt (32), W. The slot key comes from the key's hmac-secret for the salt. */
#define SECURITY_KEY_SLOT_CONTEXT "perihelion fido2 slot v1"

static PhSecret *
security_key_slot_key (const PhSecret *secret,
                       const guint8   *salt)
{
  guint8 message[sizeof SECURITY_KEY_SLOT_CONTEXT - 1 + 32];

  memcpy (message, SECURITY_KEY_SLOT_CONTEXT, sizeof SECURITY_KEY_SLOT_CONTEXT - 1);
  memcpy (message + sizeof SECURITY_KEY_SLOT_CONTEXT - 1, salt, 32);
  return ph_crypto_keyed_hash (secret, message, sizeof message);
}

/* The parts of a security key slot body, checked against its length. */
static gboolean
parse_security_key_slot (GBytes        *body,
                         gsize         *id_length,
                         const guint8 **id,
                         const guint8 **public_key,
                         const guint8 **salt,
                         const guint8 **wrapped)
{
  gsize length;
  const guint8 *data = g_bytes_get_data (body, &length);

  if (length < 2)
    return FALSE;
  *id_length = data[0] | (data[1] << 8);
  if (*id_length == 0 || length != 2 + *id_length + 64 + 32 + PH_KEY_BYTES + PH_SEAL_OVERHEAD)
    return FALSE;
  *id = data + 2;
  *public_key = *id + *id_length;
  *salt = *public_key + 64;
  *wrapped = *salt + 32;
  return TRUE;
}

/**
 * ph_vault_set_security_key_slot:
 * @secret: the key's hmac-secret for @salt
 *
 * Adds (or replaces) the slot that opens the vault with a security key; the password slot stays.
 */
gboolean
ph_vault_set_security_key_slot (PhVault         *self,
                                GBytes          *credential_id,
                                GBytes          *public_key,
                                const guint8     salt[32],
                                const PhSecret  *secret,
                                GError         **error)
{
  g_autoptr(PhSecret) slot_key = NULL;
  gsize id_length = g_bytes_get_size (credential_id);
  gsize length = 2 + id_length + 64 + 32 + PH_KEY_BYTES + PH_SEAL_OVERHEAD;
  guint8 *body;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);

  if (!require_unlocked (self, error))
    return FALSE;
  if (id_length == 0 || id_length > 1024 || g_bytes_get_size (public_key) != 64 || ph_secret_get_length (secret) != 32)
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_INVALID, _("This security key cannot hold a vault key"));
      return FALSE;
    }
  body = g_malloc0 (length);
  body[0] = id_length & 0xff;
  body[1] = (id_length >> 8) & 0xff;
  memcpy (body + 2, g_bytes_get_data (credential_id, NULL), id_length);
  memcpy (body + 2 + id_length, g_bytes_get_data (public_key, NULL), 64);
  memcpy (body + 2 + id_length + 64, salt, 32);
  slot_key = security_key_slot_key (secret, salt);
  wrap_vault_key (self, slot_key, PH_KEY_SLOT_SECURITY_KEY, body + 2 + id_length + 64 + 32);
  replace_slot (self, PH_KEY_SLOT_SECURITY_KEY, g_bytes_new_take (body, length));
  return TRUE;
}

/**
 * ph_vault_get_security_key_slot:
 *
 * What a security key needs to open the vault (readable while it is locked).
 */
gboolean
ph_vault_get_security_key_slot (PhVault   *self,
                                GBytes   **credential_id,
                                GBytes   **public_key,
                                guint8     salt[32],
                                GError   **error)
{
  PhKeySlot *slot;
  const guint8 *id, *pk, *s, *wrapped;
  gsize id_length;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);

  if (!ensure_file (self, error))
    return FALSE;
  if (!(slot = find_slot (self->file->slots, PH_KEY_SLOT_SECURITY_KEY)))
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NO_SLOT, _("No security key opens this vault"));
      return FALSE;
    }
  if (!parse_security_key_slot (slot->body, &id_length, &id, &pk, &s, &wrapped))
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_CORRUPT, _("A key slot of the vault is damaged"));
      return FALSE;
    }
  *credential_id = g_bytes_new (id, id_length);
  *public_key = g_bytes_new (pk, 64);
  memcpy (salt, s, 32);
  return TRUE;
}

gboolean
ph_vault_unlock_with_security_key (PhVault         *self,
                                   const PhSecret  *secret,
                                   GError         **error)
{
  g_autoptr(PhSecret) slot_key = NULL;
  g_autoptr(PhSecret) vault_key = NULL;
  const guint8 *id, *pk, *salt, *wrapped;
  gsize id_length;
  PhKeySlot *slot;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);

  if (!ensure_file (self, error))
    return FALSE;
  if (!(slot = find_slot (self->file->slots, PH_KEY_SLOT_SECURITY_KEY)) ||
      !parse_security_key_slot (slot->body, &id_length, &id, &pk, &salt, &wrapped))
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NO_SLOT, _("No security key opens this vault"));
      return FALSE;
    }
  slot_key = security_key_slot_key (secret, salt);
  if (!(vault_key = unwrap_vault_key (self->vault_id, slot_key, PH_KEY_SLOT_SECURITY_KEY, wrapped)))
    return wrong_password (error, _("This security key does not open this vault"));
  return finish_unlock (self, vault_key, error);
}

gboolean
ph_vault_remove_security_key_slot (PhVault  *self,
                                   GError  **error)
{
  PhKeySlot *slot;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);

  if (!require_unlocked (self, error))
    return FALSE;
  if ((slot = find_slot (self->slots, PH_KEY_SLOT_SECURITY_KEY)))
    {
      g_ptr_array_remove (self->slots, slot);
      self->slots_changed = TRUE;
    }
  return TRUE;
}

PhEntry *
ph_vault_lookup (PhVault    *self,
                 const char *id)
{
  g_return_val_if_fail (PH_IS_VAULT (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  return g_hash_table_lookup (self->by_id, id);
}

/**
 * ph_vault_find:
 * @title_or_id: an entry id, an exact title, or a title that matches exactly one entry when
 *   case is ignored
 *
 * Returns: (transfer none): the one matching entry, or %NULL with a NOT_FOUND or AMBIGUOUS error
 */
PhEntry *
ph_vault_find (PhVault    *self,
               const char *title_or_id,
               GError    **error)
{
  PhEntry *found = NULL;
  guint n_exact = 0, n_fold = 0;
  PhEntry *fold_match = NULL;
  g_autofree char *folded = NULL;

  g_return_val_if_fail (PH_IS_VAULT (self), NULL);
  g_return_val_if_fail (title_or_id != NULL, NULL);

  if ((found = ph_vault_lookup (self, title_or_id)) != NULL)
    return found;

  folded = g_utf8_casefold (title_or_id, -1);
  for (guint i = 0; i < self->entries->len; i++)
    {
      PhEntry *entry = g_ptr_array_index (self->entries, i);

      if (g_strcmp0 (entry->title, title_or_id) == 0)
        {
          n_exact++;
          found = entry;
        }
      else if (n_exact == 0 && entry->title)
        {
          g_autofree char *entry_folded = g_utf8_casefold (entry->title, -1);

          if (strcmp (entry_folded, folded) == 0)
            {
              n_fold++;
              fold_match = entry;
            }
        }
    }

  if (n_exact == 0 && n_fold == 1)
    return fold_match;
  if (n_exact == 1)
    return found;

  if (n_exact > 1 || n_fold > 1)
    g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_AMBIGUOUS,
                 _("%u entries are titled “%s”: name one by its id (see “list”)"),
                 MAX (n_exact, n_fold), title_or_id);
  else
    g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NOT_FOUND,
                 _("No entry titled “%s”"), title_or_id);
  return NULL;
}

static gboolean
valid_text (const char *text)
{
  return text == NULL || g_utf8_validate (text, -1, NULL);
}

static gboolean
validate_entry (PhEntry *entry,
                GError **error)
{
  gboolean ok = entry->title != NULL && *entry->title && valid_text (entry->title) &&
                valid_text (entry->username) && valid_text (entry->folder) &&
                valid_text (entry->notes);

  for (guint i = 0; ok && entry->urls && entry->urls[i]; i++)
    ok = valid_text (entry->urls[i]);
  for (guint i = 0; ok && entry->tags && entry->tags[i]; i++)
    ok = valid_text (entry->tags[i]);

  if (!ok)
    g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_INVALID,
                 entry->title == NULL || *entry->title == '\0'
                 ? _("An entry needs a title")
                 : _("Entry text must be valid UTF-8"));
  return ok;
}

gboolean
ph_vault_add (PhVault *self,
              PhEntry *entry,
              GError **error)
{
  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);
  g_return_val_if_fail (PH_IS_ENTRY (entry), FALSE);
  g_return_val_if_fail (entry->id != NULL, FALSE);

  if (!require_unlocked (self, error) || !validate_entry (entry, error))
    return FALSE;
  if (g_hash_table_contains (self->by_id, entry->id))
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_EXISTS,
                   _("An entry with id %s already exists"), entry->id);
      return FALSE;
    }

  g_ptr_array_add (self->entries, g_object_ref (entry));
  g_hash_table_insert (self->by_id, entry->id, entry);
  g_hash_table_remove (self->tombstones, entry->id);
  ph_vault_invalidate_index (self);
  g_list_model_items_changed (G_LIST_MODEL (self), self->entries->len - 1, 0, 1);
  return TRUE;
}

void
ph_vault_remove (PhVault *self,
                 PhEntry *entry)
{
  PhTombstone *tombstone;
  guint position;

  g_return_if_fail (PH_IS_VAULT (self));
  g_return_if_fail (PH_IS_ENTRY (entry));

  if (!g_ptr_array_find (self->entries, entry, &position))
    return;

  tombstone = g_new0 (PhTombstone, 1);
  tombstone->deleted = g_get_real_time ();
  tombstone->base_modified = entry->base_modified;
  g_hash_table_replace (self->tombstones, g_strdup (entry->id), tombstone);
  g_hash_table_remove (self->by_id, entry->id);
  g_ptr_array_remove_index (self->entries, position);
  ph_vault_invalidate_index (self);
  g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 0);
}

/* Call after editing an entry of this vault, so lists and the search index follow. */
void
ph_vault_entry_changed (PhVault *self,
                        PhEntry *entry)
{
  guint position;

  g_return_if_fail (PH_IS_VAULT (self));
  g_return_if_fail (PH_IS_ENTRY (entry));

  /* Entries being prepared before ph_vault_add() are not in the list yet. */
  if (entry->id == NULL || g_hash_table_lookup (self->by_id, entry->id) != entry)
    return;
  ph_vault_invalidate_index (self);
  if (g_ptr_array_find (self->entries, entry, &position))
    g_list_model_items_changed (G_LIST_MODEL (self), position, 1, 1);
}

/**
 * ph_vault_search:
 *
 * Returns: (transfer container): entries matching @query, best first (see ph_search_index_query())
 */
GPtrArray *
ph_vault_search (PhVault    *self,
                 const char *query)
{
  g_return_val_if_fail (PH_IS_VAULT (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);

  if (self->index == NULL)
    self->index = ph_search_index_new (self->entries);
  return ph_search_index_query (self->index, query);
}

static PhSecret *
entry_key (PhVault    *self,
           const char *id)
{
  return ph_crypto_keyed_hash (self->field_key, id, strlen (id));
}

static GByteArray *
field_ad (const char *id,
          const char *field)
{
  GByteArray *ad = g_byte_array_new ();

  g_byte_array_append (ad, (const guint8 *) id, strlen (id) + 1);
  g_byte_array_append (ad, (const guint8 *) field, strlen (field));
  return ad;
}

static GBytes *
seal_field (PhVault        *self,
            const char     *id,
            const char     *field,
            const PhSecret *value)
{
  g_autoptr(PhSecret) key = entry_key (self, id);
  g_autoptr(GByteArray) ad = field_ad (id, field);

  return ph_crypto_seal (key, ph_secret_get_data (value), ph_secret_get_length (value),
                         ad->data, ad->len);
}

static PhSecret *
open_field (PhVault    *self,
            const char *id,
            const char *field,
            GBytes     *sealed,
            GError    **error)
{
  g_autoptr(PhSecret) key = entry_key (self, id);
  g_autoptr(GByteArray) ad = field_ad (id, field);
  gsize len;
  gconstpointer data = g_bytes_get_data (sealed, &len);
  PhSecret *plain;

  plain = ph_crypto_open (key, data, len, ad->data, ad->len, NULL);
  if (plain == NULL)
    g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_CORRUPT,
                 _("The field “%s” of this entry is damaged"), field);
  return plain;
}

static GBytes **
sealed_slot_for (PhEntry    *entry,
                 const char *field)
{
  if (strcmp (field, PH_FIELD_PASSWORD) == 0)
    return &entry->sealed_password;
  if (strcmp (field, PH_FIELD_OTP) == 0)
    return &entry->sealed_otp;
  return NULL;
}

/**
 * ph_vault_set_secret:
 * @field: %PH_FIELD_PASSWORD, %PH_FIELD_OTP or the name of a protected custom field
 * @value: (nullable): the new value, or %NULL to remove the field
 *
 * Seals @value for @entry at once; the previous password goes to the entry's history.
 */
gboolean
ph_vault_set_secret (PhVault        *self,
                     PhEntry        *entry,
                     const char     *field,
                     const PhSecret *value,
                     GError        **error)
{
  GBytes **slot;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);
  g_return_val_if_fail (PH_IS_ENTRY (entry), FALSE);
  g_return_val_if_fail (field != NULL && *field != '\0', FALSE);

  if (!require_unlocked (self, error))
    return FALSE;

  slot = sealed_slot_for (entry, field);
  if (slot != NULL)
    {
      if (*slot != NULL && slot == &entry->sealed_password)
        {
          /* Unchanged passwords do not fill the history. */
          g_autoptr(PhSecret) old = open_field (self, entry->id, field, *slot, NULL);

          if (old != NULL && value != NULL && ph_secret_equal (old, value))
            return TRUE;
          ph_entry_push_history (entry, *slot, g_get_real_time ());
        }
      g_clear_pointer (slot, g_bytes_unref);
      if (value != NULL)
        *slot = seal_field (self, entry->id, field, value);
    }
  else if (value != NULL)
    {
      g_autoptr(GBytes) sealed = seal_field (self, entry->id, field, value);
      ph_entry_add_field (entry, field, NULL, sealed);
    }
  else if (ph_entry_lookup_field (entry, field) != NULL)
    {
      g_ptr_array_remove (entry->fields, ph_entry_lookup_field (entry, field));
    }

  ph_entry_touch (entry);
  ph_vault_entry_changed (self, entry);
  return TRUE;
}

/**
 * ph_vault_unseal:
 *
 * Opens one sealed field into guarded memory. This is the primitive under the broker: callers
 * outside app/core go through the gate, never here.
 *
 * Returns: (transfer full): the value, or %NULL with a NOT_FOUND error if the entry has none
 */
PhSecret *
ph_vault_unseal (PhVault    *self,
                 PhEntry    *entry,
                 const char *field,
                 GError    **error)
{
  GBytes **slot;
  GBytes *sealed = NULL;

  g_return_val_if_fail (PH_IS_VAULT (self), NULL);
  g_return_val_if_fail (PH_IS_ENTRY (entry), NULL);
  g_return_val_if_fail (field != NULL, NULL);

  if (!require_unlocked (self, error))
    return NULL;

  slot = sealed_slot_for (entry, field);
  if (slot != NULL)
    sealed = *slot;
  else if (ph_entry_lookup_field (entry, field) != NULL)
    sealed = ph_entry_lookup_field (entry, field)->sealed;

  if (sealed == NULL)
    {
      const char *plain = ph_entry_get_field (entry, field);

      if (plain != NULL)
        return ph_secret_new_from_text (plain);
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NOT_FOUND,
                   _("The entry “%s” has no field “%s”"), ph_entry_get_title (entry), field);
      return NULL;
    }
  return open_field (self, entry->id, field, sealed, error);
}

PhSecret *
ph_vault_unseal_history (PhVault *self,
                         PhEntry *entry,
                         guint    index,
                         GError **error)
{
  PhHistoryItem *item;

  g_return_val_if_fail (PH_IS_VAULT (self), NULL);
  g_return_val_if_fail (PH_IS_ENTRY (entry), NULL);

  if (!require_unlocked (self, error))
    return NULL;
  if (index >= ph_entry_get_n_history (entry))
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NOT_FOUND,
                   _("The entry has no earlier password number %u"), index + 1);
      return NULL;
    }
  item = g_ptr_array_index (entry->history, index);
  return open_field (self, entry->id, PH_FIELD_PASSWORD, item->sealed, error);
}

/* Saving. */

static GBytes *
reseal (PhVault    *self,
        const char *old_id,
        const char *new_id,
        const char *field,
        GBytes     *sealed)
{
  g_autoptr(PhSecret) plain = open_field (self, old_id, field, sealed, NULL);

  if (plain == NULL)
    return g_bytes_ref (sealed);
  return seal_field (self, new_id, field, plain);
}

/* A conflict copy has a new id, and sealed values are bound to the id: seal them again. */
static PhEntry *
make_conflict_copy (PhVault *self,
                    PhEntry *entry)
{
  PhEntry *copy = ph_entry_copy (entry, TRUE);
  g_autoptr(GDateTime) when = g_date_time_new_from_unix_local (entry->modified / G_USEC_PER_SEC);
  g_autofree char *stamp = g_date_time_format (when, "%Y-%m-%d %H:%M");
  GBytes *sealed;

  g_free (copy->title);
  /* Translators: the title of a second version of an entry that was edited in two places */
  copy->title = g_strdup_printf (_("%s (conflict, %s)"), ph_entry_get_title (entry), stamp);

  if (copy->sealed_password)
    {
      sealed = reseal (self, entry->id, copy->id, PH_FIELD_PASSWORD, copy->sealed_password);
      g_bytes_unref (copy->sealed_password);
      copy->sealed_password = sealed;
    }
  if (copy->sealed_otp)
    {
      sealed = reseal (self, entry->id, copy->id, PH_FIELD_OTP, copy->sealed_otp);
      g_bytes_unref (copy->sealed_otp);
      copy->sealed_otp = sealed;
    }
  for (guint i = 0; copy->fields && i < copy->fields->len; i++)
    {
      PhEntryField *field = g_ptr_array_index (copy->fields, i);

      if (field->sealed)
        {
          sealed = reseal (self, entry->id, copy->id, field->name, field->sealed);
          g_bytes_unref (field->sealed);
          field->sealed = sealed;
        }
    }
  for (guint i = 0; copy->history && i < copy->history->len; i++)
    {
      PhHistoryItem *item = g_ptr_array_index (copy->history, i);

      sealed = reseal (self, entry->id, copy->id, PH_FIELD_PASSWORD, item->sealed);
      g_bytes_unref (item->sealed);
      item->sealed = sealed;
    }
  copy->base_modified = 0;
  return copy;
}

/**
 * merge_from_disk:
 *
 * Another writer saved @file since we read the vault. Three-way merge by entry id, with each
 * entry's modification time at our last load as the base: a side that did not change an entry
 * takes the other's version; when both changed it, the newer edit keeps the id and the older
 * one is kept as a conflict copy; an edit outranks a deletion. Nothing is dropped.
 */
static gboolean
merge_from_disk (PhVault     *self,
                 PhVaultFile *file,
                 GError     **error)
{
  g_autoptr(GPtrArray) remote = NULL;
  g_autoptr(GHashTable) remote_tombstones = NULL;
  g_autoptr(GPtrArray) remote_extra = NULL;
  g_autoptr(GHashTable) remote_ids = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) conflicts = g_ptr_array_new_with_free_func (g_object_unref);
  GHashTableIter iter;
  gpointer key, value;
  guint old_len = self->entries->len;

  if (memcmp (file->vault_id, self->vault_id, PH_VAULT_ID_BYTES) != 0)
    {
      g_autofree char *name = g_filename_display_name (self->path);
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_REPLACED,
                   _("%s was replaced by a different vault; nothing was saved"), name);
      return FALSE;
    }
  if (!ph_vault_parse_payload (self, file, &remote, NULL, &remote_tombstones, &remote_extra, error))
    return FALSE;

  for (guint i = 0; i < remote->len; i++)
    {
      PhEntry *theirs = g_ptr_array_index (remote, i);
      PhEntry *ours = g_hash_table_lookup (self->by_id, theirs->id);

      g_hash_table_add (remote_ids, theirs->id);

      if (ours != NULL)
        {
          gboolean we_changed = ours->modified != ours->base_modified;
          gboolean they_changed = theirs->modified != ours->base_modified;
          guint position;

          if (!they_changed || ph_entry_equal_content (ours, theirs))
            continue;
          if (we_changed)
            {
              /* Both edited it: the newer edit wins the id, the other becomes a copy. */
              if (ours->modified >= theirs->modified)
                {
                  g_ptr_array_add (conflicts, make_conflict_copy (self, theirs));
                  continue;
                }
              g_ptr_array_add (conflicts, make_conflict_copy (self, ours));
            }
          g_ptr_array_find (self->entries, ours, &position);
          g_hash_table_replace (self->by_id, theirs->id, theirs);
          self->entries->pdata[position] = g_object_ref (theirs);
          g_object_unref (ours);
        }
      else
        {
          PhTombstone *ours_deleted = g_hash_table_lookup (self->tombstones, theirs->id);

          if (ours_deleted != NULL && theirs->modified == ours_deleted->base_modified)
            continue;   /* we deleted it and they did not touch it */
          if (ours_deleted != NULL)
            g_hash_table_remove (self->tombstones, theirs->id);
          g_ptr_array_add (self->entries, g_object_ref (theirs));
          g_hash_table_insert (self->by_id, theirs->id, theirs);
        }
    }

  /* Entries they deleted: gone here too, unless we edited them since. */
  for (guint i = self->entries->len; i-- > 0;)
    {
      PhEntry *ours = g_ptr_array_index (self->entries, i);
      PhTombstone *theirs_deleted;

      if (g_hash_table_contains (remote_ids, ours->id))
        continue;
      theirs_deleted = g_hash_table_lookup (remote_tombstones, ours->id);
      if (theirs_deleted != NULL && ours->modified == ours->base_modified)
        {
          g_hash_table_remove (self->by_id, ours->id);
          g_ptr_array_remove_index (self->entries, i);
        }
    }

  g_hash_table_iter_init (&iter, remote_tombstones);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (!g_hash_table_contains (self->by_id, key) &&
          !g_hash_table_contains (self->tombstones, key))
        {
          PhTombstone *copy = g_memdup2 (value, sizeof (PhTombstone));
          g_hash_table_insert (self->tombstones, g_strdup (key), copy);
        }
    }

  for (guint i = 0; i < conflicts->len; i++)
    {
      PhEntry *copy = g_ptr_array_index (conflicts, i);

      g_ptr_array_add (self->entries, g_object_ref (copy));
      g_hash_table_insert (self->by_id, copy->id, copy);
    }
  self->n_conflicts += conflicts->len;

  merge_records (self, remote_extra);

  /* Their key slots stand (a password changed elsewhere) unless ours changed here too. */
  if (!self->slots_changed)
    {
      g_ptr_array_unref (self->slots);
      self->slots = g_ptr_array_ref (file->slots);
    }
  self->generation = MAX (self->generation, file->generation);

  ph_vault_invalidate_index (self);
  g_list_model_items_changed (G_LIST_MODEL (self), 0, old_len, self->entries->len);
  return TRUE;
}

static gboolean
save_failed (GError    **error,
             const char *path,
             int         saved_errno)
{
  g_autofree char *name = g_filename_display_name (path);

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
               _("Could not save %s: %s; the vault on disk is unchanged"), name,
               g_strerror (saved_errno));
  return FALSE;
}

static gboolean
write_all (int           fd,
           const guint8 *data,
           gsize         len)
{
  while (len > 0)
    {
      ssize_t w = write (fd, data, len);

      if (w < 0 && errno == EINTR)
        continue;
      if (w <= 0)
        {
          if (w == 0)
            errno = ENOSPC;
          return FALSE;
        }
      data += w;
      len -= w;
    }
  return TRUE;
}

/* Temporary files of writers that died mid-save; only called with the vault's lock held. */
static void
remove_stale_temporaries (const char *dir,
                          const char *base)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  g_autofree char *prefix = g_strdup_printf (".%s.", base);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      if (g_str_has_prefix (name, prefix) && g_str_has_suffix (name, ".tmp"))
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          g_unlink (path);
        }
    }
}

static gboolean
keep_backup (const char *path)
{
  g_autofree char *backup = g_strconcat (path, ".bak", NULL);
  g_autoptr(GFile) from = NULL;
  g_autoptr(GFile) to = NULL;

  if (g_unlink (backup) != 0 && errno != ENOENT)
    return FALSE;
  /* A hard link costs no space and no copy; file systems without links get a copy. */
  if (link (path, backup) == 0 || errno == ENOENT)
    return TRUE;
  from = g_file_new_for_path (path);
  to = g_file_new_for_path (backup);
  return g_file_copy (from, to, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, NULL);
}

static gboolean
write_atomically (const char *path,
                  GBytes     *contents,
                  GError    **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.XXXXXX.tmp", dir, base);
  gsize len;
  const guint8 *data = g_bytes_get_data (contents, &len);
  int fd, dir_fd, saved_errno;

  remove_stale_temporaries (dir, base);

  fd = g_mkstemp_full (tmp, O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0)
    return save_failed (error, path, errno);

  if (!write_all (fd, data, len) || fsync (fd) != 0)
    {
      saved_errno = errno;
      close (fd);
      g_unlink (tmp);
      return save_failed (error, path, saved_errno);
    }
  if (close (fd) != 0)
    {
      saved_errno = errno;
      g_unlink (tmp);
      return save_failed (error, path, saved_errno);
    }

  if (!keep_backup (path) || rename (tmp, path) != 0)
    {
      saved_errno = errno ? errno : EIO;
      g_unlink (tmp);
      return save_failed (error, path, saved_errno);
    }

  /* The rename is durable only once the folder is synced. */
  dir_fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0)
    {
      fsync (dir_fd);
      close (dir_fd);
    }
  return TRUE;
}

/* Whether the file on disk still is what we last read or wrote: compares header and nonce. */
static gboolean
disk_unchanged (PhVault *self,
                int     *out_errno)
{
  gsize len;
  const guint8 *stamp;
  g_autofree guint8 *buf = NULL;
  ssize_t r;
  int fd;

  *out_errno = 0;
  fd = open (self->path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      *out_errno = errno;
      return self->disk_stamp == NULL && errno == ENOENT;
    }
  if (self->disk_stamp == NULL)
    {
      close (fd);
      return FALSE;
    }
  stamp = g_bytes_get_data (self->disk_stamp, &len);
  buf = g_malloc (len);
  r = pread (fd, buf, len, 0);
  close (fd);
  return r == (ssize_t) len && memcmp (buf, stamp, len) == 0;
}

/**
 * ph_vault_save:
 *
 * Writes the vault atomically: a temporary file in the same folder, fsync, the previous file
 * kept as FILE.bak, rename, fsync of the folder. The KDF never runs here. If another writer
 * changed the file since it was read, its changes are merged first (see merge_from_disk()).
 */
gboolean
ph_vault_save (PhVault *self,
               GError **error)
{
  g_autofree char *lock_path = NULL;
  g_autofree char *dir = NULL;
  g_autoptr(GBytes) contents = NULL;
  int lock_fd, saved_errno;
  gboolean ok = FALSE;

  g_return_val_if_fail (PH_IS_VAULT (self), FALSE);

  if (!require_unlocked (self, error))
    return FALSE;

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    return save_failed (error, self->path, errno);

  /* Serializes writers on this machine; a sync tool is handled by the merge. */
  lock_path = g_strconcat (self->path, ".lock", NULL);
  lock_fd = open (lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0)
    return save_failed (error, self->path, errno);
  while (flock (lock_fd, LOCK_EX) != 0)
    {
      if (errno != EINTR)
        {
          saved_errno = errno;
          close (lock_fd);
          return save_failed (error, self->path, saved_errno);
        }
    }

  if (!disk_unchanged (self, &saved_errno))
    {
      g_autoptr(PhVaultFile) file = NULL;

      if (saved_errno == ENOENT)
        ; /* the file went away: write ours */
      else if (!read_file (self->path, &file, error) || !merge_from_disk (self, file, error))
        goto out;
    }

  self->generation++;
  contents = ph_vault_serialize (self);
  if (!write_atomically (self->path, contents, error))
    {
      self->generation--;
      goto out;
    }

  {
    /* The stamp is the header and the payload nonce; the header says how long it is. */
    guint32 header_len;

    memcpy (&header_len, (const guint8 *) g_bytes_get_data (contents, NULL) + 12, 4);
    g_clear_pointer (&self->disk_stamp, g_bytes_unref);
    self->disk_stamp = g_bytes_new_from_bytes (contents, 0,
                                               GUINT32_FROM_LE (header_len) + PH_NONCE_BYTES);
  }

  for (guint i = 0; i < self->entries->len; i++)
    {
      PhEntry *entry = g_ptr_array_index (self->entries, i);
      entry->base_modified = entry->modified;
    }
  self->slots_changed = FALSE;
  ok = TRUE;

out:
  close (lock_fd);
  return ok;
}
