/* ph-agent-private.h: what the agent's other D-Bus services (the Secret Service, OAuth) use of it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-agent.h"
#include "ph-broker.h"

G_BEGIN_DECLS

PhVault   *ph_agent_get_vault   (PhAgent               *self);
PhBroker  *ph_agent_get_broker  (PhAgent               *self);
PhSubject *ph_agent_begin_call  (PhAgent               *self,
                                 GDBusMethodInvocation *invocation);
gboolean   ph_agent_fail_call   (PhAgent               *self,
                                 GDBusMethodInvocation *invocation,
                                 const GError          *error);
void       ph_agent_return_error (GDBusMethodInvocation *invocation,
                                 const GError          *error);
PhSubject *ph_agent_dup_caller  (PhAgent               *self,
                                 GDBusMethodInvocation *invocation,
                                 GError               **error);
void       ph_agent_touch       (PhAgent               *self);
GVariant  *ph_agent_secret_variant (PhSecret           *secret);
void       ph_agent_flush_audit (PhAgent               *self);
gboolean   ph_agent_save        (PhAgent               *self,
                                 GError               **error);

G_END_DECLS
