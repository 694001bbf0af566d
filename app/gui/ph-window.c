/* ph-window.c: Perihelion's main window: first run, unlock, and the vault browser.
 *
 * The window is a client of perihelion-agent: it never holds a vault key. It shows the
 * entries' metadata (what the agent's List returns) and asks the agent for a secret only when
 * the user reveals or copies one, so every secret it shows went through the gate.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include <string.h>

#include "ph-accounts-window.h"
#include "ph-audit-window.h"
#include "ph-entry-editor.h"
#include "ph-entry-pack.h"
#include "ph-entry-view.h"
#include "ph-gui-util.h"
#include "ph-policy-window.h"
#include "ph-row-model.h"
#include "ph-setup-view.h"
#include "ph-window.h"

struct _PhWindow
{
  AdwApplicationWindow parent_instance;

  PhDBusAgent1 *agent;
  PhEntryList *entries;
  PhRowModel *rows;
  GtkSingleSelection *selection;
  char *selected_id;           /* the entry on show, kept selected while the list changes */
  GSettings *settings;
  char *pending_delete;        /* an entry deleted in the UI whose Undo toast is still up */
  AdwToast *delete_toast;

  /* template */
  AdwToastOverlay *toast_overlay;
  GtkStack *stack;
  PhSetupView *setup_view;
  GtkPasswordEntry *unlock_entry;
  GtkLabel *unlock_error;
  GtkStack *unlock_button_stack;
  GtkButton *key_unlock_button;
  GtkSpinner *unlock_spinner;
  GtkButton *unlock_button;
  AdwLeaflet *leaflet;
  GtkWidget *sidebar_pane;
  GtkWidget *list_pane;
  GtkListBox *sidebar;
  AdwWindowTitle *list_title;
  GtkSearchEntry *search_entry;
  GtkStack *list_stack;
  GtkListView *list_view;
  AdwStatusPage *empty_page;
  PhEntryView *entry_view;
};

G_DEFINE_FINAL_TYPE (PhWindow, ph_window, ADW_TYPE_APPLICATION_WINDOW)

void
ph_window_toast (PhWindow   *self,
                 const char *message)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

void
ph_window_show_error (PhWindow     *self,
                      const GError *error)
{
  g_autofree char *message = ph_error_dup_message (error);
  AdwToast *toast = adw_toast_new (message);

  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_set_timeout (toast, 6);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

PhDBusAgent1 *
ph_window_get_agent (PhWindow *self)
{
  return self->agent;
}

PhEntryList *
ph_window_get_entries (PhWindow *self)
{
  return self->entries;
}

/* The sidebar: fixed scopes, then folders (Secret Service collections apart) and tags. */

static GtkWidget *
sidebar_row (const char   *icon,
             const char   *label,
             PhEntryScope  scope,
             const char   *value)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  GtkWidget *image = gtk_image_new_from_icon_name (icon);
  GtkWidget *text = gtk_label_new (label);

  gtk_label_set_ellipsize (GTK_LABEL (text), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_box_append (GTK_BOX (box), image);
  gtk_box_append (GTK_BOX (box), text);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_accessible_update_property (GTK_ACCESSIBLE (row), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  g_object_set_data (G_OBJECT (row), "scope", GINT_TO_POINTER (scope));
  g_object_set_data_full (G_OBJECT (row), "value", g_strdup (value), g_free);
  g_object_set_data_full (G_OBJECT (row), "label", g_strdup (label), g_free);
  return row;
}

static GtkWidget *
sidebar_heading (const char *label)
{
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *text = gtk_label_new (label);

  gtk_label_set_xalign (GTK_LABEL (text), 0);
  gtk_widget_add_css_class (text, "heading");
  gtk_widget_add_css_class (text, "dim-label");
  gtk_widget_set_margin_top (text, 12);
  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), text);
  gtk_list_box_row_set_selectable (GTK_LIST_BOX_ROW (row), FALSE);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  return row;
}

#define COLLECTION_PREFIX "Secret Service/"

static void
rebuild_sidebar (PhWindow *self)
{
  g_auto(GStrv) folders = ph_entry_list_dup_folders (self->entries);
  g_auto(GStrv) tags = ph_entry_list_dup_tags (self->entries);
  GtkListBoxRow *selected = gtk_list_box_get_selected_row (self->sidebar);
  g_autofree char *selected_label = selected ? g_strdup (g_object_get_data (G_OBJECT (selected), "label")) : NULL;
  GtkWidget *child;
  gboolean any_collection = FALSE;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->sidebar))))
    gtk_list_box_remove (self->sidebar, child);

  gtk_list_box_append (self->sidebar, sidebar_row ("view-list-symbolic", _("All Entries"), PH_ENTRY_SCOPE_ALL, NULL));
  gtk_list_box_append (self->sidebar, sidebar_row ("starred-symbolic", _("Favorites"), PH_ENTRY_SCOPE_FAVORITES, NULL));
  gtk_list_box_append (self->sidebar, sidebar_row ("alarm-symbolic", _("Rotation Due"), PH_ENTRY_SCOPE_ROTATION_DUE, NULL));
  if (folders[0])
    gtk_list_box_append (self->sidebar, sidebar_heading (_("Folders")));
  for (guint i = 0; folders[i]; i++)
    if (!g_str_has_prefix (folders[i], COLLECTION_PREFIX))
      gtk_list_box_append (self->sidebar, sidebar_row ("folder-symbolic", folders[i], PH_ENTRY_SCOPE_FOLDER, folders[i]));
    else
      any_collection = TRUE;
  if (tags[0])
    gtk_list_box_append (self->sidebar, sidebar_heading (_("Tags")));
  for (guint i = 0; tags[i]; i++)
    gtk_list_box_append (self->sidebar, sidebar_row ("ph-tag-symbolic", tags[i], PH_ENTRY_SCOPE_TAG, tags[i]));
  if (any_collection)
    gtk_list_box_append (self->sidebar, sidebar_heading (_("Secret Service")));
  for (guint i = 0; any_collection && folders[i]; i++)
    if (g_str_has_prefix (folders[i], COLLECTION_PREFIX))
      gtk_list_box_append (self->sidebar, sidebar_row ("application-x-executable-symbolic",
                                                       folders[i] + strlen (COLLECTION_PREFIX),
                                                       PH_ENTRY_SCOPE_FOLDER, folders[i]));

  /* Keep the selection across a rebuild, else All. */
  for (child = gtk_widget_get_first_child (GTK_WIDGET (self->sidebar)); child; child = gtk_widget_get_next_sibling (child))
    if (selected_label && g_strcmp0 (g_object_get_data (G_OBJECT (child), "label"), selected_label) == 0)
      break;
  gtk_list_box_select_row (self->sidebar, GTK_LIST_BOX_ROW (child ? child : gtk_widget_get_first_child (GTK_WIDGET (self->sidebar))));
}

static void
on_sidebar_row_selected (PhWindow      *self,
                         GtkListBoxRow *row)
{
  if (row == NULL)
    return;
  ph_entry_list_set_scope (self->entries, GPOINTER_TO_INT (g_object_get_data (G_OBJECT (row), "scope")),
                           g_object_get_data (G_OBJECT (row), "value"));
  adw_window_title_set_title (self->list_title, g_object_get_data (G_OBJECT (row), "label"));
  if (adw_leaflet_get_folded (self->leaflet) && gtk_widget_get_mapped (GTK_WIDGET (self->sidebar)) &&
      adw_leaflet_get_visible_child (self->leaflet) == self->sidebar_pane)
    adw_leaflet_set_visible_child (self->leaflet, self->list_pane);
}

static void
on_back_clicked (PhWindow *self)
{
  adw_leaflet_set_visible_child (self->leaflet, self->sidebar_pane);
}

/* The list */

static void
update_empty_state (PhWindow *self)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->entries));
  const char *query = ph_entry_list_get_query (self->entries);

  if (n > 0)
    {
      gtk_stack_set_visible_child_name (self->list_stack, "list");
      return;
    }
  if (*query)
    {
      adw_status_page_set_title (self->empty_page, _("No Results"));
      adw_status_page_set_description (self->empty_page, _("Try another search"));
    }
  else
    {
      adw_status_page_set_title (self->empty_page, _("No Entries"));
      adw_status_page_set_description (self->empty_page, _("Add one with the + button or Ctrl+N"));
    }
  gtk_stack_set_visible_child_name (self->list_stack, "empty");
}

static PhEntry *
selected_entry (PhWindow *self)
{
  PhRow *row = gtk_single_selection_get_selected_item (self->selection);

  return row ? ph_row_get_entry (row) : NULL;
}

static void
on_selection_changed (PhWindow *self)
{
  PhEntry *entry = selected_entry (self);

  g_free (self->selected_id);
  self->selected_id = entry ? g_strdup (ph_entry_get_id (entry)) : NULL;
  ph_entry_view_set_entry (self->entry_view, entry);
}

/* Rows stay in place while the list changes (ph-row-model.c), so the selection would stay on
 * a position: move it to where the selected entry went, or clear it. */
static void
on_entries_reordered (PhWindow *self)
{
  g_autofree char *id = g_strdup (self->selected_id);
  guint position;

  if (id == NULL)
    return;
  /* G_MAXUINT, not shown, is GTK_INVALID_LIST_POSITION: the selection clears. */
  position = ph_entry_list_find (self->entries, id);
  if (position != gtk_single_selection_get_selected (self->selection))
    gtk_single_selection_set_selected (self->selection, position);
  else if (selected_entry (self) == NULL || !g_str_equal (ph_entry_get_id (selected_entry (self)), id))
    on_selection_changed (self);
}

static void
on_list_activate (PhWindow *self,
                  guint     position)
{
  gtk_single_selection_set_selected (self->selection, position);
  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child (self->leaflet, GTK_WIDGET (self->entry_view));
}

static void
on_search_changed (PhWindow *self)
{
  ph_entry_list_set_query (self->entries, gtk_editable_get_text (GTK_EDITABLE (self->search_entry)));
  update_empty_state (self);
}

/* Enter in the search field: copy the top result's password, as a launcher would. */
static void
on_search_activate (PhWindow *self)
{
  if (g_list_model_get_n_items (G_LIST_MODEL (self->entries)) == 0)
    return;
  gtk_single_selection_set_selected (self->selection, 0);
  gtk_widget_activate_action (GTK_WIDGET (self), "win.copy-password", NULL);
}

void
ph_window_select_entry (PhWindow   *self,
                        const char *id)
{
  guint position = ph_entry_list_find (self->entries, id);

  if (position != G_MAXUINT)
    gtk_single_selection_set_selected (self->selection, position);
}

/* Loading the entries */

static void
list_done (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(PhWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) packed = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *selected_id = NULL;
  PhEntry *selected;

  if (!ph_dbus_agent1_call_list_packed_finish (PH_DBUS_AGENT1 (object), &packed, result, &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        ph_window_show_error (self, error);
      return;
    }
  {
    g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes (packed);

    if (!(entries = ph_entry_unpack (bytes, &error)))
      {
        ph_window_show_error (self, error);
        return;
      }
  }
  selected = selected_entry (self);
  selected_id = selected ? g_strdup (ph_entry_get_id (selected)) : NULL;
  ph_entry_list_set_entries (self->entries, entries);
  rebuild_sidebar (self);
  update_empty_state (self);
  {
    /* A new entry is selected once it is in the list. */
    g_autofree char *added = g_strdup (g_object_get_data (G_OBJECT (self), "select-after-refresh"));

    g_object_set_data (G_OBJECT (self), "select-after-refresh", NULL);
    if (added || selected_id)
      ph_window_select_entry (self, added ? added : selected_id);
  }
  on_selection_changed (self);
}

void
ph_window_refresh (PhWindow *self)
{
  ph_dbus_agent1_call_list_packed (self->agent, "", NULL, list_done, g_object_ref (self));
}

/* Pages */

static void on_setup_finished (PhWindow *self);

/* The first-run pages are built only when there is no vault: most starts never need them. */
static void
ensure_setup_view (PhWindow *self)
{
  if (self->setup_view)
    return;
  self->setup_view = PH_SETUP_VIEW (g_object_new (PH_TYPE_SETUP_VIEW, NULL));
  ph_setup_view_set_agent (self->setup_view, self->agent);
  g_signal_connect_swapped (self->setup_view, "finished", G_CALLBACK (on_setup_finished), self);
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->setup_view), "setup");
  ph_accessible_name_internals (GTK_WIDGET (self->setup_view));
}

static void
unlock_methods_done (GObject      *object,
                     GAsyncResult *result,
                     gpointer      data)
{
  g_autoptr(PhWindow) self = data;
  g_auto(GStrv) methods = NULL;

  if (ph_dbus_agent1_call_get_unlock_methods_finish (PH_DBUS_AGENT1 (object), &methods, result, NULL))
    gtk_widget_set_visible (GTK_WIDGET (self->key_unlock_button),
                            g_strv_contains ((const char * const *) methods, "security-key"));
}

/* The unlock page offers a security key when the vault has a quick-unlock slot. */
static void
update_unlock_methods (PhWindow *self)
{
  ph_dbus_agent1_call_get_unlock_methods (self->agent, NULL, unlock_methods_done, g_object_ref (self));
}

static void
show_page (PhWindow *self)
{
  const char *path = ph_dbus_agent1_get_vault_path (self->agent);

  if (self->setup_view && ph_setup_view_is_busy (self->setup_view))
    gtk_stack_set_visible_child_name (self->stack, "setup");
  else if (!ph_dbus_agent1_get_locked (self->agent))
    {
      gtk_stack_set_visible_child_name (self->stack, "browser");
      ph_window_refresh (self);
      gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
    }
  else if (path && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      ensure_setup_view (self);
      gtk_stack_set_visible_child_name (self->stack, "setup");
    }
  else
    {
      GPtrArray *none = g_ptr_array_new ();

      /* Locked: nothing of the vault stays on screen. */
      ph_entry_list_set_entries (self->entries, none);
      g_ptr_array_unref (none);
      ph_entry_view_set_entry (self->entry_view, NULL);
      gtk_stack_set_visible_child_name (self->stack, "unlock");
      gtk_widget_grab_focus (GTK_WIDGET (self->unlock_entry));
      update_unlock_methods (self);
    }
}

static void
on_agent_properties_changed (PhWindow *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->stack);
  gboolean locked = ph_dbus_agent1_get_locked (self->agent);

  if (locked != g_str_equal (page, "browser"))
    return;
  show_page (self);
}

/* Unlock */

static void
set_unlocking (PhWindow *self,
               gboolean  unlocking)
{
  gtk_stack_set_visible_child_name (self->unlock_button_stack, unlocking ? "progress" : "button");
  gtk_spinner_set_spinning (self->unlock_spinner, unlocking);
  gtk_editable_set_editable (GTK_EDITABLE (self->unlock_entry), !unlocking);
}

static void
unlock_done (GObject      *object,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(PhWindow) self = data;
  g_autoptr(GError) error = NULL;

  set_unlocking (self, FALSE);
  if (!ph_dbus_agent1_call_unlock_finish (PH_DBUS_AGENT1 (object), result, &error))
    {
      g_autofree char *message = ph_error_dup_message (error);

      gtk_label_set_text (self->unlock_error, message);
      gtk_widget_set_visible (GTK_WIDGET (self->unlock_error), TRUE);
      gtk_widget_add_css_class (GTK_WIDGET (self->unlock_entry), "error");
      gtk_editable_select_region (GTK_EDITABLE (self->unlock_entry), 0, -1);
      gtk_widget_grab_focus (GTK_WIDGET (self->unlock_entry));
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->unlock_entry), "");
  gtk_widget_set_visible (GTK_WIDGET (self->unlock_error), FALSE);
  gtk_widget_remove_css_class (GTK_WIDGET (self->unlock_entry), "error");
  show_page (self);
}

static void
on_unlock_activate (PhWindow *self)
{
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->unlock_entry));

  if (*password == '\0' || g_str_equal (gtk_stack_get_visible_child_name (self->unlock_button_stack), "progress"))
    return;
  set_unlocking (self, TRUE);
  /* Long enough for the key derivation: about a second, more on a slow machine. */
  ph_dbus_agent1_call_unlock (self->agent, ph_text_to_bytes_variant (password), NULL, unlock_done,
                              g_object_ref (self));
}

static void
key_unlock_done (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(PhWindow) self = data;
  g_autoptr(GError) error = NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->key_unlock_button), TRUE);
  if (!ph_dbus_agent1_call_unlock_with_security_key_finish (PH_DBUS_AGENT1 (object), result, &error))
    {
      g_autofree char *message = ph_error_dup_message (error);

      gtk_label_set_text (self->unlock_error, message);
      gtk_widget_set_visible (GTK_WIDGET (self->unlock_error), TRUE);
      return;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->unlock_error), FALSE);
  show_page (self);
}

static void
on_key_unlock_clicked (PhWindow *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->key_unlock_button), FALSE);
  gtk_label_set_text (self->unlock_error, _("Touch your security key…"));
  gtk_widget_set_visible (GTK_WIDGET (self->unlock_error), TRUE);
  ph_dbus_agent1_call_unlock_with_security_key (self->agent, NULL, key_unlock_done, g_object_ref (self));
}

static void
on_setup_finished (PhWindow *self)
{
  show_page (self);
}

/* Deleting with Undo: the entry is hidden at once and deleted when the toast goes away. */

static void
delete_done (GObject      *object,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(PhWindow) self = data;
  g_autoptr(GError) error = NULL;

  if (!ph_dbus_agent1_call_delete_entry_finish (PH_DBUS_AGENT1 (object), result, &error))
    {
      ph_window_show_error (self, error);
      ph_window_refresh (self);
    }
}

static void
commit_pending_delete (PhWindow *self)
{
  g_autofree char *id = g_steal_pointer (&self->pending_delete);

  self->delete_toast = NULL;
  if (id)
    ph_dbus_agent1_call_delete_entry (self->agent, id, NULL, delete_done, g_object_ref (self));
}

static void
on_delete_toast_dismissed (AdwToast *toast,
                           PhWindow *self)
{
  if (self->delete_toast == toast)
    commit_pending_delete (self);
}

void
ph_window_delete_entry (PhWindow   *self,
                        const char *id)
{
  PhEntry *entry = ph_entry_list_lookup (self->entries, id);
  g_autofree char *title = NULL;
  AdwToast *toast;

  if (entry == NULL)
    return;
  if (self->delete_toast)
    {
      AdwToast *previous = self->delete_toast;

      commit_pending_delete (self);
      adw_toast_dismiss (previous);
    }
  self->pending_delete = g_strdup (id);
  ph_entry_list_set_hidden (self->entries, id, TRUE);
  update_empty_state (self);
  title = g_strdup_printf (_("“%s” deleted"), ph_entry_get_title (entry));
  toast = adw_toast_new (title);
  adw_toast_set_button_label (toast, _("_Undo"));
  adw_toast_set_action_name (toast, "win.undo-delete");
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  g_signal_connect (toast, "dismissed", G_CALLBACK (on_delete_toast_dismissed), self);
  self->delete_toast = toast;
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
undo_delete (GtkWidget  *widget,
             const char *action,
             GVariant   *parameter)
{
  PhWindow *self = PH_WINDOW (widget);
  g_autofree char *id = g_steal_pointer (&self->pending_delete);

  self->delete_toast = NULL;
  if (id == NULL)
    return;
  ph_entry_list_set_hidden (self->entries, id, FALSE);
  update_empty_state (self);
  ph_window_select_entry (self, id);
  ph_window_toast (self, _("Entry restored"));
}

/* Actions */

static void
lock_done (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(PhWindow) self = data;
  g_autoptr(GError) error = NULL;

  if (!ph_dbus_agent1_call_lock_finish (PH_DBUS_AGENT1 (object), result, &error))
    ph_window_show_error (self, error);
}

static void
lock_action (GtkWidget  *widget,
             const char *action,
             GVariant   *parameter)
{
  PhWindow *self = PH_WINDOW (widget);

  commit_pending_delete (self);
  ph_dbus_agent1_call_lock (self->agent, NULL, lock_done, g_object_ref (self));
}

static void
search_action (GtkWidget  *widget,
               const char *action,
               GVariant   *parameter)
{
  PhWindow *self = PH_WINDOW (widget);

  if (!g_str_equal (gtk_stack_get_visible_child_name (self->stack), "browser"))
    return;
  if (adw_leaflet_get_folded (self->leaflet))
    adw_leaflet_set_visible_child (self->leaflet, self->list_pane);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

static void
new_entry_action (GtkWidget  *widget,
                  const char *action,
                  GVariant   *parameter)
{
  PhWindow *self = PH_WINDOW (widget);

  if (ph_dbus_agent1_get_locked (self->agent))
    return;
  gtk_window_present (GTK_WINDOW (ph_entry_editor_new (self, NULL)));
}

static PhEntrySort
sort_from_string (const char *sort)
{
  return g_strcmp0 (sort, "modified") == 0 ? PH_ENTRY_SORT_MODIFIED
       : g_strcmp0 (sort, "username") == 0 ? PH_ENTRY_SORT_USERNAME
       : PH_ENTRY_SORT_TITLE;
}

enum
{
  PROP_0,
  PROP_SORT_ORDER,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
ph_window_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  PhWindow *self = PH_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SORT_ORDER:
      g_value_take_string (value, g_settings_get_string (self->settings, "sort-order"));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ph_window_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  PhWindow *self = PH_WINDOW (object);

  switch (prop_id)
    {
    case PROP_SORT_ORDER:
      g_settings_set_string (self->settings, "sort-order", g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
on_sort_changed (PhWindow *self)
{
  g_autofree char *sort = g_settings_get_string (self->settings, "sort-order");

  ph_entry_list_set_sort (self->entries, sort_from_string (sort));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SORT_ORDER]);
}

static void
import_done (GObject      *object,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(PhWindow) self = data;
  g_autoptr(GError) error = NULL;
  guint count = 0;

  if (!ph_dbus_agent1_call_import_finish (PH_DBUS_AGENT1 (object), &count, result, &error))
    {
      ph_window_show_error (self, error);
      return;
    }
  {
    g_autofree char *message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Imported %u entry",
                                                             "Imported %u entries", count), count);
    ph_window_toast (self, message);
  }
}

static void
on_import_response (GtkNativeDialog *dialog,
                    int              response,
                    PhWindow        *self)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  if (response == GTK_RESPONSE_ACCEPT &&
      (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))))
    {
      if (!g_file_load_contents (file, NULL, &contents, &len, NULL, &error))
        ph_window_show_error (self, error);
      else
        {
          GVariant *data = g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, contents, len, TRUE,
                                                    g_free, contents);

          ph_window_toast (self, _("Importing…"));
          ph_dbus_agent1_call_import (self->agent, "csv", data, NULL, import_done, g_object_ref (self));
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
import_action (GtkWidget  *widget,
               const char *action,
               GVariant   *parameter)
{
  PhWindow *self = PH_WINDOW (widget);
  GtkFileChooserNative *chooser;
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  if (ph_dbus_agent1_get_locked (self->agent))
    return;
  chooser = gtk_file_chooser_native_new (_("Import CSV"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_OPEN,
                                         _("_Import"), _("_Cancel"));
  gtk_file_filter_set_name (filter, _("CSV files"));
  gtk_file_filter_add_mime_type (filter, "text/csv");
  gtk_file_filter_add_pattern (filter, "*.csv");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_signal_connect (chooser, "response", G_CALLBACK (on_import_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
policy_action (GtkWidget  *widget,
               const char *action,
               GVariant   *parameter)
{
  PhWindow *self = PH_WINDOW (widget);

  if (!ph_dbus_agent1_get_locked (self->agent))
    gtk_window_present (GTK_WINDOW (ph_policy_window_new (self)));
}

static void
audit_action (GtkWidget  *widget,
              const char *action,
              GVariant   *parameter)
{
  PhWindow *self = PH_WINDOW (widget);

  if (!ph_dbus_agent1_get_locked (self->agent))
    gtk_window_present (GTK_WINDOW (ph_audit_window_new (self)));
}

static void
accounts_action (GtkWidget  *widget,
                 const char *action,
                 GVariant   *parameter)
{
  PhWindow *self = PH_WINDOW (widget);

  if (!ph_dbus_agent1_get_locked (self->agent))
    gtk_window_present (GTK_WINDOW (ph_accounts_window_new (GTK_WINDOW (self), self->agent)));
}

/* Entry actions go to the entry on show. */
static void
entry_action (GtkWidget  *widget,
              const char *action,
              GVariant   *parameter)
{
  PhWindow *self = PH_WINDOW (widget);

  ph_entry_view_activate (self->entry_view, action + strlen ("win."));
}

static void
on_entries_changed (PhWindow *self)
{
  if (!ph_dbus_agent1_get_locked (self->agent))
    ph_window_refresh (self);
}

static gboolean
on_close_request (PhWindow *self)
{
  if (self->delete_toast)
    {
      AdwToast *toast = self->delete_toast;

      commit_pending_delete (self);
      adw_toast_dismiss (toast);
    }
  return FALSE;
}

static void
ph_window_dispose (GObject *object)
{
  PhWindow *self = PH_WINDOW (object);

  if (self->agent)
    g_signal_handlers_disconnect_by_data (self->agent, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), PH_TYPE_WINDOW);
  G_OBJECT_CLASS (ph_window_parent_class)->dispose (object);
}

static void
ph_window_finalize (GObject *object)
{
  PhWindow *self = PH_WINDOW (object);

  g_clear_object (&self->agent);
  g_clear_object (&self->selection);
  g_clear_object (&self->rows);
  g_clear_object (&self->entries);
  g_free (self->selected_id);
  g_clear_object (&self->settings);
  g_free (self->pending_delete);
  G_OBJECT_CLASS (ph_window_parent_class)->finalize (object);
}

static void
ph_window_class_init (PhWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ph_window_dispose;
  object_class->finalize = ph_window_finalize;
  object_class->get_property = ph_window_get_property;
  object_class->set_property = ph_window_set_property;

  properties[PROP_SORT_ORDER] =
    g_param_spec_string ("sort-order", NULL, NULL, "title", G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (PH_TYPE_ENTRY_VIEW);
  g_type_ensure (PH_TYPE_ENTRY);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perihelion/AuthManager/ph-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PhWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, stack);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, unlock_entry);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, unlock_error);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, unlock_button_stack);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, unlock_spinner);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, unlock_button);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, leaflet);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, sidebar_pane);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, list_pane);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, sidebar);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, list_title);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, list_stack);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, list_view);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, empty_page);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, entry_view);
  gtk_widget_class_bind_template_callback (widget_class, on_unlock_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_key_unlock_clicked);
  gtk_widget_class_bind_template_child (widget_class, PhWindow, key_unlock_button);
  gtk_widget_class_bind_template_callback (widget_class, on_sidebar_row_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_list_activate);

  gtk_widget_class_install_action (widget_class, "win.lock", NULL, lock_action);
  gtk_widget_class_install_action (widget_class, "win.search", NULL, search_action);
  gtk_widget_class_install_action (widget_class, "win.new-entry", NULL, new_entry_action);
  gtk_widget_class_install_action (widget_class, "win.import", NULL, import_action);
  gtk_widget_class_install_action (widget_class, "win.policy", NULL, policy_action);
  gtk_widget_class_install_action (widget_class, "win.audit", NULL, audit_action);
  gtk_widget_class_install_action (widget_class, "win.accounts", NULL, accounts_action);
  gtk_widget_class_install_action (widget_class, "win.undo-delete", NULL, undo_delete);
  gtk_widget_class_install_property_action (widget_class, "win.sort", "sort-order");
  gtk_widget_class_install_action (widget_class, "win.copy-password", NULL, entry_action);
  gtk_widget_class_install_action (widget_class, "win.copy-username", NULL, entry_action);
  gtk_widget_class_install_action (widget_class, "win.copy-otp", NULL, entry_action);
  gtk_widget_class_install_action (widget_class, "win.reveal", NULL, entry_action);
  gtk_widget_class_install_action (widget_class, "win.edit-entry", NULL, entry_action);
  gtk_widget_class_install_action (widget_class, "win.delete-entry", NULL, entry_action);
  gtk_widget_class_install_action (widget_class, "win.open-url", NULL, entry_action);
  gtk_widget_class_install_action (widget_class, "win.toggle-favorite", NULL, entry_action);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_l, GDK_CONTROL_MASK, "win.lock", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "win.new-entry", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_i, GDK_CONTROL_MASK, "win.import", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_c, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.copy-password", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_b, GDK_CONTROL_MASK, "win.copy-username", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_t, GDK_CONTROL_MASK, "win.copy-otp", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_r, GDK_CONTROL_MASK, "win.reveal", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.edit-entry", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_u, GDK_CONTROL_MASK, "win.open-url", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_d, GDK_CONTROL_MASK, "win.toggle-favorite", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Delete, GDK_SHIFT_MASK, "win.delete-entry", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_p, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.policy", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_a, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.audit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_o, GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.accounts", NULL);
}

static void
ph_window_init (PhWindow *self)
{
  g_autoptr(GtkListItemFactory) factory = NULL;

  self->settings = g_settings_new (APP_ID);
  gtk_widget_init_template (GTK_WIDGET (self));

  self->entries = ph_entry_list_new ();
  self->rows = ph_row_model_new (G_LIST_MODEL (self->entries));
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->rows)));
  g_signal_connect_swapped (self->entries, "items-changed", G_CALLBACK (on_entries_reordered), self);
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  g_signal_connect_swapped (self->selection, "notify::selected-item", G_CALLBACK (on_selection_changed), self);
  factory = ph_entry_row_factory_new ();
  gtk_list_view_set_factory (self->list_view, factory);
  gtk_list_view_set_model (self->list_view, GTK_SELECTION_MODEL (self->selection));
  g_signal_connect_swapped (self, "close-request", G_CALLBACK (on_close_request), self);
  g_signal_connect_swapped (self->settings, "changed::sort-order", G_CALLBACK (on_sort_changed), self);
  on_sort_changed (self);
  ph_accessible_name_internals (GTK_WIDGET (self));
}

PhWindow *
ph_window_new (AdwApplication *application,
               PhDBusAgent1   *agent)
{
  PhWindow *self = g_object_new (PH_TYPE_WINDOW, "application", application, NULL);

  self->agent = g_object_ref (agent);
  if (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (self)))
    ph_accessible_name_internals (GTK_WIDGET (gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (self))));
  g_signal_connect_swapped (agent, "g-properties-changed", G_CALLBACK (on_agent_properties_changed), self);
  g_signal_connect_swapped (agent, "entries-changed", G_CALLBACK (on_entries_changed), self);
  show_page (self);
  return self;
}
