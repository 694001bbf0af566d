/* ph-oauth-catalog.h: the OAuth and OpenID Connect providers Perihelion knows, from
 * data/oauth/providers.json, resolved for one account (a self-hosted base URL, a tenant, a realm).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PH_OAUTH_ERROR (ph_oauth_error_quark ())

typedef enum
{
  PH_OAUTH_ERROR_CATALOG = 1,    /* the catalog file is missing or malformed */
  PH_OAUTH_ERROR_UNKNOWN_PROVIDER,
  PH_OAUTH_ERROR_PARAMETER,      /* a parameter is missing or not acceptable */
  PH_OAUTH_ERROR_ENDPOINT,       /* an endpoint that is not a plain https URL */
  PH_OAUTH_ERROR_REDIRECT,       /* a redirect URI that is not a loopback one */
} PhOAuthError;

typedef struct _PhOAuthCatalog PhOAuthCatalog;

typedef struct
{
  char *id;
  char *name;
  char *kind;                          /* "oidc", "oauth2", "aws-sso-oidc" */
  char *issuer;                        /* OIDC: endpoints come from its discovery document */
  char *authorization_endpoint;
  char *token_endpoint;
  char *device_authorization_endpoint;
  char *revocation_endpoint;
  char *userinfo_endpoint;
  char *registration_endpoint;
  GStrv scopes;
  GStrv git_hosts;
  char *git_username;
  gboolean embedded;                   /* FALSE: the provider refuses embedded web views */
  gboolean code_flow;
  gboolean device_flow;
} PhOAuthProvider;

GQuark           ph_oauth_error_quark            (void);
PhOAuthCatalog  *ph_oauth_catalog_load           (const char        *path,
                                                  GError           **error);
PhOAuthCatalog  *ph_oauth_catalog_load_default   (GError           **error);
void             ph_oauth_catalog_free           (PhOAuthCatalog    *self);
GStrv            ph_oauth_catalog_dup_ids        (PhOAuthCatalog    *self);
const char      *ph_oauth_catalog_get_name       (PhOAuthCatalog    *self,
                                                  const char        *id);
gboolean         ph_oauth_catalog_get_embedded   (PhOAuthCatalog    *self,
                                                  const char        *id);
gboolean         ph_oauth_catalog_has_flow       (PhOAuthCatalog    *self,
                                                  const char        *id,
                                                  const char        *flow);
const char      *ph_oauth_catalog_get_default    (PhOAuthCatalog    *self,
                                                  const char        *id,
                                                  const char        *parameter);
GStrv            ph_oauth_catalog_dup_parameters (PhOAuthCatalog    *self,
                                                  const char        *id);
PhOAuthProvider *ph_oauth_catalog_resolve        (PhOAuthCatalog    *self,
                                                  const char        *id,
                                                  GHashTable        *params,
                                                  GError           **error);
void             ph_oauth_provider_free          (PhOAuthProvider   *provider);
char            *ph_oidc_discovery_url           (const char        *issuer);
gboolean         ph_oauth_redirect_is_loopback   (const char        *uri);
char            *ph_oauth_authorization_url      (const PhOAuthProvider *provider,
                                                  const char        *client_id,
                                                  const char        *redirect_uri,
                                                  const char        *scope,
                                                  const char        *state,
                                                  const char        *nonce,
                                                  const char        *code_challenge,
                                                  GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhOAuthCatalog, ph_oauth_catalog_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhOAuthProvider, ph_oauth_provider_free)

G_END_DECLS
