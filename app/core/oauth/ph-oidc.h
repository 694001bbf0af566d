/* ph-oidc.h: the client side of OpenID Connect that needs no network: PKCE, state and nonce,
 * and the checks on an ID token's claims.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define PH_OIDC_ERROR (ph_oidc_error_quark ())

typedef enum
{
  PH_OIDC_ERROR_MISSING = 1,     /* a required claim is absent */
  PH_OIDC_ERROR_ISSUER,
  PH_OIDC_ERROR_AUDIENCE,
  PH_OIDC_ERROR_AUTHORIZED_PARTY,
  PH_OIDC_ERROR_EXPIRED,
  PH_OIDC_ERROR_ISSUED_IN_FUTURE,
  PH_OIDC_ERROR_NONCE,
  PH_OIDC_ERROR_STATE,           /* the redirect's state is not the one sent */
  PH_OIDC_ERROR_REDIRECT,        /* an error from the provider, or no code */
} PhOidcError;

typedef struct
{
  const char *issuer;      /* exactly the discovery document's "issuer" */
  const char *client_id;
  const char *nonce;       /* the nonce sent with this authorization request; NULL: none sent */
  gint64 now;              /* seconds since the epoch */
  int leeway;              /* seconds of clock skew tolerated (60 is usual) */
} PhIdTokenCheck;

GQuark    ph_oidc_error_quark       (void);
char     *ph_oauth_random_token     (void);
char     *ph_pkce_new_verifier      (void);
char     *ph_pkce_challenge_s256    (const char           *verifier);
gboolean  ph_oidc_validate_claims   (JsonObject           *claims,
                                     const PhIdTokenCheck *check,
                                     GError              **error);

char     *ph_oauth_parse_redirect    (const char           *redirect,
                                     const char           *expected_state,
                                     GError              **error);

char     *ph_oidc_claims_identity    (JsonObject           *claims);

G_END_DECLS
