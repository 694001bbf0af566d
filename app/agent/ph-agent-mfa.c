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
  ph_dbus_agent1_complete_begin_totp_enrollment (skeleton, invocation,
                                                 g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING,
                                                                          ph_secret_get_data (uri),
                                                                          ph_secret_get_length (uri), TRUE,
                                                                          wipe_secret, uri));
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
      credential = ph_fido2_register (dev, PH_FIDO2_RP_ID, add->name, add->user_verification, &error);
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
  return self;
}

void
ph_agent_mfa_free (PhAgentMfa *self)
{
  g_signal_handlers_disconnect_by_data (self->skeleton, self);
  g_hash_table_unref (self->enrollments);
  g_free (self);
}
