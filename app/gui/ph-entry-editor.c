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

  if (title_ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->title_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->title_row), "error");
  if (url_ok)
    gtk_widget_remove_css_class (GTK_WIDGET (self->url_row), "error");
  else
    gtk_widget_add_css_class (GTK_WIDGET (self->url_row), "error");
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), title_ok && url_ok);
  return title_ok && url_ok;
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
      g_autofree char *message = ph_error_dup_message (error);
      AdwToast *toast = adw_toast_new (message);

      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
      adw_toast_overlay_add_toast (self->toast_overlay, toast);
      return;
    }
  ph_window_toast (self->window, self->entry ? _("Entry saved") : _("Entry added"));
  if (id)
    g_object_set_data_full (G_OBJECT (self->window), "select-after-refresh", g_steal_pointer (&id), g_free);
  gtk_window_destroy (GTK_WINDOW (self));
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
    }
  else
    adw_window_title_set_title (self->window_title, _("New Entry"));
  gtk_window_set_title (GTK_WINDOW (self), adw_window_title_get_title (self->window_title));
  validate (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->title_row));
  return self;
}
