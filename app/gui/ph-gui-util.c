/* ph-gui-util.c: small helpers the app's widgets share: secrets to and from D-Bus, errors
 * for people, and a clipboard that forgets passwords.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include <adwaita.h>

#include "ph-gui-util.h"
#include "ph-qr.h"
#include "ph-row.h"

static void
wipe_secret (gpointer data)
{
  ph_secret_unref (data);
}

/* A bytestring that borrows the guarded buffer, so no unguarded copy is made on our side. */
GVariant *
ph_secret_to_variant (const PhSecret *secret)
{
  return g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, ph_secret_get_data (secret),
                                  ph_secret_get_length (secret), TRUE, wipe_secret,
                                  ph_secret_ref ((PhSecret *) secret));
}

GVariant *
ph_text_to_bytes_variant (const char *text)
{
  g_autoptr(PhSecret) secret = ph_secret_new_from_data ((const guint8 *) text, strlen (text));

  return ph_secret_to_variant (secret);
}

/* Copies a secret from a D-Bus reply into guarded memory and wipes the reply's copy. */
PhSecret *
ph_secret_from_reply (GVariant *bytes)
{
  gsize len = 0;
  const guint8 *data = g_variant_get_fixed_array (bytes, &len, 1);
  PhSecret *secret = ph_secret_new_from_data (data, len);

  sodium_memzero ((gpointer) data, len);
  return secret;
}

gboolean
ph_error_is_denied (const GError *error)
{
  g_autofree char *remote = g_dbus_error_get_remote_error (error);

  return remote && (g_str_has_suffix (remote, ".Denied") || g_str_has_suffix (remote, ".NotApproved") ||
                    g_str_has_suffix (remote, ".Reauth"));
}

/* The agent's message, without the D-Bus error name in front. */
char *
ph_error_dup_message (const GError *error)
{
  g_autoptr(GError) copy = g_error_copy (error);

  g_dbus_error_strip_remote_error (copy);
  return g_strdup (copy->message);
}

char *
ph_format_time (gint64 usec)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);

  /* TRANSLATORS: a date and time, see g_date_time_format() */
  return time ? g_date_time_format (time, _("%-d %b %Y, %H:%M")) : g_strdup ("");
}

/* The clipboard: the secret is offered as text, with KDE's password-manager hint so clipboard
 * managers that honour it (Klipper, CopyQ, GPaste) leave it out of their history. After the
 * timeout the clipboard is cleared, but only if it still holds what we put there. */

typedef struct
{
  GdkClipboard *clipboard;
  GdkContentProvider *provider;
} PendingClear;

static gboolean
clear_clipboard (gpointer data)
{
  PendingClear *pending = data;

  if (gdk_clipboard_get_content (pending->clipboard) == pending->provider)
    gdk_clipboard_set_content (pending->clipboard, NULL);
  g_object_unref (pending->clipboard);
  g_object_unref (pending->provider);
  g_free (pending);
  return G_SOURCE_REMOVE;
}

void
ph_clipboard_copy_secret (GtkWidget      *widget,
                          const PhSecret *secret,
                          guint           clear_after_seconds)
{
  GdkClipboard *clipboard = gtk_widget_get_clipboard (widget);
  g_autoptr(GBytes) text = g_bytes_new (ph_secret_get_data (secret), ph_secret_get_length (secret));
  g_autoptr(GBytes) hint = g_bytes_new_static ("secret", 6);
  GdkContentProvider *providers[] = {
    gdk_content_provider_new_for_bytes ("text/plain;charset=utf-8", text),
    gdk_content_provider_new_for_bytes ("text/plain", text),
    gdk_content_provider_new_for_bytes ("UTF8_STRING", text),
    gdk_content_provider_new_for_bytes ("x-kde-passwordManagerHint", hint),
  };
  g_autoptr(GdkContentProvider) provider = gdk_content_provider_new_union (providers, G_N_ELEMENTS (providers));

  gdk_clipboard_set_content (clipboard, provider);
  if (clear_after_seconds > 0)
    {
      PendingClear *pending = g_new0 (PendingClear, 1);

      pending->clipboard = g_object_ref (clipboard);
      pending->provider = g_object_ref (provider);
      g_timeout_add (clear_after_seconds * 1000, clear_clipboard, pending);
    }
}

void
ph_clipboard_copy_text (GtkWidget  *widget,
                        const char *text)
{
  gdk_clipboard_set_text (gtk_widget_get_clipboard (widget), text);
}

/* Rows of the entry list (items: PhRow, see ph-row-model.c). Built in code rather than from a
 * template: a GtkBuilder parse per row costs more than a search. */

static void
entry_row_setup (GtkSignalListItemFactory *factory,
                 GtkListItem              *item)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *icon = gtk_image_new_from_icon_name ("dialog-password-symbolic");
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *username = gtk_label_new (NULL);
  GtkWidget *star = gtk_image_new_from_icon_name ("starred-symbolic");

  gtk_widget_set_margin_top (box, 6);
  gtk_widget_set_margin_bottom (box, 6);
  gtk_image_set_pixel_size (GTK_IMAGE (icon), 24);
  gtk_accessible_update_property (GTK_ACCESSIBLE (icon), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Entry"), -1);
  gtk_widget_set_hexpand (text, TRUE);
  gtk_label_set_xalign (GTK_LABEL (title), 0);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (username), 0);
  gtk_label_set_ellipsize (GTK_LABEL (username), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (username, "dim-label");
  gtk_widget_add_css_class (username, "caption");
  gtk_accessible_update_property (GTK_ACCESSIBLE (star), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Favorite"), -1);
  gtk_box_append (GTK_BOX (text), title);
  gtk_box_append (GTK_BOX (text), username);
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), text);
  gtk_box_append (GTK_BOX (box), star);
  gtk_list_item_set_child (item, box);
}

static void
entry_row_update (PhRow       *row,
                  GParamSpec  *pspec,
                  GtkListItem *item)
{
  PhEntry *entry = ph_row_get_entry (row);
  GtkWidget *box = gtk_list_item_get_child (item);
  GtkWidget *text = gtk_widget_get_next_sibling (gtk_widget_get_first_child (box));
  GtkWidget *title = gtk_widget_get_first_child (text);
  GtkWidget *username = gtk_widget_get_next_sibling (title);
  GtkWidget *star = gtk_widget_get_last_child (box);

  gtk_label_set_text (GTK_LABEL (title), ph_entry_get_title (entry));
  gtk_label_set_text (GTK_LABEL (username), ph_entry_get_username (entry));
  gtk_widget_set_visible (star, ph_entry_get_favorite (entry));
}

static void
entry_row_bind (GtkSignalListItemFactory *factory,
                GtkListItem              *item)
{
  PhRow *row = gtk_list_item_get_item (item);

  entry_row_update (row, NULL, item);
  g_signal_connect_object (row, "notify::entry", G_CALLBACK (entry_row_update), item, 0);
}

static void
entry_row_unbind (GtkSignalListItemFactory *factory,
                  GtkListItem              *item)
{
  g_signal_handlers_disconnect_by_func (gtk_list_item_get_item (item), entry_row_update, item);
}

GtkListItemFactory *
ph_entry_row_factory_new (void)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (entry_row_setup), NULL);
  g_signal_connect (factory, "bind", G_CALLBACK (entry_row_bind), NULL);
  g_signal_connect (factory, "unbind", G_CALLBACK (entry_row_unbind), NULL);
  return factory;
}

/* Names for the parts of GTK's and libadwaita's own widgets that GTK 4.8 leaves unnamed to
 * assistive technology (it falls back to a type name such as "GtkImage"): the peek button of a
 * password row, the button inside a drop-down, the search and section controls of the
 * shortcuts window. Buttons with a label or a tooltip are named already and left alone. */
static const struct
{
  const char *icon;
  const char *label;
} icon_labels[] = {
  { "view-reveal-symbolic", N_("Show Password") },
  { "view-conceal-symbolic", N_("Hide Password") },
  { "edit-find-symbolic", N_("Search") },
  { "window-close-symbolic", N_("Close") },
  { "pan-down-symbolic", N_("Open List") },
  { "go-previous-symbolic", N_("Back") },
};

static void
name_button (GtkWidget *button)
{
  GtkWidget *child = GTK_IS_BUTTON (button) ? gtk_button_get_child (GTK_BUTTON (button)) : NULL;
  const char *label = NULL;

  /* libadwaita's peek button has a tooltip, but GTK 4.8 names it after its image. */
  if (GTK_IS_IMAGE (child) && gtk_widget_get_ancestor (button, ADW_TYPE_PASSWORD_ENTRY_ROW))
    {
      gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Show Password"), -1);
      return;
    }
  if (gtk_widget_get_tooltip_text (button) || (GTK_IS_BUTTON (button) && gtk_button_get_label (GTK_BUTTON (button))))
    return;
  if (GTK_IS_IMAGE (child) && gtk_image_get_icon_name (GTK_IMAGE (child)))
    for (guint i = 0; i < G_N_ELEMENTS (icon_labels); i++)
      if (g_str_equal (gtk_image_get_icon_name (GTK_IMAGE (child)), icon_labels[i].icon))
        label = _(icon_labels[i].label);
  if (label == NULL && gtk_widget_get_ancestor (button, GTK_TYPE_DROP_DOWN))
    label = _("Open List");
  if (label == NULL && GTK_IS_MENU_BUTTON (button))
    label = _("Sections");
  if (label)
    gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

void
ph_accessible_name_internals (GtkWidget *root)
{
  if (GTK_IS_BUTTON (root) || GTK_IS_MENU_BUTTON (root))
    name_button (root);

  else if (GTK_IS_SEARCH_ENTRY (root) && gtk_widget_get_tooltip_text (root) == NULL)
    {
      const char *placeholder = NULL;

      g_object_get (root, "placeholder-text", &placeholder, NULL);
      gtk_accessible_update_property (GTK_ACCESSIBLE (root), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      placeholder ? placeholder : _("Search"), -1);
      g_free ((char *) placeholder);
    }
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    ph_accessible_name_internals (child);
}

/* A column of ellipsized, left-aligned text, for the policy and audit tables. @bind fills the
 * label of one cell: (GtkSignalListItemFactory *, GtkListItem *, @data). */
static void
text_cell_setup (GtkSignalListItemFactory *factory,
                 GtkListItem              *item)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
  gtk_list_item_set_child (item, label);
}

void
ph_column_view_add_text_column (GtkColumnView *view,
                                const char    *title,
                                GCallback      bind,
                                gpointer       data,
                                gboolean       expand)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
  g_autoptr(GtkColumnViewColumn) column = NULL;

  g_signal_connect (factory, "setup", G_CALLBACK (text_cell_setup), NULL);
  g_signal_connect (factory, "bind", bind, data);
  column = gtk_column_view_column_new (title, factory);
  gtk_column_view_column_set_resizable (column, TRUE);
  gtk_column_view_column_set_expand (column, expand);
  gtk_column_view_append_column (view, column);
}

/**
 * ph_qr_texture_new:
 *
 * @text (a setup key: a secret) as a QR code picture, black on white with its quiet zone. The
 * module pattern is made in guarded memory; the texture keeps an RGB copy of it.
 */
GdkTexture *
ph_qr_texture_new (const char  *text,
                   GError     **error)
{
  const guint scale = 8, quiet = 4;
  guint width = 0, size;
  g_autoptr(PhSecret) modules = ph_qr_encode (text, &width, error);
  g_autoptr(GBytes) rgb = NULL;
  const guint8 *m;
  guint8 *out;

  if (modules == NULL)
    return NULL;
  m = ph_secret_get_data (modules);
  size = (width + 2 * quiet) * scale;
  out = g_malloc ((gsize) size * size * 3);
  memset (out, 255, (gsize) size * size * 3);
  for (guint y = 0; y < width; y++)
    for (guint x = 0; x < width; x++)
      if (m[y * width + x])
        for (guint dy = 0; dy < scale; dy++)
          memset (out + (((gsize) (y + quiet) * scale + dy) * size + (x + quiet) * scale) * 3, 0, scale * 3);
  rgb = g_bytes_new_take (out, (gsize) size * size * 3);
  return gdk_memory_texture_new (size, size, GDK_MEMORY_R8G8B8, rgb, (gsize) size * 3);
}
