/* ph-agent-mfa.h: the agent's methods for the vault's own second factors.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-agent.h"
#include "ph-agent-dbus.h"

G_BEGIN_DECLS

typedef struct _PhAgentMfa PhAgentMfa;

PhAgentMfa *ph_agent_mfa_new  (PhAgent      *agent,
                               PhDBusAgent1 *skeleton);
void        ph_agent_mfa_free (PhAgentMfa   *self);

G_END_DECLS
