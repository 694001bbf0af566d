/* test-tray.c: the agent's tray icon, hosted by a stand-in StatusNotifierWatcher on a private
 * bus: registration, the icon following the lock state, the dbusmenu menu (Lock now, Quit), and
 * Activate opening the Perihelion window (a stand-in org.perihelion.AuthManager).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "ph-test-util.h"

static const char host_xml[] =
  "<node>"
  " <interface name='org.kde.StatusNotifierWatcher'>"
  "  <method name='RegisterStatusNotifierItem'><arg name='service' type='s' direction='in'/></method>"
  " </interface>"
  " <interface name='org.freedesktop.Application'>"
  "  <method name='Activate'><arg name='platform_data' type='a{sv}' direction='in'/></method>"
  " </interface>"
  "</node>";

static char *registered;        /* the item's service, as registered */
static guint activations;
static guint new_icons;

static void
on_host_call (GDBusConnection       *connection,
              const char            *sender,
              const char            *object_path,
              const char            *interface_name,
              const char            *method,
              GVariant              *parameters,
              GDBusMethodInvocation *invocation,
              gpointer               data)
{
  if (g_str_equal (method, "RegisterStatusNotifierItem"))
    {
      g_free (registered);
      g_variant_get (parameters, "(s)", &registered);
    }
  else if (g_str_equal (method, "Activate"))
    activations++;
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable host_vtable = { on_host_call, NULL, NULL };

static void
on_new_icon (GDBusConnection *connection, const char *sender, const char *path, const char *iface,
             const char *signal, GVariant *parameters, gpointer data)
{
  new_icons++;
}

static gboolean
wait_for (gboolean (*condition) (void), guint ms)
{
  gint64 end = g_get_monotonic_time () + ms * 1000;

  while (!condition ())
    {
      if (g_get_monotonic_time () > end)
        return FALSE;
      g_main_context_iteration (NULL, FALSE);
      g_usleep (5000);
    }
  return TRUE;
}

static gboolean is_registered (void) { return registered != NULL; }
static gboolean is_activated (void) { return activations > 0; }
static gboolean icon_changed (void) { return new_icons > 1; }

static char *
item_property (GDBusConnection *bus,
               const char      *property)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_sync (bus, registered, "/StatusNotifierItem", "org.freedesktop.DBus.Properties", "Get",
                                       g_variant_new ("(ss)", "org.kde.StatusNotifierItem", property),
                                       G_VARIANT_TYPE ("(v)"), G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  g_variant_get (reply, "(v)", &value);
  return g_variant_is_of_type (value, G_VARIANT_TYPE_STRING) || g_variant_is_of_type (value, G_VARIANT_TYPE_OBJECT_PATH)
           ? g_variant_dup_string (value, NULL) : g_variant_print (value, FALSE);
}

/* The id of the menu item labelled @label, from the dbusmenu layout. */
static int
menu_item (GDBusConnection *bus,
           const char      *label)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) layout = NULL;
  g_autoptr(GVariant) children = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_sync (bus, registered, "/MenuBar", "com.canonical.dbusmenu", "GetLayout",
                                       g_variant_new ("(ii^as)", 0, -1, (const char *[]) { NULL }), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
  layout = g_variant_get_child_value (reply, 1);
  children = g_variant_get_child_value (layout, 2);
  for (gsize i = 0; i < g_variant_n_children (children); i++)
    {
      g_autoptr(GVariant) boxed = g_variant_get_child_value (children, i);
      g_autoptr(GVariant) child = g_variant_get_variant (boxed);
      g_autoptr(GVariant) props = g_variant_get_child_value (child, 1);
      const char *text = NULL;
      int id;

      g_variant_get_child (child, 0, "i", &id);
      if (g_variant_lookup (props, "label", "&s", &text) && g_str_equal (text, label))
        return id;
    }
  g_error ("no menu item “%s”", label);
  return -1;
}

static void
click (GDBusConnection *bus,
       int              id)
{
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GError) error = NULL;

  reply = g_dbus_connection_call_sync (bus, registered, "/MenuBar", "com.canonical.dbusmenu", "Event",
                                       g_variant_new ("(isvu)", id, "clicked", g_variant_new_int32 (0), 0), NULL,
                                       G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);
  g_assert_no_error (error);
}

static void
test_tray (void)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (host_xml, NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(GSubprocess) agent = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *vault_path = g_build_filename (dir, "v.phvault", NULL);
  g_autofree char *pw = g_build_filename (dir, "pw", NULL);
  g_autofree char *log = g_build_filename (dir, "audit.log", NULL);
  g_autofree char *icon = NULL, *menu = NULL, *title = NULL, *locked_icon = NULL;
  guint watcher, app;

  {
    g_autoptr(PhVault) vault = ph_test_new_vault (vault_path, "master", NULL);

    g_assert_true (ph_vault_save (vault, NULL));
  }
  g_file_set_contents (pw, "master\n", -1, NULL);

  /* The tray host and the window, stand-ins on the test bus. */
  g_dbus_connection_register_object (bus, "/StatusNotifierWatcher", info->interfaces[0], &host_vtable, NULL, NULL, &error);
  g_assert_no_error (error);
  g_dbus_connection_register_object (bus, "/org/perihelion/AuthManager", info->interfaces[1], &host_vtable, NULL, NULL,
                                     &error);
  g_assert_no_error (error);
  watcher = g_bus_own_name_on_connection (bus, "org.kde.StatusNotifierWatcher", 0, NULL, NULL, NULL, NULL);
  app = g_bus_own_name_on_connection (bus, "org.perihelion.AuthManager", 0, NULL, NULL, NULL, NULL);
  g_dbus_connection_signal_subscribe (bus, NULL, "org.kde.StatusNotifierItem", "NewIcon", "/StatusNotifierItem", NULL,
                                      G_DBUS_SIGNAL_FLAGS_NONE, on_new_icon, NULL, NULL);

  g_subprocess_launcher_take_fd (launcher, g_open (pw, O_RDONLY, 0), 3);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_AUDIT_LOG", log, TRUE);
  agent = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PH_AGENT_PATH"), "--vault", vault_path,
                                       "--password-fd", "3", NULL);
  g_assert_no_error (error);
  g_assert_true (wait_for (is_registered, 10000));

  title = item_property (bus, "Title");
  g_assert_cmpstr (title, ==, "Perihelion");
  icon = item_property (bus, "IconName");
  g_assert_cmpstr (icon, ==, "changes-allow-symbolic");
  menu = item_property (bus, "Menu");
  g_assert_cmpstr (menu, ==, "/MenuBar");

  /* "Lock now" locks; the icon follows. */
  click (bus, menu_item (bus, "Lock now"));
  g_assert_true (wait_for (icon_changed, 5000));
  locked_icon = item_property (bus, "IconName");
  g_assert_cmpstr (locked_icon, ==, "changes-prevent-symbolic");
  g_assert_cmpint (menu_item (bus, "Perihelion is locked"), >, 0);

  /* Activate (a click on the icon) opens the window. */
  {
    g_autoptr(GVariant) reply = g_dbus_connection_call_sync (bus, registered, "/StatusNotifierItem",
                                                             "org.kde.StatusNotifierItem", "Activate",
                                                             g_variant_new ("(ii)", 0, 0), NULL,
                                                             G_DBUS_CALL_FLAGS_NONE, 5000, NULL, &error);

    g_assert_no_error (error);
  }
  g_assert_true (wait_for (is_activated, 5000));

  /* "Quit" ends the agent cleanly. */
  click (bus, menu_item (bus, "Quit"));
  g_subprocess_wait (agent, NULL, NULL);
  g_assert_true (g_subprocess_get_if_exited (agent));
  g_assert_cmpint (g_subprocess_get_exit_status (agent), ==, 0);

  g_bus_unown_name (watcher);
  g_bus_unown_name (app);
  ph_test_remove_dir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GTestDBus) bus = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);
  g_test_add_func ("/tray/host-menu-activate", test_tray);
  status = g_test_run ();
  g_free (registered);
  g_test_dbus_down (bus);
  return status;
}
