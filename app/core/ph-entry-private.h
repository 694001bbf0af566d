/* ph-entry-private.h: PhEntry's fields, for the vault's reader, writer and merge.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-entry.h"

G_BEGIN_DECLS

/* A custom field: plain text in the index, or (protected) sealed like the password. */
typedef struct
{
  char   *name;
  char   *value;
  GBytes *sealed;
} PhEntryField;

typedef struct
{
  gint64  changed;
  GBytes *sealed;
} PhHistoryItem;

struct _PhEntry
{
  GObject        parent_instance;

  char          *id;
  char          *title;
  char          *username;
  GStrv          urls;
  char          *folder;
  GStrv          tags;
  char          *notes;
  PhSensitivity  sensitivity;
  gboolean       favorite;
  gint64         created;
  gint64         modified;
  gint64         last_used;
  gint64         rotation_due;

  /* The modification time as of the last load or save: the base of the three-way merge. */
  gint64         base_modified;

  GBytes        *sealed_password;
  GBytes        *sealed_otp;
  GPtrArray     *fields;   /* PhEntryField */
  GPtrArray     *history;  /* PhHistoryItem, oldest first */

  /* Records of a newer format version, kept verbatim so saving does not drop them. */
  GByteArray    *unknown;
};

PhEntry       *ph_entry_new_empty        (void);
void           ph_entry_touch            (PhEntry      *self);
PhEntryField  *ph_entry_lookup_field     (PhEntry      *self,
                                          const char   *name);
void           ph_entry_add_field        (PhEntry      *self,
                                          const char   *name,
                                          const char   *value,
                                          GBytes       *sealed);
void           ph_entry_push_history     (PhEntry      *self,
                                          GBytes       *sealed,
                                          gint64        changed);

G_END_DECLS
