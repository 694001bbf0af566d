/* test-sign-in.c: the embedded sign-in window against a real OpenID provider (npm
 * oidc-provider) under Xvfb: the page's login and consent forms are filled in the page itself,
 * the redirect is caught, the code exchanged with PKCE, the ID token verified with its nonce;
 * the header shows the page's real host; closing the window cancels.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "ph-accounts-window.h"
#include "ph-oauth-client.h"
#include "ph-oidc.h"
#include "ph-oidc-test-peer.h"
#include "ph-accounts-test-util.h"

#define REDIRECT "http://127.0.0.1:43211/callback"

static GSubprocess *provider_process;
static char *issuer;

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

/* The accounts window, clicked through against the real agent on this session bus: an account
 * added in the embedded window, one in the "system browser" (a desktop file that hands http URLs
 * to play-user.js, set as the default browser in private XDG directories), one signed in again,
 * one signed out, one sign-in cancelled. The window never sees a token; the test checks the
 * agent's tokens at the provider. */
static char *test_dir;


static char *
token_owner (const char *token)
{
  g_autoptr(PhOAuthClient) client = new_client ();
  g_autoptr(PhSecret) secret = ph_secret_new_from_data ((const guint8 *) token, strlen (token));
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) claims = ph_oauth_client_userinfo (client, secret, NULL, NULL, &error);

  if (claims == NULL)
    return NULL;
  return g_strdup (json_object_get_string_member (claims, "email"));
}

static GtkWidget *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* (transfer none) */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type))
        return window;
    }
  return NULL;
}

static gboolean
has_message_dialog (gpointer data)
{
  return find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}


static void
test_accounts_window (void)
{
  g_autoptr(PhDBusAgent1) agent = NULL;
  g_autoptr(GSubprocess) agent_process = start_agent (test_dir, &agent);
  g_autofree char *token = NULL;
  g_autofree char *token_again = NULL;
  g_autofree char *browser_token = NULL;
  g_autofree char *owner = NULL;
  g_autofree char *account_id = NULL;
  PhAccountsWindow *window = ph_accounts_window_new (NULL, agent);
  Expect expect = { window, 0, "empty" };
  Result result = { 0 };
  gint64 start;

  gtk_window_present (GTK_WINDOW (window));
  iterate_until (shows, &expect, "the empty accounts page");

  /* In the embedded window. */
  start = g_get_monotonic_time ();
  add_account (window, issuer, "work", FALSE, "accounts-add.png");
  play_embedded (window, &result);
  expect = (Expect) { window, 1, "list" };
  iterate_until (shows, &expect, "the account in the list");
  g_test_message ("accounts window: Sign In clicked to the account listed in %.0f ms",
                  (g_get_monotonic_time () - start) / 1000.0);
  g_assert_null (ph_accounts_window_get_sign_in_window (window));
  token = agent_token (agent, "work");
  owner = token_owner (token);
  g_assert_cmpstr (owner, ==, "alice@example.org");
  for (gint64 painted = g_get_monotonic_time () + 300000; g_get_monotonic_time () < painted;)
    g_main_context_iteration (NULL, FALSE);
  screenshot (GTK_WIDGET (window), "accounts.png");

  /* In the "system browser", through the loopback listener. */
  add_account (window, issuer, "browser", TRUE, NULL);
  expect = (Expect) { window, 2, "list" };
  iterate_until (shows, &expect, "the browser sign-in");
  g_assert_null (ph_accounts_window_get_sign_in_window (window));
  browser_token = agent_token (agent, "browser");
  g_clear_pointer (&owner, g_free);
  owner = token_owner (browser_token);
  g_assert_cmpstr (owner, ==, "bob@example.org");

  /* Sign in again to "work" (the first row): new tokens, the same account. */
  {
    GtkWidget *list = child (window, "accounts_list");
    GtkWidget *row = gtk_widget_get_next_sibling (gtk_widget_get_first_child (list));   /* sorted: browser, work */

    g_assert_cmpstr (g_object_get_data (G_OBJECT (row), "ph-account-title"), ==, "work");
    account_id = g_strdup (g_object_get_data (G_OBJECT (row), "ph-account-id"));
    result = (Result) { 0 };
    gtk_widget_activate_action (GTK_WIDGET (window), "accounts.sign-in-again", "s", account_id);
    play_embedded (window, &result);
    iterate_until (not_busy, window, "the second sign-in");
    token_again = agent_token (agent, account_id);
    g_assert_cmpstr (token_again, !=, token);
    g_clear_pointer (&owner, g_free);
    owner = token_owner (token_again);
    g_assert_cmpstr (owner, ==, "alice@example.org");
    g_assert_cmpuint (n_rows (window), ==, 2);
  }

  /* A sign-in closed half-way stores nothing. */
  add_account (window, issuer, "never", FALSE, NULL);
  iterate_until (has_sign_in_window, window, "the sign-in window");
  gtk_window_close (ph_accounts_window_get_sign_in_window (window));
  iterate_until (not_busy, window, "the cancelled sign-in");
  gtk_widget_activate_action (GTK_WIDGET (window), "accounts.back", NULL);
  expect = (Expect) { window, 2, "list" };
  iterate_until (shows, &expect, "the list after cancelling");

  /* Sign out of "work", confirmed in the dialog: revoked at the provider. */
  gtk_widget_activate_action (GTK_WIDGET (window), "accounts.sign-out", "s", account_id);
  iterate_until (has_message_dialog, NULL, "the sign-out dialog");
  adw_message_dialog_response (ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG)), "sign-out");
  expect = (Expect) { window, 1, "list" };
  iterate_until (shows, &expect, "the account gone");
  g_clear_pointer (&owner, g_free);
  owner = token_owner (token_again);
  g_assert_null (owner);   /* 401: revoked */

  gtk_window_destroy (GTK_WINDOW (window));
  g_subprocess_send_signal (agent_process, SIGTERM);
  g_subprocess_wait (agent_process, NULL, NULL);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  /* The "system browser" for the accounts test, set up before GIO reads the XDG directories. */
  test_dir = g_dir_make_tmp ("perihelion-sign-in-XXXXXX", NULL);
  {
    g_autofree char *apps = g_build_filename (test_dir, "data", "applications", NULL);
    g_autofree char *config = g_build_filename (test_dir, "config", NULL);
    g_autofree char *desktop = g_build_filename (apps, "play-browser.desktop", NULL);
    g_autofree char *mimeapps = g_build_filename (config, "mimeapps.list", NULL);
    g_autofree char *script = g_build_filename (g_getenv ("PH_OAUTH_TEST_DIR"), "play-user.js", NULL);
    g_autofree char *entry = g_strdup_printf ("[Desktop Entry]\nType=Application\nName=Play Browser\n"
                                              "Exec=env PLAY_USER_LOGIN=bob node %s --follow %%u\n"
                                              "MimeType=x-scheme-handler/http;\n", script);

    g_mkdir_with_parents (apps, 0700);
    g_mkdir_with_parents (config, 0700);
    g_file_set_contents (desktop, entry, -1, NULL);
    g_file_set_contents (mimeapps, "[Default Applications]\nx-scheme-handler/http=play-browser.desktop\n", -1, NULL);
    g_setenv ("XDG_DATA_HOME", g_build_filename (test_dir, "data", NULL), TRUE);
    g_setenv ("XDG_CONFIG_HOME", config, TRUE);
  }
  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  if (!(provider_process = ph_test_start_oidc_provider (&issuer)))
    {
      g_test_skip ("node and npm oidc-provider are needed (build-aux/dev test installs them)");
      return g_test_run ();
    }
  g_test_add_func ("/sign-in/code-flow", test_sign_in);
  g_test_add_func ("/sign-in/cancel", test_cancel);
  g_test_add_func ("/sign-in/accounts-window", test_accounts_window);
  status = g_test_run ();
  ph_test_stop_oidc_provider (provider_process);
  g_free (issuer);
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", test_dir);

    (void) system (cmd);
  }
  return status;
}
