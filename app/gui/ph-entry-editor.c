/* ph-entry-editor.c: add or edit an entry, with validation and the generator.
 *
 * The editor sends what changed to the agent (AddEntry, EditEntry): a write request that the
 * gate decides like any other. The current password is never loaded into the editor; an empty
 * password field keeps it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ph-entry-editor.h"
#include "ph-generator-popover.h"
#include "ph-gui-util.h"
#include "ph-otp-entry.h"
#include "ph-qr.h"

struct _PhEntryEditor
{
  AdwWindow parent_instance;

  PhWindow *window;
  PhEntry *entry;       /* NULL: a new entry */

  AdwToastOverlay *toast_overlay;
  AdwWindowTitle *window_title;
  GtkButton *save_button;
  AdwPreferencesGroup *main_group;
  AdwEntryRow *title_row;
  AdwEntryRow *username_row;
  AdwPasswordEntryRow *password_row;
  GtkMenuButton *generator_button;
  AdwEntryRow *url_row;
  AdwEntryRow *folder_row;
  AdwEntryRow *tags_row;
  AdwComboRow *sensitivity_row;
  GtkTextView *notes_view;
  AdwPasswordEntryRow *otp_row;
  AdwActionRow *otp_remove_row;
  GtkSwitch *otp_remove_switch;
  char *saved_id;       /* after AddEntry/EditEntry, while the one-time password is set */
};

G_DEFINE_FINAL_TYPE (PhEntryEditor, ph_entry_editor, ADW_TYPE_WINDOW)

static const char * const sensitivities[] = { "low", "normal", "high", "critical" };

/* A website is a URL with a scheme, or a bare host name (https is then assumed). */
static gboolean
url_is_valid (const char *text)
{
  g_autofree char *uri = NULL;

  if (*text == '\0')
    return TRUE;
  if (strchr (text, ' '))
    return FALSE;
  uri = strstr (text, "://") ? g_strdup (text) : g_strconcat ("https://", text, NULL);
  return g_uri_is_valid (uri, G_URI_FLAGS_NONE, NULL);
}

static gboolean
validate (PhEntryEditor *self)
{
  g_autofree char *title = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->title_row))));
  gboolean title_ok = *title != '\0';
  gboolean url_ok = url_is_valid (gtk_editable_get_text (GTK_EDITABLE (self->url_row)));
  const char *otp = gtk_editable_get_text (GTK_EDITABLE (self->otp_row));
  g_autoptr(GError) otp_error = NULL;
  gboolean otp_ok = TRUE;

  /* The key is checked here as the agent will check it, to say what is wrong while typing. */
  if (*otp)
    {
      g_autoptr(PhSecret) uri = ph_otp_normalize_uri (otp, title, NULL, &otp_error);

      otp_ok = uri != NULL;
    }
  if (otp_ok)
    {
      gtk_widget_remove_css_class (GTK_WIDGET (self->otp_row), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->otp_row), NULL);
    }
  else
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->otp_row), "error");
      gtk_widget_set_tooltip_text (GTK_WIDGET (self->otp_row), otp_error->message);
    }

  if (title_ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->title_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->title_row), "error");
  if (url_ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->url_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->url_row), "error");
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), title_ok && url_ok && otp_ok);
  return title_ok && url_ok && otp_ok;
}

static GVariant *
split_list (const char *text,
            const char *separators)
{
  g_auto(GStrv) parts = g_strsplit_set (text, separators, -1);
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();

  for (guint i = 0; parts[i]; i++)
    if (*g_strstrip (parts[i]))
      g_ptr_array_add (kept, parts[i]);
  return g_variant_new_strv ((const char * const *) kept->pdata, kept->len);
}

static void
show_error (PhEntryEditor *self,
            const GError  *error)
{
  g_autofree char *message = ph_error_dup_message (error);
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
finish_save (PhEntryEditor *self,
             const char    *new_id)
{
  ph_window_toast (self->window, self->entry ? _("Entry saved") : _("Entry added"));
  if (new_id)
    g_object_set_data_full (G_OBJECT (self->window), "select-after-refresh", g_strdup (new_id), g_free);
  gtk_window_destroy (GTK_WINDOW (self));
}

static void
otp_done (GObject      *object,
          GAsyncResult *result,
          gpointer      data)
{
  g_autoptr(PhEntryEditor) self = data;
  g_autoptr(GError) error = NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), TRUE);
  if (!ph_dbus_agent1_call_set_one_time_password_finish (PH_DBUS_AGENT1 (object), result, &error))
    {
      show_error (self, error);
      /* The entry itself is saved: editing it again is what is left. */
      if (self->entry == NULL)
        g_object_set_data_full (G_OBJECT (self->window), "select-after-refresh", g_strdup (self->saved_id), g_free);
      return;
    }
  finish_save (self, self->entry ? NULL : self->saved_id);
}

static void
save_done (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(PhEntryEditor) self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  gboolean ok;

  if (self->entry)
    ok = ph_dbus_agent1_call_edit_entry_finish (PH_DBUS_AGENT1 (object), result, &error);
  else
    ok = ph_dbus_agent1_call_add_entry_finish (PH_DBUS_AGENT1 (object), &id, result, &error);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), TRUE);
  if (!ok)
    {
      show_error (self, error);
      return;
    }
  /* The one-time password, when one was given or removed, is a second request. */
  if (*gtk_editable_get_text (GTK_EDITABLE (self->otp_row)) || gtk_switch_get_active (self->otp_remove_switch))
    {
      self->saved_id = g_strdup (id ? id : ph_entry_get_id (self->entry));
      gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), FALSE);
      ph_dbus_agent1_call_set_one_time_password (ph_window_get_agent (self->window), self->saved_id,
                                                 ph_text_to_bytes_variant (gtk_editable_get_text (GTK_EDITABLE (self->otp_row))),
                                                 NULL, otp_done, g_object_ref (self));
      return;
    }
  finish_save (self, id);
}

static void
on_save_clicked (PhEntryEditor *self)
{
  PhDBusAgent1 *agent = ph_window_get_agent (self->window);
  GVariantBuilder attributes;
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (self->notes_view);
  GtkTextIter start, end;
  g_autofree char *notes = NULL;
  g_autofree char *title = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->title_row))));
  const char *url = gtk_editable_get_text (GTK_EDITABLE (self->url_row));
  guint sensitivity = adw_combo_row_get_selected (self->sensitivity_row);
  GVariant *password;

  if (!validate (self))
    {
      gtk_widget_grab_focus (GTK_WIDGET (*title ? (GtkWidget *) self->url_row : (GtkWidget *) self->title_row));
      return;
    }
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  notes = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
  g_variant_builder_init (&attributes, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&attributes, "{sv}", "title", g_variant_new_string (title));
  g_variant_builder_add (&attributes, "{sv}", "username",
                         g_variant_new_string (gtk_editable_get_text (GTK_EDITABLE (self->username_row))));
  g_variant_builder_add (&attributes, "{sv}", "urls", split_list (url, " "));
  g_variant_builder_add (&attributes, "{sv}", "folder",
                         g_variant_new_string (gtk_editable_get_text (GTK_EDITABLE (self->folder_row))));
  g_variant_builder_add (&attributes, "{sv}", "tags",
                         split_list (gtk_editable_get_text (GTK_EDITABLE (self->tags_row)), ","));
  g_variant_builder_add (&attributes, "{sv}", "notes", g_variant_new_string (notes));
  g_variant_builder_add (&attributes, "{sv}", "sensitivity",
                         g_variant_new_string (sensitivities[MIN (sensitivity, G_N_ELEMENTS (sensitivities) - 1)]));
  password = ph_text_to_bytes_variant (gtk_editable_get_text (GTK_EDITABLE (self->password_row)));
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), FALSE);
  if (self->entry)
    ph_dbus_agent1_call_edit_entry (agent, ph_entry_get_id (self->entry), g_variant_builder_end (&attributes), password,
                                    NULL, save_done, g_object_ref (self));
  else
    ph_dbus_agent1_call_add_entry (agent, g_variant_builder_end (&attributes), password, NULL, save_done,
                                   g_object_ref (self));
}

static void
on_otp_changed (PhEntryEditor *self)
{
  validate (self);
}

/**
 * ph_entry_editor_scan_file:
 *
 * Reads the QR code in an image (a screenshot of a site's setup page) into the key field.
 */
gboolean
ph_entry_editor_scan_file (PhEntryEditor  *self,
                           GFile          *file,
                           GError        **error)
{
  g_autoptr(GdkTexture) texture = gdk_texture_new_from_file (file, error);
  g_autoptr(PhSecret) rgba = NULL;
  g_autoptr(PhSecret) grey = NULL;
  g_autoptr(PhSecret) text = NULL;
  int width, height;

  if (texture == NULL)
    return FALSE;
  width = gdk_texture_get_width (texture);
  height = gdk_texture_get_height (texture);
  /* The pixels spell the seed: guarded, and wiped. */
  rgba = ph_secret_new ((gsize) width * height * 4);
  grey = ph_secret_new ((gsize) width * height);
  gdk_texture_download (texture, ph_secret_get_mutable (rgba), (gsize) width * 4);
  for (gsize i = 0; i < (gsize) width * height; i++)
    {
      const guint8 *p = ph_secret_get_data (rgba) + 4 * i;

      /* Cairo's ARGB32 in memory order (B, G, R, A): luma. */
      ph_secret_get_mutable (grey)[i] = (p[2] * 299 + p[1] * 587 + p[0] * 114) / 1000;
    }
  if (!(text = ph_qr_decode (ph_secret_get_data (grey), width, height, width, error)))
    return FALSE;
  gtk_editable_set_text (GTK_EDITABLE (self->otp_row), ph_secret_get_text (text));
  return TRUE;
}

static void
on_scan_response (GtkNativeDialog *dialog,
                  int              response,
                  PhEntryEditor   *self)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;

  if (response == GTK_RESPONSE_ACCEPT && (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))) &&
      !ph_entry_editor_scan_file (self, file, &error))
    show_error (self, error);
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
scan_qr_action (GtkWidget  *widget,
                const char *action,
                GVariant   *parameter)
{
  PhEntryEditor *self = PH_ENTRY_EDITOR (widget);
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (_("Scan a QR Code Image"), GTK_WINDOW (self),
                                                               GTK_FILE_CHOOSER_ACTION_OPEN, _("_Scan"), _("_Cancel"));
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("Images"));
  gtk_file_filter_add_mime_type (filter, "image/*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_signal_connect (chooser, "response", G_CALLBACK (on_scan_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
on_generated (PhEntryEditor *self,
              const char    *password)
{
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), password);
}

static void
generate_action (GtkWidget  *widget,
                 const char *action,
                 GVariant   *parameter)
{
  gtk_menu_button_popup (PH_ENTRY_EDITOR (widget)->generator_button);
}

static void
ph_entry_editor_dispose (GObject *object)
{
  PhEntryEditor *self = PH_ENTRY_EDITOR (object);

  g_clear_object (&self->entry);
  g_clear_object (&self->window);
  g_clear_pointer (&self->saved_id, g_free);
  G_OBJECT_CLASS (ph_entry_editor_parent_class)->dispose (object);
}

static void
save_action (GtkWidget  *widget,
             const char *action,
             GVariant   *parameter)
{
  on_save_clicked (PH_ENTRY_EDITOR (widget));
}

static void
ph_entry_editor_class_init (PhEntryEditorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ph_entry_editor_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perihelion/AuthManager/ph-entry-editor.ui");
  gtk_widget_class_bind_template_child (widget_class, PhEntryEditor, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PhEntryEditor, window_title);
  gtk_widget_class_bind_template_child (widget_class, PhEntryEditor, save_button);
  gtk_widget_class_bind_template_child (widget_class, PhEntryEditor, main_group);
  gtk_widget_class_bind_template_child (widget_class, PhEntryEditor, title_row);
  gtk_widget_class_bind_template_child (widget_class, PhEntryEditor, username_row);
  gtk_widget_class_bind_template_child (widget_class, PhEntryEditor, password_row);
  gtk_widget_class_bind_template_child (widget_class, PhEntryEditor, generator_button);
  gtk_widget_class_bind_template_child (widget_class, PhEntryEditor, url_row);
  gtk_widget_class_bind_template_child (widget_class, PhEntryEditor, folder_row);
  gtk_widget_class_bind_template_child (widget_class, PhEntryEditor, tags_row);
  gtk_widget_class_bind_template_child (widget_class, PhEntryEditor, sensitivity_row);
  gtk_widget_class_bind_template_child (widget_class, PhEntryEditor, notes_view);
  gtk_widget_class_bind_template_callback (widget_class, validate);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_otp_changed);
  gtk_widget_class_bind_template_child (widget_class, PhEntryEditor, otp_row);
  gtk_widget_class_bind_template_child (widget_class, PhEntryEditor, otp_remove_row);
  gtk_widget_class_bind_template_child (widget_class, PhEntryEditor, otp_remove_switch);
  gtk_widget_class_install_action (widget_class, "editor.scan-qr", NULL, scan_qr_action);

  gtk_widget_class_install_action (widget_class, "editor.generate", NULL, generate_action);
  gtk_widget_class_install_action (widget_class, "editor.save", NULL, save_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_g, GDK_CONTROL_MASK, "editor.generate", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "editor.save", NULL);
}

static void
ph_entry_editor_init (PhEntryEditor *self)
{
  GtkWidget *popover;

  gtk_widget_init_template (GTK_WIDGET (self));
  popover = ph_generator_popover_new ();
  gtk_menu_button_set_popover (self->generator_button, popover);
  g_signal_connect_swapped (popover, "use", G_CALLBACK (on_generated), self);
  ph_accessible_name_internals (GTK_WIDGET (self));
}

PhEntryEditor *
ph_entry_editor_new (PhWindow *window,
                     PhEntry  *entry)
{
  PhEntryEditor *self = g_object_new (PH_TYPE_ENTRY_EDITOR, "transient-for", window, NULL);

  self->window = g_object_ref (window);
  adw_combo_row_set_selected (self->sensitivity_row, PH_SENSITIVITY_NORMAL);
  if (entry)
    {
      const char * const *urls = ph_entry_get_urls (entry);
      const char * const *tags = ph_entry_get_tags (entry);
      g_autofree char *url_text = urls ? g_strjoinv (" ", (char **) urls) : g_strdup ("");
      g_autofree char *tag_text = tags ? g_strjoinv (", ", (char **) tags) : g_strdup ("");

      self->entry = g_object_ref (entry);
      adw_window_title_set_title (self->window_title, _("Edit Entry"));
      adw_window_title_set_subtitle (self->window_title, ph_entry_get_title (entry));
      adw_preferences_group_set_description (self->main_group,
                                             _("Leave the password empty to keep the current one; the old one goes to the history."));
      gtk_editable_set_text (GTK_EDITABLE (self->title_row), ph_entry_get_title (entry));
      gtk_editable_set_text (GTK_EDITABLE (self->username_row), ph_entry_get_username (entry));
      gtk_editable_set_text (GTK_EDITABLE (self->url_row), url_text);
      gtk_editable_set_text (GTK_EDITABLE (self->folder_row), ph_entry_get_folder (entry));
      gtk_editable_set_text (GTK_EDITABLE (self->tags_row), tag_text);
      gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->notes_view), ph_entry_get_notes (entry), -1);
      adw_combo_row_set_selected (self->sensitivity_row, ph_entry_get_sensitivity (entry));
      gtk_widget_set_visible (GTK_WIDGET (self->otp_remove_row), ph_entry_has_otp (entry));
    }
  else
    adw_window_title_set_title (self->window_title, _("New Entry"));
  gtk_window_set_title (GTK_WINDOW (self), adw_window_title_get_title (self->window_title));
  validate (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->title_row));
  return self;
}
