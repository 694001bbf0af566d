/* ph-password-window.c: the master password, asked by the agent (unlock and re-authentication).
 *
 * Emits "response" (TRUE: unlock with the typed password; FALSE: cancelled). While the key is
 * derived it shows a spinner and takes no input; after a wrong password it says so and keeps
 * the Unlock button off for the wait the agent imposes.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ph-password-window.h"

struct _PhPasswordWindow
{
  AdwWindow parent_instance;

  AdwWindowTitle *window_title;
  GtkLabel *message_label;
  GtkPasswordEntry *password_entry;
  GtkLabel *error_label;
  GtkSpinner *spinner;
  GtkButton *cancel_button;
  GtkButton *unlock_button;
  guint wait_source;
  gboolean answered;
};

G_DEFINE_FINAL_TYPE (PhPasswordWindow, ph_password_window, ADW_TYPE_WINDOW)

enum { RESPONSE, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
on_unlock (PhPasswordWindow *self)
{
  if (!gtk_widget_get_sensitive (GTK_WIDGET (self->unlock_button)) ||
      *gtk_editable_get_text (GTK_EDITABLE (self->password_entry)) == '\0')
    return;
  g_signal_emit (self, signals[RESPONSE], 0, TRUE);
}

static void
on_cancel (PhPasswordWindow *self)
{
  if (self->answered)
    return;
  self->answered = TRUE;
  g_signal_emit (self, signals[RESPONSE], 0, FALSE);
}

static gboolean
ph_password_window_close_request (GtkWindow *window)
{
  on_cancel (PH_PASSWORD_WINDOW (window));
  return GTK_WINDOW_CLASS (ph_password_window_parent_class)->close_request (window);
}

static void
ph_password_window_dispose (GObject *object)
{
  PhPasswordWindow *self = PH_PASSWORD_WINDOW (object);

  g_clear_handle_id (&self->wait_source, g_source_remove);
  gtk_widget_dispose_template (GTK_WIDGET (self), PH_TYPE_PASSWORD_WINDOW);
  G_OBJECT_CLASS (ph_password_window_parent_class)->dispose (object);
}

static void
ph_password_window_class_init (PhPasswordWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = ph_password_window_dispose;
  GTK_WINDOW_CLASS (klass)->close_request = ph_password_window_close_request;

  /**
   * PhPasswordWindow::response:
   * @unlock: TRUE to unlock with the typed password, FALSE if cancelled
   */
  signals[RESPONSE] = g_signal_new ("response", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                    G_TYPE_NONE, 1, G_TYPE_BOOLEAN);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perihelion/Agent/ph-password-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PhPasswordWindow, window_title);
  gtk_widget_class_bind_template_child (widget_class, PhPasswordWindow, message_label);
  gtk_widget_class_bind_template_child (widget_class, PhPasswordWindow, password_entry);
  gtk_widget_class_bind_template_child (widget_class, PhPasswordWindow, error_label);
  gtk_widget_class_bind_template_child (widget_class, PhPasswordWindow, spinner);
  gtk_widget_class_bind_template_child (widget_class, PhPasswordWindow, cancel_button);
  gtk_widget_class_bind_template_child (widget_class, PhPasswordWindow, unlock_button);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
ph_password_window_init (PhPasswordWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_window_set_default_widget (GTK_WINDOW (self), GTK_WIDGET (self->unlock_button));
  g_signal_connect_swapped (self->unlock_button, "clicked", G_CALLBACK (on_unlock), self);
  g_signal_connect_swapped (self->password_entry, "activate", G_CALLBACK (on_unlock), self);
  g_signal_connect_swapped (self->cancel_button, "clicked", G_CALLBACK (on_cancel), self);
}

PhPasswordWindow *
ph_password_window_new (const char *message)
{
  PhPasswordWindow *self = g_object_new (PH_TYPE_PASSWORD_WINDOW, NULL);

  gtk_label_set_text (self->message_label, message);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, message, -1);
  gtk_widget_grab_focus (GTK_WIDGET (self->password_entry));
  return self;
}

/* The same window asking for a second factor: the authenticator app's code, or a recovery
 * code (shown as typed: it is good once). */
PhPasswordWindow *
ph_password_window_new_for_code (const char *message)
{
  PhPasswordWindow *self = ph_password_window_new (message);

  gtk_window_set_title (GTK_WINDOW (self), _("Second Factor"));
  adw_window_title_set_title (self->window_title, _("Second Factor"));
  gtk_password_entry_set_show_peek_icon (self->password_entry, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->password_entry), "");
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->password_entry), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Authenticator code or recovery code"), -1);
  gtk_button_set_label (self->unlock_button, _("_Verify"));
  return self;
}

/**
 * ph_password_window_take_password:
 *
 * The typed password, copied into guarded memory; the entry is emptied.
 */
PhSecret *
ph_password_window_take_password (PhPasswordWindow *self)
{
  PhSecret *secret = ph_secret_new_from_text (gtk_editable_get_text (GTK_EDITABLE (self->password_entry)));

  gtk_editable_set_text (GTK_EDITABLE (self->password_entry), "");
  return secret;
}

void
ph_password_window_set_busy (PhPasswordWindow *self,
                             gboolean          busy)
{
  gtk_spinner_set_spinning (self->spinner, busy);
  /* Not editable rather than insensitive: the entry keeps the focus. */
  gtk_editable_set_editable (GTK_EDITABLE (self->password_entry), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->unlock_button), !busy);
}

static gboolean
on_wait_over (gpointer data)
{
  PhPasswordWindow *self = data;

  self->wait_source = 0;
  gtk_widget_set_sensitive (GTK_WIDGET (self->unlock_button), TRUE);
  return G_SOURCE_REMOVE;
}

/* Shows @error; the Unlock button stays off for @wait_ms, exactly: the agent refuses attempts
 * until then (a seconds timeout could end the wait early). */
void
ph_password_window_set_error (PhPasswordWindow *self,
                              const char       *error,
                              guint             wait_ms)
{
  ph_password_window_set_busy (self, FALSE);
  gtk_label_set_text (self->error_label, error);
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->password_entry));
  if (wait_ms > 0)
    {
      gtk_widget_set_sensitive (GTK_WIDGET (self->unlock_button), FALSE);
      g_clear_handle_id (&self->wait_source, g_source_remove);
      self->wait_source = g_timeout_add (wait_ms, on_wait_over, self);
    }
}
