/* ph-otp-row.c: an entry's one-time code.
 *
 * The code comes from the agent (GetOneTimeCode), which computes it from the sealed seed: each
 * showing and each copy is a gate request of its own, audited; the seed never comes here. A
 * shown code has a countdown ring and is followed by the next one while the row is on show, for
 * two minutes at most, then hidden again. "QR code" reveals the setup key (the sealed otp field,
 * a reveal request) to show it as a QR code, to move the account to another authenticator.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "ph-gui-util.h"
#include "ph-otp-row.h"

#define HIDDEN_CODE "●●● ●●●"
#define SHOW_SECONDS 120

struct _PhOtpRow
{
  AdwActionRow parent_instance;

  PhDBusAgent1 *agent;
  char *entry_id;
  char *code;                  /* while shown */
  guint period;
  gint64 valid_until;
  gint64 shown_until;
  guint tick;
  GCancellable *cancellable;

  GtkWidget *ring;
  GtkToggleButton *show_button;
};

G_DEFINE_FINAL_TYPE (PhOtpRow, ph_otp_row, ADW_TYPE_ACTION_ROW)

static void fetch (PhOtpRow *self, const char *action);

static void
clear_code (PhOtpRow *self)
{
  if (self->code)
    sodium_memzero (self->code, strlen (self->code));
  g_clear_pointer (&self->code, g_free);
}

static void
hide_code (PhOtpRow *self)
{
  clear_code (self);
  g_clear_handle_id (&self->tick, g_source_remove);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), HIDDEN_CODE);
  gtk_widget_remove_css_class (GTK_WIDGET (self), "monospace");
  gtk_widget_set_visible (self->ring, FALSE);
  g_signal_handlers_block_matched (self->show_button, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
  gtk_toggle_button_set_active (self->show_button, FALSE);
  g_signal_handlers_unblock_matched (self->show_button, G_SIGNAL_MATCH_DATA, 0, 0, NULL, NULL, self);
}

/* The ring: the share of the period left, drawn as an arc. */
static void
draw_ring (GtkDrawingArea *area,
           cairo_t        *cr,
           int             width,
           int             height,
           gpointer        data)
{
  PhOtpRow *self = data;
  double now = g_get_real_time () / (double) G_USEC_PER_SEC;
  double left = self->period ? CLAMP ((self->valid_until - now) / self->period, 0, 1) : 0;
  double radius = MIN (width, height) / 2.0 - 2;
  GdkRGBA color;

  /* GTK 4.8 has no gtk_widget_get_color() (4.10). */
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (area)), &color);
  cairo_set_line_width (cr, 3);
  cairo_set_source_rgba (cr, color.red, color.green, color.blue, color.alpha * 0.2);
  cairo_arc (cr, width / 2.0, height / 2.0, radius, 0, 2 * G_PI);
  cairo_stroke (cr);
  /* Red in the last five seconds: too late to type it in. */
  if (self->period && self->valid_until - now < 5)
    cairo_set_source_rgba (cr, 0.88, 0.11, 0.14, color.alpha);
  else
    cairo_set_source_rgba (cr, color.red, color.green, color.blue, color.alpha);
  cairo_arc (cr, width / 2.0, height / 2.0, radius, -G_PI / 2, -G_PI / 2 + 2 * G_PI * left);
  cairo_stroke (cr);
}

static gboolean
on_tick (gpointer data)
{
  PhOtpRow *self = data;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  gtk_widget_queue_draw (self->ring);
  if (now >= self->shown_until)
    {
      self->tick = 0;
      hide_code (self);
      return G_SOURCE_REMOVE;
    }
  /* The next code, when this one has run out. */
  if (self->valid_until && now >= self->valid_until)
    {
      self->valid_until = 0;
      fetch (self, "reveal");
    }
  return G_SOURCE_CONTINUE;
}

static void
show_error (PhOtpRow     *self,
            const GError *error)
{
  g_autofree char *message = ph_error_dup_message (error);
  GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

  if (overlay)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (message));
}

static void
code_done (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(PhOtpRow) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) bytes = NULL;
  g_autoptr(PhSecret) code = NULL;
  guint period = 0;
  gint64 valid_until = 0;

  if (!ph_dbus_agent1_call_get_one_time_code_finish (PH_DBUS_AGENT1 (object), &bytes, &period, &valid_until, result,
                                                     &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          show_error (self, error);
          hide_code (self);
        }
      return;
    }
  code = ph_secret_from_reply (bytes);
  if (g_object_get_data (G_OBJECT (self), "ph-otp-copying"))
    {
      g_autoptr(GSettings) settings = g_settings_new (APP_ID);
      guint timeout = g_settings_get_uint (settings, "clipboard-timeout");
      GtkWidget *overlay = gtk_widget_get_ancestor (GTK_WIDGET (self), ADW_TYPE_TOAST_OVERLAY);

      g_object_set_data (G_OBJECT (self), "ph-otp-copying", NULL);
      /* A code is worth its period at most. */
      if (period && (timeout == 0 || timeout > period))
        timeout = period;
      ph_clipboard_copy_secret (GTK_WIDGET (self), code, timeout);
      if (overlay)
        adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (overlay), adw_toast_new (_("Code copied")));
      return;
    }
  if (!gtk_toggle_button_get_active (self->show_button))
    return;
  clear_code (self);
  self->code = g_strndup ((const char *) ph_secret_get_data (code), ph_secret_get_length (code));
  self->period = period;
  self->valid_until = valid_until;
  {
    /* "123 456", "1234 5678": grouped as authenticators show it. */
    gsize n = strlen (self->code);
    g_autofree char *grouped = g_strdup_printf ("%.*s %s", (int) (n / 2), self->code, self->code + n / 2);

    adw_action_row_set_subtitle (ADW_ACTION_ROW (self), grouped);
    gtk_widget_add_css_class (GTK_WIDGET (self), "monospace");
    sodium_memzero (grouped, strlen (grouped));
  }
  gtk_widget_set_visible (self->ring, period > 0);
  gtk_widget_queue_draw (self->ring);
  if (self->tick == 0)
    self->tick = g_timeout_add (250, on_tick, self);
}

static void
fetch (PhOtpRow   *self,
       const char *action)
{
  ph_dbus_agent1_call_get_one_time_code (self->agent, self->entry_id, action, self->cancellable, code_done,
                                         g_object_ref (self));
}

void
ph_otp_row_reveal (PhOtpRow *self)
{
  gtk_toggle_button_set_active (self->show_button, TRUE);
}

void
ph_otp_row_copy (PhOtpRow *self)
{
  g_object_set_data (G_OBJECT (self), "ph-otp-copying", GINT_TO_POINTER (TRUE));
  fetch (self, "copy");
}

const char *
ph_otp_row_get_code (PhOtpRow *self)
{
  return self->code;
}

static void
on_show_toggled (PhOtpRow *self)
{
  if (!gtk_toggle_button_get_active (self->show_button))
    {
      hide_code (self);
      return;
    }
  self->shown_until = g_get_real_time () / G_USEC_PER_SEC + SHOW_SECONDS;
  fetch (self, "reveal");
}

/* QR code */

static void
setup_key_done (GObject      *object,
                GAsyncResult *result,
                gpointer      data)
{
  g_autoptr(PhOtpRow) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) bytes = NULL;
  g_autoptr(PhSecret) uri = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  GtkWidget *window, *box, *header, *picture, *label;
  int ttl;

  if (!ph_dbus_agent1_call_get_secret_finish (PH_DBUS_AGENT1 (object), &bytes, &ttl, result, &error))
    {
      show_error (self, error);
      return;
    }
  uri = ph_secret_from_reply (bytes);
  if (!(texture = ph_qr_texture_new (ph_secret_get_text (uri), &error)))
    {
      show_error (self, error);
      return;
    }
  window = adw_window_new ();
  gtk_window_set_title (GTK_WINDOW (window), _("Setup Key"));
  gtk_window_set_modal (GTK_WINDOW (window), TRUE);
  gtk_window_set_transient_for (GTK_WINDOW (window), GTK_WINDOW (gtk_widget_get_root (GTK_WIDGET (self))));
  gtk_window_set_default_size (GTK_WINDOW (window), 420, 520);
  box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  header = adw_header_bar_new ();
  gtk_box_append (GTK_BOX (box), header);
  picture = gtk_picture_new_for_paintable (GDK_PAINTABLE (texture));
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  gtk_widget_set_vexpand (picture, TRUE);
  gtk_widget_set_margin_start (picture, 24);
  gtk_widget_set_margin_end (picture, 24);
  gtk_accessible_update_property (GTK_ACCESSIBLE (picture), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("QR code of the setup key"), -1);
  gtk_box_append (GTK_BOX (box), picture);
  label = gtk_label_new (_("Scan it with another authenticator to move this account there. Anyone who sees this "
                           "code can make your one-time codes."));
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_justify (GTK_LABEL (label), GTK_JUSTIFY_CENTER);
  gtk_widget_set_margin_start (label, 24);
  gtk_widget_set_margin_end (label, 24);
  gtk_widget_set_margin_bottom (label, 24);
  gtk_widget_add_css_class (label, "dim-label");
  gtk_box_append (GTK_BOX (box), label);
  adw_window_set_content (ADW_WINDOW (window), box);
  g_object_set_data (G_OBJECT (self), "ph-otp-qr-window", window);
  gtk_window_present (GTK_WINDOW (window));
}

void
ph_otp_row_show_qr (PhOtpRow *self)
{
  ph_dbus_agent1_call_get_secret (self->agent, self->entry_id, "otp", "reveal", self->cancellable, setup_key_done,
                                  g_object_ref (self));
}

static GtkWidget *
suffix_button (PhOtpRow    *self,
               const char  *icon,
               const char  *label,
               GType        type)
{
  GtkWidget *button = g_object_new (type, "icon-name", icon, "tooltip-text", label, "valign", GTK_ALIGN_CENTER, NULL);

  gtk_widget_add_css_class (button, "flat");
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (self), button);
  return button;
}

static void
ph_otp_row_dispose (GObject *object)
{
  PhOtpRow *self = PH_OTP_ROW (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_handle_id (&self->tick, g_source_remove);
  clear_code (self);
  g_clear_object (&self->agent);
  G_OBJECT_CLASS (ph_otp_row_parent_class)->dispose (object);
}

static void
ph_otp_row_finalize (GObject *object)
{
  PhOtpRow *self = PH_OTP_ROW (object);

  g_free (self->entry_id);
  G_OBJECT_CLASS (ph_otp_row_parent_class)->finalize (object);
}

static void
ph_otp_row_class_init (PhOtpRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ph_otp_row_dispose;
  object_class->finalize = ph_otp_row_finalize;
}

static void
ph_otp_row_init (PhOtpRow *self)
{
  GtkWidget *copy, *qr;

  self->cancellable = g_cancellable_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), _("One-Time Code"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), HIDDEN_CODE);
  gtk_widget_add_css_class (GTK_WIDGET (self), "property");
  self->ring = gtk_drawing_area_new ();
  gtk_drawing_area_set_content_width (GTK_DRAWING_AREA (self->ring), 22);
  gtk_drawing_area_set_content_height (GTK_DRAWING_AREA (self->ring), 22);
  gtk_widget_set_valign (self->ring, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (self->ring, FALSE);
  gtk_drawing_area_set_draw_func (GTK_DRAWING_AREA (self->ring), draw_ring, self, NULL);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->ring), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Time left for this code"), -1);
  adw_action_row_add_suffix (ADW_ACTION_ROW (self), self->ring);
  self->show_button = GTK_TOGGLE_BUTTON (suffix_button (self, "view-reveal-symbolic", _("Show Code"),
                                                        GTK_TYPE_TOGGLE_BUTTON));
  g_signal_connect_swapped (self->show_button, "toggled", G_CALLBACK (on_show_toggled), self);
  copy = suffix_button (self, "edit-copy-symbolic", _("Copy Code"), GTK_TYPE_BUTTON);
  g_signal_connect_swapped (copy, "clicked", G_CALLBACK (ph_otp_row_copy), self);
  qr = suffix_button (self, "view-grid-symbolic", _("Show Setup Key as QR Code"), GTK_TYPE_BUTTON);
  g_signal_connect_swapped (qr, "clicked", G_CALLBACK (ph_otp_row_show_qr), self);
}

GtkWidget *
ph_otp_row_new (PhDBusAgent1 *agent,
                const char   *entry_id)
{
  PhOtpRow *self = g_object_new (PH_TYPE_OTP_ROW, NULL);

  self->agent = g_object_ref (agent);
  self->entry_id = g_strdup (entry_id);
  return GTK_WIDGET (self);
}
