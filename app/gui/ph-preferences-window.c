/* ph-preferences-window.c: locking, clipboard, Secret Service, style, key derivation.
 *
 * Settings are GSettings keys bound to their rows (the agent reads the same schema). The key
 * derivation cost belongs to the vault's password slot: it is read from the agent, measured
 * here with core's Argon2id on a throwaway password (in a thread, so the window stays live),
 * and applied through the agent with the master password, which rewraps only that slot.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ph-crypto.h"
#include "ph-gui-util.h"
#include "ph-preferences-window.h"

struct _PhPreferencesWindow
{
  AdwPreferencesWindow parent_instance;

  PhDBusAgent1 *agent;
  AdwActionRow *totp_row;
  GtkButton *totp_setup_button;
  GtkButton *totp_remove_button;
  AdwActionRow *recovery_row;
  AdwExpanderRow *keys_row;
  AdwActionRow *quick_unlock_row;
  GtkButton *quick_unlock_button;
  gboolean quick_unlock;
  GtkButton *key_add_button;
  GPtrArray *key_rows;
  GtkWidget *totp_page;
  GtkPicture *totp_qr;
  GtkLabel *totp_key_label;
  AdwEntryRow *totp_code_row;
  GSettings *settings;

  GtkSpinButton *lock_spin;
  GtkSwitch *session_switch;
  GtkSpinButton *clipboard_spin;
  GtkSwitch *secret_service_switch;
  AdwComboRow *theme_row;
  GtkSpinButton *memory_spin;
  GtkSpinButton *passes_spin;
  AdwActionRow *measure_row;
  GtkSpinner *measure_spinner;
  GtkButton *measure_button;
  AdwPasswordEntryRow *current_password_row;
};

G_DEFINE_FINAL_TYPE (PhPreferencesWindow, ph_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

static const char * const schemes[] = { "default", "light", "dark" };

static void
on_theme_selected (PhPreferencesWindow *self)
{
  guint selected = adw_combo_row_get_selected (self->theme_row);

  if (selected < G_N_ELEMENTS (schemes))
    g_settings_set_string (self->settings, "color-scheme", schemes[selected]);
}

static void
on_kdf_changed (PhPreferencesWindow *self)
{
  adw_action_row_set_subtitle (self->measure_row, _("Not measured for these settings"));
}

static void
measure_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  PhKdfParams *params = task_data;
  g_autoptr(PhSecret) password = ph_secret_new_from_data ((const guint8 *) "measure", 7);
  g_autoptr(PhSecret) key = NULL;
  guint8 salt[PH_SALT_BYTES] = { 0 };
  GError *error = NULL;
  gint64 start = g_get_monotonic_time ();
  double *seconds;

  if (!(key = ph_kdf_derive (password, salt, params, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  seconds = g_new (double, 1);
  *seconds = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  g_task_return_pointer (task, seconds, g_free);
}

static void
measure_done (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  PhPreferencesWindow *self = PH_PREFERENCES_WINDOW (object);
  g_autoptr(GError) error = NULL;
  g_autofree double *seconds = g_task_propagate_pointer (G_TASK (result), &error);
  g_autofree char *text = NULL;

  gtk_spinner_set_spinning (self->measure_spinner, FALSE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->measure_button), TRUE);
  text = seconds ? g_strdup_printf (_("%.2f seconds per unlock"), *seconds) : g_strdup (error->message);
  adw_action_row_set_subtitle (self->measure_row, text);
}

static PhKdfParams
chosen_params (PhPreferencesWindow *self)
{
  PhKdfParams params = {
    .opslimit = gtk_spin_button_get_value_as_int (self->passes_spin),
    .memlimit = (guint64) gtk_spin_button_get_value_as_int (self->memory_spin) << 20,
  };

  return params;
}

static void
on_measure_clicked (PhPreferencesWindow *self)
{
  g_autoptr(GTask) task = g_task_new (self, NULL, measure_done, NULL);
  PhKdfParams *params = g_new (PhKdfParams, 1);

  *params = chosen_params (self);
  g_task_set_task_data (task, params, g_free);
  gtk_spinner_set_spinning (self->measure_spinner, TRUE);
  gtk_widget_set_sensitive (GTK_WIDGET (self->measure_button), FALSE);
  adw_action_row_set_subtitle (self->measure_row, _("Measuring…"));
  g_task_run_in_thread (task, measure_thread);
}

static void
change_done (GObject      *object,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(PhPreferencesWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (!ph_dbus_agent1_call_change_password_finish (PH_DBUS_AGENT1 (object), result, &error))
    message = ph_error_dup_message (error);
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                    adw_toast_new (message ? message : _("Key derivation changed")));
}

static void
on_apply_kdf (PhPreferencesWindow *self)
{
  PhKdfParams params = chosen_params (self);
  GVariantBuilder options;
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->current_password_row));

  if (*password == '\0')
    return;
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "kdf_ops", g_variant_new_uint64 (params.opslimit));
  g_variant_builder_add (&options, "{sv}", "kdf_mem", g_variant_new_uint64 (params.memlimit));
  ph_dbus_agent1_call_change_password (self->agent, ph_text_to_bytes_variant (password),
                                       ph_text_to_bytes_variant (password), g_variant_builder_end (&options), NULL,
                                       change_done, g_object_ref (self));
  gtk_editable_set_text (GTK_EDITABLE (self->current_password_row), "");
}

static void
info_done (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(PhPreferencesWindow) self = data;
  g_autoptr(GVariant) info = NULL;
  guint64 ops = 0, mem = 0;

  if (!ph_dbus_agent1_call_get_vault_info_finish (PH_DBUS_AGENT1 (object), &info, result, NULL))
    return;
  if (g_variant_lookup (info, "kdf_ops", "t", &ops) && g_variant_lookup (info, "kdf_mem", "t", &mem))
    {
      gtk_spin_button_set_value (self->passes_spin, ops);
      gtk_spin_button_set_value (self->memory_spin, mem >> 20);
      adw_action_row_set_subtitle (self->measure_row, _("Press Measure to time the current settings"));
    }
}

/* Second factors */

static void
toast (PhPreferencesWindow *self,
       const char          *message)
{
  adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self), adw_toast_new (message));
}

static void
toast_error (PhPreferencesWindow *self,
             const GError        *error)
{
  g_autofree char *message = ph_error_dup_message (error);

  toast (self, message);
}

static void
factors_done (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(PhPreferencesWindow) self = data;
  g_autoptr(GVariant) factors = NULL;
  gboolean totp = FALSE;
  gint64 since = 0;
  guint32 codes = 0;

  if (!ph_dbus_agent1_call_get_second_factors_finish (PH_DBUS_AGENT1 (object), &factors, result, NULL))
    return;
  g_variant_lookup (factors, "totp", "b", &totp);
  g_variant_lookup (factors, "totp_enrolled_at", "x", &since);
  g_variant_lookup (factors, "recovery_codes", "u", &codes);
  if (totp)
    {
      g_autofree char *when = ph_format_time (since * G_USEC_PER_SEC);
      g_autofree char *subtitle = g_strdup_printf (_("On since %s"), when);

      adw_action_row_set_subtitle (self->totp_row, subtitle);
    }
  else
    adw_action_row_set_subtitle (self->totp_row, _("Off"));
  gtk_button_set_label (self->totp_setup_button, totp ? _("_Replace…") : _("_Set Up…"));
  gtk_widget_set_visible (GTK_WIDGET (self->totp_remove_button), totp);
  {
    g_autofree char *left = codes ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u unused", "%u unused", codes), codes)
                                  : g_strdup (_("None"));

    adw_action_row_set_subtitle (self->recovery_row, left);
  }
}

static void refresh_factors (PhPreferencesWindow *self);

static void
remove_key_done (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(PhPreferencesWindow) self = data;
  g_autoptr(GError) error = NULL;

  if (!ph_dbus_agent1_call_remove_security_key_finish (PH_DBUS_AGENT1 (object), result, &error))
    toast_error (self, error);
  else
    toast (self, _("Security key removed"));
  refresh_factors (self);
}

static void
on_key_remove_clicked (GtkButton           *button,
                       PhPreferencesWindow *self)
{
  ph_dbus_agent1_call_remove_security_key (self->agent, g_object_get_data (G_OBJECT (button), "ph-key-id"), NULL,
                                           remove_key_done, g_object_ref (self));
}

static void
keys_done (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(PhPreferencesWindow) self = data;
  g_autoptr(GVariant) keys = NULL;
  GVariantIter iter;
  const char *id, *name;
  gboolean uv;
  guint32 counter;

  if (!ph_dbus_agent1_call_list_security_keys_finish (PH_DBUS_AGENT1 (object), &keys, result, NULL))
    return;
  for (guint i = 0; i < self->key_rows->len; i++)
    adw_expander_row_remove (self->keys_row, g_ptr_array_index (self->key_rows, i));
  g_ptr_array_set_size (self->key_rows, 0);
  g_variant_iter_init (&iter, keys);
  while (g_variant_iter_next (&iter, "(&s&sbu)", &id, &name, &uv, &counter))
    {
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
      g_autofree char *label = g_strdup_printf (_("Remove %s"), name);

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), uv ? _("Touch and PIN or biometrics") : _("Touch"));
      gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
      gtk_widget_add_css_class (remove, "flat");
      gtk_widget_set_tooltip_text (remove, label);
      gtk_accessible_update_property (GTK_ACCESSIBLE (remove), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
      g_object_set_data_full (G_OBJECT (remove), "ph-key-id", g_strdup (id), g_free);
      g_signal_connect (remove, "clicked", G_CALLBACK (on_key_remove_clicked), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), remove);
      adw_expander_row_add_row (self->keys_row, row);
      g_ptr_array_add (self->key_rows, row);
    }
  {
    g_autofree char *subtitle = self->key_rows->len
                                ? g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%u registered", "%u registered",
                                                                self->key_rows->len), self->key_rows->len)
                                : g_strdup (_("None registered"));

    adw_expander_row_set_subtitle (self->keys_row, subtitle);
  }
}

static void
methods_done (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(PhPreferencesWindow) self = data;
  g_auto(GStrv) methods = NULL;

  if (!ph_dbus_agent1_call_get_unlock_methods_finish (PH_DBUS_AGENT1 (object), &methods, result, NULL))
    return;
  self->quick_unlock = g_strv_contains ((const char * const *) methods, "security-key");
  adw_action_row_set_subtitle (self->quick_unlock_row,
                               self->quick_unlock ? _("On: a touch opens the vault; the password still does") : _("Off"));
  gtk_button_set_label (self->quick_unlock_button, self->quick_unlock ? _("Turn _Off") : _("Set _Up…"));
}

static void
refresh_factors (PhPreferencesWindow *self)
{
  ph_dbus_agent1_call_get_second_factors (self->agent, NULL, factors_done, g_object_ref (self));
  ph_dbus_agent1_call_list_security_keys (self->agent, NULL, keys_done, g_object_ref (self));
  ph_dbus_agent1_call_get_unlock_methods (self->agent, NULL, methods_done, g_object_ref (self));
}

static void
quick_unlock_done (GObject      *object,
                   GAsyncResult *result,
                   gpointer      data)
{
  g_autoptr(PhPreferencesWindow) self = data;
  g_autoptr(GError) error = NULL;
  gboolean ok = self->quick_unlock
                ? ph_dbus_agent1_call_disable_quick_unlock_finish (PH_DBUS_AGENT1 (object), result, &error)
                : ph_dbus_agent1_call_enable_quick_unlock_finish (PH_DBUS_AGENT1 (object), result, &error);

  gtk_widget_set_sensitive (GTK_WIDGET (self->quick_unlock_button), TRUE);
  if (!ok)
    {
      toast_error (self, error);
      g_object_set_data_full (G_OBJECT (self), "ph-last-key-error", ph_error_dup_message (error), g_free);
      return;
    }
  toast (self, self->quick_unlock ? _("Quick unlock is off") : _("Quick unlock is on"));
  refresh_factors (self);
}

static void
on_quick_unlock_clicked (PhPreferencesWindow *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->quick_unlock_button), FALSE);
  if (self->quick_unlock)
    ph_dbus_agent1_call_disable_quick_unlock (self->agent, NULL, quick_unlock_done, g_object_ref (self));
  else
    {
      toast (self, _("Touch your security key, twice…"));
      ph_dbus_agent1_call_enable_quick_unlock (self->agent, "", NULL, quick_unlock_done, g_object_ref (self));
    }
}

static void
add_key_done (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(PhPreferencesWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *id = NULL;
  g_autofree char *attestation = NULL;

  gtk_widget_set_sensitive (GTK_WIDGET (self->key_add_button), TRUE);
  if (!ph_dbus_agent1_call_add_security_key_finish (PH_DBUS_AGENT1 (object), &id, &attestation, result, &error))
    {
      toast_error (self, error);
      g_object_set_data_full (G_OBJECT (self), "ph-last-key-error", ph_error_dup_message (error), g_free);
      return;
    }
  {
    g_autofree char *message = g_strdup_printf (_("Security key registered: %s"), attestation);

    toast (self, message);
  }
  refresh_factors (self);
}

static void
on_key_add_clicked (PhPreferencesWindow *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->key_add_button), FALSE);
  toast (self, _("Touch your security key…"));
  ph_dbus_agent1_call_add_security_key (self->agent, _("Security key"), TRUE, FALSE, NULL, add_key_done,
                                        g_object_ref (self));
}

static void
begin_totp_done (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  g_autoptr(PhPreferencesWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) bytes = NULL;
  g_autoptr(PhSecret) uri = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  if (!ph_dbus_agent1_call_begin_totp_enrollment_finish (PH_DBUS_AGENT1 (object), &bytes, result, &error))
    {
      toast_error (self, error);
      return;
    }
  uri = ph_secret_from_reply (bytes);
  if (!(texture = ph_qr_texture_new (ph_secret_get_text (uri), &error)))
    {
      toast_error (self, error);
      return;
    }
  gtk_picture_set_paintable (self->totp_qr, GDK_PAINTABLE (texture));
  {
    /* The key as people type it: groups of four. */
    const char *secret = strstr (ph_secret_get_text (uri), "secret=") + strlen ("secret=");
    gsize n = strcspn (secret, "&");
    g_autoptr(GString) grouped = g_string_new (NULL);

    for (gsize i = 0; i < n; i++)
      {
        if (i && i % 4 == 0)
          g_string_append_c (grouped, ' ');
        g_string_append_c (grouped, secret[i]);
      }
    gtk_label_set_text (self->totp_key_label, grouped->str);
    explicit_bzero (grouped->str, grouped->len);
  }
  gtk_editable_set_text (GTK_EDITABLE (self->totp_code_row), "");
  gtk_widget_remove_css_class (GTK_WIDGET (self->totp_code_row), "error");
  adw_preferences_window_present_subpage (ADW_PREFERENCES_WINDOW (self), self->totp_page);
  gtk_widget_grab_focus (GTK_WIDGET (self->totp_code_row));
}

static void
on_totp_setup_clicked (PhPreferencesWindow *self)
{
  ph_dbus_agent1_call_begin_totp_enrollment (self->agent, "", NULL, begin_totp_done, g_object_ref (self));
}

/* The key leaves the screen with the page. */
static void
clear_totp_page (PhPreferencesWindow *self)
{
  gtk_picture_set_paintable (self->totp_qr, NULL);
  gtk_label_set_text (self->totp_key_label, "");
  gtk_editable_set_text (GTK_EDITABLE (self->totp_code_row), "");
}

static void
on_totp_back_clicked (PhPreferencesWindow *self)
{
  clear_totp_page (self);
  adw_preferences_window_close_subpage (ADW_PREFERENCES_WINDOW (self));
}

static void
finish_totp_done (GObject      *object,
                  GAsyncResult *result,
                  gpointer      data)
{
  g_autoptr(PhPreferencesWindow) self = data;
  g_autoptr(GError) error = NULL;

  if (!ph_dbus_agent1_call_finish_totp_enrollment_finish (PH_DBUS_AGENT1 (object), result, &error))
    {
      gtk_widget_add_css_class (GTK_WIDGET (self->totp_code_row), "error");
      toast_error (self, error);
      return;
    }
  on_totp_back_clicked (self);
  toast (self, _("The authenticator app is on"));
  refresh_factors (self);
}

static void
on_totp_turn_on_clicked (PhPreferencesWindow *self)
{
  ph_dbus_agent1_call_finish_totp_enrollment (self->agent, gtk_editable_get_text (GTK_EDITABLE (self->totp_code_row)),
                                              NULL, finish_totp_done, g_object_ref (self));
}

static void
remove_totp_done (GObject      *object,
                  GAsyncResult *result,
                  gpointer      data)
{
  g_autoptr(PhPreferencesWindow) self = data;
  g_autoptr(GError) error = NULL;

  if (!ph_dbus_agent1_call_remove_totp_finish (PH_DBUS_AGENT1 (object), result, &error))
    toast_error (self, error);
  else
    toast (self, _("The authenticator app is off"));
  refresh_factors (self);
}

static void
on_totp_remove_clicked (PhPreferencesWindow *self)
{
  ph_dbus_agent1_call_remove_totp (self->agent, NULL, remove_totp_done, g_object_ref (self));
}

static void
on_codes_response (AdwMessageDialog    *dialog,
                   const char          *response,
                   PhPreferencesWindow *self)
{
  if (g_str_equal (response, "copy"))
    {
      g_autoptr(PhSecret) codes = ph_secret_new_from_text (adw_message_dialog_get_body (dialog));

      ph_clipboard_copy_secret (GTK_WIDGET (self), codes, 60);
      toast (self, _("Recovery codes copied, cleared in a minute"));
    }
  refresh_factors (self);
}

static void
recovery_done (GObject      *object,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(PhPreferencesWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) codes = NULL;
  g_autofree char *body = NULL;
  GtkWidget *dialog;

  if (!ph_dbus_agent1_call_new_recovery_codes_finish (PH_DBUS_AGENT1 (object), &codes, result, &error))
    {
      toast_error (self, error);
      return;
    }
  body = g_strjoinv ("\n", codes);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), _("Recovery Codes"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "copy", _("_Copy"), "done", _("_Done"), NULL);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "done");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "done");
  adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog),
                                      gtk_label_new (_("Each works once, in place of the authenticator app. Keep them "
                                                       "somewhere safe: they are shown only now, and replace earlier ones.")));
  gtk_label_set_wrap (GTK_LABEL (adw_message_dialog_get_extra_child (ADW_MESSAGE_DIALOG (dialog))), TRUE);
  g_signal_connect (dialog, "response", G_CALLBACK (on_codes_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
  for (guint i = 0; codes[i]; i++)
    explicit_bzero (codes[i], strlen (codes[i]));
  explicit_bzero (body, strlen (body));
}

static void
on_recovery_clicked (PhPreferencesWindow *self)
{
  ph_dbus_agent1_call_new_recovery_codes (self->agent, NULL, recovery_done, g_object_ref (self));
}

static void
ph_preferences_window_dispose (GObject *object)
{
  PhPreferencesWindow *self = PH_PREFERENCES_WINDOW (object);

  g_clear_object (&self->agent);
  g_clear_object (&self->totp_page);
  g_clear_pointer (&self->key_rows, g_ptr_array_unref);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (ph_preferences_window_parent_class)->dispose (object);
}

static void
ph_preferences_window_class_init (PhPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ph_preferences_window_dispose;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perihelion/AuthManager/ph-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, lock_spin);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, session_switch);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, clipboard_spin);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, secret_service_switch);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, theme_row);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, memory_spin);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, passes_spin);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, measure_row);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, measure_spinner);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, measure_button);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, current_password_row);
  gtk_widget_class_bind_template_callback (widget_class, on_kdf_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_measure_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_apply_kdf);
  gtk_widget_class_bind_template_callback (widget_class, on_totp_setup_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_totp_remove_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_totp_back_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_totp_turn_on_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_recovery_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_key_add_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_quick_unlock_clicked);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, quick_unlock_row);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, quick_unlock_button);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, keys_row);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, key_add_button);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, totp_row);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, totp_setup_button);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, totp_remove_button);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, recovery_row);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, totp_page);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, totp_qr);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, totp_key_label);
  gtk_widget_class_bind_template_child (widget_class, PhPreferencesWindow, totp_code_row);
}

static void
ph_preferences_window_init (PhPreferencesWindow *self)
{
  g_autofree char *scheme = NULL;

  gtk_widget_init_template (GTK_WIDGET (self));
  /* The setup page is shown as a subpage, not part of the window until then: kept here. */
  g_object_ref_sink (self->totp_page);
  self->key_rows = g_ptr_array_new ();
  self->settings = g_settings_new (APP_ID);
  g_settings_bind (self->settings, "auto-lock-timeout", self->lock_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "lock-on-session-lock", self->session_switch, "active", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "clipboard-timeout", self->clipboard_spin, "value", G_SETTINGS_BIND_DEFAULT);
  g_settings_bind (self->settings, "secret-service", self->secret_service_switch, "active", G_SETTINGS_BIND_DEFAULT);
  scheme = g_settings_get_string (self->settings, "color-scheme");
  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    if (g_str_equal (scheme, schemes[i]))
      adw_combo_row_set_selected (self->theme_row, i);
  g_signal_connect_swapped (self->theme_row, "notify::selected", G_CALLBACK (on_theme_selected), self);
  ph_accessible_name_internals (GTK_WIDGET (self));
}

PhPreferencesWindow *
ph_preferences_window_new (GtkWindow    *parent,
                           PhDBusAgent1 *agent)
{
  PhPreferencesWindow *self = g_object_new (PH_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);

  self->agent = g_object_ref (agent);
  if (!ph_dbus_agent1_get_locked (agent))
    {
      ph_dbus_agent1_call_get_vault_info (agent, NULL, info_done, g_object_ref (self));
      refresh_factors (self);
    }
  return self;
}
