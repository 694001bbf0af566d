/* ph-entry-view.c: one entry: its fields, copy, reveal through the gate, history.
 *
 * Metadata is shown as it is; a secret is fetched from the agent when the person asks for it
 * (reveal, copy), which makes each one a gate request with its own decision and audit record.
 * A revealed secret is hidden again when the entry changes, the vault locks, or the policy's
 * time-to-live runs out.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ph-entry-editor.h"
#include "ph-entry-view.h"
#include "ph-gui-util.h"
#include "ph-otp-row.h"
#include "ph-window.h"

#define HIDDEN_PASSWORD "●●●●●●●●●●"

struct _PhEntryView
{
  GtkWidget parent_instance;

  PhEntry *entry;
  gboolean folded;
  GPtrArray *dynamic_rows;      /* (row, group) pairs added for this entry */
  guint hide_source;            /* hides a revealed password when its ttl ends */
  gboolean updating;

  GtkWidget *box;
  AdwWindowTitle *window_title;
  GtkToggleButton *favorite_button;
  GtkStack *stack;
  AdwPreferencesPage *page;
  AdwPreferencesGroup *main_group;
  AdwActionRow *username_row;
  AdwActionRow *password_row;
  GtkToggleButton *reveal_button;
  AdwPreferencesGroup *urls_group;
  AdwPreferencesGroup *details_group;
  AdwPreferencesGroup *history_group;
  PhOtpRow *otp_row;            /* (nullable): the entry's one-time code */
};

G_DEFINE_FINAL_TYPE (PhEntryView, ph_entry_view, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_FOLDED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static PhWindow *
get_window (PhEntryView *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return PH_IS_WINDOW (root) ? PH_WINDOW (root) : NULL;
}

PhEntry *
ph_entry_view_get_entry (PhEntryView *self)
{
  return self->entry;
}

/* Fetching a secret: one gate request each time. */

typedef void (*SecretCallback) (PhEntryView *self,
                                PhSecret    *secret,
                                int          ttl,
                                gpointer     data);

typedef struct
{
  PhEntryView *self;
  char *entry_id;
  SecretCallback callback;
  gpointer data;
} SecretRequest;

static void
secret_done (GObject      *object,
             GAsyncResult *result,
             gpointer      user_data)
{
  SecretRequest *request = user_data;
  g_autoptr(PhEntryView) self = request->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) bytes = NULL;
  g_autoptr(PhSecret) secret = NULL;
  int ttl = -1;

  if (!ph_dbus_agent1_call_get_secret_finish (PH_DBUS_AGENT1 (object), &bytes, &ttl, result, &error))
    {
      PhWindow *window = get_window (self);

      if (window)
        ph_window_show_error (window, error);
      request->callback (self, NULL, -1, request->data);
    }
  else
    {
      secret = ph_secret_from_reply (bytes);
      /* The entry on show may have changed while the agent asked for approval. */
      if (self->entry && g_str_equal (ph_entry_get_id (self->entry), request->entry_id))
        request->callback (self, secret, ttl, request->data);
      else
        request->callback (self, NULL, -1, request->data);
    }
  g_free (request->entry_id);
  g_free (request);
}

static void
fetch_secret (PhEntryView    *self,
              const char     *field,
              const char     *action,
              SecretCallback  callback,
              gpointer        data)
{
  PhWindow *window = get_window (self);
  SecretRequest *request;

  if (window == NULL || self->entry == NULL)
    return;
  request = g_new0 (SecretRequest, 1);
  request->self = g_object_ref (self);
  request->entry_id = g_strdup (ph_entry_get_id (self->entry));
  request->callback = callback;
  request->data = data;
  ph_dbus_agent1_call_get_secret (ph_window_get_agent (window), request->entry_id, field, action, NULL,
                                  secret_done, request);
}

/* Reveal */

static void
hide_password (PhEntryView *self)
{
  g_clear_handle_id (&self->hide_source, g_source_remove);
  adw_action_row_set_subtitle (self->password_row, self->entry && ph_entry_has_password (self->entry)
                                                   ? HIDDEN_PASSWORD : _("None"));
  gtk_widget_remove_css_class (GTK_WIDGET (self->password_row), "monospace");
  self->updating = TRUE;
  gtk_toggle_button_set_active (self->reveal_button, FALSE);
  self->updating = FALSE;
}

static gboolean
on_reveal_expired (gpointer data)
{
  PhEntryView *self = data;

  self->hide_source = 0;
  hide_password (self);
  return G_SOURCE_REMOVE;
}

static void
revealed (PhEntryView *self,
          PhSecret    *secret,
          int          ttl,
          gpointer     data)
{
  g_autofree char *text = NULL;

  if (secret == NULL || !gtk_toggle_button_get_active (self->reveal_button))
    {
      hide_password (self);
      return;
    }
  text = g_strndup ((const char *) ph_secret_get_data (secret), ph_secret_get_length (secret));
  adw_action_row_set_subtitle (self->password_row, text);
  gtk_widget_add_css_class (GTK_WIDGET (self->password_row), "monospace");
  memset (text, 0, strlen (text));
  if (ttl > 0)
    self->hide_source = g_timeout_add_seconds (ttl, on_reveal_expired, self);
}

static void
on_reveal_toggled (PhEntryView *self)
{
  if (self->updating)
    return;
  if (!gtk_toggle_button_get_active (self->reveal_button))
    hide_password (self);
  else if (self->entry && ph_entry_has_password (self->entry))
    fetch_secret (self, "password", "reveal", revealed, NULL);
  else
    hide_password (self);
}

/* Copy */

static void
copied (PhEntryView *self,
        PhSecret    *secret,
        int          ttl,
        gpointer     data)
{
  g_autoptr(GSettings) settings = NULL;
  g_autofree char *message = NULL;
  guint timeout;
  PhWindow *window = get_window (self);

  if (secret == NULL || window == NULL)
    return;
  settings = g_settings_new (APP_ID);
  timeout = g_settings_get_uint (settings, "clipboard-timeout");
  if (ttl > 0 && (timeout == 0 || (guint) ttl < timeout))
    timeout = ttl;
  ph_clipboard_copy_secret (GTK_WIDGET (self), secret, timeout);
  message = timeout ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Password copied, cleared in %u second",
                                                    "Password copied, cleared in %u seconds", timeout), timeout)
                    : g_strdup (_("Password copied"));
  ph_window_toast (window, message);
}

/* History */

static void
history_revealed (PhEntryView *self,
                  PhSecret    *secret,
                  int          ttl,
                  gpointer     data)
{
  AdwActionRow *row = data;
  g_autofree char *text = NULL;

  if (secret == NULL || g_ptr_array_find (self->dynamic_rows, row, NULL) == FALSE)
    return;
  text = g_strndup ((const char *) ph_secret_get_data (secret), ph_secret_get_length (secret));
  adw_action_row_set_subtitle (row, text);
  gtk_widget_add_css_class (GTK_WIDGET (row), "monospace");
  memset (text, 0, strlen (text));
}

static void
on_history_reveal_clicked (GtkButton   *button,
                           PhEntryView *self)
{
  AdwActionRow *row = g_object_get_data (G_OBJECT (button), "row");
  g_autofree char *field = g_strdup_printf ("history:%u",
                                            GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "index")));

  fetch_secret (self, field, "reveal", history_revealed, row);
}

static void
on_open_url_clicked (GtkButton   *button,
                     PhEntryView *self)
{
  const char *url = g_object_get_data (G_OBJECT (button), "url");
  g_autofree char *uri = strstr (url, "://") ? g_strdup (url) : g_strconcat ("https://", url, NULL);
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  gtk_show_uri (GTK_WINDOW (root), uri, GDK_CURRENT_TIME);
}

/* Building the rows of one entry */

static void
clear_dynamic_rows (PhEntryView *self)
{
  for (guint i = 0; i + 1 < self->dynamic_rows->len; i += 2)
    adw_preferences_group_remove (g_ptr_array_index (self->dynamic_rows, i + 1),
                                  g_ptr_array_index (self->dynamic_rows, i));
  g_ptr_array_set_size (self->dynamic_rows, 0);
}

static AdwActionRow *
add_row (PhEntryView         *self,
         AdwPreferencesGroup *group,
         const char          *title,
         const char          *subtitle)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  gtk_widget_add_css_class (row, "property");
  adw_preferences_group_add (group, row);
  g_ptr_array_add (self->dynamic_rows, row);
  g_ptr_array_add (self->dynamic_rows, group);
  return ADW_ACTION_ROW (row);
}

static GtkWidget *
add_suffix_button (AdwActionRow *row,
                   const char   *icon,
                   const char   *label)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (button, "flat");
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  adw_action_row_add_suffix (row, button);
  return button;
}

static const char *
sensitivity_label (PhSensitivity sensitivity)
{
  switch (sensitivity)
    {
    case PH_SENSITIVITY_LOW: return _("Low");
    case PH_SENSITIVITY_HIGH: return _("High");
    case PH_SENSITIVITY_CRITICAL: return _("Critical");
    case PH_SENSITIVITY_NORMAL:
    default: return _("Normal");
    }
}

static void
update_actions (PhEntryView *self)
{
  PhWindow *window = get_window (self);
  gboolean has = self->entry != NULL;
  const char * const actions[] = { "win.copy-username", "win.edit-entry", "win.delete-entry", "win.toggle-favorite" };

  if (window == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (window), actions[i], has);
  gtk_widget_action_set_enabled (GTK_WIDGET (window), "win.copy-password", has && ph_entry_has_password (self->entry));
  gtk_widget_action_set_enabled (GTK_WIDGET (window), "win.reveal", has && ph_entry_has_password (self->entry));
  gtk_widget_action_set_enabled (GTK_WIDGET (window), "win.copy-otp", has && ph_entry_has_otp (self->entry));
  gtk_widget_action_set_enabled (GTK_WIDGET (window), "win.open-url",
                                 has && ph_entry_get_urls (self->entry) && ph_entry_get_urls (self->entry)[0]);
}

void
ph_entry_view_set_entry (PhEntryView *self,
                         PhEntry     *entry)
{
  g_autoptr(PhEntry) keep = entry ? g_object_ref (entry) : NULL;
  const char * const *urls, * const *tags;
  g_auto(GStrv) field_names = NULL;
  guint n_history;

  g_set_object (&self->entry, entry);
  clear_dynamic_rows (self);
  self->otp_row = NULL;
  hide_password (self);
  update_actions (self);
  if (entry == NULL)
    {
      adw_window_title_set_title (self->window_title, "");
      gtk_stack_set_visible_child_name (self->stack, "empty");
      return;
    }

  adw_window_title_set_title (self->window_title, ph_entry_get_title (entry));
  adw_window_title_set_subtitle (self->window_title, ph_entry_get_folder (entry));
  adw_preferences_group_set_title (self->main_group, ph_entry_get_title (entry));
  adw_action_row_set_subtitle (self->username_row, *ph_entry_get_username (entry) ? ph_entry_get_username (entry) : _("None"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->reveal_button), ph_entry_has_password (entry));
  self->updating = TRUE;
  gtk_toggle_button_set_active (self->favorite_button, ph_entry_get_favorite (entry));
  gtk_button_set_icon_name (GTK_BUTTON (self->favorite_button),
                            ph_entry_get_favorite (entry) ? "starred-symbolic" : "non-starred-symbolic");
  self->updating = FALSE;

  if (ph_entry_has_otp (entry) && get_window (self))
    {
      GtkWidget *row = ph_otp_row_new (ph_window_get_agent (get_window (self)), ph_entry_get_id (entry));

      adw_preferences_group_add (self->main_group, row);
      g_ptr_array_add (self->dynamic_rows, row);
      g_ptr_array_add (self->dynamic_rows, self->main_group);
      self->otp_row = PH_OTP_ROW (row);
    }

  urls = ph_entry_get_urls (entry);
  gtk_widget_set_visible (GTK_WIDGET (self->urls_group), urls && urls[0]);
  for (guint i = 0; urls && urls[i]; i++)
    {
      AdwActionRow *row = add_row (self, self->urls_group, _("Website"), urls[i]);
      GtkWidget *open = add_suffix_button (row, "web-browser-symbolic", _("Open Website"));

      g_object_set_data_full (G_OBJECT (open), "url", g_strdup (urls[i]), g_free);
      g_signal_connect (open, "clicked", G_CALLBACK (on_open_url_clicked), self);
    }

  if (*ph_entry_get_folder (entry))
    add_row (self, self->details_group, _("Folder"), ph_entry_get_folder (entry));
  tags = ph_entry_get_tags (entry);
  if (tags && tags[0])
    {
      g_autofree char *joined = g_strjoinv (", ", (char **) tags);

      add_row (self, self->details_group, _("Tags"), joined);
    }
  field_names = ph_entry_dup_field_names (entry);
  for (guint i = 0; field_names && field_names[i]; i++)
    add_row (self, self->details_group, field_names[i],
             ph_entry_field_is_protected (entry, field_names[i]) ? HIDDEN_PASSWORD
                                                                  : ph_entry_get_field (entry, field_names[i]));
  if (*ph_entry_get_notes (entry))
    add_row (self, self->details_group, _("Notes"), ph_entry_get_notes (entry));
  add_row (self, self->details_group, _("Sensitivity"), sensitivity_label (ph_entry_get_sensitivity (entry)));
  if (ph_entry_get_rotation_due (entry))
    {
      g_autofree char *due = ph_format_time (ph_entry_get_rotation_due (entry));

      add_row (self, self->details_group, _("Rotate By"), due);
    }
  {
    g_autofree char *modified = ph_format_time (ph_entry_get_modified (entry));
    g_autofree char *created = ph_format_time (ph_entry_get_created (entry));

    add_row (self, self->details_group, _("Modified"), modified);
    add_row (self, self->details_group, _("Created"), created);
  }

  n_history = ph_entry_get_n_history (entry);
  gtk_widget_set_visible (GTK_WIDGET (self->history_group), n_history > 0);
  for (guint i = n_history; i-- > 0;)
    {
      g_autofree char *when = ph_format_time (ph_entry_get_history_time (entry, i));
      g_autofree char *title = g_strdup_printf (_("Replaced %s"), when);
      AdwActionRow *row = add_row (self, self->history_group, title, HIDDEN_PASSWORD);
      GtkWidget *reveal = add_suffix_button (row, "view-reveal-symbolic", _("Show Earlier Password"));

      g_object_set_data (G_OBJECT (reveal), "row", row);
      g_object_set_data (G_OBJECT (reveal), "index", GUINT_TO_POINTER (i));
      g_signal_connect (reveal, "clicked", G_CALLBACK (on_history_reveal_clicked), self);
    }
  gtk_stack_set_visible_child_name (self->stack, "entry");
}

static void
favorite_done (GObject      *object,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(PhEntryView) self = data;
  g_autoptr(GError) error = NULL;

  if (!ph_dbus_agent1_call_edit_entry_finish (PH_DBUS_AGENT1 (object), result, &error) && get_window (self))
    ph_window_show_error (get_window (self), error);
}

static void
on_favorite_clicked (PhEntryView *self)
{
  PhWindow *window = get_window (self);
  GVariantBuilder attributes;
  gboolean favorite;

  if (self->updating || self->entry == NULL || window == NULL)
    return;
  favorite = gtk_toggle_button_get_active (self->favorite_button);
  gtk_button_set_icon_name (GTK_BUTTON (self->favorite_button), favorite ? "starred-symbolic" : "non-starred-symbolic");
  g_variant_builder_init (&attributes, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&attributes, "{sv}", "favorite", g_variant_new_boolean (favorite));
  ph_dbus_agent1_call_edit_entry (ph_window_get_agent (window), ph_entry_get_id (self->entry),
                                  g_variant_builder_end (&attributes), ph_text_to_bytes_variant (""), NULL,
                                  favorite_done, g_object_ref (self));
}

static void
on_back_clicked (PhEntryView *self)
{
  GtkWidget *leaflet = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_LEAFLET);

  if (leaflet)
    adw_leaflet_navigate (ADW_LEAFLET (leaflet), ADW_NAVIGATION_DIRECTION_BACK);
}

/* The window's entry actions (menu items, shortcuts, buttons) land here. */
void
ph_entry_view_activate (PhEntryView *self,
                        const char  *action)
{
  PhWindow *window = get_window (self);

  if (self->entry == NULL || window == NULL)
    return;
  if (g_str_equal (action, "copy-password"))
    fetch_secret (self, "password", "copy", copied, NULL);
  else if (g_str_equal (action, "copy-username"))
    {
      ph_clipboard_copy_text (GTK_WIDGET (self), ph_entry_get_username (self->entry));
      ph_window_toast (window, _("Username copied"));
    }
  else if (g_str_equal (action, "copy-otp") && self->otp_row)
    ph_otp_row_copy (self->otp_row);
  else if (g_str_equal (action, "reveal"))
    gtk_toggle_button_set_active (self->reveal_button, !gtk_toggle_button_get_active (self->reveal_button));
  else if (g_str_equal (action, "edit-entry"))
    gtk_window_present (GTK_WINDOW (ph_entry_editor_new (window, self->entry)));
  else if (g_str_equal (action, "delete-entry"))
    ph_window_delete_entry (window, ph_entry_get_id (self->entry));
  else if (g_str_equal (action, "toggle-favorite"))
    gtk_toggle_button_set_active (self->favorite_button, !gtk_toggle_button_get_active (self->favorite_button));
  else if (g_str_equal (action, "open-url") && ph_entry_get_urls (self->entry) && ph_entry_get_urls (self->entry)[0])
    {
      const char *url = ph_entry_get_urls (self->entry)[0];
      g_autofree char *uri = strstr (url, "://") ? g_strdup (url) : g_strconcat ("https://", url, NULL);

      gtk_show_uri (GTK_WINDOW (window), uri, GDK_CURRENT_TIME);
    }
}

static void
ph_entry_view_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  PhEntryView *self = PH_ENTRY_VIEW (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      g_value_set_boolean (value, self->folded);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ph_entry_view_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  PhEntryView *self = PH_ENTRY_VIEW (object);

  switch (prop_id)
    {
    case PROP_FOLDED:
      self->folded = g_value_get_boolean (value);
      g_object_notify_by_pspec (object, pspec);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ph_entry_view_root (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (ph_entry_view_parent_class)->root (widget);
  update_actions (PH_ENTRY_VIEW (widget));
}

static void
ph_entry_view_dispose (GObject *object)
{
  PhEntryView *self = PH_ENTRY_VIEW (object);

  g_clear_handle_id (&self->hide_source, g_source_remove);
  g_clear_object (&self->entry);
  gtk_widget_dispose_template (GTK_WIDGET (self), PH_TYPE_ENTRY_VIEW);
  G_OBJECT_CLASS (ph_entry_view_parent_class)->dispose (object);
}

static void
ph_entry_view_finalize (GObject *object)
{
  PhEntryView *self = PH_ENTRY_VIEW (object);

  g_ptr_array_unref (self->dynamic_rows);
  G_OBJECT_CLASS (ph_entry_view_parent_class)->finalize (object);
}

static void
ph_entry_view_class_init (PhEntryViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ph_entry_view_dispose;
  object_class->finalize = ph_entry_view_finalize;
  object_class->get_property = ph_entry_view_get_property;
  object_class->set_property = ph_entry_view_set_property;
  widget_class->root = ph_entry_view_root;

  properties[PROP_FOLDED] =
    g_param_spec_boolean ("folded", NULL, NULL, FALSE, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/perihelion/AuthManager/ph-entry-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PhEntryView, box);
  gtk_widget_class_bind_template_child (widget_class, PhEntryView, window_title);
  gtk_widget_class_bind_template_child (widget_class, PhEntryView, favorite_button);
  gtk_widget_class_bind_template_child (widget_class, PhEntryView, stack);
  gtk_widget_class_bind_template_child (widget_class, PhEntryView, page);
  gtk_widget_class_bind_template_child (widget_class, PhEntryView, main_group);
  gtk_widget_class_bind_template_child (widget_class, PhEntryView, username_row);
  gtk_widget_class_bind_template_child (widget_class, PhEntryView, password_row);
  gtk_widget_class_bind_template_child (widget_class, PhEntryView, reveal_button);
  gtk_widget_class_bind_template_child (widget_class, PhEntryView, urls_group);
  gtk_widget_class_bind_template_child (widget_class, PhEntryView, details_group);
  gtk_widget_class_bind_template_child (widget_class, PhEntryView, history_group);
  gtk_widget_class_bind_template_callback (widget_class, on_reveal_toggled);
  gtk_widget_class_bind_template_callback (widget_class, on_favorite_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);
}

static void
ph_entry_view_init (PhEntryView *self)
{
  self->dynamic_rows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  hide_password (self);
}
