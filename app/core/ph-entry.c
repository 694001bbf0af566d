/* ph-entry.c: one credential of a vault: its visible metadata and its sealed secrets.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-entry"

#include "config.h"

#include "ph-entry-private.h"

enum {
  PROP_0,
  PROP_ID,
  PROP_TITLE,
  PROP_USERNAME,
  PROP_FOLDER,
  PROP_NOTES,
  PROP_SENSITIVITY,
  PROP_FAVORITE,
  PROP_MODIFIED,
  PROP_LAST_USED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

G_DEFINE_FINAL_TYPE (PhEntry, ph_entry, G_TYPE_OBJECT)

static const char * const sensitivity_names[] = { "low", "normal", "high", "critical" };

GType
ph_sensitivity_get_type (void)
{
  static gsize type = 0;
  static const GEnumValue values[] = {
    { PH_SENSITIVITY_LOW, "PH_SENSITIVITY_LOW", "low" },
    { PH_SENSITIVITY_NORMAL, "PH_SENSITIVITY_NORMAL", "normal" },
    { PH_SENSITIVITY_HIGH, "PH_SENSITIVITY_HIGH", "high" },
    { PH_SENSITIVITY_CRITICAL, "PH_SENSITIVITY_CRITICAL", "critical" },
    { 0, NULL, NULL }
  };

  if (g_once_init_enter (&type))
    g_once_init_leave (&type, g_enum_register_static ("PhSensitivity", values));
  return type;
}

const char *
ph_sensitivity_to_string (PhSensitivity sensitivity)
{
  g_return_val_if_fail (sensitivity <= PH_SENSITIVITY_CRITICAL, "normal");

  return sensitivity_names[sensitivity];
}

gboolean
ph_sensitivity_from_string (const char    *text,
                            PhSensitivity *out)
{
  for (guint i = 0; i < G_N_ELEMENTS (sensitivity_names); i++)
    {
      if (g_ascii_strcasecmp (text, sensitivity_names[i]) == 0)
        {
          *out = i;
          return TRUE;
        }
    }
  return FALSE;
}

static void
ph_entry_field_free (gpointer data)
{
  PhEntryField *field = data;

  g_free (field->name);
  g_free (field->value);
  g_clear_pointer (&field->sealed, g_bytes_unref);
  g_free (field);
}

static void
ph_history_item_free (gpointer data)
{
  PhHistoryItem *item = data;

  g_clear_pointer (&item->sealed, g_bytes_unref);
  g_free (item);
}

static void
ph_entry_finalize (GObject *object)
{
  PhEntry *self = (PhEntry *) object;

  g_free (self->id);
  g_free (self->title);
  g_free (self->username);
  g_strfreev (self->urls);
  g_free (self->folder);
  g_strfreev (self->tags);
  g_free (self->notes);
  g_clear_pointer (&self->sealed_password, g_bytes_unref);
  g_clear_pointer (&self->sealed_otp, g_bytes_unref);
  g_clear_pointer (&self->fields, g_ptr_array_unref);
  g_clear_pointer (&self->history, g_ptr_array_unref);
  g_clear_pointer (&self->unknown, g_byte_array_unref);

  G_OBJECT_CLASS (ph_entry_parent_class)->finalize (object);
}

static void
ph_entry_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  PhEntry *self = PH_ENTRY (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, self->id);
      break;
    case PROP_TITLE:
      g_value_set_string (value, self->title);
      break;
    case PROP_USERNAME:
      g_value_set_string (value, ph_entry_get_username (self));
      break;
    case PROP_FOLDER:
      g_value_set_string (value, ph_entry_get_folder (self));
      break;
    case PROP_NOTES:
      g_value_set_string (value, ph_entry_get_notes (self));
      break;
    case PROP_SENSITIVITY:
      g_value_set_enum (value, self->sensitivity);
      break;
    case PROP_FAVORITE:
      g_value_set_boolean (value, self->favorite);
      break;
    case PROP_MODIFIED:
      g_value_set_int64 (value, self->modified);
      break;
    case PROP_LAST_USED:
      g_value_set_int64 (value, self->last_used);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ph_entry_set_property (GObject      *object,
                       guint         prop_id,
                       const GValue *value,
                       GParamSpec   *pspec)
{
  PhEntry *self = PH_ENTRY (object);

  switch (prop_id)
    {
    case PROP_TITLE:
      ph_entry_set_title (self, g_value_get_string (value));
      break;
    case PROP_USERNAME:
      ph_entry_set_username (self, g_value_get_string (value));
      break;
    case PROP_FOLDER:
      ph_entry_set_folder (self, g_value_get_string (value));
      break;
    case PROP_NOTES:
      ph_entry_set_notes (self, g_value_get_string (value));
      break;
    case PROP_SENSITIVITY:
      ph_entry_set_sensitivity (self, g_value_get_enum (value));
      break;
    case PROP_FAVORITE:
      ph_entry_set_favorite (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ph_entry_class_init (PhEntryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = ph_entry_finalize;
  object_class->get_property = ph_entry_get_property;
  object_class->set_property = ph_entry_set_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_TITLE] =
    g_param_spec_string ("title", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_USERNAME] =
    g_param_spec_string ("username", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FOLDER] =
    g_param_spec_string ("folder", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NOTES] =
    g_param_spec_string ("notes", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SENSITIVITY] =
    g_param_spec_enum ("sensitivity", NULL, NULL, PH_TYPE_SENSITIVITY, PH_SENSITIVITY_NORMAL,
                       G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_FAVORITE] =
    g_param_spec_boolean ("favorite", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_MODIFIED] =
    g_param_spec_int64 ("modified", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_LAST_USED] =
    g_param_spec_int64 ("last-used", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ph_entry_init (PhEntry *self)
{
  self->sensitivity = PH_SENSITIVITY_NORMAL;
}

/* An entry with nothing set, for the vault reader to fill in. */
PhEntry *
ph_entry_new_empty (void)
{
  return g_object_new (PH_TYPE_ENTRY, NULL);
}

PhEntry *
ph_entry_new (const char *title)
{
  PhEntry *self;

  g_return_val_if_fail (title != NULL, NULL);

  self = ph_entry_new_empty ();
  self->id = g_uuid_string_random ();
  self->title = g_strdup (title);
  self->created = self->modified = g_get_real_time ();
  return self;
}

/* Records that the entry changed now; the merge on save compares these times. */
void
ph_entry_touch (PhEntry *self)
{
  gint64 now = g_get_real_time ();

  /* Strictly increasing, so two edits within one clock tick still count as a change. */
  self->modified = MAX (now, self->modified + 1);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_MODIFIED]);
}

static gboolean
set_string (PhEntry     *self,
            char       **field,
            const char  *value,
            guint        prop_id)
{
  if (value != NULL && *value == '\0')
    value = NULL;
  if (g_strcmp0 (*field, value) == 0)
    return FALSE;
  g_free (*field);
  *field = g_strdup (value);
  ph_entry_touch (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[prop_id]);
  return TRUE;
}

const char *
ph_entry_get_id (PhEntry *self)
{
  g_return_val_if_fail (PH_IS_ENTRY (self), NULL);

  return self->id;
}

const char *
ph_entry_get_title (PhEntry *self)
{
  g_return_val_if_fail (PH_IS_ENTRY (self), NULL);

  return self->title ? self->title : "";
}

void
ph_entry_set_title (PhEntry    *self,
                    const char *title)
{
  g_return_if_fail (PH_IS_ENTRY (self));

  set_string (self, &self->title, title, PROP_TITLE);
}

const char *
ph_entry_get_username (PhEntry *self)
{
  g_return_val_if_fail (PH_IS_ENTRY (self), NULL);

  return self->username ? self->username : "";
}

void
ph_entry_set_username (PhEntry    *self,
                       const char *username)
{
  g_return_if_fail (PH_IS_ENTRY (self));

  set_string (self, &self->username, username, PROP_USERNAME);
}

const char * const *
ph_entry_get_urls (PhEntry *self)
{
  static const char * const empty[] = { NULL };

  g_return_val_if_fail (PH_IS_ENTRY (self), NULL);

  return self->urls ? (const char * const *) self->urls : empty;
}

void
ph_entry_set_urls (PhEntry            *self,
                   const char * const *urls)
{
  g_return_if_fail (PH_IS_ENTRY (self));

  if (g_strv_equal ((const char * const *) ph_entry_get_urls (self),
                    urls ? urls : (const char * const[]) { NULL }))
    return;
  g_strfreev (self->urls);
  self->urls = urls && urls[0] ? g_strdupv ((char **) urls) : NULL;
  ph_entry_touch (self);
}

const char *
ph_entry_get_folder (PhEntry *self)
{
  g_return_val_if_fail (PH_IS_ENTRY (self), NULL);

  return self->folder ? self->folder : "";
}

void
ph_entry_set_folder (PhEntry    *self,
                     const char *folder)
{
  g_return_if_fail (PH_IS_ENTRY (self));

  set_string (self, &self->folder, folder, PROP_FOLDER);
}

const char * const *
ph_entry_get_tags (PhEntry *self)
{
  static const char * const empty[] = { NULL };

  g_return_val_if_fail (PH_IS_ENTRY (self), NULL);

  return self->tags ? (const char * const *) self->tags : empty;
}

void
ph_entry_set_tags (PhEntry            *self,
                   const char * const *tags)
{
  g_return_if_fail (PH_IS_ENTRY (self));

  if (g_strv_equal (ph_entry_get_tags (self), tags ? tags : (const char * const[]) { NULL }))
    return;
  g_strfreev (self->tags);
  self->tags = tags && tags[0] ? g_strdupv ((char **) tags) : NULL;
  ph_entry_touch (self);
}

gboolean
ph_entry_has_tag (PhEntry    *self,
                  const char *tag)
{
  g_return_val_if_fail (PH_IS_ENTRY (self), FALSE);

  return self->tags != NULL && g_strv_contains ((const char * const *) self->tags, tag);
}

const char *
ph_entry_get_notes (PhEntry *self)
{
  g_return_val_if_fail (PH_IS_ENTRY (self), NULL);

  return self->notes ? self->notes : "";
}

void
ph_entry_set_notes (PhEntry    *self,
                    const char *notes)
{
  g_return_if_fail (PH_IS_ENTRY (self));

  set_string (self, &self->notes, notes, PROP_NOTES);
}

PhSensitivity
ph_entry_get_sensitivity (PhEntry *self)
{
  g_return_val_if_fail (PH_IS_ENTRY (self), PH_SENSITIVITY_NORMAL);

  return self->sensitivity;
}

void
ph_entry_set_sensitivity (PhEntry       *self,
                          PhSensitivity  sensitivity)
{
  g_return_if_fail (PH_IS_ENTRY (self));
  g_return_if_fail (sensitivity <= PH_SENSITIVITY_CRITICAL);

  if (self->sensitivity == sensitivity)
    return;
  self->sensitivity = sensitivity;
  ph_entry_touch (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SENSITIVITY]);
}

gboolean
ph_entry_get_favorite (PhEntry *self)
{
  g_return_val_if_fail (PH_IS_ENTRY (self), FALSE);

  return self->favorite;
}

void
ph_entry_set_favorite (PhEntry  *self,
                       gboolean  favorite)
{
  g_return_if_fail (PH_IS_ENTRY (self));

  favorite = !!favorite;
  if (self->favorite == favorite)
    return;
  self->favorite = favorite;
  ph_entry_touch (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_FAVORITE]);
}

gint64
ph_entry_get_created (PhEntry *self)
{
  g_return_val_if_fail (PH_IS_ENTRY (self), 0);

  return self->created;
}

gint64
ph_entry_get_modified (PhEntry *self)
{
  g_return_val_if_fail (PH_IS_ENTRY (self), 0);

  return self->modified;
}

gint64
ph_entry_get_last_used (PhEntry *self)
{
  g_return_val_if_fail (PH_IS_ENTRY (self), 0);

  return self->last_used;
}

/* Use is not an edit: it does not change the modification time the merge relies on. */
void
ph_entry_mark_used (PhEntry *self)
{
  g_return_if_fail (PH_IS_ENTRY (self));

  self->last_used = g_get_real_time ();
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LAST_USED]);
}

gint64
ph_entry_get_rotation_due (PhEntry *self)
{
  g_return_val_if_fail (PH_IS_ENTRY (self), 0);

  return self->rotation_due;
}

void
ph_entry_set_rotation_due (PhEntry *self,
                           gint64   rotation_due)
{
  g_return_if_fail (PH_IS_ENTRY (self));

  if (self->rotation_due == rotation_due)
    return;
  self->rotation_due = rotation_due;
  ph_entry_touch (self);
}

gboolean
ph_entry_has_password (PhEntry *self)
{
  g_return_val_if_fail (PH_IS_ENTRY (self), FALSE);

  return self->sealed_password != NULL;
}

gboolean
ph_entry_has_otp (PhEntry *self)
{
  g_return_val_if_fail (PH_IS_ENTRY (self), FALSE);

  return self->sealed_otp != NULL;
}

guint
ph_entry_get_n_history (PhEntry *self)
{
  g_return_val_if_fail (PH_IS_ENTRY (self), 0);

  return self->history ? self->history->len : 0;
}

gint64
ph_entry_get_history_time (PhEntry *self,
                           guint    index)
{
  g_return_val_if_fail (PH_IS_ENTRY (self), 0);
  g_return_val_if_fail (index < ph_entry_get_n_history (self), 0);

  return ((PhHistoryItem *) g_ptr_array_index (self->history, index))->changed;
}

/* Keeps the most recent PH_ENTRY_MAX_HISTORY secrets; @sealed is bound to field "password". */
void
ph_entry_push_history (PhEntry *self,
                       GBytes  *sealed,
                       gint64   changed)
{
  PhHistoryItem *item = g_new0 (PhHistoryItem, 1);

  if (self->history == NULL)
    self->history = g_ptr_array_new_with_free_func (ph_history_item_free);
  item->sealed = g_bytes_ref (sealed);
  item->changed = changed;
  g_ptr_array_add (self->history, item);
  while (self->history->len > PH_ENTRY_MAX_HISTORY)
    g_ptr_array_remove_index (self->history, 0);
}

PhEntryField *
ph_entry_lookup_field (PhEntry    *self,
                       const char *name)
{
  if (self->fields == NULL)
    return NULL;
  for (guint i = 0; i < self->fields->len; i++)
    {
      PhEntryField *field = g_ptr_array_index (self->fields, i);

      if (g_strcmp0 (field->name, name) == 0)
        return field;
    }
  return NULL;
}

/* Adds or replaces a custom field; exactly one of @value and @sealed is set. */
void
ph_entry_add_field (PhEntry    *self,
                    const char *name,
                    const char *value,
                    GBytes     *sealed)
{
  PhEntryField *field = ph_entry_lookup_field (self, name);

  g_assert ((value == NULL) != (sealed == NULL));

  if (field == NULL)
    {
      if (self->fields == NULL)
        self->fields = g_ptr_array_new_with_free_func (ph_entry_field_free);
      field = g_new0 (PhEntryField, 1);
      field->name = g_strdup (name);
      g_ptr_array_add (self->fields, field);
    }
  g_clear_pointer (&field->value, g_free);
  g_clear_pointer (&field->sealed, g_bytes_unref);
  field->value = g_strdup (value);
  field->sealed = sealed ? g_bytes_ref (sealed) : NULL;
}

GStrv
ph_entry_dup_field_names (PhEntry *self)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  g_return_val_if_fail (PH_IS_ENTRY (self), NULL);

  for (guint i = 0; self->fields && i < self->fields->len; i++)
    g_strv_builder_add (builder, ((PhEntryField *) g_ptr_array_index (self->fields, i))->name);
  return g_strv_builder_end (builder);
}

gboolean
ph_entry_field_is_protected (PhEntry    *self,
                             const char *name)
{
  PhEntryField *field;

  g_return_val_if_fail (PH_IS_ENTRY (self), FALSE);

  field = ph_entry_lookup_field (self, name);
  return field != NULL && field->sealed != NULL;
}

/* The value of a plain custom field; protected fields are read through the vault's gate. */
const char *
ph_entry_get_field (PhEntry    *self,
                    const char *name)
{
  PhEntryField *field;

  g_return_val_if_fail (PH_IS_ENTRY (self), NULL);

  field = ph_entry_lookup_field (self, name);
  return field ? field->value : NULL;
}

void
ph_entry_set_field (PhEntry    *self,
                    const char *name,
                    const char *value)
{
  PhEntryField *field;

  g_return_if_fail (PH_IS_ENTRY (self));
  g_return_if_fail (name != NULL && value != NULL);

  field = ph_entry_lookup_field (self, name);
  if (field != NULL && g_strcmp0 (field->value, value) == 0)
    return;
  ph_entry_add_field (self, name, value, NULL);
  ph_entry_touch (self);
}

gboolean
ph_entry_remove_field (PhEntry    *self,
                       const char *name)
{
  PhEntryField *field;

  g_return_val_if_fail (PH_IS_ENTRY (self), FALSE);

  field = ph_entry_lookup_field (self, name);
  if (field == NULL)
    return FALSE;
  g_ptr_array_remove (self->fields, field);
  ph_entry_touch (self);
  return TRUE;
}

/* The host (and port) of the first URL, lowercased, or %NULL. */
char *
ph_entry_dup_primary_host (PhEntry *self)
{
  g_autoptr(GUri) uri = NULL;
  const char *host;

  g_return_val_if_fail (PH_IS_ENTRY (self), NULL);

  if (self->urls == NULL)
    return NULL;
  uri = g_uri_parse (self->urls[0], G_URI_FLAGS_NONE, NULL);
  if (uri == NULL || (host = g_uri_get_host (uri)) == NULL)
    return NULL;
  return g_ascii_strdown (host, -1);
}

static gboolean
bytes_equal0 (GBytes *a,
              GBytes *b)
{
  if (a == NULL || b == NULL)
    return a == b;
  return g_bytes_equal (a, b);
}

/* Same visible fields and the same sealed values (compared sealed: no secret is opened). */
gboolean
ph_entry_equal_content (PhEntry *a,
                        PhEntry *b)
{
  guint na, nb;

  g_return_val_if_fail (PH_IS_ENTRY (a) && PH_IS_ENTRY (b), FALSE);

  if (g_strcmp0 (a->title, b->title) != 0 || g_strcmp0 (a->username, b->username) != 0 ||
      g_strcmp0 (a->folder, b->folder) != 0 || g_strcmp0 (a->notes, b->notes) != 0 ||
      !g_strv_equal (ph_entry_get_urls (a), ph_entry_get_urls (b)) ||
      !g_strv_equal (ph_entry_get_tags (a), ph_entry_get_tags (b)) ||
      a->sensitivity != b->sensitivity || a->favorite != b->favorite ||
      a->rotation_due != b->rotation_due ||
      !bytes_equal0 (a->sealed_password, b->sealed_password) ||
      !bytes_equal0 (a->sealed_otp, b->sealed_otp))
    return FALSE;

  na = a->fields ? a->fields->len : 0;
  nb = b->fields ? b->fields->len : 0;
  if (na != nb)
    return FALSE;
  for (guint i = 0; i < na; i++)
    {
      PhEntryField *fa = g_ptr_array_index (a->fields, i);
      PhEntryField *fb = g_ptr_array_index (b->fields, i);

      if (g_strcmp0 (fa->name, fb->name) != 0 || g_strcmp0 (fa->value, fb->value) != 0 ||
          !bytes_equal0 (fa->sealed, fb->sealed))
        return FALSE;
    }
  return TRUE;
}

/**
 * ph_entry_copy:
 * @new_id: give the copy a new id (a conflict copy); its sealed values are then re-bound by
 *   the vault, which knows the keys
 *
 * Returns: (transfer full): a deep copy
 */
PhEntry *
ph_entry_copy (PhEntry  *self,
               gboolean  new_id)
{
  PhEntry *copy = ph_entry_new_empty ();

  g_return_val_if_fail (PH_IS_ENTRY (self), NULL);

  copy->id = new_id ? g_uuid_string_random () : g_strdup (self->id);
  copy->title = g_strdup (self->title);
  copy->username = g_strdup (self->username);
  copy->urls = g_strdupv (self->urls);
  copy->folder = g_strdup (self->folder);
  copy->tags = g_strdupv (self->tags);
  copy->notes = g_strdup (self->notes);
  copy->sensitivity = self->sensitivity;
  copy->favorite = self->favorite;
  copy->created = self->created;
  copy->modified = self->modified;
  copy->last_used = self->last_used;
  copy->rotation_due = self->rotation_due;
  copy->sealed_password = self->sealed_password ? g_bytes_ref (self->sealed_password) : NULL;
  copy->sealed_otp = self->sealed_otp ? g_bytes_ref (self->sealed_otp) : NULL;
  for (guint i = 0; self->fields && i < self->fields->len; i++)
    {
      PhEntryField *field = g_ptr_array_index (self->fields, i);
      ph_entry_add_field (copy, field->name, field->value, field->sealed);
    }
  for (guint i = 0; self->history && i < self->history->len; i++)
    {
      PhHistoryItem *item = g_ptr_array_index (self->history, i);
      ph_entry_push_history (copy, item->sealed, item->changed);
    }
  if (self->unknown)
    copy->unknown = g_byte_array_append (g_byte_array_new (), self->unknown->data,
                                         self->unknown->len);
  return copy;
}

/* Metadata: what a client of the agent sees of an entry. Sealed values never leave the
 * vault; a client's copy marks their presence with an empty stand-in that no key opens. */

static GVariant *
strv_or_empty (const char * const *strv)
{
  return g_variant_new_strv (strv, strv ? -1 : 0);
}

/**
 * ph_entry_to_variant:
 *
 * The entry's metadata as an `a{sv}`: id, title, username, urls, folder, tags, notes,
 * sensitivity, favorite, created, modified, rotation_due (µs), has_password, has_otp,
 * history (the times earlier passwords were replaced, µs, oldest first), fields (plain custom
 * fields, a{ss}) and protected_fields (names only). No secret is in it.
 */
GVariant *
ph_entry_to_variant (PhEntry *self)
{
  GVariantBuilder b, history, fields;
  g_autoptr(GPtrArray) protected = g_ptr_array_new ();

  g_return_val_if_fail (PH_IS_ENTRY (self), NULL);

  g_variant_builder_init (&history, G_VARIANT_TYPE ("ax"));
  for (guint i = 0; i < ph_entry_get_n_history (self); i++)
    g_variant_builder_add (&history, "x", ph_entry_get_history_time (self, i));
  g_variant_builder_init (&fields, G_VARIANT_TYPE ("a{ss}"));
  for (guint i = 0; self->fields && i < self->fields->len; i++)
    {
      PhEntryField *field = g_ptr_array_index (self->fields, i);

      if (field->sealed)
        g_ptr_array_add (protected, field->name);
      else
        g_variant_builder_add (&fields, "{ss}", field->name, field->value);
    }

  g_variant_builder_init (&b, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&b, "{sv}", "id", g_variant_new_string (self->id));
  g_variant_builder_add (&b, "{sv}", "title", g_variant_new_string (self->title));
  g_variant_builder_add (&b, "{sv}", "username", g_variant_new_string (ph_entry_get_username (self)));
  g_variant_builder_add (&b, "{sv}", "urls", strv_or_empty (ph_entry_get_urls (self)));
  g_variant_builder_add (&b, "{sv}", "folder", g_variant_new_string (ph_entry_get_folder (self)));
  g_variant_builder_add (&b, "{sv}", "tags", strv_or_empty (ph_entry_get_tags (self)));
  g_variant_builder_add (&b, "{sv}", "notes", g_variant_new_string (ph_entry_get_notes (self)));
  g_variant_builder_add (&b, "{sv}", "sensitivity",
                         g_variant_new_string (ph_sensitivity_to_string (self->sensitivity)));
  g_variant_builder_add (&b, "{sv}", "favorite", g_variant_new_boolean (self->favorite));
  g_variant_builder_add (&b, "{sv}", "created", g_variant_new_int64 (self->created));
  g_variant_builder_add (&b, "{sv}", "modified", g_variant_new_int64 (self->modified));
  g_variant_builder_add (&b, "{sv}", "rotation_due", g_variant_new_int64 (self->rotation_due));
  g_variant_builder_add (&b, "{sv}", "has_password", g_variant_new_boolean (self->sealed_password != NULL));
  g_variant_builder_add (&b, "{sv}", "has_otp", g_variant_new_boolean (self->sealed_otp != NULL));
  g_variant_builder_add (&b, "{sv}", "history", g_variant_builder_end (&history));
  g_variant_builder_add (&b, "{sv}", "fields", g_variant_builder_end (&fields));
  g_variant_builder_add (&b, "{sv}", "protected_fields",
                         g_variant_new_strv ((const char * const *) protected->pdata, protected->len));
  return g_variant_builder_end (&b);
}

/**
 * ph_entry_new_from_variant:
 * @metadata: what ph_entry_to_variant() gives
 *
 * A client's copy of an entry, for showing and searching. Returns %NULL if @metadata has no
 * id or title. Its sealed fields are stand-ins: only the agent can open the real ones.
 */
static void
replace_string (char       **field,
                const char  *text)
{
  g_free (*field);
  *field = g_strdup (text);
}

PhEntry *
ph_entry_new_from_variant (GVariant *metadata)
{
  g_autoptr(GBytes) stand_in = NULL;
  PhEntry *self;
  GVariantIter iter;
  const char *key;
  GVariant *value;

  g_return_val_if_fail (g_variant_is_of_type (metadata, G_VARIANT_TYPE_VARDICT), NULL);

  self = ph_entry_new_empty ();
  stand_in = g_bytes_new_static ("", 0);
  /* One pass over the dictionary: a lookup per key would scan it again for each. */
  g_variant_iter_init (&iter, metadata);
  while (g_variant_iter_next (&iter, "{&sv}", &key, &value))
    {
      const GVariantType *type = g_variant_get_type (value);
      gboolean is_string = g_variant_type_equal (type, G_VARIANT_TYPE_STRING);
      const char *text = is_string ? g_variant_get_string (value, NULL) : NULL;
      gboolean is_bool = g_variant_type_equal (type, G_VARIANT_TYPE_BOOLEAN);
      gboolean is_time = g_variant_type_equal (type, G_VARIANT_TYPE_INT64);
      gboolean is_strv = g_variant_type_equal (type, G_VARIANT_TYPE_STRING_ARRAY);

      if (is_string && g_str_equal (key, "id"))
        replace_string (&self->id, text);
      else if (is_string && g_str_equal (key, "title") && g_utf8_validate (text, -1, NULL))
        replace_string (&self->title, text);
      else if (is_string && g_str_equal (key, "username") && *text)
        replace_string (&self->username, text);
      else if (is_string && g_str_equal (key, "folder") && *text)
        replace_string (&self->folder, text);
      else if (is_string && g_str_equal (key, "notes") && *text)
        replace_string (&self->notes, text);
      else if (is_string && g_str_equal (key, "sensitivity"))
        ph_sensitivity_from_string (text, &self->sensitivity);
      else if (is_strv && g_str_equal (key, "urls") && g_variant_n_children (value) > 0)
        self->urls = g_variant_dup_strv (value, NULL);
      else if (is_strv && g_str_equal (key, "tags") && g_variant_n_children (value) > 0)
        self->tags = g_variant_dup_strv (value, NULL);
      else if (is_strv && g_str_equal (key, "protected_fields"))
        {
          g_autofree const char **names = g_variant_get_strv (value, NULL);

          for (guint i = 0; names[i]; i++)
            ph_entry_add_field (self, names[i], NULL, stand_in);
        }
      else if (is_bool && g_str_equal (key, "favorite"))
        self->favorite = g_variant_get_boolean (value);
      else if (is_bool && g_str_equal (key, "has_password") && g_variant_get_boolean (value))
        self->sealed_password = g_bytes_ref (stand_in);
      else if (is_bool && g_str_equal (key, "has_otp") && g_variant_get_boolean (value))
        self->sealed_otp = g_bytes_ref (stand_in);
      else if (is_time && g_str_equal (key, "created"))
        self->created = g_variant_get_int64 (value);
      else if (is_time && g_str_equal (key, "modified"))
        self->modified = g_variant_get_int64 (value);
      else if (is_time && g_str_equal (key, "rotation_due"))
        self->rotation_due = g_variant_get_int64 (value);
      else if (g_variant_type_equal (type, G_VARIANT_TYPE ("ax")) && g_str_equal (key, "history"))
        {
          gsize n = 0;
          const gint64 *times = g_variant_get_fixed_array (value, &n, sizeof (gint64));

          for (gsize i = 0; i < n; i++)
            ph_entry_push_history (self, stand_in, times[i]);
        }
      else if (g_variant_type_equal (type, G_VARIANT_TYPE ("a{ss}")) && g_str_equal (key, "fields"))
        {
          GVariantIter fields;
          const char *name, *field_value;

          g_variant_iter_init (&fields, value);
          while (g_variant_iter_next (&fields, "{&s&s}", &name, &field_value))
            ph_entry_add_field (self, name, field_value, NULL);
        }
      g_variant_unref (value);
    }
  self->base_modified = self->modified;
  if (self->id == NULL || self->title == NULL)
    {
      g_object_unref (self);
      return NULL;
    }
  return self;
}
