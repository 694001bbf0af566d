/* ph-policy-window.c: the access policy: rules as a table, the Casbin text, a dry run.
 *
 * The text is the truth: the table shows the policy text's rule lines and edits them in place,
 * so comments and order survive. Every change is checked by loading the draft into core's
 * decision point, the same engine the agent runs; an error names its line, which is
 * highlighted. "Try a request" decides against the draft without opening or recording
 * anything. Saving sends the draft to the agent, where it is an admin-policy request: gated
 * (the default policy wants the master password from the last five minutes) and audited.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ph-csv.h"
#include "ph-gui-util.h"
#include "ph-pdp.h"
#include "ph-policy-window.h"

enum
{
  COLUMN_TYPE,
  COLUMN_SUB,
  COLUMN_OBJ,
  COLUMN_ACT,
  COLUMN_COND,
  COLUMN_EFT,
  COLUMN_OBLIGATIONS,
  N_COLUMNS
};

struct _PhPolicyWindow
{
  AdwWindow parent_instance;

  PhWindow *window;
  PhPdp *draft;                 /* the draft, when it loads */
  GtkStringList *rules;         /* one item per rule line: "LINE\tTEXT" */
  GtkSingleSelection *selection;
  GtkTextTag *error_tag;
  gboolean loading;

  AdwToastOverlay *toast_overlay;
  GtkButton *save_button;
  GtkLabel *error_label;
  AdwViewStack *view_stack;
  GtkColumnView *rules_view;
  GtkEntry *sub_entry;
  GtkEntry *obj_entry;
  GtkEntry *act_entry;
  GtkEntry *cond_entry;
  GtkDropDown *eft_dropdown;
  GtkEntry *obl_entry;
  GtkTextView *model_view;
  GtkTextView *policy_view;
  AdwEntryRow *try_subject_row;
  AdwComboRow *try_action_row;
  AdwEntryRow *try_object_row;
  AdwActionRow *try_result_row;
  AdwActionRow *try_rule_row;
};

G_DEFINE_FINAL_TYPE (PhPolicyWindow, ph_policy_window, ADW_TYPE_WINDOW)

static char *
buffer_text (GtkTextView *view)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (view);
  GtkTextIter start, end;

  gtk_text_buffer_get_bounds (buffer, &start, &end);
  return gtk_text_buffer_get_text (buffer, &start, &end, FALSE);
}

/* A rule line's fields: "p, sub, obj, act, cond, eft, obligations", trimmed as Casbin does. */
static GStrv
rule_fields (const char *line)
{
  g_autoptr(GPtrArray) rows = ph_csv_parse (line, strlen (line), NULL);
  GStrv fields;

  if (rows == NULL || rows->len == 0)
    return g_new0 (char *, 1);
  fields = g_strdupv (g_ptr_array_index (rows, 0));
  for (guint i = 0; fields[i]; i++)
    g_strstrip (fields[i]);
  return fields;
}

static void
rebuild_rules (PhPolicyWindow *self)
{
  g_autofree char *policy = buffer_text (self->policy_view);
  g_auto(GStrv) lines = g_strsplit (policy, "\n", -1);
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_free);

  for (guint i = 0; lines[i]; i++)
    {
      const char *line = lines[i];

      while (*line == ' ' || *line == '\t')
        line++;
      if (*line == '\0' || *line == '#')
        continue;
      g_ptr_array_add (items, g_strdup_printf ("%u\t%s", i, line));
    }
  g_ptr_array_add (items, NULL);
  gtk_string_list_splice (self->rules, 0, g_list_model_get_n_items (G_LIST_MODEL (self->rules)),
                          (const char * const *) items->pdata);
}

static void
show_error (PhPolicyWindow *self,
            const GError   *error)
{
  GtkTextBuffer *model = gtk_text_view_get_buffer (self->model_view);
  GtkTextBuffer *policy = gtk_text_view_get_buffer (self->policy_view);
  GtkTextIter start, end;
  guint line = 0;

  gtk_text_buffer_get_bounds (model, &start, &end);
  gtk_text_buffer_remove_tag_by_name (model, "error", &start, &end);
  gtk_text_buffer_get_bounds (policy, &start, &end);
  gtk_text_buffer_remove_tag_by_name (policy, "error", &start, &end);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), error != NULL);
  if (error == NULL)
    return;
  gtk_label_set_text (self->error_label, error->message);

  /* "Model line N: …" or "Policy line N: …": mark that line. */
  if (sscanf (error->message, "Model line %u", &line) == 1 && line > 0)
    {
      gtk_text_buffer_get_iter_at_line (model, &start, line - 1);
      end = start;
      gtk_text_iter_forward_to_line_end (&end);
      gtk_text_buffer_apply_tag_by_name (model, "error", &start, &end);
    }
  else if (sscanf (error->message, "Policy line %u", &line) == 1 && line > 0)
    {
      gtk_text_buffer_get_iter_at_line (policy, &start, line - 1);
      end = start;
      gtk_text_iter_forward_to_line_end (&end);
      gtk_text_buffer_apply_tag_by_name (policy, "error", &start, &end);
    }
}

static void decide (PhPolicyWindow *self);

static void
validate (PhPolicyWindow *self)
{
  g_autofree char *model = buffer_text (self->model_view);
  g_autofree char *policy = buffer_text (self->policy_view);
  g_autoptr(GError) error = NULL;

  g_clear_object (&self->draft);
  self->draft = ph_pdp_new (model, policy, &error);
  show_error (self, error);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), self->draft != NULL && !self->loading);
  decide (self);
}

static void
on_text_changed (PhPolicyWindow *self)
{
  if (self->loading)
    return;
  rebuild_rules (self);
  validate (self);
}

/* The dry run */

static void
decide (PhPolicyWindow *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSubject) subject = NULL;
  g_autofree char *obligations = NULL;
  g_autofree char *result = NULL;
  const char *object = gtk_editable_get_text (GTK_EDITABLE (self->try_object_row));
  GObject *action_item = adw_combo_row_get_selected_item (self->try_action_row);
  PhDecision decision = { 0 };
  PhAccessRequest request = { 0 };
  PhAction action = PH_ACTION_REVEAL;

  if (self->draft == NULL)
    {
      adw_action_row_set_subtitle (self->try_result_row, _("The policy does not load"));
      adw_action_row_set_subtitle (self->try_rule_row, "");
      return;
    }
  if (!(subject = ph_subject_new_from_spec (gtk_editable_get_text (GTK_EDITABLE (self->try_subject_row)), &error)))
    {
      adw_action_row_set_subtitle (self->try_result_row, error->message);
      adw_action_row_set_subtitle (self->try_rule_row, "");
      return;
    }
  if (action_item)
    ph_action_from_string (gtk_string_object_get_string (GTK_STRING_OBJECT (action_item)), &action);
  request.subject = subject;
  request.action = action;
  if (*object)
    {
      PhEntryList *entries = ph_window_get_entries (self->window);
      PhEntry *entry = ph_entry_list_lookup (entries, object);

      for (guint i = 0; entry == NULL && i < g_list_model_get_n_items (G_LIST_MODEL (entries)); i++)
        {
          g_autoptr(PhEntry) candidate = g_list_model_get_item (G_LIST_MODEL (entries), i);

          if (g_strcmp0 (ph_entry_get_title (candidate), object) == 0)
            entry = candidate;
        }
      if (entry == NULL)
        {
          adw_action_row_set_subtitle (self->try_result_row, _("No entry has that title or id"));
          adw_action_row_set_subtitle (self->try_rule_row, "");
          return;
        }
      request.entry = entry;
    }
  else
    request.object_id = action == PH_ACTION_ADMIN_POLICY ? "policy" : "vault";
  request.context.now = g_get_real_time ();
  request.context.session_start = request.context.now;
  request.context.present = TRUE;

  if (!ph_pdp_decide (self->draft, &request, &decision, &error))
    {
      adw_action_row_set_subtitle (self->try_result_row, error->message);
      adw_action_row_set_subtitle (self->try_rule_row, "");
      return;
    }
  obligations = ph_decision_dup_obligations (&decision);
  result = decision.allowed ? (*obligations ? g_strdup_printf (_("Allowed, after: %s"), obligations)
                                            : g_strdup (_("Allowed")))
                            : g_strdup (_("Denied"));
  adw_action_row_set_subtitle (self->try_result_row, result);
  adw_action_row_set_subtitle (self->try_rule_row, decision.rule ? decision.rule : _("No rule matched"));
  ph_decision_clear (&decision);
}

/* Editing rules through the table */

static char *
rule_from_form (PhPolicyWindow *self)
{
  const char *fields[] = {
    "p",
    gtk_editable_get_text (GTK_EDITABLE (self->sub_entry)),
    gtk_editable_get_text (GTK_EDITABLE (self->obj_entry)),
    gtk_editable_get_text (GTK_EDITABLE (self->act_entry)),
    gtk_editable_get_text (GTK_EDITABLE (self->cond_entry)),
    gtk_drop_down_get_selected (self->eft_dropdown) == 1 ? "deny" : "allow",
    gtk_editable_get_text (GTK_EDITABLE (self->obl_entry)),
    NULL,
  };
  GString *line = g_string_new (NULL);

  if (!*fields[1] || !*fields[2] || !*fields[3])
    return NULL;
  ph_csv_append_row (line, fields);
  while (line->len && (line->str[line->len - 1] == '\n' || line->str[line->len - 1] == '\r'))
    g_string_truncate (line, line->len - 1);
  /* Casbin's own style: ", " between fields. */
  {
    g_autoptr(GString) spaced = g_string_new (NULL);
    gboolean quoted = FALSE;

    for (gsize i = 0; i < line->len; i++)
      {
        char c = line->str[i];

        if (c == '"')
          quoted = !quoted;
        g_string_append_c (spaced, c);
        if (c == ',' && !quoted)
          g_string_append_c (spaced, ' ');
      }
    g_string_free (line, TRUE);
    return g_string_free (g_steal_pointer (&spaced), FALSE);
  }
}

/* Replaces line @line of the policy text (-1: inserts before the first rule). */
static void
edit_policy_line (PhPolicyWindow *self,
                  int             line,
                  const char     *text)
{
  g_autofree char *policy = buffer_text (self->policy_view);
  g_auto(GStrv) lines = g_strsplit (policy, "\n", -1);
  g_autoptr(GPtrArray) out = g_ptr_array_new ();
  g_autofree char *joined = NULL;
  gboolean inserted = FALSE;

  for (guint i = 0; lines[i]; i++)
    {
      const char *trimmed = lines[i] + strspn (lines[i], " \t");

      if (line < 0 && !inserted && g_str_has_prefix (trimmed, "p"))
        {
          g_ptr_array_add (out, (gpointer) text);
          inserted = TRUE;
        }
      if ((int) i == line)
        {
          if (text)
            g_ptr_array_add (out, (gpointer) text);
          continue;
        }
      g_ptr_array_add (out, lines[i]);
    }
  if (line < 0 && !inserted)
    g_ptr_array_insert (out, 0, (gpointer) text);
  g_ptr_array_add (out, NULL);
  joined = g_strjoinv ("\n", (char **) out->pdata);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->policy_view), joined, -1);
}

static int
selected_line (PhPolicyWindow *self)
{
  GtkStringObject *item = gtk_single_selection_get_selected_item (self->selection);

  return item ? atoi (gtk_string_object_get_string (item)) : -1;
}

static void
on_add_rule_clicked (PhPolicyWindow *self)
{
  g_autofree char *rule = rule_from_form (self);

  if (rule == NULL)
    {
      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("A rule needs a subject, an object and an action")));
      return;
    }
  edit_policy_line (self, -1, rule);
  gtk_single_selection_set_selected (self->selection, 0);
}

static void
on_update_rule_clicked (PhPolicyWindow *self)
{
  g_autofree char *rule = rule_from_form (self);
  int line = selected_line (self);
  guint position = gtk_single_selection_get_selected (self->selection);

  if (rule == NULL || line < 0)
    return;
  edit_policy_line (self, line, rule);
  gtk_single_selection_set_selected (self->selection, position);
}

static void
on_remove_rule_clicked (PhPolicyWindow *self)
{
  int line = selected_line (self);

  if (line >= 0)
    edit_policy_line (self, line, NULL);
}

static void
on_rule_selected (PhPolicyWindow *self)
{
  GtkStringObject *item = gtk_single_selection_get_selected_item (self->selection);
  g_auto(GStrv) fields = NULL;
  GtkEntry *entries[] = { self->sub_entry, self->obj_entry, self->act_entry, self->cond_entry };

  if (item == NULL)
    return;
  fields = rule_fields (strchr (gtk_string_object_get_string (item), '\t') + 1);
  if (g_strv_length (fields) < 2 || !g_str_equal (fields[0], "p"))
    return;
  for (guint i = 0; i < G_N_ELEMENTS (entries); i++)
    gtk_editable_set_text (GTK_EDITABLE (entries[i]), fields[i + 1] && g_strv_length (fields) > i + 1 ? fields[i + 1] : "");
  gtk_drop_down_set_selected (self->eft_dropdown, g_strv_length (fields) > 5 && g_str_equal (fields[5], "deny"));
  gtk_editable_set_text (GTK_EDITABLE (self->obl_entry), g_strv_length (fields) > 6 ? fields[6] : "");
}

static void
bind_cell (GtkSignalListItemFactory *factory,
           GtkListItem              *item,
           gpointer                  column)
{
  GtkStringObject *string = gtk_list_item_get_item (item);
  g_auto(GStrv) fields = rule_fields (strchr (gtk_string_object_get_string (string), '\t') + 1);
  guint index = GPOINTER_TO_UINT (column);
  GtkLabel *label = GTK_LABEL (gtk_list_item_get_child (item));

  gtk_label_set_text (label, index < g_strv_length (fields) ? fields[index] : "");
  if (index == COLUMN_EFT && index < g_strv_length (fields) && g_str_equal (fields[index], "deny"))
    gtk_widget_add_css_class (GTK_WIDGET (label), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (label), "error");
}

static void
add_columns (PhPolicyWindow *self)
{
  const char *titles[N_COLUMNS] = {
    C_("policy column", "Type"), C_("policy column", "Subject"), C_("policy column", "Object"),
    C_("policy column", "Action"), C_("policy column", "Condition"), C_("policy column", "Effect"),
    C_("policy column", "Obligations"),
  };

  for (guint i = 0; i < N_COLUMNS; i++)
    ph_column_view_add_text_column (self->rules_view, titles[i], G_CALLBACK (bind_cell), GUINT_TO_POINTER (i),
                                    i == COLUMN_COND || i == COLUMN_OBJ);
}

/* Loading and saving */

static void
get_policy_done (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(PhPolicyWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *model = NULL;
  g_autofree char *policy = NULL;

  if (!ph_dbus_agent1_call_get_policy_finish (PH_DBUS_AGENT1 (object), &model, &policy, result, &error))
    {
      g_autofree char *message = ph_error_dup_message (error);

      adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
      return;
    }
  self->loading = TRUE;
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->model_view), model, -1);
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (self->policy_view), policy, -1);
  self->loading = FALSE;
  rebuild_rules (self);
  validate (self);
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), FALSE);
}

static void
set_policy_done (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(PhPolicyWindow) self = data;
  g_autoptr(GError) error = NULL;

  if (!ph_dbus_agent1_call_set_policy_finish (PH_DBUS_AGENT1 (object), result, &error))
    {
      g_autofree char *message = ph_error_dup_message (error);
      AdwToast *toast = adw_toast_new (message);

      adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
      adw_toast_set_timeout (toast, 8);
      adw_toast_overlay_add_toast (self->toast_overlay, toast);
      gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), TRUE);
      return;
    }
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (_("Policy saved")));
  ph_window_toast (self->window, _("Policy saved"));
}

static void
on_save_clicked (PhPolicyWindow *self)
{
  g_autofree char *model = buffer_text (self->model_view);
  g_autofree char *policy = buffer_text (self->policy_view);

  if (self->draft == NULL)
    return;
  gtk_widget_set_sensitive (GTK_WIDGET (self->save_button), FALSE);
  ph_dbus_agent1_call_set_policy (ph_window_get_agent (self->window), model, policy, NULL, set_policy_done,
                                  g_object_ref (self));
}

static void
save_action (GtkWidget  *widget,
             const char *action,
             GVariant   *parameter)
{
  on_save_clicked (PH_POLICY_WINDOW (widget));
}

static void
ph_policy_window_dispose (GObject *object)
{
  PhPolicyWindow *self = PH_POLICY_WINDOW (object);

  g_clear_object (&self->draft);
  g_clear_object (&self->selection);
  g_clear_object (&self->window);
  G_OBJECT_CLASS (ph_policy_window_parent_class)->dispose (object);
}

static void
ph_policy_window_class_init (PhPolicyWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ph_policy_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perihelion/AuthManager/ph-policy-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, save_button);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, rules_view);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, sub_entry);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, obj_entry);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, act_entry);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, cond_entry);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, eft_dropdown);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, obl_entry);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, model_view);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, policy_view);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, try_subject_row);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, try_action_row);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, try_object_row);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, try_result_row);
  gtk_widget_class_bind_template_child (widget_class, PhPolicyWindow, try_rule_row);
  gtk_widget_class_bind_template_callback (widget_class, on_save_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_add_rule_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_update_rule_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_remove_rule_clicked);
  gtk_widget_class_bind_template_callback (widget_class, decide);

  gtk_widget_class_install_action (widget_class, "policy.save", NULL, save_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "policy.save", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
ph_policy_window_init (PhPolicyWindow *self)
{
  GtkTextBuffer *model, *policy;

  gtk_widget_init_template (GTK_WIDGET (self));
  self->rules = gtk_string_list_new (NULL);
  self->selection = gtk_single_selection_new (G_LIST_MODEL (self->rules));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  g_signal_connect_swapped (self->selection, "notify::selected-item", G_CALLBACK (on_rule_selected), self);
  gtk_column_view_set_model (self->rules_view, GTK_SELECTION_MODEL (self->selection));
  add_columns (self);

  model = gtk_text_view_get_buffer (self->model_view);
  policy = gtk_text_view_get_buffer (self->policy_view);
  gtk_text_buffer_create_tag (model, "error", "underline", PANGO_UNDERLINE_ERROR, "background", "rgba(224,27,36,0.15)", NULL);
  gtk_text_buffer_create_tag (policy, "error", "underline", PANGO_UNDERLINE_ERROR, "background", "rgba(224,27,36,0.15)", NULL);
  g_signal_connect_swapped (model, "changed", G_CALLBACK (on_text_changed), self);
  g_signal_connect_swapped (policy, "changed", G_CALLBACK (on_text_changed), self);
  ph_accessible_name_internals (GTK_WIDGET (self));
}

PhPolicyWindow *
ph_policy_window_new (PhWindow *window)
{
  PhPolicyWindow *self = g_object_new (PH_TYPE_POLICY_WINDOW, "transient-for", window, NULL);

  self->window = g_object_ref (window);
  ph_dbus_agent1_call_get_policy (ph_window_get_agent (window), NULL, get_policy_done, g_object_ref (self));
  return self;
}
