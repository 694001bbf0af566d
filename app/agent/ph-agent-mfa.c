/* ph-agent-mfa.c: the agent's methods for the vault's own second factors.
 *
 * Setting up, removing and renewing second factors changes how the vault is protected: each is
 * an admin-policy request to the gate (the default wants the master password from the last five
 * minutes). An enrollment's key is made here and kept, per calling connection, until the
 * person proves their authenticator has it; only then is it sealed into the vault.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "ph-agent-mfa.h"
#include "ph-agent-private.h"
#include "ph-quick-unlock.h"
#include "ph-second-factors.h"

struct _PhAgentMfa
{
  PhAgent *agent;
  PhDBusAgent1 *skeleton;
  GHashTable *enrollments;   /* bus name -> PhSecret (the candidate key URI) */
};

static void
wipe_secret (gpointer data)
{
  ph_secret_unref (data);
}

/* The common start: a caller, an unlocked vault, and the gate's admin-policy decision. */
static PhSubject *
begin_admin (PhAgentMfa            *self,
             GDBusMethodInvocation *invocation)
{
  g_autoptr(PhSubject) subject = ph_agent_begin_call (self->agent, invocation);
  g_autoptr(GError) error = NULL;

  if (subject == NULL)
    return NULL;
  if (!ph_broker_authorize (ph_agent_get_broker (self->agent), subject, PH_ACTION_ADMIN_POLICY, NULL, "vault", &error))
    {
      ph_agent_fail_call (self->agent, invocation, error);
      return NULL;
    }
  return g_steal_pointer (&subject);
}

static gboolean
handle_get_second_factors (PhDBusAgent1          *skeleton,
                           GDBusMethodInvocation *invocation,
                           PhAgentMfa            *self)
{
  g_autoptr(PhSubject) subject = ph_agent_begin_call (self->agent, invocation);
  g_autoptr(GError) error = NULL;
  GVariantBuilder factors;
  PhSecondFactorInfo info;

  if (subject == NULL)
    return TRUE;
  if (!ph_second_factors_get_info (ph_agent_get_vault (self->agent), &info, &error))
    return ph_agent_fail_call (self->agent, invocation, error);
  g_variant_builder_init (&factors, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&factors, "{sv}", "totp", g_variant_new_boolean (info.totp));
  g_variant_builder_add (&factors, "{sv}", "totp_enrolled_at", g_variant_new_int64 (info.totp_enrolled_at));
  g_variant_builder_add (&factors, "{sv}", "recovery_codes", g_variant_new_uint32 (info.recovery_codes));
  g_variant_builder_add (&factors, "{sv}", "security_keys", g_variant_new_uint32 (info.security_keys));
  ph_dbus_agent1_complete_get_second_factors (skeleton, invocation, g_variant_builder_end (&factors));
  return TRUE;
}

static gboolean
handle_begin_totp (PhDBusAgent1          *skeleton,
                   GDBusMethodInvocation *invocation,
                   const char            *account,
                   PhAgentMfa            *self)
{
  g_autoptr(PhSubject) subject = begin_admin (self, invocation);
  PhSecret *uri;

  if (subject == NULL)
    return TRUE;
  uri = ph_second_factors_new_totp_uri (account);
  g_hash_table_replace (self->enrollments, g_strdup (g_dbus_method_invocation_get_sender (invocation)),
                        ph_secret_ref (uri));
  ph_agent_flush_audit (self->agent);
  ph_dbus_agent1_complete_begin_totp_enrollment (skeleton, invocation, ph_agent_secret_variant (uri));
  return TRUE;
}

static gboolean
handle_finish_totp (PhDBusAgent1          *skeleton,
                    GDBusMethodInvocation *invocation,
                    const char            *code,
                    PhAgentMfa            *self)
{
  g_autoptr(PhSubject) subject = begin_admin (self, invocation);
  g_autoptr(GError) error = NULL;
  PhSecret *uri;

  if (subject == NULL)
    return TRUE;
  if (!(uri = g_hash_table_lookup (self->enrollments, g_dbus_method_invocation_get_sender (invocation))))
    {
      ph_agent_flush_audit (self->agent);
      g_dbus_method_invocation_return_dbus_error (invocation, "org.perihelion.Agent1.Error.NotFound",
                                                  _("No authenticator setup is under way: begin it first"));
      return TRUE;
    }
  if (!ph_second_factors_enroll_totp (ph_agent_get_vault (self->agent), ph_secret_get_text (uri), code,
                                      g_get_real_time () / G_USEC_PER_SEC, &error))
    {
      ph_agent_flush_audit (self->agent);
      if (g_error_matches (error, PH_MFA_ERROR, PH_MFA_ERROR_WRONG_CODE))
        {
          g_dbus_method_invocation_return_dbus_error (invocation, "org.perihelion.Agent1.Error.WrongCode", error->message);
          return TRUE;
        }
      return ph_agent_fail_call (self->agent, invocation, error);
    }
  g_hash_table_remove (self->enrollments, g_dbus_method_invocation_get_sender (invocation));
  if (!ph_agent_save (self->agent, &error))
    return ph_agent_fail_call (self->agent, invocation, error);
  ph_dbus_agent1_complete_finish_totp_enrollment (skeleton, invocation);
  return TRUE;
}

static gboolean
handle_remove_totp (PhDBusAgent1          *skeleton,
                    GDBusMethodInvocation *invocation,
                    PhAgentMfa            *self)
{
  g_autoptr(PhSubject) subject = begin_admin (self, invocation);
  g_autoptr(GError) error = NULL;

  if (subject == NULL)
    return TRUE;
  if (!ph_second_factors_remove_totp (ph_agent_get_vault (self->agent), &error) || !ph_agent_save (self->agent, &error))
    return ph_agent_fail_call (self->agent, invocation, error);
  ph_dbus_agent1_complete_remove_totp (skeleton, invocation);
  return TRUE;
}

static gboolean
handle_new_recovery_codes (PhDBusAgent1          *skeleton,
                           GDBusMethodInvocation *invocation,
                           PhAgentMfa            *self)
{
  g_autoptr(PhSubject) subject = begin_admin (self, invocation);
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) codes = NULL;

  if (subject == NULL)
    return TRUE;
  if (!(codes = ph_second_factors_new_recovery_codes (ph_agent_get_vault (self->agent), &error)) ||
      !ph_agent_save (self->agent, &error))
    return ph_agent_fail_call (self->agent, invocation, error);
  ph_dbus_agent1_complete_new_recovery_codes (skeleton, invocation, (const char * const *) codes);
  for (guint i = 0; codes[i]; i++)
    explicit_bzero (codes[i], strlen (codes[i]));
  return TRUE;
}

/* Registering waits for a touch: the key is asked off the main loop. */
typedef struct
{
  PhAgentMfa *mfa;
  GDBusMethodInvocation *invocation;
  char *name;
  gboolean user_verification;
  gboolean resident;
} AddKey;

static void
add_key_free (gpointer data)
{
  AddKey *add = data;

  g_free (add->name);
  g_free (add);
}

static void
add_key_thread (GTask        *task,
                gpointer      source,
                gpointer      task_data,
                GCancellable *cancellable)
{
  AddKey *add = task_data;
  GError *error = NULL;
  fido_dev_t *dev = ph_fido2_open_device (&error);
  PhFido2Credential *credential = NULL;

  if (dev)
    {
      credential = ph_fido2_register_full (dev, PH_FIDO2_RP_ID, add->name, add->user_verification, add->resident, FALSE,
                                           &error);
      ph_fido2_close_device (dev);
    }
  if (credential)
    g_task_return_pointer (task, credential, (GDestroyNotify) ph_fido2_credential_free);
  else
    g_task_return_error (task, error);
}

static void
add_key_done (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  AddKey *add = g_task_get_task_data (G_TASK (result));
  PhAgentMfa *self = add->mfa;
  g_autoptr(GError) error = NULL;
  g_autoptr(PhFido2Credential) credential = g_task_propagate_pointer (G_TASK (result), &error);
  g_autofree char *id = NULL;
  PhVault *vault;

  if (credential == NULL)
    {
      if (g_error_matches (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_NO_DEVICE))
        g_dbus_method_invocation_return_dbus_error (add->invocation, "org.perihelion.Agent1.Error.NoDevice",
                                                    error->message);
      else
        ph_agent_return_error (add->invocation, error);
      return;
    }
  if (!(vault = ph_agent_get_vault (self->agent)))
    {
      g_dbus_method_invocation_return_dbus_error (add->invocation, "org.perihelion.Agent1.Error.Locked",
                                                  _("The vault was locked meanwhile"));
      return;
    }
  if (!ph_second_factors_add_key (vault, credential, credential->user_verification, add->name, &error) ||
      !ph_agent_save (self->agent, &error))
    {
      ph_agent_return_error (add->invocation, error);
      return;
    }
  id = g_base64_encode (g_bytes_get_data (credential->id, NULL), g_bytes_get_size (credential->id));
  ph_dbus_agent1_complete_add_security_key (self->skeleton, add->invocation, id, credential->attestation);
}

static gboolean
handle_add_key (PhDBusAgent1          *skeleton,
                GDBusMethodInvocation *invocation,
                const char            *name,
                gboolean               user_verification,
                gboolean               resident,
                PhAgentMfa            *self)
{
  g_autoptr(PhSubject) subject = begin_admin (self, invocation);
  g_autoptr(GTask) task = NULL;
  AddKey *add;

  if (subject == NULL)
    return TRUE;
  ph_agent_flush_audit (self->agent);
  add = g_new0 (AddKey, 1);
  add->mfa = self;
  add->invocation = invocation;
  add->name = g_strdup (name);
  add->user_verification = user_verification;
  add->resident = resident;
  task = g_task_new (NULL, NULL, add_key_done, NULL);
  g_task_set_task_data (task, add, add_key_free);
  g_task_run_in_thread (task, add_key_thread);
  return TRUE;
}

static gboolean
handle_list_keys (PhDBusAgent1          *skeleton,
                  GDBusMethodInvocation *invocation,
                  PhAgentMfa            *self)
{
  g_autoptr(PhSubject) subject = ph_agent_begin_call (self->agent, invocation);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) keys = NULL;
  GVariantBuilder list;

  if (subject == NULL)
    return TRUE;
  if (!(keys = ph_second_factors_list_keys (ph_agent_get_vault (self->agent), &error)))
    return ph_agent_fail_call (self->agent, invocation, error);
  g_variant_builder_init (&list, G_VARIANT_TYPE ("a(ssbu)"));
  for (guint i = 0; i < keys->len; i++)
    {
      PhSecurityKey *key = g_ptr_array_index (keys, i);

      g_variant_builder_add (&list, "(ssbu)", key->id, key->name, key->user_verification, key->counter);
    }
  ph_dbus_agent1_complete_list_security_keys (skeleton, invocation, g_variant_builder_end (&list));
  return TRUE;
}

static gboolean
handle_rename_key (PhDBusAgent1          *skeleton,
                   GDBusMethodInvocation *invocation,
                   const char            *id,
                   const char            *name,
                   PhAgentMfa            *self)
{
  g_autoptr(PhSubject) subject = begin_admin (self, invocation);
  g_autoptr(GError) error = NULL;

  if (subject == NULL)
    return TRUE;
  if (!ph_second_factors_rename_key (ph_agent_get_vault (self->agent), id, name, &error) ||
      !ph_agent_save (self->agent, &error))
    return ph_agent_fail_call (self->agent, invocation, error);
  ph_dbus_agent1_complete_rename_security_key (skeleton, invocation);
  return TRUE;
}

static gboolean
handle_remove_key (PhDBusAgent1          *skeleton,
                   GDBusMethodInvocation *invocation,
                   const char            *id,
                   PhAgentMfa            *self)
{
  g_autoptr(PhSubject) subject = begin_admin (self, invocation);
  g_autoptr(GError) error = NULL;

  if (subject == NULL)
    return TRUE;
  if (!ph_second_factors_remove_key (ph_agent_get_vault (self->agent), id, &error) || !ph_agent_save (self->agent, &error))
    return ph_agent_fail_call (self->agent, invocation, error);
  ph_dbus_agent1_complete_remove_security_key (skeleton, invocation);
  return TRUE;
}

/* Quick unlock */

static gboolean
handle_get_unlock_methods (PhDBusAgent1          *skeleton,
                           GDBusMethodInvocation *invocation,
                           PhAgentMfa            *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSubject) subject = ph_agent_dup_caller (self->agent, invocation, &error);
  g_autoptr(PhVault) file = NULL;
  g_autoptr(GPtrArray) methods = g_ptr_array_new ();
  PhVault *vault;

  if (subject == NULL)
    {
      ph_agent_return_error (invocation, error);
      return TRUE;
    }
  /* Unlocked, the vault in hand; locked, its file's header. */
  if (!(vault = ph_agent_get_vault (self->agent)) && !(vault = file = ph_vault_load (ph_agent_get_vault_path (self->agent), NULL)))
    {
      ph_dbus_agent1_complete_get_unlock_methods (skeleton, invocation, (const char *[]) { NULL });
      return TRUE;
    }
  if (ph_vault_has_slot (vault, PH_KEY_SLOT_PASSWORD))
    g_ptr_array_add (methods, (gpointer) "password");
  if (ph_vault_has_slot (vault, PH_KEY_SLOT_SECURITY_KEY))
    g_ptr_array_add (methods, (gpointer) "security-key");
  if (ph_vault_has_slot (vault, PH_KEY_SLOT_KEYSTORE))
    g_ptr_array_add (methods, (gpointer) "device");
  g_ptr_array_add (methods, NULL);
  ph_dbus_agent1_complete_get_unlock_methods (skeleton, invocation, (const char * const *) methods->pdata);
  return TRUE;
}

typedef struct
{
  PhAgentMfa *mfa;
  GDBusMethodInvocation *invocation;
  char *name;
  PhVault *vault;                 /* unlocking: the file being opened */
  PhFido2Credential *credential;  /* setting up */
  guint8 salt[32];
  PhSecret *secret;
} KeyJob;

static void
key_job_free (gpointer data)
{
  KeyJob *job = data;

  g_free (job->name);
  g_clear_object (&job->vault);
  g_clear_pointer (&job->credential, ph_fido2_credential_free);
  g_clear_pointer (&job->secret, ph_secret_unref);
  g_free (job);
}

static void
return_key_error (GDBusMethodInvocation *invocation,
                  const GError          *error)
{
  if (g_error_matches (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_NO_DEVICE))
    g_dbus_method_invocation_return_dbus_error (invocation, "org.perihelion.Agent1.Error.NoDevice", error->message);
  else if (g_error_matches (error, PH_VAULT_ERROR, PH_VAULT_ERROR_NO_SLOT))
    g_dbus_method_invocation_return_dbus_error (invocation, "org.perihelion.Agent1.Error.NotFound", error->message);
  else
    ph_agent_return_error (invocation, error);
}

static void
unlock_key_thread (GTask        *task,
                   gpointer      source,
                   gpointer      task_data,
                   GCancellable *cancellable)
{
  KeyJob *job = task_data;
  GError *error = NULL;
  fido_dev_t *dev = NULL;

  if ((job->vault = ph_vault_load (ph_agent_get_vault_path (job->mfa->agent), &error)) &&
      !ph_vault_has_slot (job->vault, PH_KEY_SLOT_SECURITY_KEY))
    g_set_error (&error, PH_VAULT_ERROR, PH_VAULT_ERROR_NO_SLOT, _("No security key opens this vault"));
  if (error == NULL && (dev = ph_fido2_open_device (&error)) && ph_quick_unlock (job->vault, dev, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  ph_fido2_close_device (dev);
}

static void
unlock_key_done (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  KeyJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, PH_VAULT_ERROR, PH_VAULT_ERROR_WRONG_PASSWORD))
        ph_agent_note_wrong_password (job->mfa->agent);
      return_key_error (job->invocation, error);
      return;
    }
  if (ph_agent_get_vault (job->mfa->agent) == NULL && !ph_agent_adopt_vault (job->mfa->agent, job->vault, &error))
    {
      ph_agent_return_error (job->invocation, error);
      return;
    }
  /* A touch is not the master password: no re-authentication is counted. */
  ph_broker_set_session (ph_agent_get_broker (job->mfa->agent), g_get_real_time (), 0);
  ph_dbus_agent1_complete_unlock_with_security_key (job->mfa->skeleton, job->invocation);
}

static gboolean
handle_unlock_with_key (PhDBusAgent1          *skeleton,
                        GDBusMethodInvocation *invocation,
                        PhAgentMfa            *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSubject) subject = ph_agent_dup_caller (self->agent, invocation, &error);
  g_autoptr(GTask) task = NULL;
  KeyJob *job;

  if (subject == NULL || !ph_agent_check_unlock_allowed (self->agent, &error))
    {
      ph_agent_return_error (invocation, error);
      return TRUE;
    }
  if (ph_agent_get_vault (self->agent))
    {
      ph_dbus_agent1_complete_unlock_with_security_key (skeleton, invocation);
      return TRUE;
    }
  job = g_new0 (KeyJob, 1);
  job->mfa = self;
  job->invocation = invocation;
  task = g_task_new (NULL, NULL, unlock_key_done, NULL);
  g_task_set_task_data (task, job, key_job_free);
  g_task_run_in_thread (task, unlock_key_thread);
  return TRUE;
}

static void
enable_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  KeyJob *job = task_data;
  GError *error = NULL;
  fido_dev_t *dev = ph_fido2_open_device (&error);

  if (dev && (job->credential = ph_quick_unlock_prepare (dev, job->name, job->salt, &job->secret, &error)))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
  ph_fido2_close_device (dev);
}

static void
enable_done (GObject      *object,
             GAsyncResult *result,
             gpointer      data)
{
  KeyJob *job = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  PhVault *vault = ph_agent_get_vault (job->mfa->agent);

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      return_key_error (job->invocation, error);
      return;
    }
  if (vault == NULL ||
      !ph_vault_set_security_key_slot (vault, job->credential->id, job->credential->public_key, job->salt, job->secret,
                                       &error) ||
      !ph_agent_save (job->mfa->agent, &error))
    {
      if (error)
        ph_agent_return_error (job->invocation, error);
      else
        g_dbus_method_invocation_return_dbus_error (job->invocation, "org.perihelion.Agent1.Error.Locked",
                                                    _("The vault was locked meanwhile"));
      return;
    }
  ph_dbus_agent1_complete_enable_quick_unlock (job->mfa->skeleton, job->invocation);
}

static gboolean
handle_enable_quick_unlock (PhDBusAgent1          *skeleton,
                            GDBusMethodInvocation *invocation,
                            const char            *name,
                            PhAgentMfa            *self)
{
  g_autoptr(PhSubject) subject = begin_admin (self, invocation);
  g_autoptr(GTask) task = NULL;
  KeyJob *job;

  if (subject == NULL)
    return TRUE;
  ph_agent_flush_audit (self->agent);
  job = g_new0 (KeyJob, 1);
  job->mfa = self;
  job->invocation = invocation;
  job->name = g_strdup (name);
  task = g_task_new (NULL, NULL, enable_done, NULL);
  g_task_set_task_data (task, job, key_job_free);
  g_task_run_in_thread (task, enable_thread);
  return TRUE;
}

static gboolean
handle_disable_quick_unlock (PhDBusAgent1          *skeleton,
                             GDBusMethodInvocation *invocation,
                             PhAgentMfa            *self)
{
  g_autoptr(PhSubject) subject = begin_admin (self, invocation);
  g_autoptr(GError) error = NULL;

  if (subject == NULL)
    return TRUE;
  if (!ph_vault_remove_security_key_slot (ph_agent_get_vault (self->agent), &error) || !ph_agent_save (self->agent, &error))
    return ph_agent_fail_call (self->agent, invocation, error);
  ph_dbus_agent1_complete_disable_quick_unlock (skeleton, invocation);
  return TRUE;
}

PhAgentMfa *
ph_agent_mfa_new (PhAgent      *agent,
                  PhDBusAgent1 *skeleton)
{
  PhAgentMfa *self = g_new0 (PhAgentMfa, 1);

  self->agent = agent;
  self->skeleton = skeleton;
  self->enrollments = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, wipe_secret);
  g_signal_connect (skeleton, "handle-get-second-factors", G_CALLBACK (handle_get_second_factors), self);
  g_signal_connect (skeleton, "handle-begin-totp-enrollment", G_CALLBACK (handle_begin_totp), self);
  g_signal_connect (skeleton, "handle-finish-totp-enrollment", G_CALLBACK (handle_finish_totp), self);
  g_signal_connect (skeleton, "handle-remove-totp", G_CALLBACK (handle_remove_totp), self);
  g_signal_connect (skeleton, "handle-new-recovery-codes", G_CALLBACK (handle_new_recovery_codes), self);
  g_signal_connect (skeleton, "handle-add-security-key", G_CALLBACK (handle_add_key), self);
  g_signal_connect (skeleton, "handle-list-security-keys", G_CALLBACK (handle_list_keys), self);
  g_signal_connect (skeleton, "handle-remove-security-key", G_CALLBACK (handle_remove_key), self);
  g_signal_connect (skeleton, "handle-rename-security-key", G_CALLBACK (handle_rename_key), self);
  g_signal_connect (skeleton, "handle-get-unlock-methods", G_CALLBACK (handle_get_unlock_methods), self);
  g_signal_connect (skeleton, "handle-unlock-with-security-key", G_CALLBACK (handle_unlock_with_key), self);
  g_signal_connect (skeleton, "handle-enable-quick-unlock", G_CALLBACK (handle_enable_quick_unlock), self);
  g_signal_connect (skeleton, "handle-disable-quick-unlock", G_CALLBACK (handle_disable_quick_unlock), self);
  return self;
}

void
ph_agent_mfa_free (PhAgentMfa *self)
{
  g_signal_handlers_disconnect_by_data (self->skeleton, self);
  g_hash_table_unref (self->enrollments);
  g_free (self);
}
