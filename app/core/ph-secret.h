/* ph-secret.h: secrets in libsodium guarded memory, wiped when the last reference goes.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define PH_TYPE_SECRET (ph_secret_get_type ())

/* A PhSecret owns a sodium_malloc() buffer: locked in RAM where the OS allows, excluded from
 * core dumps, surrounded by guard pages, and zeroed on free. The buffer always has one extra NUL
 * byte after its length so text secrets can be handed to C APIs without a copy. */
typedef struct _PhSecret PhSecret;

GType         ph_secret_get_type        (void) G_GNUC_CONST;
PhSecret     *ph_secret_new             (gsize          length);
PhSecret     *ph_secret_new_from_data   (gconstpointer  data,
                                         gsize          length);
PhSecret     *ph_secret_new_from_text   (const char    *text);
PhSecret     *ph_secret_new_random      (gsize          length);
PhSecret     *ph_secret_read_line       (int            fd,
                                         gboolean       rewind,
                                         GError       **error);
PhSecret     *ph_secret_ref             (PhSecret      *self);
void          ph_secret_unref           (PhSecret      *self);
const guint8 *ph_secret_get_data        (const PhSecret *self);
guint8       *ph_secret_get_mutable     (PhSecret      *self);
gsize         ph_secret_get_length      (const PhSecret *self);
const char   *ph_secret_get_text        (const PhSecret *self);
void          ph_secret_truncate        (PhSecret      *self,
                                         gsize          length);
gboolean      ph_secret_equal           (const PhSecret *a,
                                         const PhSecret *b);
gboolean      ph_secret_is_utf8         (const PhSecret *self);
gboolean      ph_secret_write_to_fd     (const PhSecret *self,
                                         int            fd,
                                         gboolean       newline,
                                         GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhSecret, ph_secret_unref)

G_END_DECLS
