/* ph-agent-oauth.c: the agent's OAuth methods.
 *
 * A sign-in from the app is split in two calls so that the secrets of the sign-in stay here:
 * BeginOAuthSignIn discovers the provider and keeps the PKCE verifier, state and nonce, and
 * answers only with the authorization URL; the app shows that page (its WebKit window, or the
 * system browser with a loopback listener) and hands back the redirect; CompleteOAuthSignIn
 * exchanges the code, verifies the ID token and seals the tokens into the vault. The app never
 * sees a token. A sign-in belongs to the bus connection that began it, completes once, and is
 * forgotten after ten minutes.
 *
 * Every network request (discovery, exchange, refresh, revocation) runs in a thread, so the
 * agent keeps answering; what the gate decides and what the vault stores is done on the main
 * loop, where the vault lives. Both calls are write requests to the gate; GetOAuthToken and
 * GetGitCredential (git's helper through the agent) are "use" requests; SignOutOAuthAccount a
 * "delete" one.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ph-agent-oauth.h"
#include "ph-agent-private.h"
#include "ph-git-credential.h"
#include "ph-oauth-account.h"
#include "ph-oauth-sign-in.h"
#include "ph-oidc.h"

#define SIGN_IN_LIFETIME_SECONDS (10 * 60)

/* The catalog placeholders a client may set on a new account. */
static const char * const account_parameters[] = {
  "issuer", "base_url", "tenant", "realm_url", "domain", "region", "start_url", "git_host", NULL
};

struct _PhAgentOAuth
{
  PhAgent *agent;
  PhDBusAgent1 *skeleton;
  GHashTable *sign_ins;     /* handle -> SignIn */
  PhOAuthCatalog *catalog;  /* loaded once, on first use */
  GCancellable *cancellable;
};

typedef struct
{
  PhAgentOAuth *oauth;
  char *handle;
  char *sender;             /* the bus connection that began it */
  char *provider_id;
  GHashTable *params;       /* placeholder -> value */
  char *client_id;
  char *scope;
  char *name;               /* the account's name; NULL: provider:identity */
  char *git_path;
  char *account_id;         /* signing in again to this account */
  char *redirect_uri;
  PhOAuthClient *client;    /* until the sign-in owns it */
  PhOAuthSignIn *sign_in;
  guint expiry;
  /* completion */
  GDBusMethodInvocation *invocation;
  char *redirect;
} SignIn;

static void
sign_in_free (gpointer data)
{
  SignIn *sign_in = data;

  g_clear_handle_id (&sign_in->expiry, g_source_remove);
  g_free (sign_in->handle);
  g_free (sign_in->sender);
  g_free (sign_in->provider_id);
  g_clear_pointer (&sign_in->params, g_hash_table_unref);
  g_free (sign_in->client_id);
  g_free (sign_in->scope);
  g_free (sign_in->name);
  g_free (sign_in->git_path);
  g_free (sign_in->account_id);
  g_free (sign_in->redirect_uri);
  g_clear_pointer (&sign_in->client, ph_oauth_client_free);
  g_clear_pointer (&sign_in->sign_in, ph_oauth_sign_in_free);
  g_free (sign_in->redirect);
  g_free (sign_in);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SignIn, sign_in_free)

static PhOAuthCatalog *
get_catalog (PhAgentOAuth  *self,
             GError       **error)
{
  if (self->catalog == NULL)
    self->catalog = ph_oauth_catalog_load_default (error);
  return self->catalog;
}

static gboolean
return_invalid (GDBusMethodInvocation *invocation,
                const char            *message)
{
  g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.InvalidArgs", message);
  return TRUE;
}

/* The gate's write decision for a sign-in: a new account writes to the vault, signing in again
 * writes to that account. */
static gboolean
authorize_sign_in (PhAgentOAuth     *self,
                   const PhSubject  *subject,
                   const char       *account_id,
                   PhEntry         **out_entry,
                   GError          **error)
{
  PhVault *vault = ph_agent_get_vault (self->agent);
  PhBroker *broker = ph_agent_get_broker (self->agent);
  PhEntry *entry = NULL;

  if (account_id && !(entry = ph_vault_lookup (vault, account_id)))
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NOT_FOUND, _("The account was removed during the sign-in"));
      return FALSE;
    }
  if (out_entry)
    *out_entry = entry;
  return ph_broker_authorize (broker, subject, PH_ACTION_WRITE, entry, entry ? NULL : "vault", error);
}

/* BeginOAuthSignIn */

static void
begin_thread (GTask        *task,
              gpointer      source,
              gpointer      task_data,
              GCancellable *cancellable)
{
  SignIn *sign_in = task_data;
  GError *error = NULL;

  if (!ph_oauth_client_discover (sign_in->client, cancellable, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (sign_in->scope == NULL)
    sign_in->scope = g_strjoinv (" ", ph_oauth_client_get_provider (sign_in->client)->scopes);
  if (!(sign_in->sign_in = ph_oauth_sign_in_new (g_steal_pointer (&sign_in->client), sign_in->scope,
                                                 sign_in->redirect_uri, &error)))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_boolean (task, TRUE);
}

static gboolean
on_sign_in_expired (gpointer data)
{
  SignIn *sign_in = data;

  sign_in->expiry = 0;
  g_hash_table_remove (sign_in->oauth->sign_ins, sign_in->handle);
  return G_SOURCE_REMOVE;
}

/* The sign-in is the task's data without a destroy function: kept when it began, freed when it
 * did not. */
static void
begin_done (GObject      *object,
            GAsyncResult *result,
            gpointer      data)
{
  GDBusMethodInvocation *invocation = data;
  SignIn *sign_in = g_task_get_task_data (G_TASK (result));
  PhAgentOAuth *self = sign_in->oauth;
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      sign_in_free (sign_in);
      ph_agent_return_error (invocation, error);
      return;
    }
  sign_in->expiry = g_timeout_add_seconds (SIGN_IN_LIFETIME_SECONDS, on_sign_in_expired, sign_in);
  g_hash_table_insert (self->sign_ins, sign_in->handle, sign_in);
  ph_dbus_agent1_complete_begin_oauth_sign_in (self->skeleton, invocation, sign_in->handle,
                                               ph_oauth_sign_in_get_authorization_url (sign_in->sign_in));
}

static gboolean
handle_begin_sign_in (PhDBusAgent1          *skeleton,
                      GDBusMethodInvocation *invocation,
                      const char            *provider_id,
                      GVariant              *options,
                      const char            *redirect_uri,
                      PhAgentOAuth          *self)
{
  g_autoptr(PhSubject) subject = ph_agent_begin_call (self->agent, invocation);
  g_autoptr(GError) error = NULL;
  PhOAuthCatalog *catalog;
  g_autoptr(SignIn) sign_in = NULL;
  g_autoptr(GTask) task = NULL;
  const char *account = NULL;
  PhEntry *entry = NULL;

  if (subject == NULL)
    return TRUE;
  if (!ph_oauth_redirect_is_loopback (redirect_uri))
    return return_invalid (invocation, _("The redirect URI must be a loopback address (http://127.0.0.1:PORT/…)"));

  sign_in = g_new0 (SignIn, 1);
  sign_in->oauth = self;
  sign_in->sender = g_strdup (g_dbus_method_invocation_get_sender (invocation));
  sign_in->redirect_uri = g_strdup (redirect_uri);
  sign_in->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_variant_lookup (options, "scope", "s", &sign_in->scope);
  g_variant_lookup (options, "git_path", "s", &sign_in->git_path);
  g_variant_lookup (options, "account", "&s", &account);
  if (!(catalog = get_catalog (self, &error)))
    return ph_agent_fail_call (self->agent, invocation, error);

  if (account && *account)
    {
      /* Signing in again: everything but the tokens comes from the account. */
      if (!(entry = ph_vault_find (ph_agent_get_vault (self->agent), account, &error)))
        return ph_agent_fail_call (self->agent, invocation, error);
      if (!ph_oauth_account_is (entry))
        return return_invalid (invocation, _("That entry is not an OAuth account"));
      sign_in->account_id = g_strdup (ph_entry_get_id (entry));
      sign_in->name = g_strdup (ph_entry_get_title (entry));
      sign_in->provider_id = g_strdup (ph_entry_get_field (entry, "oauth.provider"));
      sign_in->client_id = g_strdup (ph_entry_get_field (entry, "oauth.client_id"));
      g_hash_table_unref (sign_in->params);
      sign_in->params = ph_oauth_account_dup_params (entry);
      if (!authorize_sign_in (self, subject, sign_in->account_id, NULL, &error) ||
          !(sign_in->client = ph_oauth_account_new_client (entry, catalog, &error)))
        return ph_agent_fail_call (self->agent, invocation, error);
    }
  else
    {
      PhOAuthProvider *provider;

      if (!g_variant_lookup (options, "client_id", "s", &sign_in->client_id) || *sign_in->client_id == '\0')
        return return_invalid (invocation, _("A sign-in needs the client id registered with the provider"));
      g_variant_lookup (options, "name", "s", &sign_in->name);
      for (guint i = 0; account_parameters[i]; i++)
        {
          const char *value;

          if (g_variant_lookup (options, account_parameters[i], "&s", &value) && *value)
            g_hash_table_insert (sign_in->params, g_strdup (account_parameters[i]), g_strdup (value));
        }
      sign_in->provider_id = g_strdup (provider_id);
      if (!authorize_sign_in (self, subject, NULL, NULL, &error) ||
          !(provider = ph_oauth_catalog_resolve (catalog, provider_id, sign_in->params, &error)))
        return ph_agent_fail_call (self->agent, invocation, error);
      if (!provider->code_flow)
        {
          ph_oauth_provider_free (provider);
          return return_invalid (invocation, _("This provider offers only the device sign-in"));
        }
      sign_in->client = ph_oauth_client_new (provider, sign_in->client_id);
    }
  sign_in->handle = ph_oauth_random_token ();
  ph_agent_flush_audit (self->agent);
  task = g_task_new (NULL, self->cancellable, begin_done, invocation);
  g_task_set_task_data (task, g_steal_pointer (&sign_in), NULL);
  g_task_run_in_thread (task, begin_thread);
  return TRUE;
}

/* CompleteOAuthSignIn */

typedef struct
{
  PhOAuthTokens *tokens;
  char *identity;
} Completed;

static void
completed_free (gpointer data)
{
  Completed *completed = data;

  ph_oauth_tokens_free (completed->tokens);
  g_free (completed->identity);
  g_free (completed);
}

static void
complete_thread (GTask        *task,
                 gpointer      source,
                 gpointer      task_data,
                 GCancellable *cancellable)
{
  SignIn *sign_in = task_data;
  GError *error = NULL;
  Completed *completed = g_new0 (Completed, 1);

  if (!(completed->tokens = ph_oauth_sign_in_complete (sign_in->sign_in, sign_in->redirect, &completed->identity,
                                                       cancellable, &error)))
    {
      completed_free (completed);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, completed, completed_free);
}

static void
complete_done (GObject      *object,
               GAsyncResult *result,
               gpointer      data)
{
  SignIn *sign_in = g_task_get_task_data (G_TASK (result));
  PhAgentOAuth *self = sign_in->oauth;
  GDBusMethodInvocation *invocation = g_steal_pointer (&sign_in->invocation);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSubject) subject = NULL;
  Completed *completed = g_task_propagate_pointer (G_TASK (result), &error);
  g_autofree char *name = NULL;
  PhEntry *entry = NULL;

  if (completed == NULL)
    {
      ph_agent_return_error (invocation, error);
      return;
    }
  /* Decided again now that there is something to store: the vault may have been locked, or the
   * policy changed, while the person was signing in. */
  if (!(subject = ph_agent_begin_call (self->agent, invocation)))
    {
      completed_free (completed);
      return;
    }
  name = sign_in->name ? g_strdup (sign_in->name) : g_strdup_printf ("%s:%s", sign_in->provider_id, completed->identity);
  if (!authorize_sign_in (self, subject, sign_in->account_id, &entry, &error) ||
      !(entry = ph_oauth_account_store (ph_agent_get_vault (self->agent), name, sign_in->provider_id, sign_in->params,
                                        sign_in->client_id, completed->identity, completed->tokens, &error)))
    {
      completed_free (completed);
      ph_agent_fail_call (self->agent, invocation, error);
      return;
    }
  completed_free (completed);
  if (sign_in->git_path)
    ph_entry_set_field (entry, "oauth.git_path", sign_in->git_path);
  if (!ph_agent_save (self->agent, &error))
    {
      ph_agent_fail_call (self->agent, invocation, error);
      return;
    }
  ph_dbus_agent1_complete_complete_oauth_sign_in (self->skeleton, invocation, ph_entry_get_id (entry));
}

/* The sign-in of @handle if the caller began it; taken out of the table. */
static SignIn *
take_sign_in (PhAgentOAuth          *self,
              GDBusMethodInvocation *invocation,
              const char            *handle)
{
  SignIn *sign_in = g_hash_table_lookup (self->sign_ins, handle);
  gpointer key;

  if (sign_in == NULL || g_strcmp0 (sign_in->sender, g_dbus_method_invocation_get_sender (invocation)) != 0)
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.perihelion.Agent1.Error.NotFound",
                                                  _("No such sign-in: it was completed, cancelled or has expired"));
      return NULL;
    }
  g_hash_table_steal_extended (self->sign_ins, handle, &key, NULL);
  g_clear_handle_id (&sign_in->expiry, g_source_remove);
  return sign_in;
}

static gboolean
handle_complete_sign_in (PhDBusAgent1          *skeleton,
                         GDBusMethodInvocation *invocation,
                         const char            *handle,
                         const char            *redirect,
                         PhAgentOAuth          *self)
{
  g_autoptr(GTask) task = NULL;
  SignIn *sign_in;

  if (!(sign_in = take_sign_in (self, invocation, handle)))
    return TRUE;
  sign_in->invocation = invocation;
  sign_in->redirect = g_strdup (redirect);
  task = g_task_new (NULL, self->cancellable, complete_done, NULL);
  g_task_set_task_data (task, sign_in, sign_in_free);
  g_task_run_in_thread (task, complete_thread);
  return TRUE;
}

static gboolean
handle_cancel_sign_in (PhDBusAgent1          *skeleton,
                       GDBusMethodInvocation *invocation,
                       const char            *handle,
                       PhAgentOAuth          *self)
{
  SignIn *sign_in = take_sign_in (self, invocation, handle);

  if (sign_in == NULL)
    return TRUE;
  sign_in_free (sign_in);
  ph_dbus_agent1_complete_cancel_oauth_sign_in (skeleton, invocation);
  return TRUE;
}

/* GetOAuthToken: the refresh token is opened through the gate here, the network request runs in a
 * thread, and the rotated tokens are sealed back on the main loop. */

typedef struct
{
  PhAgentOAuth *oauth;
  GDBusMethodInvocation *invocation;
  char *entry_id;
  PhOAuthClient *client;
  PhSecret *refresh_token;
  PhSecret *access_token;   /* sign-out: both tokens are revoked */
  char *git_username;       /* GetGitCredential: the answer's user name */
} AccountCall;

static void
account_call_free (gpointer data)
{
  AccountCall *call = data;

  g_free (call->entry_id);
  g_clear_pointer (&call->client, ph_oauth_client_free);
  g_clear_pointer (&call->refresh_token, ph_secret_unref);
  g_clear_pointer (&call->access_token, ph_secret_unref);
  g_free (call->git_username);
  g_free (call);
}

/* The answer to GetOAuthToken or GetGitCredential. */
static void
complete_token (PhDBusAgent1          *skeleton,
                GDBusMethodInvocation *invocation,
                PhSecret              *token,
                gint64                 expires_at,
                const char            *git_username)
{
  if (git_username)
    ph_dbus_agent1_complete_get_git_credential (skeleton, invocation, git_username, ph_agent_secret_variant (ph_secret_ref (token)));
  else
    ph_dbus_agent1_complete_get_oauth_token (skeleton, invocation, ph_agent_secret_variant (ph_secret_ref (token)), expires_at);
}

static void
refresh_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  AccountCall *call = task_data;
  GError *error = NULL;
  PhOAuthTokens *tokens = NULL;

  if (ph_oauth_client_discover (call->client, cancellable, &error))
    tokens = ph_oauth_client_refresh (call->client, call->refresh_token, cancellable, &error);
  if (tokens)
    g_task_return_pointer (task, tokens, (GDestroyNotify) ph_oauth_tokens_free);
  else
    g_task_return_error (task, error);
}

/* The account still there after a call's network part: the vault may have been locked, or the
 * account removed, meanwhile. */
static PhEntry *
account_after (AccountCall *call)
{
  PhVault *vault = ph_agent_get_vault (call->oauth->agent);
  PhEntry *entry = vault ? ph_vault_lookup (vault, call->entry_id) : NULL;

  if (entry == NULL)
    g_dbus_method_invocation_return_dbus_error (call->invocation, "org.perihelion.Agent1.Error.Locked",
                                                _("The vault was locked, or the account removed, meanwhile"));
  return entry;
}

static void
refresh_done (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  AccountCall *call = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(PhOAuthTokens) tokens = g_task_propagate_pointer (G_TASK (result), &error);
  PhEntry *entry;

  if (tokens == NULL)
    {
      ph_agent_return_error (call->invocation, error);
      return;
    }
  if (!(entry = account_after (call)))
    return;
  if (!ph_oauth_account_update_tokens (ph_agent_get_vault (call->oauth->agent), entry, tokens, &error) ||
      !ph_agent_save (call->oauth->agent, &error))
    {
      ph_agent_return_error (call->invocation, error);
      return;
    }
  complete_token (call->oauth->skeleton, call->invocation, tokens->access_token, tokens->expires_at,
                  call->git_username);
}

/* The OAuth account @name names, or an error returned to the caller. */
static PhEntry *
find_account (PhAgentOAuth          *self,
              GDBusMethodInvocation *invocation,
              const char            *name)
{
  g_autoptr(GError) error = NULL;
  PhEntry *entry;

  if (!(entry = ph_vault_find (ph_agent_get_vault (self->agent), name, &error)))
    {
      ph_agent_fail_call (self->agent, invocation, error);
      return NULL;
    }
  if (!ph_oauth_account_is (entry))
    {
      ph_agent_flush_audit (self->agent);
      g_dbus_method_invocation_return_dbus_error (invocation, "org.perihelion.Agent1.Error.NotFound",
                                                  _("That entry is not an OAuth account"));
      return NULL;
    }
  return entry;
}

static AccountCall *
account_call_new (PhAgentOAuth          *self,
                  GDBusMethodInvocation *invocation,
                  PhEntry               *entry,
                  GError               **error)
{
  PhOAuthCatalog *catalog = get_catalog (self, error);
  AccountCall *call;

  if (catalog == NULL)
    return NULL;
  call = g_new0 (AccountCall, 1);
  call->oauth = self;
  call->invocation = invocation;
  call->entry_id = g_strdup (ph_entry_get_id (entry));
  if (!(call->client = ph_oauth_account_new_client (entry, catalog, error)))
    {
      account_call_free (call);
      return NULL;
    }
  return call;
}

/* The account's access token for the caller: at once while it is fresh, else after a refresh in
 * a thread. @git_username set: the answer is GetGitCredential's. */
static gboolean
serve_token (PhAgentOAuth          *self,
             GDBusMethodInvocation *invocation,
             const PhSubject       *subject,
             PhEntry               *entry,
             const char            *git_username)
{
  PhBroker *broker = ph_agent_get_broker (self->agent);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  AccountCall *call;

  if (!ph_oauth_account_needs_refresh (entry))
    {
      g_autoptr(PhSecret) token = ph_broker_open (broker, subject, PH_ACTION_USE, entry, "access_token", &error);

      if (token == NULL)
        return ph_agent_fail_call (self->agent, invocation, error);
      ph_agent_flush_audit (self->agent);
      complete_token (self->skeleton, invocation, token, ph_oauth_account_expires_at (entry), git_username);
      return TRUE;
    }
  /* Released to the agent itself on the caller's behalf: the gate decides on the caller. */
  if (!(call = account_call_new (self, invocation, entry, &error)))
    return ph_agent_fail_call (self->agent, invocation, error);
  call->git_username = g_strdup (git_username);
  if (!(call->refresh_token = ph_broker_open (broker, subject, PH_ACTION_USE, entry, "refresh_token", &error)))
    {
      account_call_free (call);
      return ph_agent_fail_call (self->agent, invocation, error);
    }
  ph_agent_flush_audit (self->agent);
  task = g_task_new (NULL, self->cancellable, refresh_done, NULL);
  g_task_set_task_data (task, call, account_call_free);
  g_task_run_in_thread (task, refresh_thread);
  return TRUE;
}

static gboolean
handle_get_oauth_token (PhDBusAgent1          *skeleton,
                        GDBusMethodInvocation *invocation,
                        const char            *account,
                        PhAgentOAuth          *self)
{
  g_autoptr(PhSubject) subject = ph_agent_begin_call (self->agent, invocation);
  PhEntry *entry;

  if (subject == NULL || !(entry = find_account (self, invocation, account)))
    return TRUE;
  return serve_token (self, invocation, subject, entry, NULL);
}

/* GetGitCredential: git's "get" (gitcredentials(7)) without an unlock of its own. */
static gboolean
handle_get_git_credential (PhDBusAgent1          *skeleton,
                           GDBusMethodInvocation *invocation,
                           GVariant              *request,
                           PhAgentOAuth          *self)
{
  g_autoptr(PhSubject) subject = ph_agent_begin_call (self->agent, invocation);
  PhOAuthCatalog *catalog;
  g_autoptr(GError) error = NULL;
  g_autofree char *oauth_username = NULL;
  PhGitCredential credential = { NULL };
  PhVault *vault;
  PhEntry *entry;

  if (subject == NULL)
    return TRUE;
  vault = ph_agent_get_vault (self->agent);
  g_variant_lookup (request, "protocol", "&s", &credential.protocol);
  g_variant_lookup (request, "host", "&s", &credential.host);
  g_variant_lookup (request, "path", "&s", &credential.path);
  g_variant_lookup (request, "username", "&s", &credential.username);
  if (credential.host == NULL || *credential.host == '\0')
    return return_invalid (invocation, _("A git credential request needs a host"));

  /* An OAuth account for the host first (a fresh token), else a stored login. */
  if (g_strcmp0 (credential.protocol, "https") == 0 && (catalog = get_catalog (self, NULL)) &&
      (entry = ph_oauth_account_for_git (vault, catalog, credential.host, credential.path, credential.username,
                                         &oauth_username)))
    return serve_token (self, invocation, subject, entry, oauth_username);
  if ((entry = ph_git_credential_match (vault, &credential)))
    {
      g_autoptr(PhSecret) password = ph_broker_open (ph_agent_get_broker (self->agent), subject, PH_ACTION_USE, entry,
                                                     PH_FIELD_PASSWORD, &error);

      if (password == NULL)
        return ph_agent_fail_call (self->agent, invocation, error);
      ph_agent_flush_audit (self->agent);
      ph_dbus_agent1_complete_get_git_credential (skeleton, invocation, ph_entry_get_username (entry),
                                                  ph_agent_secret_variant (ph_secret_ref (password)));
      return TRUE;
    }
  ph_agent_flush_audit (self->agent);
  g_dbus_method_invocation_return_dbus_error (invocation, "org.perihelion.Agent1.Error.NotFound",
                                              _("No login or OAuth account for this host"));
  return TRUE;
}

/* SignOutOAuthAccount: the tokens revoked at the provider, then the account removed. A provider
 * that cannot be reached fails the call and the account stays, so it can be tried again. */

static void
revoke_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  AccountCall *call = task_data;
  GError *error = NULL;

  if (ph_oauth_account_revoke (call->client, call->refresh_token, call->access_token, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static void
revoke_done (GObject      *object,
             GAsyncResult *result,
             gpointer      data)
{
  AccountCall *call = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  PhEntry *entry;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      ph_agent_return_error (call->invocation, error);
      return;
    }
  if (!(entry = account_after (call)))
    return;
  ph_vault_remove (ph_agent_get_vault (call->oauth->agent), entry);
  if (!ph_agent_save (call->oauth->agent, &error))
    {
      ph_agent_return_error (call->invocation, error);
      return;
    }
  ph_dbus_agent1_complete_sign_out_oauth_account (call->oauth->skeleton, call->invocation);
}

static gboolean
handle_sign_out (PhDBusAgent1          *skeleton,
                 GDBusMethodInvocation *invocation,
                 const char            *account,
                 PhAgentOAuth          *self)
{
  g_autoptr(PhSubject) subject = ph_agent_begin_call (self->agent, invocation);
  PhBroker *broker = ph_agent_get_broker (self->agent);
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  AccountCall *call = NULL;
  PhEntry *entry;

  if (subject == NULL || !(entry = find_account (self, invocation, account)))
    return TRUE;
  if (!ph_broker_authorize (broker, subject, PH_ACTION_DELETE, entry, NULL, &error) ||
      !(call = account_call_new (self, invocation, entry, &error)) ||
      !ph_oauth_account_open_tokens (broker, subject, entry, &call->refresh_token, &call->access_token, &error))
    {
      g_clear_pointer (&call, account_call_free);
      return ph_agent_fail_call (self->agent, invocation, error);
    }
  ph_agent_flush_audit (self->agent);
  task = g_task_new (NULL, self->cancellable, revoke_done, NULL);
  g_task_set_task_data (task, call, account_call_free);
  g_task_run_in_thread (task, revoke_thread);
  return TRUE;
}

PhAgentOAuth *
ph_agent_oauth_new (PhAgent      *agent,
                    PhDBusAgent1 *skeleton)
{
  PhAgentOAuth *self = g_new0 (PhAgentOAuth, 1);

  self->agent = agent;
  self->skeleton = skeleton;
  self->sign_ins = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, sign_in_free);
  self->cancellable = g_cancellable_new ();
  g_signal_connect (skeleton, "handle-begin-oauth-sign-in", G_CALLBACK (handle_begin_sign_in), self);
  g_signal_connect (skeleton, "handle-complete-oauth-sign-in", G_CALLBACK (handle_complete_sign_in), self);
  g_signal_connect (skeleton, "handle-cancel-oauth-sign-in", G_CALLBACK (handle_cancel_sign_in), self);
  g_signal_connect (skeleton, "handle-get-oauth-token", G_CALLBACK (handle_get_oauth_token), self);
  g_signal_connect (skeleton, "handle-sign-out-oauth-account", G_CALLBACK (handle_sign_out), self);
  g_signal_connect (skeleton, "handle-get-git-credential", G_CALLBACK (handle_get_git_credential), self);
  return self;
}

void
ph_agent_oauth_free (PhAgentOAuth *self)
{
  g_signal_handlers_disconnect_by_data (self->skeleton, self);
  g_cancellable_cancel (self->cancellable);
  g_object_unref (self->cancellable);
  g_hash_table_unref (self->sign_ins);
  g_clear_pointer (&self->catalog, ph_oauth_catalog_free);
  g_free (self);
}
