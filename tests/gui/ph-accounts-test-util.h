/* ph-accounts-test-util.h: driving the accounts window and its embedded sign-in against the
 * real agent and npm oidc-provider, for test-sign-in and ph-bench-oauth.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <string.h>
#include <adwaita.h>

#include "ph-accounts-window.h"
#include "ph-oauth-catalog.h"
#include "ph-sign-in-window.h"
#include "ph-test-util.h"

typedef struct
{
  gboolean finished;
  char *redirect;
  int pages;
} Result;

static inline void
on_finished (PhSignInWindow *window,
             const char     *redirect,
             Result         *result)
{
  result->finished = TRUE;
  result->redirect = g_strdup (redirect);
}

/* What a person does on each page: log in as alice, then consent. */
static const char fill_script[] =
  "(function () {"
  "  var login = document.querySelector('input[name=login]');"
  "  if (login) {"
  "    login.value = 'alice';"
  "    document.querySelector('input[name=password]').value = 'any password';"
  "  }"
  "  var form = document.querySelector('form');"
  "  if (form) { form.submit(); return 'submitted'; }"
  "  return 'no form';"
  "})();";

/* The login page as a person sees it, saved once (PH_SCREENSHOT_DIR) before the form is filled. */
static inline void
screenshot (GtkWidget  *widget,
            const char *name)
{
  const char *dir = g_getenv ("PH_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  int width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);

  if (dir == NULL || width <= 0)
    return;
  g_mkdir_with_parents (dir, 0755);
  paintable = gtk_widget_paintable_new (widget);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  if (node == NULL)
    return;
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_build_filename (dir, name, NULL);
  gdk_texture_save_to_png (texture, path);
}

static inline gboolean
fill_later (gpointer data)
{
  WebKitWebView *view = data;

  screenshot (GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (view))), "sign-in.png");
  webkit_web_view_evaluate_javascript (view, fill_script, -1, NULL, NULL, NULL, NULL, NULL);
  return G_SOURCE_REMOVE;
}

static inline void
on_load_changed (WebKitWebView   *view,
                 WebKitLoadEvent  event,
                 Result          *result)
{
  if (event != WEBKIT_LOAD_FINISHED)
    return;
  result->pages++;
  if (result->pages == 1 && g_getenv ("PH_SCREENSHOT_DIR"))
    g_timeout_add (300, fill_later, view);   /* painted first */
  else
    webkit_web_view_evaluate_javascript (view, fill_script, -1, NULL, NULL, NULL, NULL, NULL);
}


static inline void
iterate_until (gboolean (*done) (gpointer data),
               gpointer    data,
               const char *what)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("Timed out waiting for %s", what);
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

static inline GtkWidget *
child (PhAccountsWindow *window,
       const char       *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (window), PH_TYPE_ACCOUNTS_WINDOW, name));
}

static inline guint
n_rows (PhAccountsWindow *window)
{
  GtkWidget *list = child (window, "accounts_list");
  guint n = 0;

  for (GtkWidget *row = gtk_widget_get_first_child (list); row; row = gtk_widget_get_next_sibling (row))
    n++;
  return n;
}

static const char *
page (PhAccountsWindow *window)
{
  return gtk_stack_get_visible_child_name (GTK_STACK (child (window, "stack")));
}

typedef struct
{
  PhAccountsWindow *window;
  guint rows;
  const char *page;
} Expect;

static inline gboolean
shows (gpointer data)
{
  Expect *expect = data;

  return n_rows (expect->window) == expect->rows && g_strcmp0 (page (expect->window), expect->page) == 0;
}

static inline gboolean
has_sign_in_window (gpointer data)
{
  return ph_accounts_window_get_sign_in_window (data) != NULL;
}

static inline gboolean
not_busy (gpointer data)
{
  return !gtk_widget_get_visible (child (data, "cancel_button"));
}

static inline void
set_row (PhAccountsWindow *window,
         const char       *name,
         const char       *text)
{
  gtk_editable_set_text (GTK_EDITABLE (child (window, name)), text);
}

/* Fills the form for the test provider and clicks Sign In. */
static inline void
add_account (PhAccountsWindow *window,
             const char       *issuer,
             const char       *name,
             gboolean          in_browser,
             const char       *screenshot_name)
{
  g_autoptr(PhOAuthCatalog) catalog = ph_oauth_catalog_load_default (NULL);
  g_auto(GStrv) ids = ph_oauth_catalog_dup_ids (catalog);
  guint oidc = 0;

  gtk_widget_activate_action (GTK_WIDGET (window), "accounts.add", NULL);
  g_assert_cmpstr (page (window), ==, "add");
  while (ids[oidc] && !g_str_equal (ids[oidc], "oidc"))
    oidc++;
  adw_combo_row_set_selected (ADW_COMBO_ROW (child (window, "provider_row")), oidc);
  g_assert_true (gtk_widget_get_visible (child (window, "issuer_row")));
  g_assert_false (gtk_widget_get_visible (child (window, "tenant_row")));
  /* Without a client id there is nothing to sign in with. */
  set_row (window, "client_id_row", "");
  g_assert_false (gtk_widget_is_sensitive (child (window, "sign_in_button")));
  set_row (window, "client_id_row", "perihelion");
  set_row (window, "issuer_row", issuer);
  set_row (window, "name_row", name);
  gtk_switch_set_active (GTK_SWITCH (child (window, "browser_switch")), in_browser);
  g_assert_true (gtk_widget_is_sensitive (child (window, "sign_in_button")));
  if (screenshot_name)
    {
      for (gint64 painted = g_get_monotonic_time () + 300000; g_get_monotonic_time () < painted;)
        g_main_context_iteration (NULL, FALSE);
      screenshot (GTK_WIDGET (window), screenshot_name);
    }
  g_signal_emit_by_name (child (window, "sign_in_button"), "clicked");
}

/* Plays the person in the embedded window the accounts window opened. */
static inline void
play_embedded (PhAccountsWindow *window,
               Result           *result)
{
  GtkWindow *sign_in;

  iterate_until (has_sign_in_window, window, "the sign-in window");
  sign_in = ph_accounts_window_get_sign_in_window (window);
  g_signal_connect (ph_sign_in_window_get_web_view (PH_SIGN_IN_WINDOW (sign_in)), "load-changed",
                    G_CALLBACK (on_load_changed), result);
}

static inline char *
agent_token (PhDBusAgent1 *agent,
             const char   *account)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) token = NULL;
  gint64 expires_at = 0;
  gsize len;
  const char *data;

  ph_dbus_agent1_call_get_oauth_token_sync (agent, account, &token, &expires_at, NULL, &error);
  g_assert_no_error (error);
  data = g_variant_get_fixed_array (token, &len, 1);
  return g_strndup (data, len);
}

static inline GSubprocess *
start_agent (const char    *test_dir,
             PhDBusAgent1 **out_agent)
{
  g_autofree char *vault_path = g_build_filename (test_dir, "v.phvault", NULL);
  g_autofree char *pw = g_build_filename (test_dir, "pw", NULL);
  g_autofree char *log = g_build_filename (test_dir, "audit.log", NULL);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(GError) error = NULL;
  GSubprocess *agent;
  PhDBusAgent1 *proxy = NULL;

  g_assert_true (g_file_set_contents (pw, "master\n", -1, NULL));
  vault = ph_test_new_vault (vault_path, "master", NULL);
  g_assert_true (ph_vault_save (vault, &error));
  g_subprocess_launcher_set_stdin_file_path (launcher, pw);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_AGENT_NO_WINDOWS", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_TRUSTED_GUI", self_exe, TRUE);
  if (g_getenv ("PH_CLI_PATH"))
    {
      g_autofree char *cli_dir = g_path_get_dirname (g_getenv ("PH_CLI_PATH"));
      g_autofree char *trusted = g_strdup_printf ("%s:%s/git-credential-perihelion", g_getenv ("PH_CLI_PATH"), cli_dir);

      g_subprocess_launcher_setenv (launcher, "PERIHELION_TRUSTED_CLI", trusted, TRUE);
    }
  g_subprocess_launcher_setenv (launcher, "PERIHELION_AUDIT_LOG", log, TRUE);
  agent = g_subprocess_launcher_spawn (launcher, &error, g_getenv ("PH_AGENT_PATH"), "--vault", vault_path,
                                       "--password-fd", "0", "--no-tray", "--idle-timeout", "0", NULL);
  g_assert_no_error (error);
  for (int i = 0; i < 200; i++)
    {
      g_autofree char *owner = NULL;

      g_clear_object (&proxy);
      proxy = ph_dbus_agent1_proxy_new_for_bus_sync (G_BUS_TYPE_SESSION, G_DBUS_PROXY_FLAGS_NONE,
                                                     "org.perihelion.Agent", "/org/perihelion/Agent", NULL, &error);
      g_assert_no_error (error);
      if ((owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (proxy))) && !ph_dbus_agent1_get_locked (proxy))
        break;
      g_usleep (50 * 1000);
    }
  g_assert_false (ph_dbus_agent1_get_locked (proxy));
  *out_agent = proxy;
  return agent;
}
