/* ph-oauth-account.h: an OAuth account kept as a vault entry: tokens sealed, refreshed through
 * the gate when they expire.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-broker.h"
#include "ph-oauth-client.h"
#include "ph-vault.h"

G_BEGIN_DECLS

#define PH_OAUTH_ACCOUNT_TAG    "oauth"
#define PH_OAUTH_ACCOUNT_FOLDER "OAuth"

gboolean       ph_oauth_account_is           (PhEntry          *entry);
PhEntry       *ph_oauth_account_store        (PhVault          *vault,
                                              const char       *name,
                                              const char       *provider_id,
                                              GHashTable       *params,
                                              const char       *client_id,
                                              const char       *identity,
                                              PhOAuthTokens    *tokens,
                                              GError          **error);
GHashTable    *ph_oauth_account_dup_params   (PhEntry          *entry);
PhOAuthClient *ph_oauth_account_new_client   (PhEntry          *entry,
                                              PhOAuthCatalog   *catalog,
                                              GError          **error);
gint64         ph_oauth_account_expires_at   (PhEntry          *entry);
gboolean       ph_oauth_account_needs_refresh (PhEntry         *entry);
gboolean       ph_oauth_account_update_tokens (PhVault         *vault,
                                              PhEntry          *entry,
                                              PhOAuthTokens    *tokens,
                                              GError          **error);
PhSecret      *ph_oauth_account_fresh_token  (PhBroker         *broker,
                                              const PhSubject  *subject,
                                              PhEntry          *entry,
                                              PhOAuthCatalog   *catalog,
                                              gboolean         *out_refreshed,
                                              GError          **error);
gboolean       ph_oauth_account_open_tokens  (PhBroker         *broker,
                                              const PhSubject  *subject,
                                              PhEntry          *entry,
                                              PhSecret        **out_refresh,
                                              PhSecret        **out_access,
                                              GError          **error);
gboolean       ph_oauth_account_revoke       (PhOAuthClient    *client,
                                              PhSecret         *refresh_token,
                                              PhSecret         *access_token,
                                              GCancellable     *cancellable,
                                              GError          **error);

PhEntry       *ph_oauth_account_for_git      (PhVault          *vault,
                                              PhOAuthCatalog   *catalog,
                                              const char       *host,
                                              const char       *path,
                                              const char       *username,
                                              char            **out_username);

G_END_DECLS
