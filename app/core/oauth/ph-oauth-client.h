/* ph-oauth-client.h: talking to an OAuth 2.0 / OpenID Connect provider: discovery, keys, the
 * device flow, the code exchange, refresh and revocation (libsoup 3).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ph-oauth-catalog.h"
#include "ph-secret.h"

G_BEGIN_DECLS

typedef enum
{
  PH_OAUTH_ERROR_HTTP = 100,            /* the provider could not be reached or answered garbage */
  PH_OAUTH_ERROR_DISCOVERY,             /* the discovery document does not fit the issuer */
  PH_OAUTH_ERROR_PROVIDER,              /* an OAuth error response (invalid_grant, …) */
  PH_OAUTH_ERROR_DENIED,                /* the person declined (access_denied) */
  PH_OAUTH_ERROR_TIMED_OUT,             /* the device code expired */
} PhOAuthClientError;

typedef struct
{
  PhSecret *access_token;
  PhSecret *refresh_token;     /* NULL: none issued */
  char *id_token;              /* not secret, but a credential of identity: kept with the account */
  char *token_type;
  char *scope;
  gint64 expires_at;           /* seconds since the epoch; 0: not said */
} PhOAuthTokens;

typedef struct
{
  char *device_code;
  char *user_code;
  char *verification_uri;
  char *verification_uri_complete;   /* NULL when the provider gives none */
  int interval;                      /* seconds between polls */
  gint64 expires_at;
} PhDeviceAuthorization;

typedef struct _PhOAuthClient PhOAuthClient;

PhOAuthClient         *ph_oauth_client_new            (PhOAuthProvider        *provider,
                                                       const char             *client_id);
void                   ph_oauth_client_free           (PhOAuthClient          *self);
PhOAuthProvider       *ph_oauth_client_get_provider   (PhOAuthClient          *self);
const char            *ph_oauth_client_get_client_id  (PhOAuthClient          *self);
gboolean               ph_oauth_client_discover       (PhOAuthClient          *self,
                                                       GCancellable           *cancellable,
                                                       GError                **error);
JsonNode              *ph_oauth_client_get_jwks       (PhOAuthClient          *self,
                                                       gboolean                refresh,
                                                       GCancellable           *cancellable,
                                                       GError                **error);
PhDeviceAuthorization *ph_oauth_client_device_start   (PhOAuthClient          *self,
                                                       const char             *scope,
                                                       GCancellable           *cancellable,
                                                       GError                **error);
PhOAuthTokens         *ph_oauth_client_device_poll    (PhOAuthClient          *self,
                                                       PhDeviceAuthorization  *authorization,
                                                       GCancellable           *cancellable,
                                                       GError                **error);
PhOAuthTokens         *ph_oauth_client_exchange_code  (PhOAuthClient          *self,
                                                       const char             *code,
                                                       const char             *code_verifier,
                                                       const char             *redirect_uri,
                                                       GCancellable           *cancellable,
                                                       GError                **error);
PhOAuthTokens         *ph_oauth_client_refresh        (PhOAuthClient          *self,
                                                       const PhSecret         *refresh_token,
                                                       GCancellable           *cancellable,
                                                       GError                **error);
gboolean               ph_oauth_client_revoke         (PhOAuthClient          *self,
                                                       const PhSecret         *token,
                                                       const char             *token_type_hint,
                                                       GCancellable           *cancellable,
                                                       GError                **error);
JsonObject            *ph_oauth_client_verify_id_token (PhOAuthClient         *self,
                                                       const char             *id_token,
                                                       const char             *nonce,
                                                       GCancellable           *cancellable,
                                                       GError                **error);
JsonObject            *ph_oauth_client_userinfo       (PhOAuthClient          *self,
                                                       const PhSecret         *access_token,
                                                       const char             *expected_sub,
                                                       GCancellable           *cancellable,
                                                       GError                **error);
char                  *ph_oauth_client_identify       (PhOAuthClient          *self,
                                                       PhOAuthTokens          *tokens,
                                                       const char             *nonce,
                                                       GCancellable           *cancellable,
                                                       GError                **error);
void                   ph_oauth_tokens_free           (PhOAuthTokens          *tokens);
void                   ph_device_authorization_free   (PhDeviceAuthorization  *authorization);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhOAuthClient, ph_oauth_client_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhOAuthTokens, ph_oauth_tokens_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhDeviceAuthorization, ph_device_authorization_free)

G_END_DECLS
