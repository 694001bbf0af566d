/* test-catalog.c: the provider catalog: every entry resolves to well-formed endpoints, a
 * parameter cannot change a URL's shape, and the authorization request is built and escaped as
 * RFC 6749, 7636 and 8252 say. (Hosts that are not reachable here are checked this way; the
 * flows themselves are tested against a real OpenID provider.)
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ph-oauth-catalog.h"
#include "ph-oidc.h"

static GHashTable *
params (const char *first, ...)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  va_list args;

  va_start (args, first);
  for (const char *key = first; key; key = va_arg (args, const char *))
    g_hash_table_insert (table, g_strdup (key), g_strdup (va_arg (args, const char *)));
  va_end (args);
  return table;
}

static void
assert_https (const char *url)
{
  g_autoptr(GUri) uri = NULL;

  if (url == NULL)
    return;
  uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  g_assert_nonnull (uri);
  g_assert_cmpstr (g_uri_get_scheme (uri), ==, "https");
  g_assert_null (strchr (url, '{'));
}

static void
test_every_provider (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhOAuthCatalog) catalog = ph_oauth_catalog_load_default (&error);
  g_autoptr(GHashTable) account = params ("realm_url", "https://sso.example.org/realms/dev", "domain", "dev-123.okta.com",
                                          "issuer", "https://issuer.example", "start_url",
                                          "https://my-sso.awsapps.com/start", NULL);
  g_auto(GStrv) ids = NULL;
  const char *expected[] = { "github", "gitlab", "gitea", "google", "microsoft", "keycloak", "okta", "aws", "oidc" };

  g_assert_no_error (error);
  ids = ph_oauth_catalog_dup_ids (catalog);
  g_assert_cmpuint (g_strv_length (ids), ==, G_N_ELEMENTS (expected));
  for (guint i = 0; i < G_N_ELEMENTS (expected); i++)
    {
      g_autoptr(PhOAuthProvider) provider = ph_oauth_catalog_resolve (catalog, expected[i], account, &error);

      g_assert_no_error (error);
      g_assert_cmpstr (provider->id, ==, expected[i]);
      g_assert_true (provider->code_flow || provider->device_flow);
      g_assert_true (provider->issuer || provider->authorization_endpoint || provider->device_authorization_endpoint);
      assert_https (provider->issuer);
      assert_https (provider->authorization_endpoint);
      assert_https (provider->token_endpoint);
      assert_https (provider->device_authorization_endpoint);
      assert_https (provider->userinfo_endpoint);
      assert_https (provider->registration_endpoint);
      g_assert_nonnull (provider->scopes);
      g_assert_nonnull (provider->scopes[0]);
    }
}

static void
test_placeholders (void)
{
  g_autoptr(PhOAuthCatalog) catalog = ph_oauth_catalog_load_default (NULL);
  g_autoptr(GError) error = NULL;

  /* Defaults, and a self-hosted GitLab with the host git will ask for. */
  {
    g_autoptr(PhOAuthProvider) gitlab = ph_oauth_catalog_resolve (catalog, "gitlab", NULL, &error);
    g_autoptr(GHashTable) self_hosted = params ("base_url", "https://git.corp.example/", NULL);
    g_autoptr(PhOAuthProvider) corp = ph_oauth_catalog_resolve (catalog, "gitlab", self_hosted, &error);
    g_autoptr(PhOAuthProvider) entra = ph_oauth_catalog_resolve (catalog, "microsoft", NULL, &error);
    g_autoptr(GHashTable) tenant = params ("tenant", "contoso.onmicrosoft.com", NULL);
    g_autoptr(PhOAuthProvider) contoso = ph_oauth_catalog_resolve (catalog, "microsoft", tenant, &error);
    g_autoptr(PhOAuthProvider) gitea = ph_oauth_catalog_resolve (catalog, "gitea", NULL, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (gitlab->issuer, ==, "https://gitlab.com");
    g_assert_cmpstr (gitlab->git_hosts[0], ==, "gitlab.com");
    g_assert_cmpstr (gitlab->git_username, ==, "oauth2");
    g_assert_cmpstr (corp->issuer, ==, "https://git.corp.example");
    g_assert_cmpstr (corp->git_hosts[0], ==, "git.corp.example");
    g_assert_cmpstr (entra->issuer, ==, "https://login.microsoftonline.com/common/v2.0");
    g_assert_cmpstr (contoso->issuer, ==, "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0");
    g_assert_cmpstr (gitea->issuer, ==, "https://codeberg.org/");
  }

  /* Missing, unknown, and values that would reshape a URL. */
  {
    g_autoptr(PhOAuthProvider) none = ph_oauth_catalog_resolve (catalog, "keycloak", NULL, &error);

    g_assert_null (none);
    g_assert_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_PARAMETER);
    g_clear_error (&error);
  }
  {
    g_autoptr(PhOAuthProvider) none = ph_oauth_catalog_resolve (catalog, "myspace", NULL, &error);

    g_assert_null (none);
    g_assert_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_UNKNOWN_PROVIDER);
    g_clear_error (&error);
  }
  {
    const char *hostile[][2] = {
      { "tenant", "common/../../evil" }, { "tenant", "a?b=c" }, { "domain", "evil.example/#" },
      { "domain", "user@evil.example" }, { "region", "" }, { "base_url", "http://gitlab.example" },
      { "base_url", "javascript:alert(1)" }, { "base_url", "https://user:pw@gitlab.example" },
      { "issuer", "https://issuer.example/#frag" },
    };
    const char *provider_for[] = { "microsoft", "microsoft", "okta", "okta", "aws", "gitlab", "gitlab", "gitlab", "oidc" };

    for (guint i = 0; i < G_N_ELEMENTS (hostile); i++)
      {
        g_autoptr(GHashTable) bad = params (hostile[i][0], hostile[i][1], "start_url", "https://x.awsapps.com/start", NULL);
        g_autoptr(PhOAuthProvider) none = ph_oauth_catalog_resolve (catalog, provider_for[i], bad, &error);

        g_assert_null (none);
        g_assert_true (g_error_matches (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_PARAMETER) ||
                       g_error_matches (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_ENDPOINT));
        g_test_message ("refused %s=%s: %s", hostile[i][0], hostile[i][1], error->message);
        g_clear_error (&error);
      }
  }
  /* A local provider (tests, development) may use plain http on this machine only. */
  {
    g_autoptr(GHashTable) local = params ("issuer", "http://127.0.0.1:3000", NULL);
    g_autoptr(PhOAuthProvider) provider = ph_oauth_catalog_resolve (catalog, "oidc", local, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (provider->issuer, ==, "http://127.0.0.1:3000");
  }
}

static void
test_discovery_and_redirects (void)
{
  g_autofree char *a = ph_oidc_discovery_url ("https://accounts.google.com");
  g_autofree char *b = ph_oidc_discovery_url ("https://codeberg.org/");
  g_autofree char *c = ph_oidc_discovery_url ("https://login.microsoftonline.com/common/v2.0");

  g_assert_cmpstr (a, ==, "https://accounts.google.com/.well-known/openid-configuration");
  g_assert_cmpstr (b, ==, "https://codeberg.org/.well-known/openid-configuration");
  g_assert_cmpstr (c, ==, "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration");

  g_assert_true (ph_oauth_redirect_is_loopback ("http://127.0.0.1:49152/callback"));
  g_assert_true (ph_oauth_redirect_is_loopback ("http://[::1]:8080/cb"));
  g_assert_true (ph_oauth_redirect_is_loopback ("http://localhost/cb"));
  g_assert_false (ph_oauth_redirect_is_loopback ("https://evil.example/cb"));
  g_assert_false (ph_oauth_redirect_is_loopback ("http://127.0.0.1.evil.example/cb"));
  g_assert_false (ph_oauth_redirect_is_loopback ("http://evil@127.0.0.1/cb"));
  g_assert_false (ph_oauth_redirect_is_loopback ("com.example.app:/cb"));
}

static void
test_authorization_url (void)
{
  g_autoptr(PhOAuthCatalog) catalog = ph_oauth_catalog_load_default (NULL);
  g_autoptr(PhOAuthProvider) github = ph_oauth_catalog_resolve (catalog, "github", NULL, NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *url = ph_oauth_authorization_url (github, "Iv1.abc", "http://127.0.0.1:49152/cb", "repo read:user",
                                                     "st&te", NULL, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", &error);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(GHashTable) query = NULL;

  g_assert_no_error (error);
  g_test_message ("%s", url);
  uri = g_uri_parse (url, G_URI_FLAGS_ENCODED_QUERY, NULL);
  g_assert_cmpstr (g_uri_get_host (uri), ==, "github.com");
  query = g_uri_parse_params (g_uri_get_query (uri), -1, "&", G_URI_PARAMS_NONE, NULL);
  g_assert_cmpstr (g_hash_table_lookup (query, "response_type"), ==, "code");
  g_assert_cmpstr (g_hash_table_lookup (query, "client_id"), ==, "Iv1.abc");
  g_assert_cmpstr (g_hash_table_lookup (query, "redirect_uri"), ==, "http://127.0.0.1:49152/cb");
  g_assert_cmpstr (g_hash_table_lookup (query, "scope"), ==, "repo read:user");
  g_assert_cmpstr (g_hash_table_lookup (query, "state"), ==, "st&te");
  g_assert_cmpstr (g_hash_table_lookup (query, "code_challenge_method"), ==, "S256");
  g_assert_false (g_hash_table_contains (query, "nonce"));

  /* A redirect anywhere but this machine is refused before anything is opened. */
  {
    g_autofree char *none = ph_oauth_authorization_url (github, "Iv1.abc", "https://evil.example/cb", "repo", "s", NULL,
                                                        "c", &error);

    g_assert_null (none);
    g_assert_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_REDIRECT);
  }
}

/* What the app's form asks for each provider: its parameters, their defaults, its flows, and
 * whether its page may be embedded. */
static void
test_form_description (void)
{
  g_autoptr(PhOAuthCatalog) catalog = ph_oauth_catalog_load_default (NULL);
  static const struct
  {
    const char *id;
    const char *parameters;   /* space-separated, as the catalog orders them */
    gboolean embedded;
    gboolean code;
  } cases[] = {
    { "github", "", TRUE, TRUE },
    { "gitlab", "base_url", TRUE, TRUE },
    { "google", "", FALSE, TRUE },
    { "microsoft", "tenant", TRUE, TRUE },
    { "keycloak", "realm_url git_host?", TRUE, TRUE },
    { "okta", "domain", TRUE, TRUE },
    { "aws", "region start_url", TRUE, FALSE },
    { "oidc", "issuer git_host?", TRUE, TRUE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(GStrv) parameters = ph_oauth_catalog_dup_parameters (catalog, cases[i].id);
      g_autofree char *joined = g_strjoinv (" ", parameters);

      g_assert_cmpstr (joined, ==, cases[i].parameters);
      g_assert_cmpint (ph_oauth_catalog_get_embedded (catalog, cases[i].id), ==, cases[i].embedded);
      g_assert_cmpint (ph_oauth_catalog_has_flow (catalog, cases[i].id, "code"), ==, cases[i].code);
      g_assert_nonnull (ph_oauth_catalog_get_name (catalog, cases[i].id));
    }
  g_assert_cmpstr (ph_oauth_catalog_get_default (catalog, "gitlab", "base_url"), ==, "https://gitlab.com");
  g_assert_cmpstr (ph_oauth_catalog_get_default (catalog, "microsoft", "tenant"), ==, "common");
  g_assert_null (ph_oauth_catalog_get_default (catalog, "okta", "domain"));
  g_assert_true (ph_oauth_catalog_has_flow (catalog, "aws", "device"));
  g_assert_null (ph_oauth_catalog_dup_parameters (catalog, "no-such-provider"));
  g_assert_null (ph_oauth_catalog_get_name (catalog, "no-such-provider"));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/oauth/catalog/every-provider", test_every_provider);
  g_test_add_func ("/oauth/catalog/placeholders", test_placeholders);
  g_test_add_func ("/oauth/catalog/discovery-and-redirects", test_discovery_and_redirects);
  g_test_add_func ("/oauth/catalog/authorization-url", test_authorization_url);
  g_test_add_func ("/oauth/catalog/form-description", test_form_description);
  return g_test_run ();
}
