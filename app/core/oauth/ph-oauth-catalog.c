/* ph-oauth-catalog.c: the OAuth and OpenID Connect providers Perihelion knows, from
 * data/oauth/providers.json, resolved for one account.
 *
 * A catalog entry may hold {placeholders} (a self-hosted GitLab's base_url, an Entra tenant, a
 * Keycloak realm_url, an Okta domain, an AWS region); resolving fills them from the account's
 * parameters or the entry's defaults and checks every resulting endpoint: https (plain http
 * only to this machine, for tests and local providers), no user info, no fragment. A parameter
 * is a value, never a way to change the URL's shape: one that brings a path, query or user info
 * where a host belongs is refused. Endpoints of OpenID providers come from discovery
 * (ph_oidc_discovery_url()), not from the catalog.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <json-glib/json-glib.h>
#include <glib/gi18n.h>

#include "ph-oauth-catalog.h"

G_DEFINE_QUARK (ph-oauth-error-quark, ph_oauth_error)

struct _PhOAuthCatalog
{
  JsonNode *root;
  JsonArray *providers;
};

PhOAuthCatalog *
ph_oauth_catalog_load (const char  *path,
                       GError     **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  PhOAuthCatalog *self;
  JsonNode *root;
  JsonArray *providers;

  if (!json_parser_load_from_file (parser, path, &local_error) || !(root = json_parser_get_root (parser)) ||
      !JSON_NODE_HOLDS_OBJECT (root) ||
      !(providers = json_object_get_array_member (json_node_get_object (root), "providers")))
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_CATALOG, _("The provider catalog %s is not readable: %s"),
                   path, local_error ? local_error->message : _("no provider list"));
      return NULL;
    }
  self = g_new0 (PhOAuthCatalog, 1);
  self->root = json_node_copy (root);
  self->providers = json_object_get_array_member (json_node_get_object (self->root), "providers");
  return self;
}

/* $PERIHELION_DATADIR (the source tree's data/, for tests and uninstalled runs), else the
 * installed one. */
PhOAuthCatalog *
ph_oauth_catalog_load_default (GError **error)
{
  const char *datadir = g_getenv ("PERIHELION_DATADIR") ? g_getenv ("PERIHELION_DATADIR") : PKGDATADIR;
  g_autofree char *path = g_build_filename (datadir, "oauth", "providers.json", NULL);

  return ph_oauth_catalog_load (path, error);
}

void
ph_oauth_catalog_free (PhOAuthCatalog *self)
{
  if (self == NULL)
    return;
  json_node_unref (self->root);
  g_free (self);
}

GStrv
ph_oauth_catalog_dup_ids (PhOAuthCatalog *self)
{
  guint n = json_array_get_length (self->providers);
  GStrv ids = g_new0 (char *, n + 1);

  for (guint i = 0; i < n; i++)
    ids[i] = g_strdup (json_object_get_string_member_with_default (json_array_get_object_element (self->providers, i),
                                                                   "id", ""));
  return ids;
}

void
ph_oauth_provider_free (PhOAuthProvider *provider)
{
  if (provider == NULL)
    return;
  g_free (provider->id);
  g_free (provider->name);
  g_free (provider->kind);
  g_free (provider->issuer);
  g_free (provider->authorization_endpoint);
  g_free (provider->token_endpoint);
  g_free (provider->device_authorization_endpoint);
  g_free (provider->revocation_endpoint);
  g_free (provider->userinfo_endpoint);
  g_free (provider->registration_endpoint);
  g_strfreev (provider->scopes);
  g_strfreev (provider->git_hosts);
  g_free (provider->git_username);
  g_free (provider);
}

static gboolean
is_loopback_host (const char *host)
{
  return host && (g_str_equal (host, "127.0.0.1") || g_str_equal (host, "::1") || g_str_equal (host, "[::1]") ||
                  g_str_equal (host, "localhost"));
}

/* https, or http to this machine; no user info, no fragment. */
static gboolean
check_endpoint (const char  *url,
                const char  *what,
                GError     **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri ? g_uri_get_scheme (uri) : NULL;

  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      g_uri_get_userinfo (uri) != NULL || g_uri_get_fragment (uri) != NULL ||
      !(g_str_equal (scheme, "https") || (g_str_equal (scheme, "http") && is_loopback_host (g_uri_get_host (uri)))))
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_ENDPOINT,
                   _("The %s “%s” is not a plain https URL (no user name, no fragment)"), what, url);
      return FALSE;
    }
  return TRUE;
}

/* A parameter fills a placeholder: URL-like ones (base_url, realm_url, issuer, start_url) must be
 * endpoints themselves; the others (tenant, domain, region) plain names. */
static gboolean
check_parameter (const char  *name,
                 const char  *value,
                 GError     **error)
{
  if (g_str_has_suffix (name, "url") || g_str_equal (name, "issuer"))
    return check_endpoint (value, name, error);
  for (const char *p = value; *p; p++)
    if (!(g_ascii_isalnum (*p) || *p == '-' || *p == '.' || *p == '_'))
      {
        g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_PARAMETER,
                     _("“%s” is not an acceptable %s"), value, name);
        return FALSE;
      }
  if (*value == '\0')
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_PARAMETER, _("The %s is empty"), name);
      return FALSE;
    }
  return TRUE;
}

static char *
expand (const char  *template,
        JsonObject  *entry,
        GHashTable  *params,
        GError     **error)
{
  JsonObject *defaults = json_object_has_member (entry, "defaults") ? json_object_get_object_member (entry, "defaults") : NULL;
  g_autoptr(GString) out = g_string_new (NULL);
  const char *p = template;

  while (*p)
    {
      const char *open = strchr (p, '{');
      const char *close = open ? strchr (open, '}') : NULL;
      g_autofree char *name = NULL;
      const char *value = NULL;

      if (open == NULL || close == NULL)
        {
          g_string_append (out, p);
          break;
        }
      g_string_append_len (out, p, open - p);
      name = g_strndup (open + 1, close - open - 1);
      if (params)
        value = g_hash_table_lookup (params, name);
      if (value == NULL && g_str_equal (name, "host"))
        {
          /* The host of the base URL (for git). */
          g_autofree char *base = expand ("{base_url}", entry, params, error);
          g_autoptr(GUri) uri = base ? g_uri_parse (base, G_URI_FLAGS_NONE, NULL) : NULL;

          if (uri == NULL)
            return NULL;
          g_string_append (out, g_uri_get_host (uri));
          p = close + 1;
          continue;
        }
      if (value == NULL && defaults)
        value = json_object_get_string_member_with_default (defaults, name, NULL);
      if (value == NULL)
        {
          g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_PARAMETER, _("The provider “%s” needs the parameter “%s”"),
                       json_object_get_string_member_with_default (entry, "name", ""), name);
          return NULL;
        }
      if (!check_parameter (name, value, error))
        return NULL;
      /* A URL parameter goes in without its trailing slash; the template says where slashes go. */
      if (g_str_has_suffix (name, "url") || g_str_equal (name, "issuer"))
        g_string_append_len (out, value, strlen (value) - (g_str_has_suffix (value, "/") ? 1 : 0));
      else
        g_string_append (out, value);
      p = close + 1;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
expand_endpoint (JsonObject  *entry,
                 const char  *member,
                 GHashTable  *params,
                 char       **out,
                 GError     **error)
{
  const char *template = json_object_get_string_member_with_default (entry, member, NULL);

  if (template == NULL)
    return TRUE;
  if (!(*out = expand (template, entry, params, error)))
    return FALSE;
  return check_endpoint (*out, member, error);
}

static GStrv
expand_list (JsonObject  *entry,
             const char  *member,
             GHashTable  *params,
             GError     **error)
{
  JsonArray *array = json_object_has_member (entry, member) ? json_object_get_array_member (entry, member) : NULL;
  guint n = array ? json_array_get_length (array) : 0;
  g_auto(GStrv) list = g_new0 (char *, n + 1);

  guint out = 0;

  for (guint i = 0; i < n; i++)
    {
      const char *template = json_array_get_string_element (array, i);
      const char *optional = template ? strstr (template, "?}") : NULL;

      /* "{name?}": an optional placeholder; without the parameter the item is left out. */
      if (optional)
        {
          const char *open = strrchr (template, '{');
          g_autofree char *name = open ? g_strndup (open + 1, optional - open - 1) : NULL;

          if (name && (params == NULL || g_hash_table_lookup (params, name) == NULL))
            continue;
          {
            g_autofree char *plain = g_strdup (template);
            char *mark = strstr (plain, "?}");

            memmove (mark, mark + 1, strlen (mark + 1) + 1);
            if (!(list[out++] = expand (plain, entry, params, error)))
              return NULL;
          }
          continue;
        }
      if (!(list[out++] = expand (template, entry, params, error)))
        return NULL;
    }
  return g_steal_pointer (&list);
}

static JsonObject *
lookup (PhOAuthCatalog *self,
        const char     *id)
{
  for (guint i = 0; i < json_array_get_length (self->providers); i++)
    {
      JsonObject *candidate = json_array_get_object_element (self->providers, i);

      if (candidate && g_strcmp0 (json_object_get_string_member_with_default (candidate, "id", NULL), id) == 0)
        return candidate;
    }
  return NULL;
}

/* The provider's display name (the id when the catalog has none), NULL for an unknown id. */
const char *
ph_oauth_catalog_get_name (PhOAuthCatalog *self,
                           const char     *id)
{
  JsonObject *entry = lookup (self, id);

  return entry ? json_object_get_string_member_with_default (entry, "name", id) : NULL;
}

/* Whether the provider lets its page be shown in an embedded web view (Google does not). */
gboolean
ph_oauth_catalog_get_embedded (PhOAuthCatalog *self,
                               const char     *id)
{
  JsonObject *entry = lookup (self, id);

  return entry == NULL || json_object_get_boolean_member_with_default (entry, "embedded", TRUE);
}

/* Whether the provider offers @flow ("code" or "device"). */
gboolean
ph_oauth_catalog_has_flow (PhOAuthCatalog *self,
                           const char     *id,
                           const char     *flow)
{
  JsonObject *entry = lookup (self, id);
  JsonArray *flows = entry && json_object_has_member (entry, "flows") ? json_object_get_array_member (entry, "flows") : NULL;

  for (guint i = 0; flows && i < json_array_get_length (flows); i++)
    if (g_strcmp0 (json_array_get_string_element (flows, i), flow) == 0)
      return TRUE;
  return FALSE;
}

/* The default the catalog gives a parameter (gitlab.com for GitLab's base_url), or NULL. */
const char *
ph_oauth_catalog_get_default (PhOAuthCatalog *self,
                              const char     *id,
                              const char     *parameter)
{
  JsonObject *entry = lookup (self, id);
  JsonObject *defaults = entry && json_object_has_member (entry, "defaults")
                         ? json_object_get_object_member (entry, "defaults") : NULL;

  return defaults ? json_object_get_string_member_with_default (defaults, parameter, NULL) : NULL;
}

static void
collect_placeholders (const char *template,
                      GPtrArray  *names)
{
  for (const char *open = template ? strchr (template, '{') : NULL; open; open = strchr (open + 1, '{'))
    {
      const char *close = strchr (open, '}');
      g_autofree char *name = close ? g_strndup (open + 1, close - open - 1) : NULL;

      /* {host} is derived from base_url, not asked for. */
      if (name == NULL || g_str_equal (name, "host"))
        continue;
      if (!g_ptr_array_find_with_equal_func (names, name, g_str_equal, NULL))
        g_ptr_array_add (names, g_steal_pointer (&name));
    }
}

/**
 * ph_oauth_catalog_dup_parameters:
 *
 * The placeholders an account of this provider fills (base_url, tenant, issuer, …), in the
 * order the catalog names them; an optional one ends with "?" (git_host?).
 *
 * Returns: (transfer full): the names, NULL for an unknown id
 */
GStrv
ph_oauth_catalog_dup_parameters (PhOAuthCatalog *self,
                                 const char     *id)
{
  JsonObject *entry = lookup (self, id);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GList) members = NULL;

  if (entry == NULL)
    return NULL;
  /* In the order the catalog writes the members (an iterator's order is the hash table's). */
  members = json_object_get_members (entry);
  for (GList *l = members; l; l = l->next)
    {
      const char *member = l->data;
      JsonNode *node = json_object_get_member (entry, member);

      if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
        collect_placeholders (json_node_get_string (node), names);
      else if (JSON_NODE_HOLDS_ARRAY (node) && !g_str_equal (member, "flows"))
        for (guint i = 0; i < json_array_get_length (json_node_get_array (node)); i++)
          collect_placeholders (json_array_get_string_element (json_node_get_array (node), i), names);
    }
  g_ptr_array_add (names, NULL);
  return (GStrv) g_ptr_array_steal (names, NULL);
}

/**
 * ph_oauth_catalog_resolve:
 * @params: (nullable) (element-type utf8 utf8): the account's values for the placeholders
 *
 * Returns: the provider with every placeholder filled and every endpoint checked
 */
PhOAuthProvider *
ph_oauth_catalog_resolve (PhOAuthCatalog *self,
                          const char     *id,
                          GHashTable     *params,
                          GError        **error)
{
  g_autoptr(PhOAuthProvider) provider = NULL;
  JsonObject *entry = lookup (self, id);
  JsonArray *flows;

  if (entry == NULL)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_UNKNOWN_PROVIDER, _("Unknown provider “%s”"), id);
      return NULL;
    }

  provider = g_new0 (PhOAuthProvider, 1);
  provider->id = g_strdup (id);
  provider->name = g_strdup (json_object_get_string_member_with_default (entry, "name", id));
  provider->kind = g_strdup (json_object_get_string_member_with_default (entry, "kind", "oauth2"));
  provider->git_username = g_strdup (json_object_get_string_member_with_default (entry, "git_username", NULL));
  provider->embedded = json_object_get_boolean_member_with_default (entry, "embedded", TRUE);
  flows = json_object_has_member (entry, "flows") ? json_object_get_array_member (entry, "flows") : NULL;
  for (guint i = 0; flows && i < json_array_get_length (flows); i++)
    {
      const char *flow = json_array_get_string_element (flows, i);

      provider->code_flow |= g_strcmp0 (flow, "code") == 0;
      provider->device_flow |= g_strcmp0 (flow, "device") == 0;
    }
  if (!expand_endpoint (entry, "issuer", params, &provider->issuer, error) ||
      !expand_endpoint (entry, "authorization_endpoint", params, &provider->authorization_endpoint, error) ||
      !expand_endpoint (entry, "token_endpoint", params, &provider->token_endpoint, error) ||
      !expand_endpoint (entry, "device_authorization_endpoint", params, &provider->device_authorization_endpoint, error) ||
      !expand_endpoint (entry, "revocation_endpoint", params, &provider->revocation_endpoint, error) ||
      !expand_endpoint (entry, "userinfo_endpoint", params, &provider->userinfo_endpoint, error) ||
      !expand_endpoint (entry, "registration_endpoint", params, &provider->registration_endpoint, error) ||
      !(provider->scopes = expand_list (entry, "scopes", params, error)) ||
      !(provider->git_hosts = expand_list (entry, "git_hosts", params, error)))
    return NULL;
  if (provider->issuer == NULL && provider->authorization_endpoint == NULL && provider->device_authorization_endpoint == NULL)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_CATALOG, _("The provider “%s” has no issuer and no endpoints"), id);
      return NULL;
    }
  return g_steal_pointer (&provider);
}

/* OpenID Connect Discovery §4: the issuer, without a trailing slash, then the well-known path. */
char *
ph_oidc_discovery_url (const char *issuer)
{
  gsize len = strlen (issuer);

  if (len && issuer[len - 1] == '/')
    len--;
  return g_strdup_printf ("%.*s/.well-known/openid-configuration", (int) len, issuer);
}

/* RFC 8252 §7.3: a native app's redirect goes to this machine over plain http on any port. */
gboolean
ph_oauth_redirect_is_loopback (const char *uri_text)
{
  g_autoptr(GUri) uri = g_uri_parse (uri_text, G_URI_FLAGS_NONE, NULL);

  return uri && g_str_equal (g_uri_get_scheme (uri), "http") && g_uri_get_userinfo (uri) == NULL &&
         is_loopback_host (g_uri_get_host (uri));
}

static void
append_param (GString    *url,
              gboolean   *first,
              const char *name,
              const char *value)
{
  g_autofree char *escaped = g_uri_escape_string (value, NULL, FALSE);

  g_string_append_c (url, *first ? (strchr (url->str, '?') ? '&' : '?') : '&');
  g_string_append_printf (url, "%s=%s", name, escaped);
  *first = FALSE;
}

/**
 * ph_oauth_authorization_url:
 * @nonce: (nullable): for OpenID providers
 *
 * The authorization request of the code flow with PKCE (S256), to open in the sign-in window.
 */
char *
ph_oauth_authorization_url (const PhOAuthProvider *provider,
                            const char            *client_id,
                            const char            *redirect_uri,
                            const char            *scope,
                            const char            *state,
                            const char            *nonce,
                            const char            *code_challenge,
                            GError               **error)
{
  GString *url;
  gboolean first = TRUE;

  if (provider->authorization_endpoint == NULL)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_ENDPOINT, _("“%s” has no authorization endpoint (yet: run discovery)"),
                   provider->name);
      return NULL;
    }
  if (!ph_oauth_redirect_is_loopback (redirect_uri))
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_REDIRECT,
                   _("The redirect URI “%s” does not go to this machine"), redirect_uri);
      return NULL;
    }
  url = g_string_new (provider->authorization_endpoint);
  append_param (url, &first, "response_type", "code");
  append_param (url, &first, "client_id", client_id);
  append_param (url, &first, "redirect_uri", redirect_uri);
  append_param (url, &first, "scope", scope);
  append_param (url, &first, "state", state);
  append_param (url, &first, "code_challenge", code_challenge);
  append_param (url, &first, "code_challenge_method", "S256");
  if (nonce)
    append_param (url, &first, "nonce", nonce);
  return g_string_free (url, FALSE);
}
