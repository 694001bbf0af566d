/* test-security-keys.c: security keys clicked through in the app's Preferences under Xvfb, all
 * the way: the agent runs in this process (its library, on this session bus) with the software
 * authenticator as its "USB port", so registering a key and setting up quick unlock really talk
 * CTAP2 through libfido2. Then the vault is locked and opened with a touch, and a critical entry
 * is released after the key's assertion, with no code or password asked.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "ph-agent.h"
#include "ph-agent-private.h"
#include "ph-fido2.h"
#include "ph-preferences-window.h"
#include "ph-soft-authenticator.h"
#include "ph-test-util.h"

static char *dir;

static fido_dev_t *
open_soft_key (gpointer  data,
               GError  **error)
{
  return ph_soft_authenticator_open (data);
}

static GtkWidget *
find (GtkWidget  *root,
      const char *id)
{
  const char *own = GTK_IS_BUILDABLE (root) ? gtk_buildable_get_buildable_id (GTK_BUILDABLE (root)) : NULL;

  if (own && g_str_equal (own, id))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find (child, id);

      if (found)
        return found;
    }
  return NULL;
}

static void
wait_for (gboolean (*done) (gpointer), gpointer data, const char *what)
{
  gint64 deadline = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static gboolean
key_registered (gpointer data)
{
  GtkWidget *row = find (data, "keys_row");

  return row && g_strcmp0 (adw_expander_row_get_subtitle (ADW_EXPANDER_ROW (row)), "1 registered") == 0;
}

static gboolean
quick_unlock_on (gpointer data)
{
  GtkWidget *row = find (data, "quick_unlock_row");

  return row && g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (row)), "On:");
}

static gboolean
idle_for_a_moment (gpointer data)
{
  return g_get_monotonic_time () > *(gint64 *) data;
}

typedef struct
{
  gboolean done;
  GError *error;
  GVariant *value;
} Call;

static void
proxy_done (GObject      *object,
            GAsyncResult *result,
            gpointer      data)
{
  Call *call = data;

  call->value = (GVariant *) ph_dbus_agent1_proxy_new_finish (result, &call->error);
  call->done = TRUE;
}

static void
unlock_done (GObject      *object,
             GAsyncResult *result,
             gpointer      data)
{
  Call *call = data;

  ph_dbus_agent1_call_unlock_with_security_key_finish (PH_DBUS_AGENT1 (object), result, &call->error);
  call->done = TRUE;
}

static void
secret_done (GObject      *object,
             GAsyncResult *result,
             gpointer      data)
{
  Call *call = data;
  int ttl;

  ph_dbus_agent1_call_get_secret_finish (PH_DBUS_AGENT1 (object), &call->value, &ttl, result, &call->error);
  call->done = TRUE;
}

static gboolean
call_done (gpointer data)
{
  return ((Call *) data)->done;
}

static void
test_security_keys (void)
{
  g_autofree char *vault_path = g_build_filename (dir, "v.phvault", NULL);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr(PhSoftAuthenticator) authenticator = ph_soft_authenticator_new ();
  g_autoptr(PhSecret) password = ph_secret_new_from_text ("master");
  g_autoptr(PhAgent) agent = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PhDBusAgent1) proxy = NULL;
  GtkWidget *window;
  Call call = { 0 };
  gint64 until;

  {
    g_autoptr(PhVault) vault = ph_test_new_vault (vault_path, "master", NULL);
    g_autoptr(PhEntry) bank = ph_test_add_entry (vault, "Bank", "me", "https://bank.example", "b4nk");

    g_autoptr(PhEntry) mail = ph_test_add_entry (vault, "Mail", "me", "https://mail.example", "m4il");

    ph_entry_set_sensitivity (bank, PH_SENSITIVITY_CRITICAL);
    ph_entry_set_sensitivity (mail, PH_SENSITIVITY_HIGH);
    g_assert_true (ph_vault_save (vault, NULL));
  }
  ph_fido2_set_device_opener (open_soft_key, authenticator);

  /* The agent, in this process, on its own connection to the session bus. */
  agent = ph_agent_new (vault_path);
  ph_agent_add_trusted_gui (agent, self_exe);
  g_assert_true (ph_agent_unlock (agent, password, &error));
  connection = g_dbus_connection_new_for_address_sync (g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, NULL),
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (ph_agent_export (agent, connection, &error));
  g_bus_own_name_on_connection (connection, "org.perihelion.Agent", G_BUS_NAME_OWNER_FLAGS_NONE, NULL, NULL, NULL, NULL);
  until = g_get_monotonic_time () + 300 * 1000;
  wait_for (idle_for_a_moment, &until, "the name");

  /* The app's side: a proxy made asynchronously (the agent answers on this same main loop). */
  ph_dbus_agent1_proxy_new_for_bus (G_BUS_TYPE_SESSION, G_DBUS_PROXY_FLAGS_NONE, "org.perihelion.Agent",
                                    "/org/perihelion/Agent", NULL, proxy_done, &call);
  wait_for (call_done, &call, "the proxy");
  g_assert_no_error (call.error);
  proxy = (PhDBusAgent1 *) call.value;

  window = GTK_WIDGET (ph_preferences_window_new (NULL, proxy));
  gtk_window_present (GTK_WINDOW (window));
  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (window), "security");

  /* Add… : the software key is touched, registered with user verification. */
  g_signal_emit_by_name (find (window, "key_add_button"), "clicked");
  wait_for (key_registered, window, "the key in the list");
  /* Quick unlock: two more touches. */
  g_signal_emit_by_name (find (window, "quick_unlock_button"), "clicked");
  wait_for (quick_unlock_on, window, "quick unlock");
  until = g_get_monotonic_time () + 300 * 1000;
  wait_for (idle_for_a_moment, &until, "a painted window");
  if (g_getenv ("PH_SCREENSHOT_DIR"))
    {
      g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (window);
      g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
      g_autoptr(GskRenderNode) node = NULL;
      int width = gtk_widget_get_width (window), height = gtk_widget_get_height (window);

      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
      node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
      if (node)
        {
          g_autoptr(GdkTexture) texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)),
                                                                       node, &GRAPHENE_RECT_INIT (0, 0, width, height));
          g_autofree char *path = g_build_filename (g_getenv ("PH_SCREENSHOT_DIR"), "security-keys.png", NULL);

          g_mkdir_with_parents (g_getenv ("PH_SCREENSHOT_DIR"), 0755);
          gdk_texture_save_to_png (texture, path);
        }
    }
  g_assert_true (ph_vault_has_slot (ph_agent_get_vault (agent), PH_KEY_SLOT_SECURITY_KEY));

  /* Locked, then opened with a touch. */
  ph_agent_lock (agent);
  call = (Call) { 0 };
  ph_dbus_agent1_call_unlock_with_security_key (proxy, NULL, unlock_done, &call);
  wait_for (call_done, &call, "the unlock");
  g_assert_no_error (call.error);
  g_assert_nonnull (ph_agent_get_vault (agent));

  /* A high entry: the key's assertion (with user verification) is the second factor; nothing
   * else is asked, and the secret comes. */
  call = (Call) { 0 };
  ph_dbus_agent1_call_get_secret (proxy, "Mail", "password", "reveal", NULL, secret_done, &call);
  wait_for (call_done, &call, "the secret");
  g_assert_no_error (call.error);
  {
    gsize len;
    const char *data = g_variant_get_fixed_array (call.value, &len, 1);

    g_assert_cmpmem (data, len, "m4il", 4);
  }
  g_clear_pointer (&call.value, g_variant_unref);

  /* A critical entry also wants the master password within 15 minutes: a touch unlock is not
   * one, and this agent has nobody to ask: refused for that, not for the key. */
  call = (Call) { 0 };
  ph_dbus_agent1_call_get_secret (proxy, "Bank", "password", "reveal", NULL, secret_done, &call);
  wait_for (call_done, &call, "the secret");
  g_assert_nonnull (call.error);
  g_assert_nonnull (strstr (call.error->message, "master password"));
  g_clear_error (&call.error);

  {
    g_autofree char *audit = NULL;

    ph_agent_flush_audit (agent);
    ph_broker_finish (ph_agent_get_broker (agent), NULL);
    g_assert_true (g_file_get_contents (g_getenv ("PERIHELION_AUDIT_LOG"), &audit, NULL, NULL));
    g_assert_nonnull (strstr (audit, "second factor: security key with user verification"));
    g_assert_null (strstr (audit, "m4il"));
  }
  gtk_window_destroy (GTK_WINDOW (window));
  ph_fido2_set_device_opener (NULL, NULL);
  ph_agent_unexport (agent);
  ph_agent_lock (agent);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *log = NULL;
  int status;

  dir = ph_test_make_dir ();
  log = g_build_filename (dir, "audit.log", NULL);
  g_setenv ("PERIHELION_AUDIT_LOG", log, TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  g_test_add_func ("/security-keys/enroll-and-unlock", test_security_keys);
  status = g_test_run ();
  ph_test_remove_dir (dir);
  return status;
}
