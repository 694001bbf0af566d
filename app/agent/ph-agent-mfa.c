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
  return self;
}

void
ph_agent_mfa_free (PhAgentMfa *self)
{
  g_signal_handlers_disconnect_by_data (self->skeleton, self);
  g_hash_table_unref (self->enrollments);
  g_free (self);
}
