/* ph-agent-oauth.h: the agent's OAuth methods: sign-in, fresh tokens, sign-out.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-agent.h"
#include "ph-agent-dbus.h"

G_BEGIN_DECLS

typedef struct _PhAgentOAuth PhAgentOAuth;

PhAgentOAuth *ph_agent_oauth_new  (PhAgent      *agent,
                                   PhDBusAgent1 *skeleton);
void          ph_agent_oauth_free (PhAgentOAuth *self);

G_END_DECLS
