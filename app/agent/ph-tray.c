/* ph-tray.c: the agent's tray icon: a StatusNotifierItem with a dbusmenu menu.
 *
 * GTK 4 has no tray API and AppIndicator libraries are GTK 3 only, so the agent speaks the
 * StatusNotifierItem protocol itself over GDBus, with its menu served by libdbusmenu-glib (no
 * GTK). It registers with org.kde.StatusNotifierWatcher whenever one appears; without a tray
 * host nothing is shown and the agent works the same. The icon and tooltip follow the vault's
 * state; Activate opens the Perihelion window; the menu locks, opens the window or quits.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "perihelion-agent"

#include "config.h"

#include <signal.h>
#include <libdbusmenu-glib/dbusmenu-glib.h>
#include <glib/gi18n.h>

#include "ph-tray.h"

#define ITEM_PATH "/StatusNotifierItem"
#define MENU_PATH "/MenuBar"
#define ITEM_IFACE "org.kde.StatusNotifierItem"
#define WATCHER_NAME "org.kde.StatusNotifierWatcher"
#define ICON_LOCKED "changes-prevent-symbolic"
#define ICON_UNLOCKED "changes-allow-symbolic"

static const char introspection_xml[] =
  "<node>"
  " <interface name='org.kde.StatusNotifierItem'>"
  "  <method name='ContextMenu'><arg name='x' type='i' direction='in'/><arg name='y' type='i' direction='in'/></method>"
  "  <method name='Activate'><arg name='x' type='i' direction='in'/><arg name='y' type='i' direction='in'/></method>"
  "  <method name='SecondaryActivate'><arg name='x' type='i' direction='in'/><arg name='y' type='i' direction='in'/></method>"
  "  <method name='Scroll'><arg name='delta' type='i' direction='in'/><arg name='orientation' type='s' direction='in'/></method>"
  "  <property name='Category' type='s' access='read'/>"
  "  <property name='Id' type='s' access='read'/>"
  "  <property name='Title' type='s' access='read'/>"
  "  <property name='Status' type='s' access='read'/>"
  "  <property name='WindowId' type='i' access='read'/>"
  "  <property name='IconName' type='s' access='read'/>"
  "  <property name='IconPixmap' type='a(iiay)' access='read'/>"
  "  <property name='OverlayIconName' type='s' access='read'/>"
  "  <property name='AttentionIconName' type='s' access='read'/>"
  "  <property name='ToolTip' type='(sa(iiay)ss)' access='read'/>"
  "  <property name='ItemIsMenu' type='b' access='read'/>"
  "  <property name='Menu' type='o' access='read'/>"
  "  <signal name='NewTitle'/>"
  "  <signal name='NewIcon'/>"
  "  <signal name='NewToolTip'/>"
  "  <signal name='NewStatus'><arg name='status' type='s'/></signal>"
  " </interface>"
  "</node>";

struct _PhTray
{
  GObject parent_instance;

  PhAgent *agent;
  GDBusConnection *connection;
  GDBusNodeInfo *info;
  guint object_id;
  guint watch_id;
  DbusmenuServer *menu;
  DbusmenuMenuitem *state_item;
  DbusmenuMenuitem *unlock_item;
  DbusmenuMenuitem *lock_item;
};

G_DEFINE_FINAL_TYPE (PhTray, ph_tray, G_TYPE_OBJECT)

static void
ph_tray_dispose (GObject *object)
{
  PhTray *self = PH_TRAY (object);

  if (self->agent)
    g_signal_handlers_disconnect_by_data (self->agent, self);
  g_clear_handle_id (&self->watch_id, g_bus_unwatch_name);
  if (self->object_id)
    g_dbus_connection_unregister_object (self->connection, self->object_id);
  self->object_id = 0;
  g_clear_object (&self->menu);
  g_clear_object (&self->state_item);
  g_clear_object (&self->lock_item);
  g_clear_object (&self->unlock_item);
  g_clear_object (&self->connection);
  g_clear_object (&self->agent);
  g_clear_pointer (&self->info, g_dbus_node_info_unref);

  G_OBJECT_CLASS (ph_tray_parent_class)->dispose (object);
}

static void
ph_tray_class_init (PhTrayClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ph_tray_dispose;
}

static void
ph_tray_init (PhTray *self)
{
  self->info = g_dbus_node_info_new_for_xml (introspection_xml, NULL);
}

PhTray *
ph_tray_new (PhAgent *agent)
{
  PhTray *self = g_object_new (PH_TYPE_TRAY, NULL);

  self->agent = g_object_ref (agent);
  return self;
}

static const char *
state_text (PhTray *self)
{
  return ph_agent_get_locked (self->agent) ? _("Perihelion is locked") : _("Perihelion is unlocked");
}

/* Opens the Perihelion window: the GUI is D-Bus activatable as org.perihelion.AuthManager. */
static void
open_window (PhTray *self)
{
  GVariantBuilder platform;

  g_variant_builder_init (&platform, G_VARIANT_TYPE_VARDICT);
  g_dbus_connection_call (self->connection, APP_ID, "/org/perihelion/AuthManager", "org.freedesktop.Application",
                          "Activate", g_variant_new ("(a{sv})", &platform), NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                          NULL, NULL);
}

static void
on_method_call (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               data)
{
  PhTray *self = data;

  if (g_str_equal (method, "Activate") || g_str_equal (method, "SecondaryActivate"))
    open_window (self);
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static GVariant *
on_get_property (GDBusConnection  *connection,
                 const char       *sender,
                 const char       *object_path,
                 const char       *interface_name,
                 const char       *property,
                 GError          **error,
                 gpointer          data)
{
  PhTray *self = data;
  gboolean locked = ph_agent_get_locked (self->agent);

  if (g_str_equal (property, "Category"))
    return g_variant_new_string ("ApplicationStatus");
  if (g_str_equal (property, "Id"))
    return g_variant_new_string ("perihelion");
  if (g_str_equal (property, "Title"))
    return g_variant_new_string ("Perihelion");
  if (g_str_equal (property, "Status"))
    return g_variant_new_string ("Active");
  if (g_str_equal (property, "WindowId"))
    return g_variant_new_int32 (0);
  if (g_str_equal (property, "IconName"))
    return g_variant_new_string (locked ? ICON_LOCKED : ICON_UNLOCKED);
  if (g_str_equal (property, "IconPixmap"))
    return g_variant_new ("a(iiay)", NULL);
  if (g_str_equal (property, "OverlayIconName") || g_str_equal (property, "AttentionIconName"))
    return g_variant_new_string ("");
  if (g_str_equal (property, "ToolTip"))
    return g_variant_new ("(sa(iiay)ss)", locked ? ICON_LOCKED : ICON_UNLOCKED, NULL, "Perihelion", state_text (self));
  if (g_str_equal (property, "ItemIsMenu"))
    return g_variant_new_boolean (FALSE);
  if (g_str_equal (property, "Menu"))
    return g_variant_new_object_path (MENU_PATH);
  g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_PROPERTY, "%s", property);
  return NULL;
}

static const GDBusInterfaceVTable vtable = { on_method_call, on_get_property, NULL };

static void
on_locked_changed (PhTray *self)
{
  gboolean locked = ph_agent_get_locked (self->agent);

  dbusmenu_menuitem_property_set (self->state_item, DBUSMENU_MENUITEM_PROP_LABEL, state_text (self));
  dbusmenu_menuitem_property_set_bool (self->lock_item, DBUSMENU_MENUITEM_PROP_ENABLED, !locked);
  dbusmenu_menuitem_property_set_bool (self->unlock_item, DBUSMENU_MENUITEM_PROP_VISIBLE,
                                       ph_agent_can_prompt (self->agent));
  dbusmenu_menuitem_property_set_bool (self->unlock_item, DBUSMENU_MENUITEM_PROP_ENABLED, locked);
  g_dbus_connection_emit_signal (self->connection, NULL, ITEM_PATH, ITEM_IFACE, "NewIcon", NULL, NULL);
  g_dbus_connection_emit_signal (self->connection, NULL, ITEM_PATH, ITEM_IFACE, "NewToolTip", NULL, NULL);
}

static void
on_lock_activated (DbusmenuMenuitem *item,
                   guint             timestamp,
                   PhTray           *self)
{
  ph_agent_lock (self->agent);
}

static gboolean
unlock_later (gpointer data)
{
  PhTray *self = data;

  ph_agent_request_unlock (self->agent, _("Unlock the vault"));
  g_object_unref (self);
  return G_SOURCE_REMOVE;
}

static void
on_unlock_activated (DbusmenuMenuitem *item,
                     guint             timestamp,
                     PhTray           *self)
{
  /* Not from inside the menu's D-Bus call: the window waits for its answer. */
  g_idle_add (unlock_later, g_object_ref (self));
}

static void
on_open_activated (DbusmenuMenuitem *item,
                   guint             timestamp,
                   PhTray           *self)
{
  open_window (self);
}

static void
on_quit_activated (DbusmenuMenuitem *item,
                   guint             timestamp,
                   PhTray           *self)
{
  /* SIGTERM is the agent's orderly quit: it locks (audit written, keys wiped) and leaves. */
  raise (SIGTERM);
}

static DbusmenuMenuitem *
add_item (DbusmenuMenuitem *root,
          const char       *label,
          GCallback         activated,
          PhTray           *self)
{
  DbusmenuMenuitem *item = dbusmenu_menuitem_new ();

  dbusmenu_menuitem_property_set (item, DBUSMENU_MENUITEM_PROP_LABEL, label);
  if (activated)
    g_signal_connect (item, DBUSMENU_MENUITEM_SIGNAL_ITEM_ACTIVATED, activated, self);
  else
    dbusmenu_menuitem_property_set_bool (item, DBUSMENU_MENUITEM_PROP_ENABLED, FALSE);
  dbusmenu_menuitem_child_append (root, item);
  return item;
}

static void
on_watcher_appeared (GDBusConnection *connection,
                     const char      *name,
                     const char      *owner,
                     gpointer         data)
{
  /* Our unique name is the item's service; its object is at /StatusNotifierItem. */
  g_dbus_connection_call (connection, WATCHER_NAME, "/StatusNotifierWatcher", WATCHER_NAME,
                          "RegisterStatusNotifierItem",
                          g_variant_new ("(s)", g_dbus_connection_get_unique_name (connection)), NULL,
                          G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL, NULL);
}

/**
 * ph_tray_start:
 *
 * Exports the item and its menu on @connection, and registers with a tray host whenever one
 * appears.
 */
gboolean
ph_tray_start (PhTray           *self,
               GDBusConnection  *connection,
               GError          **error)
{
  DbusmenuMenuitem *root = dbusmenu_menuitem_new ();
  DbusmenuMenuitem *open, *quit;

  self->connection = g_object_ref (connection);
  self->object_id = g_dbus_connection_register_object (connection, ITEM_PATH, self->info->interfaces[0], &vtable,
                                                       self, NULL, error);
  if (self->object_id == 0)
    return FALSE;

  self->menu = dbusmenu_server_new (MENU_PATH);
  self->state_item = add_item (root, state_text (self), NULL, self);
  self->unlock_item = add_item (root, _("Unlock…"), G_CALLBACK (on_unlock_activated), self);
  self->lock_item = add_item (root, _("Lock now"), G_CALLBACK (on_lock_activated), self);
  open = add_item (root, _("Open Perihelion"), G_CALLBACK (on_open_activated), self);
  quit = add_item (root, _("Quit"), G_CALLBACK (on_quit_activated), self);
  g_object_unref (open);
  g_object_unref (quit);
  dbusmenu_server_set_root (self->menu, root);
  g_object_unref (root);
  g_signal_connect_swapped (self->agent, "notify::locked", G_CALLBACK (on_locked_changed), self);
  on_locked_changed (self);

  self->watch_id = g_bus_watch_name_on_connection (connection, WATCHER_NAME, G_BUS_NAME_WATCHER_FLAGS_NONE,
                                                   on_watcher_appeared, NULL, self, NULL);
  return TRUE;
}
