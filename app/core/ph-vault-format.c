/* ph-vault-format.c: reading and writing the bytes of vault format v1 (docs/vault-format.md).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-vault"

#include "config.h"

#include <sodium.h>
#include <glib/gi18n-lib.h>

#include "ph-vault-private.h"

enum
{
  TAG_ID = 1,
  TAG_TITLE,
  TAG_USERNAME,
  TAG_URL,
  TAG_FOLDER,
  TAG_TAG,
  TAG_NOTES,
  TAG_SENSITIVITY,
  TAG_FAVORITE,
  TAG_CREATED,
  TAG_MODIFIED,
  TAG_LAST_USED,
  TAG_ROTATION_DUE,
  TAG_PASSWORD,
  TAG_OTP,
  TAG_FIELD,
  TAG_PROTECTED_FIELD,
  TAG_HISTORY,
};

static inline void
put_u16 (guint8 *p, guint16 v)
{
  v = GUINT16_TO_LE (v);
  memcpy (p, &v, 2);
}

static inline void
put_u32 (guint8 *p, guint32 v)
{
  v = GUINT32_TO_LE (v);
  memcpy (p, &v, 4);
}

static inline void
put_u64 (guint8 *p, guint64 v)
{
  v = GUINT64_TO_LE (v);
  memcpy (p, &v, 8);
}

static inline guint16
get_u16 (const guint8 *p)
{
  guint16 v;
  memcpy (&v, p, 2);
  return GUINT16_FROM_LE (v);
}

static inline guint32
get_u32 (const guint8 *p)
{
  guint32 v;
  memcpy (&v, p, 4);
  return GUINT32_FROM_LE (v);
}

static inline guint64
get_u64 (const guint8 *p)
{
  guint64 v;
  memcpy (&v, p, 8);
  return GUINT64_FROM_LE (v);
}

void
ph_key_slot_free (gpointer data)
{
  PhKeySlot *slot = data;

  g_bytes_unref (slot->body);
  g_free (slot);
}

void
ph_vault_file_free (PhVaultFile *file)
{
  g_clear_pointer (&file->contents, g_bytes_unref);
  g_clear_pointer (&file->slots, g_ptr_array_unref);
  g_free (file);
}

/* The associated data that binds a wrapped vault key to its vault and slot type. */
void
ph_vault_slot_ad (const guint8 *vault_id,
                  guint8        type,
                  guint8       *out_ad)
{
  memcpy (out_ad, PH_VAULT_MAGIC, PH_VAULT_MAGIC_LEN);
  put_u16 (out_ad + PH_VAULT_MAGIC_LEN, PH_VAULT_VERSION);
  memcpy (out_ad + PH_VAULT_MAGIC_LEN + 2, vault_id, PH_VAULT_ID_BYTES);
  out_ad[PH_VAULT_MAGIC_LEN + 2 + PH_VAULT_ID_BYTES] = type;
}

static gboolean
corrupt (GError    **error,
         const char *path,
         const char *what)
{
  g_autofree char *name = g_filename_display_name (path);

  g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_CORRUPT,
               _("The vault %s is damaged (%s); its backup %s.bak may be intact"),
               name, what, name);
  return FALSE;
}

/**
 * ph_vault_file_parse:
 *
 * Checks everything that can be checked without a key: magic, version, lengths, the header
 * checksum that tells a damaged header from a wrong password, and the slot list.
 */
PhVaultFile *
ph_vault_file_parse (const char *path,
                     GBytes     *contents,
                     GError    **error)
{
  g_autoptr(PhVaultFile) file = g_new0 (PhVaultFile, 1);
  g_autofree char *name = g_filename_display_name (path);
  gsize len;
  const guint8 *data = g_bytes_get_data (contents, &len);
  guint8 checksum[PH_VAULT_CHECKSUM_BYTES];
  guint16 version;
  gsize pos;
  guint n_slots;

  file->contents = g_bytes_ref (contents);

  if (len < PH_VAULT_MAGIC_LEN || memcmp (data, PH_VAULT_MAGIC, PH_VAULT_MAGIC_LEN) != 0)
    {
      if (len < PH_VAULT_MAGIC_LEN && len > 0 &&
          memcmp (data, PH_VAULT_MAGIC, len) == 0)
        return corrupt (error, path, _("truncated")), NULL;
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NOT_A_VAULT,
                   _("%s is not a Perihelion vault"), name);
      return NULL;
    }
  if (len < PH_VAULT_FIXED_HEADER)
    return corrupt (error, path, _("truncated")), NULL;

  version = get_u16 (data + 8);
  if (version != PH_VAULT_VERSION)
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_UNSUPPORTED_VERSION,
                   _("The vault %s has format version %u; this Perihelion reads version %u"),
                   name, version, PH_VAULT_VERSION);
      return NULL;
    }

  file->header_len = get_u32 (data + 12);
  if (file->header_len < PH_VAULT_FIXED_HEADER + PH_VAULT_CHECKSUM_BYTES ||
      file->header_len > len)
    return corrupt (error, path, _("bad header length")), NULL;
  if (len < file->header_len + PH_SEAL_OVERHEAD)
    return corrupt (error, path, _("truncated")), NULL;

  crypto_generichash (checksum, sizeof checksum, data, file->header_len - PH_VAULT_CHECKSUM_BYTES,
                      NULL, 0);
  if (memcmp (checksum, data + file->header_len - PH_VAULT_CHECKSUM_BYTES, sizeof checksum) != 0)
    return corrupt (error, path, _("header checksum mismatch")), NULL;

  memcpy (file->vault_id, data + 16, PH_VAULT_ID_BYTES);
  file->generation = get_u64 (data + 32);
  file->saved_at = (gint64) get_u64 (data + 40);
  n_slots = data[48];
  file->slots = g_ptr_array_new_with_free_func (ph_key_slot_free);

  pos = PH_VAULT_FIXED_HEADER;
  for (guint i = 0; i < n_slots; i++)
    {
      PhKeySlot *slot;
      guint16 body_len;

      if (pos + 3 > file->header_len - PH_VAULT_CHECKSUM_BYTES)
        return corrupt (error, path, _("bad key slot")), NULL;
      body_len = get_u16 (data + pos + 1);
      if (pos + 3 + body_len > file->header_len - PH_VAULT_CHECKSUM_BYTES)
        return corrupt (error, path, _("bad key slot")), NULL;
      slot = g_new0 (PhKeySlot, 1);
      slot->type = data[pos];
      slot->body = g_bytes_new (data + pos + 3, body_len);
      g_ptr_array_add (file->slots, slot);
      pos += 3 + body_len;
    }
  if (pos != file->header_len - PH_VAULT_CHECKSUM_BYTES)
    return corrupt (error, path, _("bad header length")), NULL;

  return g_steal_pointer (&file);
}

/* The header and the payload nonce: new on every save, so it tells whether the file changed. */
GBytes *
ph_vault_file_stamp (PhVaultFile *file)
{
  return g_bytes_new_from_bytes (file->contents, 0, file->header_len + PH_NONCE_BYTES);
}

/* Serialization of the payload. Lengths are checked on input; on output they are bounded by
 * G_MAXUINT32 because entries are bounded by memory long before. */

static void
put_tlv (GByteArray    *out,
         guint8         tag,
         gconstpointer  value,
         gsize          len)
{
  guint8 head[5];

  head[0] = tag;
  put_u32 (head + 1, len);
  g_byte_array_append (out, head, 5);
  if (len > 0)
    g_byte_array_append (out, value, len);
}

static void
put_string (GByteArray *out,
            guint8      tag,
            const char *value)
{
  if (value != NULL)
    put_tlv (out, tag, value, strlen (value));
}

static void
put_i64 (GByteArray *out,
         guint8      tag,
         gint64      value)
{
  guint8 buf[8];

  if (value == 0)
    return;
  put_u64 (buf, (guint64) value);
  put_tlv (out, tag, buf, 8);
}

static void
put_bytes (GByteArray *out,
           guint8      tag,
           GBytes     *bytes)
{
  gsize len;
  gconstpointer data;

  if (bytes == NULL)
    return;
  data = g_bytes_get_data (bytes, &len);
  put_tlv (out, tag, data, len);
}

static void
put_named (GByteArray    *out,
           guint8         tag,
           const char    *name,
           gconstpointer  value,
           gsize          value_len)
{
  gsize name_len = strlen (name);
  guint8 head[7];

  head[0] = tag;
  put_u32 (head + 1, 2 + name_len + value_len);
  put_u16 (head + 5, name_len);
  g_byte_array_append (out, head, 7);
  g_byte_array_append (out, (const guint8 *) name, name_len);
  g_byte_array_append (out, value, value_len);
}

static void
write_entry (GByteArray *out,
             PhEntry    *entry)
{
  guint record_start = out->len;
  guint8 byte;

  g_byte_array_set_size (out, out->len + 5);

  put_string (out, TAG_ID, entry->id);
  put_string (out, TAG_TITLE, entry->title);
  put_string (out, TAG_USERNAME, entry->username);
  for (guint i = 0; entry->urls && entry->urls[i]; i++)
    put_string (out, TAG_URL, entry->urls[i]);
  put_string (out, TAG_FOLDER, entry->folder);
  for (guint i = 0; entry->tags && entry->tags[i]; i++)
    put_string (out, TAG_TAG, entry->tags[i]);
  put_string (out, TAG_NOTES, entry->notes);
  if (entry->sensitivity != PH_SENSITIVITY_NORMAL)
    {
      byte = entry->sensitivity;
      put_tlv (out, TAG_SENSITIVITY, &byte, 1);
    }
  if (entry->favorite)
    {
      byte = 1;
      put_tlv (out, TAG_FAVORITE, &byte, 1);
    }
  put_i64 (out, TAG_CREATED, entry->created);
  put_i64 (out, TAG_MODIFIED, entry->modified);
  put_i64 (out, TAG_LAST_USED, entry->last_used);
  put_i64 (out, TAG_ROTATION_DUE, entry->rotation_due);
  put_bytes (out, TAG_PASSWORD, entry->sealed_password);
  put_bytes (out, TAG_OTP, entry->sealed_otp);
  for (guint i = 0; entry->fields && i < entry->fields->len; i++)
    {
      PhEntryField *field = g_ptr_array_index (entry->fields, i);

      if (field->sealed)
        put_named (out, TAG_PROTECTED_FIELD, field->name, g_bytes_get_data (field->sealed, NULL),
                   g_bytes_get_size (field->sealed));
      else
        put_named (out, TAG_FIELD, field->name, field->value, strlen (field->value));
    }
  for (guint i = 0; entry->history && i < entry->history->len; i++)
    {
      PhHistoryItem *item = g_ptr_array_index (entry->history, i);
      gsize len = g_bytes_get_size (item->sealed);
      guint8 *buf = g_malloc (8 + len);

      put_u64 (buf, item->changed);
      memcpy (buf + 8, g_bytes_get_data (item->sealed, NULL), len);
      put_tlv (out, TAG_HISTORY, buf, 8 + len);
      g_free (buf);
    }
  if (entry->unknown)
    g_byte_array_append (out, entry->unknown->data, entry->unknown->len);

  out->data[record_start] = PH_RECORD_ENTRY;
  put_u32 (out->data + record_start + 1, out->len - record_start - 5);
}

static void
write_header (PhVault    *self,
              GByteArray *out)
{
  guint8 fixed[PH_VAULT_FIXED_HEADER] = { 0 };
  guint8 checksum[PH_VAULT_CHECKSUM_BYTES];
  gsize header_len = PH_VAULT_FIXED_HEADER + PH_VAULT_CHECKSUM_BYTES;

  for (guint i = 0; i < self->slots->len; i++)
    header_len += 3 + g_bytes_get_size (((PhKeySlot *) g_ptr_array_index (self->slots, i))->body);

  memcpy (fixed, PH_VAULT_MAGIC, PH_VAULT_MAGIC_LEN);
  put_u16 (fixed + 8, PH_VAULT_VERSION);
  put_u16 (fixed + 10, 0);
  put_u32 (fixed + 12, header_len);
  memcpy (fixed + 16, self->vault_id, PH_VAULT_ID_BYTES);
  put_u64 (fixed + 32, self->generation);
  put_u64 (fixed + 40, g_get_real_time ());
  fixed[48] = self->slots->len;
  g_byte_array_append (out, fixed, sizeof fixed);

  for (guint i = 0; i < self->slots->len; i++)
    {
      PhKeySlot *slot = g_ptr_array_index (self->slots, i);
      guint8 head[3];

      head[0] = slot->type;
      put_u16 (head + 1, g_bytes_get_size (slot->body));
      g_byte_array_append (out, head, 3);
      g_byte_array_append (out, g_bytes_get_data (slot->body, NULL), g_bytes_get_size (slot->body));
    }

  crypto_generichash (checksum, sizeof checksum, out->data, out->len, NULL, 0);
  g_byte_array_append (out, checksum, sizeof checksum);
  g_assert (out->len == header_len);
}

/**
 * ph_vault_serialize:
 *
 * Builds the whole file: header, nonce, and the payload sealed in place (no second copy of the
 * plaintext index is made).
 */
GBytes *
ph_vault_serialize (PhVault *self)
{
  GByteArray *out = g_byte_array_sized_new (4096 + self->entries->len * 320);
  GHashTableIter iter;
  gpointer key, value;
  gsize header_len, payload_start;
  unsigned long long ct_len;

  write_header (self, out);
  header_len = out->len;
  g_byte_array_set_size (out, out->len + PH_NONCE_BYTES);
  payload_start = out->len;

  g_byte_array_append (out, (const guint8 *) "PHIX", 4);
  for (guint i = 0; i < self->entries->len; i++)
    write_entry (out, g_ptr_array_index (self->entries, i));

  g_hash_table_iter_init (&iter, self->tombstones);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      PhTombstone *tombstone = value;
      gsize id_len = strlen (key);
      guint8 head[5 + 16];

      head[0] = PH_RECORD_TOMBSTONE;
      put_u32 (head + 1, 16 + id_len);
      put_u64 (head + 5, tombstone->deleted);
      put_u64 (head + 13, tombstone->base_modified);
      g_byte_array_append (out, head, sizeof head);
      g_byte_array_append (out, key, id_len);
    }

  for (guint i = 0; i < self->extra_records->len; i++)
    {
      GBytes *record = g_ptr_array_index (self->extra_records, i);
      g_byte_array_append (out, g_bytes_get_data (record, NULL), g_bytes_get_size (record));
    }

  g_byte_array_set_size (out, out->len + PH_MAC_BYTES);
  randombytes_buf (out->data + header_len, PH_NONCE_BYTES);
  crypto_aead_xchacha20poly1305_ietf_encrypt (out->data + payload_start, &ct_len,
                                              out->data + payload_start,
                                              out->len - payload_start - PH_MAC_BYTES,
                                              out->data, header_len, NULL,
                                              out->data + header_len,
                                              ph_secret_get_data (self->payload_key));
  g_assert (payload_start + ct_len == out->len);
  return g_byte_array_free_to_bytes (out);
}

static gboolean
take_string (const guint8 *value,
             guint32       len,
             char        **out)
{
  if (!g_utf8_validate ((const char *) value, len, NULL) || memchr (value, 0, len))
    return FALSE;
  g_free (*out);
  *out = g_strndup ((const char *) value, len);
  return TRUE;
}

static void
strv_append (GStrv        *strv,
             const guint8 *value,
             guint32       len)
{
  guint n = *strv ? g_strv_length (*strv) : 0;

  *strv = g_renew (char *, *strv, n + 2);
  (*strv)[n] = g_strndup ((const char *) value, len);
  (*strv)[n + 1] = NULL;
}

static PhEntry *
read_entry (const guint8 *data,
            guint32       len)
{
  g_autoptr(PhEntry) entry = ph_entry_new_empty ();
  guint32 pos = 0;

  while (pos < len)
    {
      guint8 tag;
      guint32 vlen;
      const guint8 *value;

      if (len - pos < 5)
        return NULL;
      tag = data[pos];
      vlen = get_u32 (data + pos + 1);
      if (vlen > len - pos - 5)
        return NULL;
      value = data + pos + 5;

      switch (tag)
        {
        case TAG_ID:
          if (!take_string (value, vlen, &entry->id))
            return NULL;
          break;
        case TAG_TITLE:
          if (!take_string (value, vlen, &entry->title))
            return NULL;
          break;
        case TAG_USERNAME:
          if (!take_string (value, vlen, &entry->username))
            return NULL;
          break;
        case TAG_FOLDER:
          if (!take_string (value, vlen, &entry->folder))
            return NULL;
          break;
        case TAG_NOTES:
          if (!take_string (value, vlen, &entry->notes))
            return NULL;
          break;
        case TAG_URL:
        case TAG_TAG:
          if (!g_utf8_validate ((const char *) value, vlen, NULL) || memchr (value, 0, vlen))
            return NULL;
          strv_append (tag == TAG_URL ? &entry->urls : &entry->tags, value, vlen);
          break;
        case TAG_SENSITIVITY:
          if (vlen != 1 || value[0] > PH_SENSITIVITY_CRITICAL)
            return NULL;
          entry->sensitivity = value[0];
          break;
        case TAG_FAVORITE:
          if (vlen != 1)
            return NULL;
          entry->favorite = value[0] != 0;
          break;
        case TAG_CREATED:
        case TAG_MODIFIED:
        case TAG_LAST_USED:
        case TAG_ROTATION_DUE:
          {
            gint64 *target[] = { &entry->created, &entry->modified, &entry->last_used,
                                 &entry->rotation_due };
            if (vlen != 8)
              return NULL;
            *target[tag - TAG_CREATED] = (gint64) get_u64 (value);
          }
          break;
        case TAG_PASSWORD:
        case TAG_OTP:
          if (vlen < PH_SEAL_OVERHEAD)
            return NULL;
          g_clear_pointer (tag == TAG_PASSWORD ? &entry->sealed_password : &entry->sealed_otp,
                           g_bytes_unref);
          *(tag == TAG_PASSWORD ? &entry->sealed_password : &entry->sealed_otp) =
            g_bytes_new (value, vlen);
          break;
        case TAG_FIELD:
        case TAG_PROTECTED_FIELD:
          {
            g_autofree char *name = NULL;
            guint16 name_len;

            if (vlen < 2 || (name_len = get_u16 (value)) > vlen - 2 ||
                !take_string (value + 2, name_len, &name))
              return NULL;
            if (tag == TAG_FIELD)
              {
                g_autofree char *text = NULL;

                if (!take_string (value + 2 + name_len, vlen - 2 - name_len, &text))
                  return NULL;
                ph_entry_add_field (entry, name, text, NULL);
              }
            else
              {
                g_autoptr(GBytes) sealed = NULL;

                if (vlen - 2 - name_len < PH_SEAL_OVERHEAD)
                  return NULL;
                sealed = g_bytes_new (value + 2 + name_len, vlen - 2 - name_len);
                ph_entry_add_field (entry, name, NULL, sealed);
              }
          }
          break;
        case TAG_HISTORY:
          {
            g_autoptr(GBytes) sealed = NULL;

            if (vlen < 8 + PH_SEAL_OVERHEAD)
              return NULL;
            sealed = g_bytes_new (value + 8, vlen - 8);
            ph_entry_push_history (entry, sealed, (gint64) get_u64 (value));
          }
          break;
        default:
          /* A field of a newer version: keep it as it is. */
          if (entry->unknown == NULL)
            entry->unknown = g_byte_array_new ();
          g_byte_array_append (entry->unknown, data + pos, 5 + vlen);
          break;
        }
      pos += 5 + vlen;
    }

  if (entry->id == NULL || !g_uuid_string_is_valid (entry->id))
    return NULL;
  entry->base_modified = entry->modified;
  return g_steal_pointer (&entry);
}

/**
 * ph_vault_parse_payload:
 *
 * Opens the payload of @file with the vault's payload key and reads its records.
 */
gboolean
ph_vault_parse_payload (PhVault      *self,
                        PhVaultFile  *file,
                        GPtrArray   **out_entries,
                        GHashTable  **out_by_id,
                        GHashTable  **out_tombstones,
                        GPtrArray   **out_extra,
                        GError      **error)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GHashTable) tombstones = NULL;
  g_autoptr(GPtrArray) extra = NULL;
  g_autoptr(GHashTable) by_id = NULL;
  gsize len, plain_len, pos;
  const guint8 *data = g_bytes_get_data (file->contents, &len);
  guint8 *plain;
  gboolean ok = FALSE;

  plain_len = len - file->header_len - PH_SEAL_OVERHEAD;
  plain = g_malloc (plain_len + 1);
  if (!ph_crypto_open_into (self->payload_key, data + file->header_len, len - file->header_len,
                            data, file->header_len, plain))
    {
      g_free (plain);
      return corrupt (error, self->path, _("the encrypted data does not authenticate"));
    }

  entries = g_ptr_array_new_full (plain_len / 200 + 1, g_object_unref);
  tombstones = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  extra = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  by_id = g_hash_table_new (g_str_hash, g_str_equal);

  if (plain_len < 4 || memcmp (plain, "PHIX", 4) != 0)
    goto out;

  for (pos = 4; pos < plain_len;)
    {
      guint8 kind;
      guint32 rlen;

      if (plain_len - pos < 5)
        goto out;
      kind = plain[pos];
      rlen = get_u32 (plain + pos + 1);
      if (rlen > plain_len - pos - 5)
        goto out;

      if (kind == PH_RECORD_ENTRY)
        {
          PhEntry *entry = read_entry (plain + pos + 5, rlen);

          if (entry == NULL || !g_hash_table_insert (by_id, entry->id, entry))
            {
              g_clear_object (&entry);
              goto out;
            }
          g_ptr_array_add (entries, entry);
        }
      else if (kind == PH_RECORD_TOMBSTONE)
        {
          PhTombstone *tombstone;
          char *id = NULL;

          if (rlen < 16 || !take_string (plain + pos + 21, rlen - 16, &id))
            goto out;
          tombstone = g_new0 (PhTombstone, 1);
          tombstone->deleted = (gint64) get_u64 (plain + pos + 5);
          tombstone->base_modified = (gint64) get_u64 (plain + pos + 13);
          g_hash_table_replace (tombstones, id, tombstone);
        }
      else
        {
          g_ptr_array_add (extra, g_bytes_new (plain + pos, 5 + rlen));
        }
      pos += 5 + rlen;
    }
  ok = TRUE;

out:
  sodium_memzero (plain, plain_len);
  g_free (plain);
  if (!ok)
    return corrupt (error, self->path, _("malformed records"));

  *out_entries = g_steal_pointer (&entries);
  if (out_by_id != NULL)
    *out_by_id = g_steal_pointer (&by_id);
  *out_tombstones = g_steal_pointer (&tombstones);
  *out_extra = g_steal_pointer (&extra);
  return TRUE;
}
