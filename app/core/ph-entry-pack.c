/* ph-entry-pack.c: entry metadata in a compact binary form, for listing a large vault.
 *
 * The agent's List sends a{sv} per entry, which is easy to read and extend but costs a GVariant
 * per field on both sides of the bus: about ten seconds for 100,000 entries. ListPacked sends
 * the same metadata (ph_entry_to_variant() documents it; no secret is in it) as one byte
 * array, which D-Bus copies in one piece:
 *
 *   "PHE1", u32 count, then per entry:
 *   str id, str title, str username, str folder, str notes, u8 sensitivity, u8 flags
 *   (1 favorite, 2 has_password, 4 has_otp), i64 created, modified, rotation_due (µs),
 *   u32 n + n × str urls, u32 n + n × str tags, u32 n + n × i64 history,
 *   u32 n + n × (str name, str value) plain fields, u32 n + n × str protected field names
 *
 * with str = u32 length + UTF-8 bytes, and every integer little-endian. Unpacking checks every
 * length against what is left and every string for UTF-8, so a damaged or hostile buffer is an
 * error, never a read out of bounds.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <gio/gio.h>
#include <glib/gi18n.h>

#include "ph-entry-pack.h"
#include "ph-entry-private.h"

#define MAGIC "PHE1"

enum
{
  FLAG_FAVORITE = 1 << 0,
  FLAG_PASSWORD = 1 << 1,
  FLAG_OTP      = 1 << 2,
};

static void
put_u32 (GByteArray *out,
         guint32     value)
{
  guint32 le = GUINT32_TO_LE (value);

  g_byte_array_append (out, (const guint8 *) &le, 4);
}

static void
put_i64 (GByteArray *out,
         gint64      value)
{
  guint64 le = GUINT64_TO_LE ((guint64) value);

  g_byte_array_append (out, (const guint8 *) &le, 8);
}

static void
put_str (GByteArray *out,
         const char *text)
{
  gsize len = text ? strlen (text) : 0;

  put_u32 (out, len);
  g_byte_array_append (out, (const guint8 *) (text ? text : ""), len);
}

static void
put_strv (GByteArray         *out,
          const char * const *strv)
{
  guint n = strv ? g_strv_length ((char **) strv) : 0;

  put_u32 (out, n);
  for (guint i = 0; i < n; i++)
    put_str (out, strv[i]);
}

/**
 * ph_entry_pack:
 * @entries: (element-type PhEntry): what to list
 *
 * Returns: the entries' metadata in the packed form
 */
GBytes *
ph_entry_pack (GPtrArray *entries)
{
  GByteArray *out = g_byte_array_sized_new (64 + entries->len * 160);

  g_byte_array_append (out, (const guint8 *) MAGIC, 4);
  put_u32 (out, entries->len);
  for (guint e = 0; e < entries->len; e++)
    {
      PhEntry *entry = g_ptr_array_index (entries, e);
      guint n_plain = 0, n_protected = 0;

      put_str (out, entry->id);
      put_str (out, entry->title);
      put_str (out, entry->username);
      put_str (out, entry->folder);
      put_str (out, entry->notes);
      g_byte_array_append (out, (const guint8 []) { entry->sensitivity }, 1);
      g_byte_array_append (out, (const guint8 []) { (entry->favorite ? FLAG_FAVORITE : 0) |
                                                     (entry->sealed_password ? FLAG_PASSWORD : 0) |
                                                     (entry->sealed_otp ? FLAG_OTP : 0) }, 1);
      put_i64 (out, entry->created);
      put_i64 (out, entry->modified);
      put_i64 (out, entry->rotation_due);
      put_strv (out, (const char * const *) entry->urls);
      put_strv (out, (const char * const *) entry->tags);
      put_u32 (out, entry->history ? entry->history->len : 0);
      for (guint i = 0; entry->history && i < entry->history->len; i++)
        put_i64 (out, ((PhHistoryItem *) g_ptr_array_index (entry->history, i))->changed);
      for (guint i = 0; entry->fields && i < entry->fields->len; i++)
        {
          if (((PhEntryField *) g_ptr_array_index (entry->fields, i))->sealed)
            n_protected++;
          else
            n_plain++;
        }
      put_u32 (out, n_plain);
      for (guint i = 0; entry->fields && i < entry->fields->len; i++)
        {
          PhEntryField *field = g_ptr_array_index (entry->fields, i);

          if (field->sealed == NULL)
            {
              put_str (out, field->name);
              put_str (out, field->value);
            }
        }
      put_u32 (out, n_protected);
      for (guint i = 0; entry->fields && i < entry->fields->len; i++)
        {
          PhEntryField *field = g_ptr_array_index (entry->fields, i);

          if (field->sealed)
            put_str (out, field->name);
        }
    }
  return g_byte_array_free_to_bytes (out);
}

typedef struct
{
  const guint8 *p;
  const guint8 *end;
  gboolean failed;
} Reader;

static guint32
get_u32 (Reader *r)
{
  guint32 le;

  if (r->failed || r->end - r->p < 4)
    {
      r->failed = TRUE;
      return 0;
    }
  memcpy (&le, r->p, 4);
  r->p += 4;
  return GUINT32_FROM_LE (le);
}

static gint64
get_i64 (Reader *r)
{
  guint64 le;

  if (r->failed || r->end - r->p < 8)
    {
      r->failed = TRUE;
      return 0;
    }
  memcpy (&le, r->p, 8);
  r->p += 8;
  return (gint64) GUINT64_FROM_LE (le);
}

static guint8
get_u8 (Reader *r)
{
  if (r->failed || r->end - r->p < 1)
    {
      r->failed = TRUE;
      return 0;
    }
  return *r->p++;
}

/* A string, or NULL when empty (as PhEntry keeps its unset fields). */
static char *
get_str (Reader *r)
{
  guint32 len = get_u32 (r);
  char *text;

  if (r->failed || (gsize) (r->end - r->p) < len || !g_utf8_validate ((const char *) r->p, len, NULL))
    {
      r->failed = TRUE;
      return NULL;
    }
  text = len ? g_strndup ((const char *) r->p, len) : NULL;
  r->p += len;
  return text;
}

/* A count, which cannot promise more items than the bytes left could hold. */
static guint32
get_count (Reader *r,
           gsize   min_item_size)
{
  guint32 n = get_u32 (r);

  if (!r->failed && (gsize) (r->end - r->p) / min_item_size < n)
    r->failed = TRUE;
  return r->failed ? 0 : n;
}

static GStrv
get_strv (Reader *r)
{
  guint32 n = get_count (r, 4);
  GStrv strv;

  if (n == 0)
    return NULL;
  strv = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    if (!(strv[i] = get_str (r)))
      strv[i] = g_strdup ("");
  return strv;
}

/**
 * ph_entry_unpack:
 * @packed: what ph_entry_pack() made
 *
 * Returns: (transfer full) (element-type PhEntry): client copies of the entries (their sealed
 *   fields are stand-ins, as with ph_entry_new_from_variant()), or %NULL with @error set
 */
GPtrArray *
ph_entry_unpack (GBytes  *packed,
                 GError **error)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GBytes) stand_in = g_bytes_new_static ("", 0);
  gsize size = 0;
  const guint8 *data = g_bytes_get_data (packed, &size);
  Reader r = { data, data + size, FALSE };
  guint32 count;

  if (size < 8 || memcmp (data, MAGIC, 4) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The entry list is not in a known format"));
      return NULL;
    }
  r.p += 4;
  count = get_count (&r, 40);
  entries = g_ptr_array_new_full (count, g_object_unref);
  for (guint e = 0; e < count && !r.failed; e++)
    {
      g_autoptr(PhEntry) entry = ph_entry_new_empty ();
      guint8 sensitivity, flags;
      guint32 n;

      entry->id = get_str (&r);
      entry->title = get_str (&r);
      entry->username = get_str (&r);
      entry->folder = get_str (&r);
      entry->notes = get_str (&r);
      sensitivity = get_u8 (&r);
      entry->sensitivity = sensitivity <= PH_SENSITIVITY_CRITICAL ? sensitivity : PH_SENSITIVITY_NORMAL;
      flags = get_u8 (&r);
      entry->favorite = (flags & FLAG_FAVORITE) != 0;
      if (flags & FLAG_PASSWORD)
        entry->sealed_password = g_bytes_ref (stand_in);
      if (flags & FLAG_OTP)
        entry->sealed_otp = g_bytes_ref (stand_in);
      entry->created = get_i64 (&r);
      entry->modified = entry->base_modified = get_i64 (&r);
      entry->rotation_due = get_i64 (&r);
      entry->urls = get_strv (&r);
      entry->tags = get_strv (&r);
      n = get_count (&r, 8);
      for (guint i = 0; i < n; i++)
        ph_entry_push_history (entry, stand_in, get_i64 (&r));
      n = get_count (&r, 8);
      for (guint i = 0; i < n && !r.failed; i++)
        {
          g_autofree char *name = get_str (&r);
          g_autofree char *value = get_str (&r);

          if (name)
            ph_entry_add_field (entry, name, value ? value : "", NULL);
        }
      n = get_count (&r, 4);
      for (guint i = 0; i < n && !r.failed; i++)
        {
          g_autofree char *name = get_str (&r);

          if (name)
            ph_entry_add_field (entry, name, NULL, stand_in);
        }
      if (entry->id == NULL || entry->title == NULL)
        r.failed = TRUE;
      else
        g_ptr_array_add (entries, g_steal_pointer (&entry));
    }
  if (r.failed || r.p != r.end)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The entry list is damaged"));
      return NULL;
    }
  return g_steal_pointer (&entries);
}
