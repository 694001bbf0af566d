/* ph-approval-window.c: "Allow access?": who asks, for which entry and action, and four answers.
 *
 * Emits "response" with a PhApproval; closing the window is a Deny.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include <gio/gdesktopappinfo.h>

#include "ph-approval-window.h"

struct _PhApprovalWindow
{
  AdwWindow parent_instance;

  GtkImage *icon;
  GtkLabel *request_label;
  GtkLabel *detail_label;
  GtkButton *once_button;
  GtkButton *ten_minutes_button;
  GtkButton *always_button;
  GtkButton *deny_button;
  gboolean answered;
};

G_DEFINE_FINAL_TYPE (PhApprovalWindow, ph_approval_window, ADW_TYPE_WINDOW)

enum { RESPONSE, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
respond (PhApprovalWindow *self,
         PhApproval        approval)
{
  if (self->answered)
    return;
  self->answered = TRUE;
  g_signal_emit (self, signals[RESPONSE], 0, approval);
}

static void on_once (PhApprovalWindow *self) { respond (self, PH_APPROVAL_ONCE); }
static void on_ten_minutes (PhApprovalWindow *self) { respond (self, PH_APPROVAL_TEN_MINUTES); }
static void on_always (PhApprovalWindow *self) { respond (self, PH_APPROVAL_ALWAYS); }
static void on_deny (PhApprovalWindow *self) { respond (self, PH_APPROVAL_DENY); }

static gboolean
ph_approval_window_close_request (GtkWindow *window)
{
  respond (PH_APPROVAL_WINDOW (window), PH_APPROVAL_DENY);
  return GTK_WINDOW_CLASS (ph_approval_window_parent_class)->close_request (window);
}

static void
ph_approval_window_class_init (PhApprovalWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  GTK_WINDOW_CLASS (klass)->close_request = ph_approval_window_close_request;

  /**
   * PhApprovalWindow::response:
   * @approval: a PhApproval
   */
  signals[RESPONSE] = g_signal_new ("response", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                    G_TYPE_NONE, 1, G_TYPE_INT);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perihelion/Agent/ph-approval-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PhApprovalWindow, icon);
  gtk_widget_class_bind_template_child (widget_class, PhApprovalWindow, request_label);
  gtk_widget_class_bind_template_child (widget_class, PhApprovalWindow, detail_label);
  gtk_widget_class_bind_template_child (widget_class, PhApprovalWindow, once_button);
  gtk_widget_class_bind_template_child (widget_class, PhApprovalWindow, ten_minutes_button);
  gtk_widget_class_bind_template_child (widget_class, PhApprovalWindow, always_button);
  gtk_widget_class_bind_template_child (widget_class, PhApprovalWindow, deny_button);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
ph_approval_window_init (PhApprovalWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->once_button, "clicked", G_CALLBACK (on_once), self);
  g_signal_connect_swapped (self->ten_minutes_button, "clicked", G_CALLBACK (on_ten_minutes), self);
  g_signal_connect_swapped (self->always_button, "clicked", G_CALLBACK (on_always), self);
  g_signal_connect_swapped (self->deny_button, "clicked", G_CALLBACK (on_deny), self);
  /* A stray Enter must never allow: the focus starts on Deny. */
  gtk_window_set_focus (GTK_WINDOW (self), GTK_WIDGET (self->deny_button));
}

/* A readable name for the program, and its icon when it is an installed (Flatpak) app. */
static char *
program_name (const PhSubject *subject,
              GtkImage        *icon)
{
  if (subject->app_id)
    {
      g_autofree char *desktop = g_strconcat (subject->app_id, ".desktop", NULL);
      g_autoptr(GDesktopAppInfo) info = g_desktop_app_info_new (desktop);

      gtk_image_set_from_icon_name (icon, subject->app_id);
      if (info)
        return g_strdup (g_app_info_get_display_name (G_APP_INFO (info)));
      return g_strdup (subject->app_id);
    }
  switch (subject->kind)
    {
    case PH_SUBJECT_AGENT:
      return g_strdup_printf (_("The AI agent “%s”"), subject->name);
    case PH_SUBJECT_CI:
      return g_strdup_printf (_("The CI job “%s”"), subject->name);
    case PH_SUBJECT_CLI:
      return g_strdup ("perihelion-cli");
    default:
      return g_strdup (subject->name ? subject->name : _("A program"));
    }
}

static const char *
action_phrase (PhAction action)
{
  switch (action)
    {
    case PH_ACTION_REVEAL: return _("see the secret of");
    case PH_ACTION_COPY: return _("copy the secret of");
    case PH_ACTION_USE: return _("use the secret of");
    case PH_ACTION_WRITE: return _("change");
    case PH_ACTION_DELETE: return _("delete");
    case PH_ACTION_EXPORT: return _("export");
    case PH_ACTION_ADMIN_POLICY: return _("change the access policy of");
    case PH_ACTION_LIST:
    case PH_ACTION_READ_METADATA:
    default: return _("read");
    }
}

PhApprovalWindow *
ph_approval_window_new (const PhAccessRequest *request)
{
  PhApprovalWindow *self = g_object_new (PH_TYPE_APPROVAL_WINDOW, NULL);
  g_autofree char *name = program_name (request->subject, self->icon);
  const char *object = request->entry ? ph_entry_get_title (request->entry) : _("the vault");
  g_autofree char *text = g_strdup_printf (_("%s wants to %s “%s”"), name, action_phrase (request->action), object);
  g_autoptr(GString) detail = g_string_new (NULL);

  gtk_label_set_text (self->request_label, text);
  if (request->subject->origin)
    g_string_append_printf (detail, _("Via: %s\n"), request->subject->origin);
  if (request->subject->command)
    g_string_append_printf (detail, _("To run: %s\n"), request->subject->command);
  if (request->subject->purpose)
    g_string_append_printf (detail, _("For: “%s”\n"), request->subject->purpose);
  if (request->subject->exe)
    g_string_append_printf (detail, _("Program: %s"), request->subject->exe);
  if (request->subject->pid > 0)
    g_string_append_printf (detail, _("\nProcess: %" G_GINT64_FORMAT), request->subject->pid);
  if (request->subject->exe_sha256)
    g_string_append_printf (detail, _("\nSHA-256: %.16s…"), request->subject->exe_sha256);
  gtk_label_set_text (self->detail_label, detail->str);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
  return self;
}
