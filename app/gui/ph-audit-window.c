/* ph-audit-window.c: the audit log: filter, verify, export.
 *
 * Records come from the agent (GetAuditRecords: this vault's JSON lines, newest last) and are
 * shown newest first. Verifying asks the agent to check the whole chain with the vault's audit
 * key; the answer names the first broken record. Export writes the lines as they are (JSON
 * lines, for a SIEM). A record holds no secret, so none of this needs the gate's reveal.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include <glib/gi18n.h>

#include "ph-audit-window.h"
#include "ph-gui-util.h"

enum
{
  COLUMN_TIME,
  COLUMN_SUBJECT,
  COLUMN_ACTION,
  COLUMN_ENTRY,
  COLUMN_DECISION,
  COLUMN_REASON,
  N_COLUMNS
};

/* One record, parsed once. */
typedef struct
{
  char *fields[N_COLUMNS];
  char *line;
  gint64 time;
} Record;

struct _PhAuditWindow
{
  AdwWindow parent_instance;

  PhWindow *window;
  GListStore *records;          /* GtkStringObject (the JSON line), newest first */
  GHashTable *parsed;           /* line -> Record */
  GtkFilterListModel *filtered;
  GtkCustomFilter *filter;

  AdwToastOverlay *toast_overlay;
  AdwWindowTitle *window_title;
  GtkButton *verify_button;
  GtkRevealer *result_revealer;
  GtkBox *result_box;
  GtkImage *result_icon;
  GtkLabel *result_label;
  GtkSearchEntry *filter_entry;
  GtkDropDown *decision_dropdown;
  GtkDropDown *time_dropdown;
  GtkDropDown *agent_dropdown;   /* Every Caller, All AI Agents, then each AI agent by name */
  GtkStringList *agents;
  GtkColumnView *records_view;
};

G_DEFINE_FINAL_TYPE (PhAuditWindow, ph_audit_window, ADW_TYPE_WINDOW)

static void
record_free (gpointer data)
{
  Record *record = data;

  for (guint i = 0; i < N_COLUMNS; i++)
    g_free (record->fields[i]);
  g_free (record);
}

static Record *
record_parse (const char *line)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  Record *record = g_new0 (Record, 1);
  JsonObject *object, *target;
  JsonNode *root;

  record->line = (char *) line;
  if (!json_parser_load_from_data (parser, line, -1, NULL) || !(root = json_parser_get_root (parser)) ||
      !JSON_NODE_HOLDS_OBJECT (root))
    {
      record->fields[COLUMN_REASON] = g_strdup (_("(not a record)"));
      return record;
    }
  object = json_node_get_object (root);
  {
    const char *iso = json_object_get_string_member_with_default (object, "time", "");
    g_autoptr(GDateTime) utc = g_date_time_new_from_iso8601 (iso, NULL);
    g_autoptr(GDateTime) local = utc ? g_date_time_to_local (utc) : NULL;

    record->time = utc ? g_date_time_to_unix (utc) * G_USEC_PER_SEC : 0;
    record->fields[COLUMN_TIME] = local ? g_date_time_format (local, "%Y-%m-%d %H:%M:%S") : g_strdup (iso);
  }
  record->fields[COLUMN_SUBJECT] = g_strdup (json_object_get_string_member_with_default (object, "subject", ""));
  record->fields[COLUMN_ACTION] = g_strdup (json_object_get_string_member_with_default (object, "action", ""));
  target = json_object_get_object_member (object, "object");
  if (target && json_object_has_member (target, "title"))
    record->fields[COLUMN_ENTRY] = g_strdup (json_object_get_string_member_with_default (target, "title", ""));
  else if (target)
    record->fields[COLUMN_ENTRY] = g_strdup (json_object_get_string_member_with_default (target, "id", ""));
  else if (json_object_has_member (object, "object") &&
           JSON_NODE_HOLDS_VALUE (json_object_get_member (object, "object")))
    record->fields[COLUMN_ENTRY] = g_strdup (json_object_get_string_member_with_default (object, "object", ""));
  record->fields[COLUMN_DECISION] = g_strdup (json_object_get_string_member_with_default (object, "decision", ""));
  record->fields[COLUMN_REASON] = g_strdup (json_object_get_string_member_with_default (object, "reason", ""));
  return record;
}

static Record *
lookup_record (PhAuditWindow   *self,
               GtkStringObject *item)
{
  const char *line = gtk_string_object_get_string (item);
  Record *record = g_hash_table_lookup (self->parsed, line);

  if (record == NULL)
    {
      record = record_parse (line);
      g_hash_table_insert (self->parsed, (gpointer) line, record);
    }
  return record;
}

static gboolean
filter_record (gpointer item,
               gpointer data)
{
  PhAuditWindow *self = data;
  Record *record = lookup_record (self, item);
  const char *text = gtk_editable_get_text (GTK_EDITABLE (self->filter_entry));
  guint decision = gtk_drop_down_get_selected (self->decision_dropdown);
  guint period = gtk_drop_down_get_selected (self->time_dropdown);
  static const gint64 periods[] = { 0, G_TIME_SPAN_HOUR, G_TIME_SPAN_DAY, 7 * G_TIME_SPAN_DAY };

  guint agent = gtk_drop_down_get_selected (self->agent_dropdown);

  if (agent == 1 && !g_str_has_prefix (record->fields[COLUMN_SUBJECT], "agent:"))
    return FALSE;
  if (agent >= 2 && agent != GTK_INVALID_LIST_POSITION &&
      (!g_str_has_prefix (record->fields[COLUMN_SUBJECT], "agent:") ||
       g_strcmp0 (record->fields[COLUMN_SUBJECT] + strlen ("agent:"),
                  gtk_string_list_get_string (self->agents, agent)) != 0))
    return FALSE;
  if (decision == 1 && g_strcmp0 (record->fields[COLUMN_DECISION], "allow") != 0)
    return FALSE;
  if (decision == 2 && g_strcmp0 (record->fields[COLUMN_DECISION], "deny") != 0)
    return FALSE;
  if (period > 0 && period < G_N_ELEMENTS (periods) && record->time < g_get_real_time () - periods[period])
    return FALSE;
  if (*text)
    {
      g_autofree char *folded_text = g_utf8_casefold (text, -1);

      for (guint i = 0; i < N_COLUMNS; i++)
        if (record->fields[i])
          {
            g_autofree char *folded = g_utf8_casefold (record->fields[i], -1);

            if (strstr (folded, folded_text))
              return TRUE;
          }
      return FALSE;
    }
  return TRUE;
}

static void
update_title (PhAuditWindow *self)
{
  guint shown = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));
  guint total = g_list_model_get_n_items (G_LIST_MODEL (self->records));
  g_autofree char *subtitle = g_strdup_printf (_("%u of %u records"), shown, total);

  adw_window_title_set_subtitle (self->window_title, subtitle);
}

static void
on_filter_changed (PhAuditWindow *self)
{
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_title (self);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

/* The AI agents the log names, each a choice of the agent filter (the choice kept on reload). */
static void
update_agents (PhAuditWindow *self)
{
  guint selected = gtk_drop_down_get_selected (self->agent_dropdown);
  g_autofree char *kept = selected >= 2 && selected != GTK_INVALID_LIST_POSITION
                          ? g_strdup (gtk_string_list_get_string (self->agents, selected)) : NULL;
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->records));

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GtkStringObject) item = g_list_model_get_item (G_LIST_MODEL (self->records), i);
      Record *record = lookup_record (self, item);
      const char *subject = record->fields[COLUMN_SUBJECT];

      if (subject && g_str_has_prefix (subject, "agent:") && g_hash_table_add (seen, (gpointer) (subject + 6)))
        g_ptr_array_add (names, (gpointer) (subject + 6));
    }
  g_ptr_array_sort (names, compare_names);
  g_ptr_array_add (names, NULL);
  gtk_string_list_splice (self->agents, 2, g_list_model_get_n_items (G_LIST_MODEL (self->agents)) - 2,
                          (const char * const *) names->pdata);
  if (kept)
    {
      guint index = 0;

      for (guint i = 0; names->pdata[i]; i++)
        if (g_str_equal (names->pdata[i], kept))
          index = i + 2;
      gtk_drop_down_set_selected (self->agent_dropdown, index);
    }
}

static void
records_done (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(PhAuditWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_object_unref);
  guint n;

  if (!ph_dbus_agent1_call_get_audit_records_finish (PH_DBUS_AGENT1 (object), &lines, result, &error))
    {
      g_autofree char *message = ph_error_dup_message (error);

      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
      return;
    }
  n = g_strv_length (lines);
  for (guint i = n; i-- > 0;)
    g_ptr_array_add (items, gtk_string_object_new (lines[i]));
  g_hash_table_remove_all (self->parsed);
  g_list_store_splice (self->records, 0, g_list_model_get_n_items (G_LIST_MODEL (self->records)),
                       items->pdata, items->len);
  update_agents (self);
  update_title (self);
}

static void
reload (PhAuditWindow *self)
{
  ph_dbus_agent1_call_get_audit_records (ph_window_get_agent (self->window), 0, 0, NULL, records_done,
                                         g_object_ref (self));
}

static void
reload_action (GtkWidget  *widget,
               const char *action,
               GVariant   *parameter)
{
  reload (PH_AUDIT_WINDOW (widget));
}

static void
verify_done (GObject      *object,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(PhAuditWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  gboolean intact = FALSE;

  gtk_widget_set_sensitive (GTK_WIDGET (self->verify_button), TRUE);
  if (!ph_dbus_agent1_call_verify_audit_finish (PH_DBUS_AGENT1 (object), &intact, &message, result, &error))
    message = ph_error_dup_message (error);
  gtk_image_set_from_icon_name (self->result_icon, intact ? "emblem-ok-symbolic" : "dialog-warning-symbolic");
  if (intact)
    {
      g_autofree char *text = g_strdup_printf (_("The log is intact: %s"), message);

      gtk_label_set_text (self->result_label, text);
    }
  else
    gtk_label_set_text (self->result_label, message);
  gtk_widget_remove_css_class (GTK_WIDGET (self->result_box), intact ? "error" : "success");
  gtk_widget_add_css_class (GTK_WIDGET (self->result_box), intact ? "success" : "error");
  gtk_revealer_set_reveal_child (self->result_revealer, TRUE);
  reload (self);
}

static void
on_verify_clicked (PhAuditWindow *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->verify_button), FALSE);
  ph_dbus_agent1_call_verify_audit (ph_window_get_agent (self->window), NULL, verify_done, g_object_ref (self));
}

static void
on_export_response (GtkNativeDialog *dialog,
                    int              response,
                    PhAuditWindow   *self)
{
  g_autoptr(GFile) file = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (self->filtered));

  if (response == GTK_RESPONSE_ACCEPT && (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))))
    {
      /* Oldest first, as the log itself is written. */
      for (guint i = n; i-- > 0;)
        {
          g_autoptr(GtkStringObject) item = g_list_model_get_item (G_LIST_MODEL (self->filtered), i);

          g_string_append (text, gtk_string_object_get_string (item));
          g_string_append_c (text, '\n');
        }
      if (!g_file_replace_contents (file, text->str, text->len, NULL, FALSE, G_FILE_CREATE_PRIVATE, NULL, NULL, &error))
        adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (error->message));
      else
        {
          g_autofree char *message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Exported %u record",
                                                                   "Exported %u records", n), n);

          adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
        }
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
on_export_clicked (PhAuditWindow *self)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (_("Export Audit Records"), GTK_WINDOW (self),
                                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"),
                                                               _("_Cancel"));

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), "perihelion-audit.jsonl");
  g_signal_connect (chooser, "response", G_CALLBACK (on_export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  data)
{
  PhAuditWindow *self = g_object_get_data (G_OBJECT (factory), "ph-window");
  Record *record = lookup_record (self, gtk_list_item_get_item (item));
  guint column = GPOINTER_TO_UINT (data);
  GtkWidget *label = gtk_list_item_get_child (item);
  const char *text = record->fields[column] ? record->fields[column] : "";

  gtk_label_set_text (GTK_LABEL (label), text);
  gtk_widget_set_tooltip_text (label, column == COLUMN_REASON ? text : NULL);
  if (column == COLUMN_DECISION && g_str_equal (text, "deny"))
    gtk_widget_add_css_class (label, "error");
  else
    gtk_widget_remove_css_class (label, "error");
}

static void
add_columns (PhAuditWindow *self)
{
  const char *titles[N_COLUMNS] = {
    C_("audit column", "Time"), C_("audit column", "Program"), C_("audit column", "Action"),
    C_("audit column", "Entry"), C_("audit column", "Decision"), C_("audit column", "Rule"),
  };

  for (guint i = 0; i < N_COLUMNS; i++)
    {
      GtkColumnViewColumn *column;

      ph_column_view_add_text_column (self->records_view, titles[i], G_CALLBACK (bind_cell), GUINT_TO_POINTER (i),
                                      i == COLUMN_REASON);
      /* The cells find the window (and its parsed records) through their factory. */
      column = g_list_model_get_item (gtk_column_view_get_columns (self->records_view), i);
      g_object_set_data (G_OBJECT (gtk_column_view_column_get_factory (column)), "ph-window", self);
      g_object_unref (column);
    }
}

static void
ph_audit_window_dispose (GObject *object)
{
  PhAuditWindow *self = PH_AUDIT_WINDOW (object);

  g_clear_object (&self->window);
  G_OBJECT_CLASS (ph_audit_window_parent_class)->dispose (object);
}

static void
ph_audit_window_finalize (GObject *object)
{
  PhAuditWindow *self = PH_AUDIT_WINDOW (object);

  g_clear_object (&self->filtered);
  g_clear_object (&self->records);
  g_clear_pointer (&self->parsed, g_hash_table_unref);
  G_OBJECT_CLASS (ph_audit_window_parent_class)->finalize (object);
}

static void
focus_filter (GtkWidget  *widget,
              const char *action,
              GVariant   *parameter)
{
  gtk_widget_grab_focus (GTK_WIDGET (PH_AUDIT_WINDOW (widget)->filter_entry));
}

static void
ph_audit_window_class_init (PhAuditWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ph_audit_window_dispose;
  object_class->finalize = ph_audit_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perihelion/AuthManager/ph-audit-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PhAuditWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PhAuditWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, PhAuditWindow, verify_button);
  gtk_widget_class_bind_template_child (widget_class, PhAuditWindow, result_revealer);
  gtk_widget_class_bind_template_child (widget_class, PhAuditWindow, result_box);
  gtk_widget_class_bind_template_child (widget_class, PhAuditWindow, result_icon);
  gtk_widget_class_bind_template_child (widget_class, PhAuditWindow, result_label);
  gtk_widget_class_bind_template_child (widget_class, PhAuditWindow, filter_entry);
  gtk_widget_class_bind_template_child (widget_class, PhAuditWindow, decision_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PhAuditWindow, time_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PhAuditWindow, agent_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PhAuditWindow, agents);
  gtk_widget_class_bind_template_child (widget_class, PhAuditWindow, records_view);
  gtk_widget_class_bind_template_callback (widget_class, on_verify_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_export_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_filter_changed);

  gtk_widget_class_install_action (widget_class, "audit.reload", NULL, reload_action);
  gtk_widget_class_install_action (widget_class, "audit.focus-filter", NULL, focus_filter);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_F5, 0, "audit.reload", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "audit.focus-filter", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
ph_audit_window_init (PhAuditWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->records = g_list_store_new (GTK_TYPE_STRING_OBJECT);
  self->parsed = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, record_free);
  self->filter = gtk_custom_filter_new (filter_record, self, NULL);
  self->filtered = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->records)), GTK_FILTER (self->filter));
  gtk_column_view_set_model (self->records_view,
                             GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->filtered)))));
  add_columns (self);
  ph_accessible_name_internals (GTK_WIDGET (self));
}

PhAuditWindow *
ph_audit_window_new (PhWindow *window)
{
  PhAuditWindow *self = g_object_new (PH_TYPE_AUDIT_WINDOW, "transient-for", window, NULL);

  self->window = g_object_ref (window);
  reload (self);
  return self;
}
