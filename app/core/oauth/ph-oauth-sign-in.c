/* ph-oauth-sign-in.c: one authorization-code sign-in.
 *
 * The sign-in holds what must not leave the process that started it: the PKCE verifier, the
 * state and the nonce. The authorization URL carries only the S256 challenge, so whoever shows
 * the page (the app's WebKit window, the system browser) and whoever sees the redirect learns a
 * code that is useless without the verifier. Completing checks, in order: the redirect's state
 * (a response to this request, not another), the provider's error answer, the code exchange
 * (the provider checks the verifier), the ID token's signature and claims with this nonce, and
 * the identity. A sign-in completes at most once; any failure leaves nothing to store.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ph-oauth-sign-in.h"
#include "ph-oidc.h"

struct _PhOAuthSignIn
{
  PhOAuthClient *client;
  char *verifier;
  char *state;
  char *nonce;
  char *redirect_uri;
  char *authorization_url;
  gboolean used;
};

/**
 * ph_oauth_sign_in_new:
 * @client: (transfer full): a client whose provider is discovered (OIDC) or fully described
 * @redirect_uri: a loopback URI (RFC 8252 §7.3): anything else is refused
 */
PhOAuthSignIn *
ph_oauth_sign_in_new (PhOAuthClient  *client,
                      const char     *scope,
                      const char     *redirect_uri,
                      GError        **error)
{
  g_autoptr(PhOAuthSignIn) self = g_new0 (PhOAuthSignIn, 1);
  g_autofree char *challenge = NULL;

  self->client = client;
  self->verifier = ph_pkce_new_verifier ();
  self->state = ph_oauth_random_token ();
  self->nonce = ph_oauth_random_token ();
  self->redirect_uri = g_strdup (redirect_uri);
  challenge = ph_pkce_challenge_s256 (self->verifier);
  if (!(self->authorization_url = ph_oauth_authorization_url (ph_oauth_client_get_provider (client),
                                                              ph_oauth_client_get_client_id (client), redirect_uri,
                                                              scope, self->state, self->nonce, challenge, error)))
    return NULL;
  return g_steal_pointer (&self);
}

void
ph_oauth_sign_in_free (PhOAuthSignIn *self)
{
  if (self == NULL)
    return;
  ph_oauth_client_free (self->client);
  g_free (self->verifier);
  g_free (self->state);
  g_free (self->nonce);
  g_free (self->redirect_uri);
  g_free (self->authorization_url);
  g_free (self);
}

PhOAuthClient *
ph_oauth_sign_in_get_client (PhOAuthSignIn *self)
{
  return self->client;
}

const char *
ph_oauth_sign_in_get_authorization_url (PhOAuthSignIn *self)
{
  return self->authorization_url;
}

const char *
ph_oauth_sign_in_get_redirect_uri (PhOAuthSignIn *self)
{
  return self->redirect_uri;
}

/**
 * ph_oauth_sign_in_complete:
 * @redirect: the URI the provider redirected the browser to (with code and state, or an error)
 * @out_identity: (out): who signed in
 *
 * Blocks on the network: call it from a thread in a program with a user interface.
 *
 * Returns: (transfer full): the verified tokens
 */
PhOAuthTokens *
ph_oauth_sign_in_complete (PhOAuthSignIn  *self,
                           const char     *redirect,
                           char          **out_identity,
                           GCancellable   *cancellable,
                           GError        **error)
{
  g_autofree char *code = NULL;
  g_autoptr(PhOAuthTokens) tokens = NULL;

  *out_identity = NULL;
  if (self->used)
    {
      g_set_error (error, PH_OIDC_ERROR, PH_OIDC_ERROR_STATE, _("This sign-in has already been completed"));
      return NULL;
    }
  self->used = TRUE;
  if (!(code = ph_oauth_parse_redirect (redirect, self->state, error)) ||
      !(tokens = ph_oauth_client_exchange_code (self->client, code, self->verifier, self->redirect_uri, cancellable,
                                                error)) ||
      !(*out_identity = ph_oauth_client_identify (self->client, tokens, self->nonce, cancellable, error)))
    return NULL;
  return g_steal_pointer (&tokens);
}
