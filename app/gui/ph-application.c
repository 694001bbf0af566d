/* ph-application.c: perihelion, the app: one instance, a client of the agent.
 *
 * The app holds no key. It reaches perihelion-agent on the session bus, which D-Bus starts on
 * the first call when the service file is installed; an uninstalled build (or a desktop without
 * activation) starts the agent binary itself. Then it opens the window.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ph-agent-dbus.h"
#include "ph-application.h"
#include "ph-preferences-window.h"
#include "ph-window.h"

#define AGENT_NAME "org.perihelion.Agent"
#define AGENT_PATH "/org/perihelion/Agent"

struct _PhApplication
{
  AdwApplication parent_instance;

  PhDBusAgent1 *agent;
  GSettings *settings;
  guint watch;
  guint wait_source;
};

G_DEFINE_FINAL_TYPE (PhApplication, ph_application, ADW_TYPE_APPLICATION)

static void
apply_color_scheme (PhApplication *self)
{
  g_autofree char *scheme = g_settings_get_string (self->settings, "color-scheme");

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (),
                                      g_str_equal (scheme, "light") ? ADW_COLOR_SCHEME_FORCE_LIGHT
                                      : g_str_equal (scheme, "dark") ? ADW_COLOR_SCHEME_FORCE_DARK
                                      : ADW_COLOR_SCHEME_DEFAULT);
}

/* PERIHELION_REPORT_FIRST_FRAME: print the time the first frame was drawn and quit (the
 * start-up benchmark). */
static void
on_after_paint (GdkFrameClock *clock,
                PhApplication *self)
{
  g_signal_handlers_disconnect_by_func (clock, on_after_paint, self);
  g_print ("first-frame %" G_GINT64_FORMAT "\n", g_get_real_time ());
  g_application_quit (G_APPLICATION (self));
}

static void
show_window (PhApplication *self)
{
  PhWindow *window = ph_window_new (ADW_APPLICATION (self), self->agent);

  gtk_window_present (GTK_WINDOW (window));
  if (g_getenv ("PERIHELION_REPORT_FIRST_FRAME"))
    g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint",
                      G_CALLBACK (on_after_paint), self);
}

static void
show_failure (PhApplication *self,
              const char    *message)
{
  AdwWindow *window = ADW_WINDOW (adw_window_new ());
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *page = adw_status_page_new ();

  adw_status_page_set_icon_name (ADW_STATUS_PAGE (page), "dialog-error-symbolic");
  adw_status_page_set_title (ADW_STATUS_PAGE (page), _("The Agent Is Not Running"));
  adw_status_page_set_description (ADW_STATUS_PAGE (page), message);
  gtk_widget_set_vexpand (page, TRUE);
  gtk_box_append (GTK_BOX (box), adw_header_bar_new ());
  gtk_box_append (GTK_BOX (box), page);
  adw_window_set_content (window, box);
  gtk_window_set_default_size (GTK_WINDOW (window), 480, 400);
  gtk_window_set_application (GTK_WINDOW (window), GTK_APPLICATION (self));
  gtk_window_present (GTK_WINDOW (window));
}

static void
on_agent_appeared (GDBusConnection *connection,
                   const char      *name,
                   const char      *owner,
                   gpointer         data)
{
  PhApplication *self = data;

  g_clear_handle_id (&self->watch, g_bus_unwatch_name);
  g_clear_handle_id (&self->wait_source, g_source_remove);
  show_window (self);
  g_application_release (G_APPLICATION (self));
}

static gboolean
on_agent_timeout (gpointer data)
{
  PhApplication *self = data;

  self->wait_source = 0;
  g_clear_handle_id (&self->watch, g_bus_unwatch_name);
  show_failure (self, _("perihelion-agent did not start. Run it from a terminal to see why."));
  g_application_release (G_APPLICATION (self));
  return G_SOURCE_REMOVE;
}

/* Without D-Bus activation: the agent next to us (or $PERIHELION_AGENT), then wait for it. */
static void
spawn_agent (PhApplication *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *installed = g_build_filename (BINDIR, "perihelion-agent", NULL);
  const char *agent = g_getenv ("PERIHELION_AGENT") ? g_getenv ("PERIHELION_AGENT") : installed;
  const char *argv[] = { agent, NULL };

  if (!g_spawn_async (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, &error))
    {
      show_failure (self, error->message);
      return;
    }
  g_application_hold (G_APPLICATION (self));
  self->watch = g_bus_watch_name (G_BUS_TYPE_SESSION, AGENT_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE, on_agent_appeared,
                                  NULL, self, NULL);
  self->wait_source = g_timeout_add_seconds (10, on_agent_timeout, self);
}

static void
proxy_ready (GObject      *object,
             GAsyncResult *result,
             gpointer      data)
{
  g_autoptr(PhApplication) self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *owner = NULL;

  self->agent = ph_dbus_agent1_proxy_new_for_bus_finish (result, &error);
  g_application_release (G_APPLICATION (self));
  if (self->agent == NULL)
    {
      show_failure (self, error->message);
      return;
    }
  /* A person may take their time to approve an access: no call times out on its own. */
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (self->agent), G_MAXINT);
  owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (self->agent));
  if (owner)
    show_window (self);
  else
    spawn_agent (self);
}

static void
ph_application_activate (GApplication *application)
{
  PhApplication *self = PH_APPLICATION (application);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (window)
    {
      gtk_window_present (window);
      return;
    }
  if (self->agent)
    {
      show_window (self);
      return;
    }
  g_application_hold (application);
  /* Without DO_NOT_AUTO_START the bus starts the agent if its service file is installed. */
  ph_dbus_agent1_proxy_new_for_bus (G_BUS_TYPE_SESSION, G_DBUS_PROXY_FLAGS_NONE, AGENT_NAME, AGENT_PATH, NULL,
                                    proxy_ready, g_object_ref (self));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       data)
{
  g_application_quit (G_APPLICATION (data));
}

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       data)
{
  PhApplication *self = data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));

  if (self->agent)
    gtk_window_present (GTK_WINDOW (ph_preferences_window_new (parent, self->agent)));
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       data)
{
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (data));
  const char *developers[] = { "The Perihelion developers", NULL };

  adw_show_about_window (parent,
                         "application-name", _("Perihelion"),
                         "application-icon", APP_ID,
                         "version", PACKAGE_VERSION,
                         "comments", _("Credentials for developers and their AI agents, behind a zero-trust gate"),
                         "developers", developers,
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "translator-credits", _("translator-credits"),
                         NULL);
}

static void
ph_application_startup (GApplication *application)
{
  PhApplication *self = PH_APPLICATION (application);
  static const GActionEntry entries[] = {
    { "quit", quit_action },
    { "preferences", preferences_action },
    { "about", about_action },
  };
  const char *quit_accels[] = { "<Control>q", NULL };
  const char *preferences_accels[] = { "<Control>comma", NULL };

  G_APPLICATION_CLASS (ph_application_parent_class)->startup (application);

  g_action_map_add_action_entries (G_ACTION_MAP (self), entries, G_N_ELEMENTS (entries), self);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (self), "app.preferences", preferences_accels);
  self->settings = g_settings_new (APP_ID);
  g_signal_connect_swapped (self->settings, "changed::color-scheme", G_CALLBACK (apply_color_scheme), self);
  apply_color_scheme (self);
}

static void
ph_application_dispose (GObject *object)
{
  PhApplication *self = PH_APPLICATION (object);

  g_clear_handle_id (&self->watch, g_bus_unwatch_name);
  g_clear_handle_id (&self->wait_source, g_source_remove);
  g_clear_object (&self->agent);
  g_clear_object (&self->settings);
  G_OBJECT_CLASS (ph_application_parent_class)->dispose (object);
}

static void
ph_application_class_init (PhApplicationClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ph_application_dispose;
  G_APPLICATION_CLASS (klass)->activate = ph_application_activate;
  G_APPLICATION_CLASS (klass)->startup = ph_application_startup;
}

static void
ph_application_init (PhApplication *self)
{
}

PhApplication *
ph_application_new (void)
{
  return g_object_new (PH_TYPE_APPLICATION,
                       "application-id", APP_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/org/perihelion/AuthManager",
                       NULL);
}
