/* ph-oauth-account.c: an OAuth account kept as a vault entry.
 *
 * The entry is titled with the account's name, filed in the "OAuth" folder and tagged "oauth"
 * and the provider's id; its username is the identity the provider vouched for (email,
 * preferred_username or sub). The access and refresh tokens are sealed fields ("access_token",
 * "refresh_token"), so reading one is a gated, audited request like any secret; the ID token is
 * sealed too. Plain fields say how to talk to the provider again: oauth.provider, oauth.client_id,
 * oauth.params (the catalog placeholders, as JSON), oauth.scope, oauth.expires_at,
 * oauth.refreshed_at (when tokens were last obtained), oauth.git_path (repositories it serves).
 *
 * A fresh token: the access token if it lives for another minute, else a refresh (the refresh
 * token is opened through the gate too), with the rotated tokens sealed back in place.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ph-oauth-account.h"

#define FIELD_ACCESS   "access_token"
#define FIELD_REFRESH  "refresh_token"
#define FIELD_ID_TOKEN "id_token"

gboolean
ph_oauth_account_is (PhEntry *entry)
{
  return ph_entry_has_tag (entry, PH_OAUTH_ACCOUNT_TAG) && ph_entry_get_field (entry, "oauth.provider") != NULL;
}

gint64
ph_oauth_account_expires_at (PhEntry *entry)
{
  const char *text = ph_entry_get_field (entry, "oauth.expires_at");

  return text ? g_ascii_strtoll (text, NULL, 10) : 0;
}

/* Sealed back in place after a refresh (or a new sign-in). */
gboolean
ph_oauth_account_update_tokens (PhVault        *vault,
              PhEntry        *entry,
              PhOAuthTokens  *tokens,
              GError        **error)
{
  g_autofree char *expires = g_strdup_printf ("%" G_GINT64_FORMAT, tokens->expires_at);
  g_autofree char *obtained = g_strdup_printf ("%" G_GINT64_FORMAT, g_get_real_time () / G_USEC_PER_SEC);

  if (!ph_vault_set_secret (vault, entry, FIELD_ACCESS, tokens->access_token, error))
    return FALSE;
  /* A provider that does not rotate keeps the refresh token it gave before. */
  if (tokens->refresh_token && !ph_vault_set_secret (vault, entry, FIELD_REFRESH, tokens->refresh_token, error))
    return FALSE;
  if (tokens->id_token)
    {
      g_autoptr(PhSecret) id_token = ph_secret_new_from_data ((const guint8 *) tokens->id_token, strlen (tokens->id_token));

      if (!ph_vault_set_secret (vault, entry, FIELD_ID_TOKEN, id_token, error))
        return FALSE;
    }
  ph_entry_set_field (entry, "oauth.expires_at", expires);
  ph_entry_set_field (entry, "oauth.refreshed_at", obtained);
  if (tokens->scope)
    ph_entry_set_field (entry, "oauth.scope", tokens->scope);
  ph_vault_entry_changed (vault, entry);
  return TRUE;
}

/**
 * ph_oauth_account_store:
 *
 * Adds the account, or replaces the tokens of the account of that name (a new sign-in).
 */
PhEntry *
ph_oauth_account_store (PhVault        *vault,
                        const char     *name,
                        const char     *provider_id,
                        GHashTable     *params,
                        const char     *client_id,
                        const char     *identity,
                        PhOAuthTokens  *tokens,
                        GError        **error)
{
  g_autoptr(PhEntry) created = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) params_node = NULL;
  g_autofree char *params_json = NULL;
  PhEntry *entry = ph_vault_find (vault, name, NULL);
  GHashTableIter iter;
  gpointer key, value;

  if (entry && !ph_oauth_account_is (entry))
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_EXISTS, _("“%s” is an entry that is not an OAuth account"), name);
      return NULL;
    }
  if (entry == NULL)
    {
      const char *tags[] = { PH_OAUTH_ACCOUNT_TAG, provider_id, NULL };

      created = ph_entry_new (name);
      ph_entry_set_folder (created, PH_OAUTH_ACCOUNT_FOLDER);
      ph_entry_set_tags (created, tags);
      if (!ph_vault_add (vault, created, error))
        return NULL;
      entry = created;
    }
  json_builder_begin_object (builder);
  if (params)
    {
      g_hash_table_iter_init (&iter, params);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          json_builder_set_member_name (builder, key);
          json_builder_add_string_value (builder, value);
        }
    }
  json_builder_end_object (builder);
  params_node = json_builder_get_root (builder);
  params_json = json_to_string (params_node, FALSE);
  ph_entry_set_username (entry, identity ? identity : "");
  ph_entry_set_field (entry, "oauth.provider", provider_id);
  ph_entry_set_field (entry, "oauth.client_id", client_id);
  ph_entry_set_field (entry, "oauth.params", params_json);
  if (params && g_hash_table_lookup (params, "issuer"))
    {
      const char *urls[] = { g_hash_table_lookup (params, "issuer"), NULL };

      ph_entry_set_urls (entry, urls);
    }
  if (!ph_oauth_account_update_tokens (vault, entry, tokens, error))
    return NULL;
  return entry;
}

/* The account's values for the catalog's placeholders (issuer, base_url, …). */
GHashTable *
ph_oauth_account_dup_params (PhEntry *entry)
{
  GHashTable *params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  const char *json = ph_entry_get_field (entry, "oauth.params");
  g_autoptr(JsonNode) node = json ? json_from_string (json, NULL) : NULL;

  if (node && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        if (JSON_NODE_HOLDS_VALUE (member) && json_node_get_value_type (member) == G_TYPE_STRING)
          g_hash_table_insert (params, g_strdup (name), g_strdup (json_node_get_string (member)));
    }
  return params;
}

/* The client for this account: the catalog entry resolved with the account's parameters. */
PhOAuthClient *
ph_oauth_account_new_client (PhEntry         *entry,
                             PhOAuthCatalog  *catalog,
                             GError         **error)
{
  g_autoptr(GHashTable) params = NULL;
  const char *client_id = ph_entry_get_field (entry, "oauth.client_id");
  PhOAuthProvider *provider;

  if (!ph_oauth_account_is (entry) || client_id == NULL)
    {
      g_set_error (error, PH_OAUTH_ERROR, PH_OAUTH_ERROR_PARAMETER, _("“%s” is not an OAuth account"),
                   ph_entry_get_title (entry));
      return NULL;
    }
  params = ph_oauth_account_dup_params (entry);
  if (!(provider = ph_oauth_catalog_resolve (catalog, ph_entry_get_field (entry, "oauth.provider"), params, error)))
    return NULL;
  return ph_oauth_client_new (provider, client_id);
}

/**
 * ph_oauth_account_fresh_token:
 *
 * The account's access token for @subject, a "use" request to the gate; refreshed first when it
 * has less than a minute left. The caller saves the vault when @out_refreshed is set.
 */
/* Whether the access token has less than a minute left and a refresh token can renew it. */
gboolean
ph_oauth_account_needs_refresh (PhEntry *entry)
{
  gint64 expires_at = ph_oauth_account_expires_at (entry);

  return expires_at != 0 && expires_at - 60 <= g_get_real_time () / G_USEC_PER_SEC &&
         ph_entry_field_is_protected (entry, "refresh_token");
}

PhSecret *
ph_oauth_account_fresh_token (PhBroker         *broker,
                              const PhSubject  *subject,
                              PhEntry          *entry,
                              PhOAuthCatalog   *catalog,
                              gboolean         *out_refreshed,
                              GError          **error)
{
  g_autoptr(PhOAuthClient) client = NULL;
  g_autoptr(PhSecret) refresh_token = NULL;
  g_autoptr(PhOAuthTokens) tokens = NULL;

  *out_refreshed = FALSE;
  if (!ph_oauth_account_needs_refresh (entry))
    return ph_broker_open (broker, subject, PH_ACTION_USE, entry, FIELD_ACCESS, error);

  if (!(refresh_token = ph_broker_open (broker, subject, PH_ACTION_USE, entry, FIELD_REFRESH, error)) ||
      !(client = ph_oauth_account_new_client (entry, catalog, error)) ||
      !ph_oauth_client_discover (client, NULL, error) ||
      !(tokens = ph_oauth_client_refresh (client, refresh_token, NULL, error)) ||
      !ph_oauth_account_update_tokens (ph_broker_get_vault (broker), entry, tokens, error))
    return NULL;
  *out_refreshed = TRUE;
  return ph_secret_ref (tokens->access_token);
}

/**
 * ph_oauth_account_open_tokens:
 * @out_refresh: (out) (nullable): the refresh token, NULL when the account has none
 * @out_access: (out): the access token
 *
 * Both tokens, released to the caller through the gate as "use" requests: for revocation.
 */
gboolean
ph_oauth_account_open_tokens (PhBroker         *broker,
                              const PhSubject  *subject,
                              PhEntry          *entry,
                              PhSecret        **out_refresh,
                              PhSecret        **out_access,
                              GError          **error)
{
  g_autoptr(PhSecret) refresh = NULL;

  *out_refresh = *out_access = NULL;
  if (ph_entry_field_is_protected (entry, FIELD_REFRESH) &&
      !(refresh = ph_broker_open (broker, subject, PH_ACTION_USE, entry, FIELD_REFRESH, error)))
    return FALSE;
  if (!(*out_access = ph_broker_open (broker, subject, PH_ACTION_USE, entry, FIELD_ACCESS, error)))
    return FALSE;
  *out_refresh = g_steal_pointer (&refresh);
  return TRUE;
}

/**
 * ph_oauth_account_revoke:
 * @refresh_token: (nullable)
 *
 * Revokes the tokens at the provider (RFC 7009), the refresh token first: with most providers
 * that ends the whole grant. A provider without a revocation endpoint (GitHub's OAuth apps) is
 * not an error; one that cannot be reached is, so the account can stay until it can be.
 */
gboolean
ph_oauth_account_revoke (PhOAuthClient   *client,
                         PhSecret        *refresh_token,
                         PhSecret        *access_token,
                         GCancellable    *cancellable,
                         GError         **error)
{
  if (!ph_oauth_client_discover (client, cancellable, error))
    return FALSE;
  if (ph_oauth_client_get_provider (client)->revocation_endpoint == NULL)
    return TRUE;
  return (refresh_token == NULL ||
          ph_oauth_client_revoke (client, refresh_token, "refresh_token", cancellable, error)) &&
         ph_oauth_client_revoke (client, access_token, "access_token", cancellable, error);
}

/**
 * ph_oauth_account_for_git:
 * @host: the host git asks about
 * @path: (nullable): the repository path, when git sends it (credential.useHttpPath)
 * @username: (nullable): the user name in the remote's URL or in git's credential.<url>.username
 * @out_username: (out): the user name this host expects with a token
 *
 * The OAuth account for a git host: one whose provider serves that host (github.com for
 * GitHub, a self-hosted GitLab's host, a --git-host given at sign-in). With several accounts on
 * one host, the choice is the person's, made the way git-credential-manager users know: a user
 * name git sends (https://alice@host/… or credential.<url>.username) picks the account of that
 * identity or name, and only such an account is served; otherwise an account whose oauth.git_path (set with --git-path) is the
 * longest prefix of @path wins, then the most recently changed one.
 *
 * Returns: (transfer none) (nullable): the account's entry
 */
PhEntry *
ph_oauth_account_for_git (PhVault         *vault,
                          PhOAuthCatalog  *catalog,
                          const char      *host,
                          const char      *path,
                          const char      *username,
                          char           **out_username)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (vault));
  PhEntry *best = NULL;
  gsize best_prefix = 0;
  gint64 best_modified = 0;

  *out_username = NULL;
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PhEntry) entry = g_list_model_get_item (G_LIST_MODEL (vault), i);
      g_autoptr(PhOAuthProvider) provider = NULL;
      g_autoptr(GHashTable) params = NULL;
      const char *git_path;
      gboolean named;
      gsize prefix = 0;

      if (!ph_oauth_account_is (entry))
        continue;
      params = ph_oauth_account_dup_params (entry);
      if (!(provider = ph_oauth_catalog_resolve (catalog, ph_entry_get_field (entry, "oauth.provider"), params, NULL)))
        continue;
      if (provider->git_hosts == NULL || !g_strv_contains ((const char * const *) provider->git_hosts, host))
        continue;
      /* A user name the person gave names the account, whatever its path mapping; the host's
       * token user name (oauth2, x-access-token) names none. */
      named = username && *username && (g_strcmp0 (username, ph_entry_get_username (entry)) == 0 ||
                                         g_strcmp0 (username, ph_entry_get_title (entry)) == 0);
      if (username && *username && !named && g_strcmp0 (username, provider->git_username) != 0)
        continue;
      git_path = ph_entry_get_field (entry, "oauth.git_path");
      if (named)
        prefix = G_MAXSIZE;
      else if (git_path && *git_path)
        {
          if (path == NULL || !g_str_has_prefix (path, git_path))
            continue;   /* mapped to other repositories */
          prefix = strlen (git_path);
        }
      if (best == NULL || prefix > best_prefix ||
          (prefix == best_prefix && ph_entry_get_modified (entry) > best_modified))
        {
          best = entry;
          best_prefix = prefix;
          best_modified = ph_entry_get_modified (entry);
          g_free (*out_username);
          *out_username = g_strdup (provider->git_username ? provider->git_username : ph_entry_get_username (entry));
        }
    }
  return best;
}
