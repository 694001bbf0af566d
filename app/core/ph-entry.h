/* ph-entry.h: one credential of a vault: its visible metadata and its sealed secrets.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define PH_TYPE_ENTRY (ph_entry_get_type ())
#define PH_TYPE_SENSITIVITY (ph_sensitivity_get_type ())

typedef enum
{
  PH_SENSITIVITY_LOW,
  PH_SENSITIVITY_NORMAL,
  PH_SENSITIVITY_HIGH,
  PH_SENSITIVITY_CRITICAL,
} PhSensitivity;

/* How many earlier passwords an entry keeps; older ones are dropped (KeePassXC keeps 10). */
#define PH_ENTRY_MAX_HISTORY 10

/* The names of sealed fields besides custom ones. */
#define PH_FIELD_PASSWORD "password"
#define PH_FIELD_OTP      "otp"

G_DECLARE_FINAL_TYPE (PhEntry, ph_entry, PH, ENTRY, GObject)

GType               ph_sensitivity_get_type      (void) G_GNUC_CONST;
const char         *ph_sensitivity_to_string     (PhSensitivity sensitivity);
gboolean            ph_sensitivity_from_string   (const char    *text,
                                                  PhSensitivity *out);

PhEntry            *ph_entry_new                 (const char    *title);
const char         *ph_entry_get_id              (PhEntry       *self);
const char         *ph_entry_get_title           (PhEntry       *self);
void                ph_entry_set_title           (PhEntry       *self,
                                                  const char    *title);
const char         *ph_entry_get_username        (PhEntry       *self);
void                ph_entry_set_username        (PhEntry       *self,
                                                  const char    *username);
const char * const *ph_entry_get_urls            (PhEntry       *self);
void                ph_entry_set_urls            (PhEntry       *self,
                                                  const char * const *urls);
const char         *ph_entry_get_folder          (PhEntry       *self);
void                ph_entry_set_folder          (PhEntry       *self,
                                                  const char    *folder);
const char * const *ph_entry_get_tags            (PhEntry       *self);
void                ph_entry_set_tags            (PhEntry       *self,
                                                  const char * const *tags);
gboolean            ph_entry_has_tag             (PhEntry       *self,
                                                  const char    *tag);
const char         *ph_entry_get_notes           (PhEntry       *self);
void                ph_entry_set_notes           (PhEntry       *self,
                                                  const char    *notes);
PhSensitivity       ph_entry_get_sensitivity     (PhEntry       *self);
void                ph_entry_set_sensitivity     (PhEntry       *self,
                                                  PhSensitivity  sensitivity);
gboolean            ph_entry_get_favorite        (PhEntry       *self);
void                ph_entry_set_favorite        (PhEntry       *self,
                                                  gboolean       favorite);
gint64              ph_entry_get_created         (PhEntry       *self);
gint64              ph_entry_get_modified        (PhEntry       *self);
gint64              ph_entry_get_last_used       (PhEntry       *self);
void                ph_entry_mark_used           (PhEntry       *self);
gint64              ph_entry_get_rotation_due    (PhEntry       *self);
void                ph_entry_set_rotation_due    (PhEntry       *self,
                                                  gint64         rotation_due);
gboolean            ph_entry_has_password        (PhEntry       *self);
gboolean            ph_entry_has_otp             (PhEntry       *self);
guint               ph_entry_get_n_history       (PhEntry       *self);
gint64              ph_entry_get_history_time    (PhEntry       *self,
                                                  guint          index);
GStrv               ph_entry_dup_field_names     (PhEntry       *self);
gboolean            ph_entry_field_is_protected  (PhEntry       *self,
                                                  const char    *name);
const char         *ph_entry_get_field           (PhEntry       *self,
                                                  const char    *name);
void                ph_entry_set_field           (PhEntry       *self,
                                                  const char    *name,
                                                  const char    *value);
gboolean            ph_entry_remove_field        (PhEntry       *self,
                                                  const char    *name);
char               *ph_entry_dup_primary_host    (PhEntry       *self);
gboolean            ph_entry_equal_content       (PhEntry       *a,
                                                  PhEntry       *b);
PhEntry            *ph_entry_copy                (PhEntry       *self,
                                                  gboolean       new_id);
GVariant           *ph_entry_to_variant          (PhEntry       *self);
PhEntry            *ph_entry_new_from_variant    (GVariant      *metadata);

G_END_DECLS
