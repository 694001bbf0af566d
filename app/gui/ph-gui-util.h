/* ph-gui-util.h: small helpers the app's widgets share.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

#include "ph-agent-dbus.h"
#include "ph-entry.h"
#include "ph-secret.h"

G_BEGIN_DECLS

GVariant *ph_secret_to_variant        (const PhSecret *secret);
GVariant *ph_text_to_bytes_variant    (const char     *text);
PhSecret *ph_secret_from_reply        (GVariant       *bytes);
char     *ph_error_dup_message        (const GError   *error);
gboolean  ph_error_is_denied          (const GError   *error);
char     *ph_format_time              (gint64          usec);

void      ph_clipboard_copy_secret    (GtkWidget      *widget,
                                       const PhSecret *secret,
                                       guint           clear_after_seconds);
void      ph_clipboard_copy_text      (GtkWidget      *widget,
                                       const char     *text);

GtkListItemFactory *ph_entry_row_factory_new (void);
void      ph_accessible_name_internals (GtkWidget *root);
void      ph_column_view_add_text_column (GtkColumnView *view,
                                          const char    *title,
                                          GCallback      bind,
                                          gpointer       data,
                                          gboolean       expand);

GdkTexture *ph_qr_texture_new        (const char     *text,
                                      GError        **error);

G_END_DECLS
