/* ph-oauth-sign-in.h: one authorization-code sign-in (RFC 6749 §4.1 with PKCE, OpenID Connect
 * state and nonce), from the authorization URL to verified tokens and the person's identity.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-oauth-client.h"

G_BEGIN_DECLS

typedef struct _PhOAuthSignIn PhOAuthSignIn;

PhOAuthSignIn *ph_oauth_sign_in_new                    (PhOAuthClient  *client,
                                                        const char     *scope,
                                                        const char     *redirect_uri,
                                                        GError        **error);
void           ph_oauth_sign_in_free                   (PhOAuthSignIn  *self);
PhOAuthClient *ph_oauth_sign_in_get_client             (PhOAuthSignIn  *self);
const char    *ph_oauth_sign_in_get_authorization_url  (PhOAuthSignIn  *self);
const char    *ph_oauth_sign_in_get_redirect_uri       (PhOAuthSignIn  *self);
PhOAuthTokens *ph_oauth_sign_in_complete               (PhOAuthSignIn  *self,
                                                        const char     *redirect,
                                                        char          **out_identity,
                                                        GCancellable   *cancellable,
                                                        GError        **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhOAuthSignIn, ph_oauth_sign_in_free)

G_END_DECLS
