/* ph-setup-view.c: the first run: create a vault, open one, or import.
 *
 * The agent creates the vault (it is the one key holder) while this view shows progress; the
 * recovery key comes back once, is shown once, and must be confirmed before the person moves
 * on. An import chosen on the welcome page runs right after.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "ph-gui-util.h"
#include "ph-password-quality.h"
#include "ph-setup-view.h"

struct _PhSetupView
{
  GtkWidget parent_instance;

  PhDBusAgent1 *agent;
  GSettings *settings;
  GFile *import_file;
  PhSecret *recovery_key;
  guint pulse_source;
  gboolean busy;

  GtkWidget *box;
  GtkButton *back_button;
  GtkStack *stack;
  AdwPasswordEntryRow *password_row;
  AdwPasswordEntryRow *confirm_row;
  GtkSwitch *remember_switch;
  GtkLevelBar *strength_bar;
  GtkLabel *strength_label;
  GtkButton *create_button;
  AdwStatusPage *progress_page;
  GtkProgressBar *progress_bar;
  GtkLabel *recovery_label;
  AdwEntryRow *confirm_key_row;
  GtkButton *done_button;
};

G_DEFINE_FINAL_TYPE (PhSetupView, ph_setup_view, GTK_TYPE_WIDGET)

enum
{
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
ph_setup_view_set_agent (PhSetupView  *self,
                         PhDBusAgent1 *agent)
{
  g_set_object (&self->agent, agent);
}

/* While the vault is being created or its recovery key is on screen, the window stays here
 * even though the agent already reports the vault unlocked. */
gboolean
ph_setup_view_is_busy (PhSetupView *self)
{
  return self->busy;
}

static void
show (PhSetupView *self,
      const char  *page)
{
  gtk_stack_set_visible_child_name (self->stack, page);
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), g_str_equal (page, "create"));
}

static void
toast (PhSetupView *self,
       const char  *message)
{
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (message));
}

static void
on_back_clicked (PhSetupView *self)
{
  g_clear_object (&self->import_file);
  show (self, "welcome");
}

static void
on_create_choice (PhSetupView *self)
{
  show (self, "create");
  gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
}

static void
on_password_changed (PhSetupView *self)
{
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  const char *confirm = gtk_editable_get_text (GTK_EDITABLE (self->confirm_row));
  g_autofree char *feedback = NULL;
  int score = 0;
  gboolean match = g_str_equal (password, confirm);

  if (*password)
    score = ph_password_quality (password, &feedback);
  gtk_level_bar_set_value (self->strength_bar, MAX (score, *password ? 5 : 0));
  if (*password && *confirm && !match)
    gtk_label_set_text (self->strength_label, _("The passwords do not match"));
  else
    gtk_label_set_text (self->strength_label, feedback ? feedback : _("Use at least 12 characters, or four words"));
  if (*confirm && !match)
    gtk_widget_add_css_class (GTK_WIDGET (self->confirm_row), "error");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self->confirm_row), "error");
  gtk_widget_set_sensitive (GTK_WIDGET (self->create_button), match && score >= PH_PASSWORD_QUALITY_ACCEPTABLE);
}

static gboolean
pulse (gpointer data)
{
  gtk_progress_bar_pulse (GTK_PROGRESS_BAR (data));
  return G_SOURCE_CONTINUE;
}

static void
stop_pulse (PhSetupView *self)
{
  g_clear_handle_id (&self->pulse_source, g_source_remove);
}

static void
start_progress (PhSetupView *self,
                const char  *title,
                const char  *description)
{
  adw_status_page_set_title (self->progress_page, title);
  adw_status_page_set_description (self->progress_page, description);
  show (self, "progress");
  stop_pulse (self);
  self->pulse_source = g_timeout_add (100, pulse, self->progress_bar);
}

static void
finish (PhSetupView *self)
{
  stop_pulse (self);
  self->busy = FALSE;
  g_clear_pointer (&self->recovery_key, ph_secret_unref);
  gtk_label_set_text (self->recovery_label, "");
  gtk_editable_set_text (GTK_EDITABLE (self->confirm_key_row), "");
  show (self, "welcome");
  g_signal_emit (self, signals[FINISHED], 0);
}

static void
create_done (GObject      *object,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(PhSetupView) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) key = NULL;
  g_autofree char *text = NULL;

  stop_pulse (self);
  if (!ph_dbus_agent1_call_create_finish (PH_DBUS_AGENT1 (object), &key, result, &error))
    {
      g_autofree char *message = ph_error_dup_message (error);

      self->busy = FALSE;
      toast (self, message);
      show (self, "create");
      return;
    }
  self->recovery_key = ph_secret_from_reply (key);
  text = g_strndup ((const char *) ph_secret_get_data (self->recovery_key), ph_secret_get_length (self->recovery_key));
  gtk_label_set_text (self->recovery_label, text);
  sodium_memzero (text, strlen (text));
  show (self, "recovery");
  gtk_widget_grab_focus (GTK_WIDGET (self->confirm_key_row));
}

static void
on_create_clicked (PhSetupView *self)
{
  const char *password = gtk_editable_get_text (GTK_EDITABLE (self->password_row));
  GVariantBuilder options;

  if (!gtk_widget_get_sensitive (GTK_WIDGET (self->create_button)))
    return;
  g_variant_builder_init (&options, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&options, "{sv}", "remember",
                         g_variant_new_boolean (gtk_switch_get_active (self->remember_switch)));
  /* Tests and scripted demos may pin the cost; people get a calibrated one. */
  if (g_getenv ("PERIHELION_KDF_OPS") && g_getenv ("PERIHELION_KDF_MEM_MIB"))
    {
      g_variant_builder_add (&options, "{sv}", "kdf_ops",
                             g_variant_new_uint64 (g_ascii_strtoull (g_getenv ("PERIHELION_KDF_OPS"), NULL, 10)));
      g_variant_builder_add (&options, "{sv}", "kdf_mem",
                             g_variant_new_uint64 (g_ascii_strtoull (g_getenv ("PERIHELION_KDF_MEM_MIB"), NULL, 10) << 20));
    }
  self->busy = TRUE;
  start_progress (self, _("Creating Your Vault"),
                  _("Measuring this computer so that deriving the key takes about a second: slow for an attacker, quick for you."));
  ph_dbus_agent1_call_create (self->agent, ph_text_to_bytes_variant (password), g_variant_builder_end (&options),
                              NULL, create_done, g_object_ref (self));
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->confirm_row), "");
}

/* The last group of the recovery key, as the person would type it: case and dashes forgiven. */
static gboolean
confirmation_matches (PhSetupView *self)
{
  const char *typed = gtk_editable_get_text (GTK_EDITABLE (self->confirm_key_row));
  const char *key, *last;
  g_autofree char *text = NULL;
  gboolean match;

  if (self->recovery_key == NULL || *typed == '\0')
    return FALSE;
  text = g_strndup ((const char *) ph_secret_get_data (self->recovery_key), ph_secret_get_length (self->recovery_key));
  key = text;
  last = strrchr (key, '-');
  last = last ? last + 1 : key;
  match = g_ascii_strcasecmp (g_strstrip ((char *) typed), last) == 0;
  sodium_memzero (text, strlen (text));
  return match;
}

static void
on_confirm_key_changed (PhSetupView *self)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->done_button), confirmation_matches (self));
}

static void
on_copy_recovery_clicked (PhSetupView *self)
{
  if (self->recovery_key == NULL)
    return;
  /* Copied for a password manager or a printout; cleared like any secret. */
  ph_clipboard_copy_secret (GTK_WIDGET (self), self->recovery_key, 60);
  toast (self, _("Recovery key copied, cleared in 60 seconds"));
}

static void
import_done (GObject      *object,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(PhSetupView) self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  guint count = 0;

  if (!ph_dbus_agent1_call_import_finish (PH_DBUS_AGENT1 (object), &count, result, &error))
    message = ph_error_dup_message (error);
  else
    message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Imported %u entry", "Imported %u entries", count), count);
  finish (self);
  toast (self, message);
}

static void
on_done_clicked (PhSetupView *self)
{
  g_autoptr(GError) error = NULL;
  char *contents = NULL;
  gsize len = 0;

  if (!confirmation_matches (self))
    return;
  if (self->import_file == NULL)
    {
      finish (self);
      return;
    }
  if (!g_file_load_contents (self->import_file, NULL, &contents, &len, NULL, &error))
    {
      finish (self);
      toast (self, error->message);
      return;
    }
  g_clear_object (&self->import_file);
  start_progress (self, _("Importing"), _("Adding the entries to your vault…"));
  ph_dbus_agent1_call_import (self->agent, "csv",
                              g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, contents, len, TRUE, g_free, contents),
                              NULL, import_done, g_object_ref (self));
}

/* Opening an existing vault file */

static void
open_done (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(PhSetupView) self = data;
  g_autoptr(GError) error = NULL;

  if (!ph_dbus_agent1_call_open_vault_finish (PH_DBUS_AGENT1 (object), result, &error))
    {
      g_autofree char *message = ph_error_dup_message (error);

      toast (self, message);
      return;
    }
  g_settings_set_string (self->settings, "vault-path", ph_dbus_agent1_get_vault_path (self->agent));
  finish (self);
}

static void
on_open_response (GtkNativeDialog *dialog,
                  int              response,
                  PhSetupView     *self)
{
  g_autoptr(GFile) file = NULL;

  if (response == GTK_RESPONSE_ACCEPT && (file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog))))
    {
      g_autofree char *path = g_file_get_path (file);

      ph_dbus_agent1_call_open_vault (self->agent, path, NULL, open_done, g_object_ref (self));
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
on_import_response (GtkNativeDialog *dialog,
                    int              response,
                    PhSetupView     *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_set_object (&self->import_file, gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog)));
      g_object_unref (self->import_file);  /* gtk_file_chooser_get_file() gave a reference */
      on_create_choice (self);
      toast (self, _("First choose a master password for the new vault"));
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
}

static void
choose_file (PhSetupView *self,
             const char  *title,
             const char  *accept,
             const char  *filter_name,
             const char  *pattern,
             GCallback    callback)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (title, GTK_WINDOW (root), GTK_FILE_CHOOSER_ACTION_OPEN,
                                                               accept, _("_Cancel"));
  g_autoptr(GtkFileFilter) filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, filter_name);
  gtk_file_filter_add_pattern (filter, pattern);
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (chooser), filter);
  g_signal_connect (chooser, "response", callback, self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
on_open_choice (PhSetupView *self)
{
  choose_file (self, _("Open a Vault"), _("_Open"), _("Perihelion vaults"), "*.phvault", G_CALLBACK (on_open_response));
}

static void
on_import_choice (PhSetupView *self)
{
  choose_file (self, _("Import CSV"), _("_Import"), _("CSV files"), "*.csv", G_CALLBACK (on_import_response));
}

static void
ph_setup_view_dispose (GObject *object)
{
  PhSetupView *self = PH_SETUP_VIEW (object);

  stop_pulse (self);
  g_clear_pointer (&self->recovery_key, ph_secret_unref);
  g_clear_object (&self->import_file);
  g_clear_object (&self->agent);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), PH_TYPE_SETUP_VIEW);
  G_OBJECT_CLASS (ph_setup_view_parent_class)->dispose (object);
}

static void
ph_setup_view_class_init (PhSetupViewClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ph_setup_view_dispose;

  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                    G_TYPE_NONE, 0);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/perihelion/AuthManager/ph-setup-view.ui");
  gtk_widget_class_bind_template_child (widget_class, PhSetupView, box);
  gtk_widget_class_bind_template_child (widget_class, PhSetupView, back_button);
  gtk_widget_class_bind_template_child (widget_class, PhSetupView, stack);
  gtk_widget_class_bind_template_child (widget_class, PhSetupView, password_row);
  gtk_widget_class_bind_template_child (widget_class, PhSetupView, confirm_row);
  gtk_widget_class_bind_template_child (widget_class, PhSetupView, remember_switch);
  gtk_widget_class_bind_template_child (widget_class, PhSetupView, strength_bar);
  gtk_widget_class_bind_template_child (widget_class, PhSetupView, strength_label);
  gtk_widget_class_bind_template_child (widget_class, PhSetupView, create_button);
  gtk_widget_class_bind_template_child (widget_class, PhSetupView, progress_page);
  gtk_widget_class_bind_template_child (widget_class, PhSetupView, progress_bar);
  gtk_widget_class_bind_template_child (widget_class, PhSetupView, recovery_label);
  gtk_widget_class_bind_template_child (widget_class, PhSetupView, confirm_key_row);
  gtk_widget_class_bind_template_child (widget_class, PhSetupView, done_button);
  gtk_widget_class_bind_template_callback (widget_class, on_back_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_create_choice);
  gtk_widget_class_bind_template_callback (widget_class, on_open_choice);
  gtk_widget_class_bind_template_callback (widget_class, on_import_choice);
  gtk_widget_class_bind_template_callback (widget_class, on_password_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_create_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_confirm_key_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_copy_recovery_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_done_clicked);
}

static void
ph_setup_view_init (PhSetupView *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->settings = g_settings_new (APP_ID);
  on_password_changed (self);
}
