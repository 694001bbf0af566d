/* test-sign-in.c: the embedded sign-in window against a real OpenID provider (npm
 * oidc-provider) under Xvfb: the page's login and consent forms are filled in the page itself,
 * the redirect is caught, the code exchanged with PKCE, the ID token verified with its nonce;
 * the header shows the page's real host; closing the window cancels.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "ph-oauth-client.h"
#include "ph-oidc.h"
#include "ph-oidc-test-peer.h"
#include "ph-sign-in-window.h"

#define REDIRECT "http://127.0.0.1:43211/callback"

static GSubprocess *provider_process;
static char *issuer;

typedef struct
{
  gboolean finished;
  char *redirect;
  int pages;
} Result;

static void
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
static void
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
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (widget)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_build_filename (dir, name, NULL);
  gdk_texture_save_to_png (texture, path);
}

static gboolean
fill_later (gpointer data)
{
  WebKitWebView *view = data;

  screenshot (GTK_WIDGET (gtk_widget_get_root (GTK_WIDGET (view))), "sign-in.png");
  webkit_web_view_evaluate_javascript (view, fill_script, -1, NULL, NULL, NULL, NULL, NULL);
  return G_SOURCE_REMOVE;
}

static void
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

static gboolean
timed_out (gpointer data)
{
  g_error ("The sign-in did not finish");
  return G_SOURCE_REMOVE;
}

static PhOAuthClient *
new_client (void)
{
  g_autoptr(GError) error = NULL;
  PhOAuthClient *client = ph_test_oidc_client (issuer);

  g_assert_true (ph_oauth_client_discover (client, NULL, &error));
  g_assert_no_error (error);
  return client;
}

static void
test_sign_in (void)
{
  g_autoptr(PhOAuthClient) client = new_client ();
  g_autoptr(GError) error = NULL;
  g_autofree char *verifier = ph_pkce_new_verifier ();
  g_autofree char *challenge = ph_pkce_challenge_s256 (verifier);
  g_autofree char *state = ph_oauth_random_token ();
  g_autofree char *nonce = ph_oauth_random_token ();
  g_autofree char *url = ph_oauth_authorization_url (ph_oauth_client_get_provider (client), "perihelion", REDIRECT,
                                                     "openid email offline_access", state, nonce, challenge, &error);
  g_autofree char *code = NULL;
  g_autofree char *expected_host = g_strdup (strstr (issuer, "//") + 2);
  g_autoptr(PhOAuthTokens) tokens = NULL;
  g_autoptr(JsonObject) claims = NULL;
  PhSignInWindow *window;
  Result result = { 0 };
  gint64 start = g_get_monotonic_time ();
  guint watchdog;

  g_assert_no_error (error);
  window = ph_sign_in_window_new (NULL, "Test provider", url, REDIRECT);
  g_signal_connect (window, "finished", G_CALLBACK (on_finished), &result);
  g_signal_connect (ph_sign_in_window_get_web_view (window), "load-changed", G_CALLBACK (on_load_changed), &result);
  gtk_window_present (GTK_WINDOW (window));
  watchdog = g_timeout_add_seconds (60, timed_out, NULL);
  while (!result.finished)
    {
      g_main_context_iteration (NULL, TRUE);
      /* The header names the page's host once one has loaded. */
      if (!result.finished && result.pages > 0)
        g_assert_cmpstr (ph_sign_in_window_get_host (window), ==, expected_host);
    }
  g_source_remove (watchdog);
  g_test_message ("sign-in window: %d pages, %.0f ms to the redirect", result.pages,
                  (g_get_monotonic_time () - start) / 1000.0);
  g_assert_nonnull (result.redirect);
  code = ph_oauth_parse_redirect (result.redirect, state, &error);
  g_assert_no_error (error);
  tokens = ph_oauth_client_exchange_code (client, code, verifier, REDIRECT, NULL, &error);
  g_assert_no_error (error);
  claims = ph_oauth_client_verify_id_token (client, tokens->id_token, nonce, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string_member (claims, "sub"), ==, "alice");
  g_test_message ("sign-in to a verified ID token: %.0f ms", (g_get_monotonic_time () - start) / 1000.0);
  g_free (result.redirect);
}

static void
test_cancel (void)
{
  g_autoptr(PhOAuthClient) client = new_client ();
  PhSignInWindow *window = ph_sign_in_window_new (NULL, "Test provider", ph_oauth_client_get_provider (client)->authorization_endpoint,
                                                  REDIRECT);
  Result result = { 0 };

  g_signal_connect (window, "finished", G_CALLBACK (on_finished), &result);
  gtk_window_present (GTK_WINDOW (window));
  gtk_window_close (GTK_WINDOW (window));
  while (!result.finished)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (result.redirect);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  if (!(provider_process = ph_test_start_oidc_provider (&issuer)))
    {
      g_test_skip ("node and npm oidc-provider are needed (build-aux/dev test installs them)");
      return g_test_run ();
    }
  g_test_add_func ("/sign-in/code-flow", test_sign_in);
  g_test_add_func ("/sign-in/cancel", test_cancel);
  status = g_test_run ();
  ph_test_stop_oidc_provider (provider_process);
  g_free (issuer);
  return status;
}
