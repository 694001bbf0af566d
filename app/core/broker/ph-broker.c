/* ph-broker.c: the policy enforcement point, the only way to a secret.
 *
 * Every access goes the same way: build the request (subject, action, object, and the context
 * the broker knows: session, last re-authentication, risk, presence), ask the decision point,
 * fulfil the obligations through the prompter (the master password again, a person's
 * approval), open the sealed field only on allow, and audit the outcome either way. The vault
 * does not export its unseal functions; this file is their one caller.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-broker"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ph-broker.h"
#include "ph-second-factors.h"
#include "ph-vault-private.h"

#define GRANT_SECONDS (10 * 60)
#define HISTORY_RECORDS 2000

G_DEFINE_QUARK (ph-broker-error-quark, ph_broker_error)

struct _PhBroker
{
  GObject parent_instance;

  PhVault *vault;
  PhPdp *pdp;
  PhAuditLog *audit;
  PhPrompter *prompter;
  PhRiskMonitor *risk;

  gint64 session_start;
  gint64 last_reauth;
  gint64 last_mfa;
  guint mfa_failures;         /* wrong second factors since ... */
  gint64 mfa_failures_since;  /* ... this time (µs) */
  gboolean present;
  int last_ttl;

  GHashTable *grants;        /* "subject\x1faction\x1fobject" -> expiry (µs) of a 10-minute approval */
  char *export_subject;      /* who holds a vault-wide export grant in this session */
};

G_DEFINE_FINAL_TYPE (PhBroker, ph_broker, G_TYPE_OBJECT)

static void
ph_broker_dispose (GObject *object)
{
  PhBroker *self = PH_BROKER (object);

  if (self->audit)
    {
      g_autoptr(GError) error = NULL;

      if (!ph_broker_finish (self, &error))
        g_warning ("%s", error->message);
    }
  g_clear_object (&self->vault);
  g_clear_object (&self->pdp);
  g_clear_object (&self->audit);
  g_clear_object (&self->prompter);

  G_OBJECT_CLASS (ph_broker_parent_class)->dispose (object);
}

static void
ph_broker_finalize (GObject *object)
{
  PhBroker *self = PH_BROKER (object);

  g_clear_pointer (&self->risk, ph_risk_monitor_free);
  g_hash_table_unref (self->grants);
  g_free (self->export_subject);

  G_OBJECT_CLASS (ph_broker_parent_class)->finalize (object);
}

static void
ph_broker_class_init (PhBrokerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ph_broker_dispose;
  object_class->finalize = ph_broker_finalize;
}

static void
ph_broker_init (PhBroker *self)
{
  self->grants = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->present = TRUE;
  self->last_ttl = -1;
}

/**
 * ph_broker_new:
 * @audit: (nullable): where accesses are recorded
 * @prompter: (nullable): who fulfils obligations; without one, obligations deny
 */
PhBroker *
ph_broker_new (PhVault    *vault,
               PhPdp      *pdp,
               PhAuditLog *audit,
               PhPrompter *prompter)
{
  PhBroker *self;

  g_return_val_if_fail (PH_IS_VAULT (vault), NULL);
  g_return_val_if_fail (PH_IS_PDP (pdp), NULL);

  self = g_object_new (PH_TYPE_BROKER, NULL);
  self->vault = g_object_ref (vault);
  self->pdp = g_object_ref (pdp);
  self->audit = audit ? g_object_ref (audit) : NULL;
  self->prompter = prompter ? g_object_ref (prompter) : NULL;
  self->risk = ph_risk_monitor_new ();
  if (audit)
    {
      g_autofree char *vault_id = ph_vault_dup_id (vault);

      ph_risk_monitor_load_audit_history (self->risk, ph_audit_log_get_path (audit), vault_id, HISTORY_RECORDS);
    }
  return self;
}

/**
 * ph_broker_new_for_vault:
 *
 * The broker for an unlocked vault: its own policy (or the default one), and the audit log at
 * the default path keyed by the vault.
 */
PhBroker *
ph_broker_new_for_vault (PhVault    *vault,
                         PhPrompter *prompter,
                         GError    **error)
{
  g_autofree char *model = NULL;
  g_autofree char *policy = NULL;
  g_autofree char *path = ph_audit_log_dup_default_path ();
  g_autofree char *vault_id = ph_vault_dup_id (vault);
  g_autoptr(PhSecret) key = ph_vault_derive_key (vault, PH_AUDIT_KEY_ID, PH_AUDIT_KEY_CONTEXT);
  g_autoptr(PhPdp) pdp = NULL;
  g_autoptr(PhAuditLog) audit = NULL;

  if (key == NULL)
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_LOCKED, _("The vault is locked"));
      return NULL;
    }
  if (ph_vault_get_policy (vault, &model, &policy, NULL))
    {
      if (!(pdp = ph_pdp_new (model, policy, error)))
        {
          g_prefix_error (error, _("The vault's access policy does not load: "));
          return NULL;
        }
    }
  else
    pdp = ph_pdp_new_default ();
  audit = ph_audit_log_new (path, vault_id, key);
  {
    guint8 mac[PH_AUDIT_MAC_BYTES];
    guint64 seq;

    if (ph_vault_get_audit_head (vault, &seq, mac))
      ph_audit_log_set_floor (audit, seq, mac);
  }
  return ph_broker_new (vault, pdp, audit, prompter);
}

PhPdp *
ph_broker_get_pdp (PhBroker *self)
{
  return self->pdp;
}

PhVault *
ph_broker_get_vault (PhBroker *self)
{
  return self->vault;
}

PhAuditLog *
ph_broker_get_audit_log (PhBroker *self)
{
  return self->audit;
}

/**
 * ph_broker_set_session:
 * @unlocked_at: when the vault was unlocked (µs)
 * @last_reauth: when the master password was last entered (µs), 0 if it was not (a keyring
 *   unlock)
 */
void
ph_broker_set_session (PhBroker *self,
                       gint64    unlocked_at,
                       gint64    last_reauth)
{
  self->session_start = unlocked_at;
  self->last_reauth = last_reauth;
}

void
ph_broker_set_present (PhBroker *self,
                       gboolean  present)
{
  self->present = present;
}

void
ph_broker_note_failed_unlock (PhBroker *self)
{
  ph_risk_monitor_note_failed_unlock (self->risk, g_get_real_time ());
}

int
ph_broker_get_ttl (PhBroker *self)
{
  return self->last_ttl;
}

static void
audit (PhBroker              *self,
       const PhAccessRequest *request,
       const char            *subject_id,
       gboolean               allowed,
       const char            *reason,
       GPtrArray             *met)
{
  g_autofree char *detail = NULL;
  PhAuditRecord record = { 0 };

  if (self->audit == NULL)
    return;
  if (met)
    g_ptr_array_add (met, NULL);
  detail = ph_subject_dup_description (request->subject);
  record.time = request->context.now;
  record.subject = subject_id;
  record.subject_detail = detail;
  record.action = ph_action_to_string (request->action);
  record.object_id = request->entry ? ph_entry_get_id (request->entry) : request->object_id;
  record.object_title = request->entry ? ph_entry_get_title (request->entry) : "";
  record.decision = allowed ? "allow" : "deny";
  record.reason = reason;
  record.obligations = met ? (const char * const *) met->pdata : NULL;
  ph_audit_log_append (self->audit, &record);
}

static const char *
object_name (const PhAccessRequest *request)
{
  return request->entry ? ph_entry_get_title (request->entry) : request->object_id;
}

static char *
grant_key (const char            *subject_id,
           const PhAccessRequest *request)
{
  return g_strdup_printf ("%s\x1f%s\x1f%s", subject_id, ph_action_to_string (request->action),
                          request->entry ? ph_entry_get_id (request->entry) : request->object_id);
}

/* The master password, asked now and checked against the vault. */
static gboolean
reauthenticate (PhBroker              *self,
                const PhAccessRequest *request,
                GError               **error)
{
  g_autofree char *message = NULL;
  g_autoptr(PhSecret) password = NULL;
  g_autoptr(GError) local_error = NULL;

  if (self->prompter == NULL)
    {
      g_set_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_REAUTH,
                   _("The policy asks for the master password to %s “%s”, and nobody can be asked"),
                   ph_action_to_string (request->action), object_name (request));
      return FALSE;
    }
  message = g_strdup_printf (_("Enter the master password to %s “%s”"), ph_action_to_string (request->action),
                             object_name (request));
  password = ph_prompter_ask_password (self->prompter, message, &local_error);
  if (password == NULL)
    {
      g_set_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_REAUTH,
                   _("The policy asks for the master password to %s “%s”: %s"),
                   ph_action_to_string (request->action), object_name (request), local_error->message);
      return FALSE;
    }
  if (!ph_vault_verify_password (self->vault, password, &local_error))
    {
      ph_risk_monitor_note_failed_unlock (self->risk, g_get_real_time ());
      g_set_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_REAUTH, _("Re-authentication failed: %s"),
                   local_error->message);
      return FALSE;
    }
  self->last_reauth = g_get_real_time ();
  return TRUE;
}

#define MFA_MAX_FAILURES 5
#define MFA_FAILURE_WINDOW (10 * 60 * G_USEC_PER_SEC)

/* A second factor, asked now: the authenticator app's code or a recovery code. Wrong codes are
 * counted: five in ten minutes and no more are taken until the ten minutes are over (each also
 * raises the risk score, like a failed unlock). While no second factor is set up, the master
 * password stands in for it. */
static gboolean
second_factor (PhBroker              *self,
               const PhAccessRequest *request,
               gint64                 window,
               const char           **out_method,
               GError               **error)
{
  g_autofree char *message = NULL;
  g_autoptr(PhSecret) code = NULL;
  g_autoptr(GError) local_error = NULL;
  PhSecondFactorInfo info;
  gint64 now = g_get_real_time ();
  gboolean recovery = FALSE;

  if (!ph_second_factors_get_info (self->vault, &info, error))
    return FALSE;
  /* A security key first, the strongest factor: a touch, and for high and critical entries the
   * key's PIN or biometrics too. Without one plugged in, a code will do. */
  if (info.security_keys > 0)
    {
      gboolean uv = request->entry && ph_entry_get_sensitivity (request->entry) >= PH_SENSITIVITY_HIGH;

      if (ph_second_factors_verify_key (self->vault, uv, &local_error) && ph_vault_save (self->vault, error))
        {
          self->mfa_failures = 0;
          self->last_mfa = g_get_real_time ();
          *out_method = uv ? "second factor: security key with user verification" : "second factor: security key";
          return TRUE;
        }
      if (local_error == NULL)
        return FALSE;   /* the save failed: @error is set */
      if (!g_error_matches (local_error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_NO_DEVICE) ||
          (!info.totp && info.recovery_codes == 0))
        {
          if (!g_error_matches (local_error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_NO_DEVICE))
            {
              self->mfa_failures++;
              ph_risk_monitor_note_failed_unlock (self->risk, now);
            }
          g_set_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_REAUTH, _("Second factor failed: %s"),
                       local_error->message);
          return FALSE;
        }
      g_clear_error (&local_error);
    }
  if (!info.totp && info.recovery_codes == 0)
    {
      if (self->last_reauth && now - self->last_reauth <= window)
        {
          *out_method = "second factor: password (recent)";
          return TRUE;
        }
      *out_method = "second factor: password";
      return reauthenticate (self, request, error);
    }
  if (self->mfa_failures >= MFA_MAX_FAILURES && now - self->mfa_failures_since < MFA_FAILURE_WINDOW)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   _("Too many wrong codes: second factors are refused for a few minutes"));
      return FALSE;
    }
  if (self->prompter == NULL)
    {
      g_set_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_REAUTH,
                   _("The policy asks for a second factor to %s “%s”, and nobody can be asked"),
                   ph_action_to_string (request->action), object_name (request));
      return FALSE;
    }
  message = g_strdup_printf (info.totp ? _("Enter the code from your authenticator app to %s “%s”")
                                       : _("Enter a recovery code to %s “%s”"),
                             ph_action_to_string (request->action), object_name (request));
  if (!(code = ph_prompter_ask_code (self->prompter, message, &local_error)))
    {
      g_set_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_REAUTH, _("The policy asks for a second factor to %s “%s”: %s"),
                   ph_action_to_string (request->action), object_name (request), local_error->message);
      return FALSE;
    }
  if (!ph_second_factors_verify (self->vault, ph_secret_get_text (code), now / G_USEC_PER_SEC, &recovery, &local_error))
    {
      if (self->mfa_failures == 0 || now - self->mfa_failures_since >= MFA_FAILURE_WINDOW)
        {
          self->mfa_failures = 0;
          self->mfa_failures_since = now;
        }
      self->mfa_failures++;
      ph_risk_monitor_note_failed_unlock (self->risk, now);
      g_set_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_REAUTH, _("Second factor failed: %s"), local_error->message);
      return FALSE;
    }
  /* A used recovery code is void from now on: saved at once, not with the next change. */
  if (recovery && !ph_vault_save (self->vault, error))
    return FALSE;
  self->mfa_failures = 0;
  self->last_mfa = g_get_real_time ();
  *out_method = recovery ? "second factor: recovery code" : "second factor: authenticator";
  return TRUE;
}

/* Remembers "always allow this app for this entry" as a rule at the top of the policy. */
static void
remember_always (PhBroker              *self,
                 const PhAccessRequest *request,
                 const char            *subject_id)
{
  g_autofree char *rule = g_strdup_printf ("p, %s, %s, %s, true, allow, ", subject_id,
                                           request->entry ? ph_entry_get_id (request->entry) : request->object_id,
                                           ph_action_to_string (request->action));
  g_autoptr(GError) error = NULL;
  g_autofree char *policy = NULL;
  PhAccessRequest admin = *request;

  if (strpbrk (subject_id, ",\"\n") || !ph_pdp_prepend_rule (self->pdp, rule, &error))
    return;
  policy = ph_pdp_dup_policy (self->pdp);
  ph_vault_set_policy (self->vault, ph_pdp_get_model (self->pdp), policy);
  admin.action = PH_ACTION_ADMIN_POLICY;
  admin.entry = NULL;
  admin.object_id = "policy";
  audit (self, &admin, subject_id, TRUE, rule, NULL);
}

static gboolean
fulfil (PhBroker              *self,
        const PhAccessRequest *request,
        const char            *subject_id,
        const PhDecision      *decision,
        GPtrArray             *met,
        GError               **error)
{
  gint64 now = request->context.now;

  if (decision->reauth_within >= 0)
    {
      gint64 window = MAX (decision->reauth_within, PH_REAUTH_NOW_SECONDS) * G_USEC_PER_SEC;

      if (self->last_reauth == 0 || now - self->last_reauth > window)
        {
          if (!reauthenticate (self, request, error))
            return FALSE;
          g_ptr_array_add (met, g_strdup ("reauth"));
        }
      else
        g_ptr_array_add (met, g_strdup ("reauth (recent)"));
    }

  if (decision->mfa_within >= 0)
    {
      gint64 window = MAX (decision->mfa_within, PH_REAUTH_NOW_SECONDS) * G_USEC_PER_SEC;

      if (self->last_mfa == 0 || now - self->last_mfa > window)
        {
          const char *method = NULL;

          if (!second_factor (self, request, window, &method, error))
            return FALSE;
          g_ptr_array_add (met, g_strdup (method));
        }
      else
        g_ptr_array_add (met, g_strdup ("second factor (recent)"));
    }

  if (decision->approve)
    {
      g_autofree char *key = grant_key (subject_id, request);
      gint64 *expiry = g_hash_table_lookup (self->grants, key);
      g_autofree char *message = NULL;
      PhApproval approval;

      if (expiry && *expiry > now)
        g_ptr_array_add (met, g_strdup ("approved earlier"));
      else if (self->prompter == NULL)
        {
          g_set_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_NOT_APPROVED,
                       _("The policy asks a person to approve %s of “%s” by %s, and nobody can be asked"),
                       ph_action_to_string (request->action), object_name (request), subject_id);
          return FALSE;
        }
      else
        {
          message = g_strdup_printf (_("%s asks to %s “%s”"), subject_id, ph_action_to_string (request->action),
                                     object_name (request));
          approval = ph_prompter_ask_approval (self->prompter, request, message);
          switch (approval)
            {
            case PH_APPROVAL_DENY:
              g_set_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_NOT_APPROVED,
                           _("Not approved: %s may not %s “%s”"), subject_id, ph_action_to_string (request->action),
                           object_name (request));
              return FALSE;
            case PH_APPROVAL_ONCE:
              g_ptr_array_add (met, g_strdup ("approved once"));
              break;
            case PH_APPROVAL_TEN_MINUTES:
              {
                gint64 *until = g_new (gint64, 1);

                *until = now + GRANT_SECONDS * G_USEC_PER_SEC;
                g_hash_table_replace (self->grants, g_steal_pointer (&key), until);
                g_ptr_array_add (met, g_strdup ("approved for 10 minutes"));
                break;
              }
            case PH_APPROVAL_ALWAYS:
            default:
              g_ptr_array_add (met, g_strdup ("approved always"));
              remember_always (self, request, subject_id);
              break;
            }
        }
    }
  return TRUE;
}

/**
 * ph_broker_authorize:
 * @entry: (nullable): the entry concerned, or %NULL for a vault-wide object
 * @object_id: (nullable): with no entry: "vault", "policy" or "audit"
 *
 * Decides one access, fulfils its obligations and audits the outcome.
 *
 * Returns: %TRUE if allowed
 */
gboolean
ph_broker_authorize (PhBroker        *self,
                     const PhSubject *subject,
                     PhAction         action,
                     PhEntry         *entry,
                     const char      *object_id,
                     GError         **error)
{
  g_autofree char *subject_id = ph_subject_dup_id (subject);
  g_autoptr(GPtrArray) met = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) local_error = NULL;
  PhDecision decision = { 0 };
  PhAccessRequest request = {
    .subject = subject,
    .action = action,
    .entry = entry,
    .object_id = entry ? NULL : object_id ? object_id : "vault",
  };
  gboolean ok;

  g_return_val_if_fail (PH_IS_BROKER (self), FALSE);

  request.context.now = g_get_real_time ();
  request.context.session_start = self->session_start;
  request.context.last_reauth = self->last_reauth;
  request.context.last_mfa = self->last_mfa;
  request.context.present = self->present;
  request.context.command = subject->command;
  request.context.risk = ph_risk_monitor_score (self->risk, subject_id, request.context.now, self->present, NULL);
  ph_risk_monitor_observe (self->risk, subject_id, request.context.now);

  if (!ph_pdp_decide (self->pdp, &request, &decision, &local_error))
    {
      g_autofree char *reason = g_strdup_printf ("policy error: %s", local_error->message);

      audit (self, &request, subject_id, FALSE, reason, NULL);
      g_set_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_DENIED, _("Denied: the policy failed: %s"),
                   local_error->message);
      return FALSE;
    }
  if (!decision.allowed)
    {
      audit (self, &request, subject_id, FALSE, decision.rule ? decision.rule : "no rule allows it", NULL);
      g_set_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_DENIED, _("Denied by policy: %s may not %s “%s” (%s)"),
                   subject_id, ph_action_to_string (action), object_name (&request),
                   decision.rule ? decision.rule : _("no rule allows it"));
      ph_decision_clear (&decision);
      return FALSE;
    }

  ok = fulfil (self, &request, subject_id, &decision, met, &local_error);
  if (ok)
    {
      self->last_ttl = decision.ttl;
      if (decision.ttl >= 0)
        g_ptr_array_add (met, g_strdup_printf ("ttl=%ds", decision.ttl));
      audit (self, &request, subject_id, TRUE, decision.rule, met);
    }
  else
    {
      g_autofree char *reason = g_strdup_printf ("%s: %s", decision.rule, local_error->message);

      audit (self, &request, subject_id, FALSE, reason, met);
      g_propagate_error (error, g_steal_pointer (&local_error));
    }
  ph_decision_clear (&decision);
  return ok;
}

/**
 * ph_broker_ask_person:
 * @object_id: what is asked for ("mcp-client")
 *
 * Asks the person at the machine to approve @subject for @object_id, whatever the policy says:
 * for grants that are not accesses to the vault (an HTTP client of perihelion-mcp). Audited as a
 * decision like any other.
 *
 * Returns: %TRUE if approved
 */
gboolean
ph_broker_ask_person (PhBroker         *self,
                      const PhSubject  *subject,
                      const char       *object_id,
                      GError          **error)
{
  g_autofree char *subject_id = ph_subject_dup_id (subject);
  g_autofree char *message = NULL;
  PhAccessRequest request = {
    .subject = subject,
    .action = PH_ACTION_READ_METADATA,
    .object_id = object_id,
  };
  PhApproval approval;

  g_return_val_if_fail (PH_IS_BROKER (self), FALSE);

  request.context.now = g_get_real_time ();
  if (self->prompter == NULL)
    {
      audit (self, &request, subject_id, FALSE, "a person's approval: nobody to ask", NULL);
      g_set_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_NOT_APPROVED,
                   _("A person must approve %s, and nobody can be asked"), subject_id);
      return FALSE;
    }
  message = g_strdup_printf (_("%s asks for “%s”"), subject_id, object_id);
  approval = ph_prompter_ask_approval (self->prompter, &request, message);
  audit (self, &request, subject_id, approval != PH_APPROVAL_DENY,
         approval != PH_APPROVAL_DENY ? "a person's approval" : "a person's refusal", NULL);
  if (approval == PH_APPROVAL_DENY)
    {
      g_set_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_NOT_APPROVED, _("Not approved: %s"), subject_id);
      return FALSE;
    }
  return TRUE;
}

/**
 * ph_broker_open:
 * @action: reveal, copy, use or export
 *
 * Authorizes @action on @entry and, if allowed, opens its sealed @field. After a vault-wide
 * export was authorized for @subject, its per-entry opens are covered by that one decision.
 *
 * Returns: (transfer full): the secret, or %NULL with an error
 */
PhSecret *
ph_broker_open (PhBroker        *self,
                const PhSubject *subject,
                PhAction         action,
                PhEntry         *entry,
                const char      *field,
                GError         **error)
{
  g_return_val_if_fail (PH_IS_BROKER (self), NULL);
  g_return_val_if_fail (action == PH_ACTION_REVEAL || action == PH_ACTION_COPY || action == PH_ACTION_USE ||
                        action == PH_ACTION_EXPORT, NULL);

  if (action == PH_ACTION_EXPORT)
    {
      g_autofree char *subject_id = ph_subject_dup_id (subject);

      if (self->export_subject == NULL || strcmp (self->export_subject, subject_id) != 0)
        {
          if (!ph_broker_authorize (self, subject, PH_ACTION_EXPORT, NULL, "vault", error))
            return NULL;
          g_free (self->export_subject);
          self->export_subject = g_steal_pointer (&subject_id);
        }
    }
  else if (!ph_broker_authorize (self, subject, action, entry, NULL, error))
    return NULL;
  return ph_vault_unseal (self->vault, entry, field, error);
}

/* An earlier password of @entry: a reveal, decided as one. */
PhSecret *
ph_broker_open_history (PhBroker        *self,
                        const PhSubject *subject,
                        PhEntry         *entry,
                        guint            index,
                        GError         **error)
{
  if (!ph_broker_authorize (self, subject, PH_ACTION_REVEAL, entry, NULL, error))
    return NULL;
  return ph_vault_unseal_history (self->vault, entry, index, error);
}

/**
 * ph_broker_set_policy:
 *
 * Replaces the vault's access policy: an admin-policy request itself, audited. A policy that
 * does not parse, or that would not let @subject change it again, is refused and nothing
 * changes.
 */
gboolean
ph_broker_set_policy (PhBroker        *self,
                      const PhSubject *subject,
                      const char      *model,
                      const char      *policy,
                      GError         **error)
{
  g_autoptr(PhPdp) pdp = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *subject_id = ph_subject_dup_id (subject);
  PhDecision decision = { 0 };
  PhAccessRequest request = {
    .subject = subject,
    .action = PH_ACTION_ADMIN_POLICY,
    .object_id = "policy",
  };

  if (!(pdp = ph_pdp_new (model, policy, error)))
    return FALSE;

  /* Would the new policy still let this subject edit it (after re-authenticating)? */
  request.context.now = g_get_real_time ();
  request.context.session_start = request.context.now;
  request.context.last_reauth = request.context.now;
  request.context.present = TRUE;
  if (!ph_pdp_decide (pdp, &request, &decision, &local_error) || !decision.allowed)
    {
      g_set_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_DENIED,
                   _("This policy would not let %s change it again (%s); it was not applied"), subject_id,
                   local_error ? local_error->message : decision.rule ? decision.rule : _("no rule allows admin-policy"));
      ph_decision_clear (&decision);
      return FALSE;
    }
  ph_decision_clear (&decision);

  if (!ph_broker_authorize (self, subject, PH_ACTION_ADMIN_POLICY, NULL, "policy", error))
    return FALSE;
  g_set_object (&self->pdp, pdp);
  ph_vault_set_policy (self->vault, model, policy);
  return TRUE;
}

/**
 * ph_broker_finish:
 *
 * Writes the queued audit records and gives the vault the new chain head (saved with the vault's
 * next save).
 */
gboolean
ph_broker_finish (PhBroker *self,
                  GError  **error)
{
  guint8 mac[PH_AUDIT_MAC_BYTES];
  guint64 seq;

  if (self->audit == NULL)
    return TRUE;
  if (!ph_audit_log_flush (self->audit, error))
    return FALSE;
  if (ph_audit_log_get_head (self->audit, &seq, mac) && !ph_vault_get_locked (self->vault))
    ph_vault_set_audit_head (self->vault, seq, mac);
  return TRUE;
}
