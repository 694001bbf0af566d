/* ph-mcp-server.h: the Model Context Protocol server: JSON-RPC 2.0 messages in, replies and
 * notifications out, every tool call a request to the agent.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

#include "ph-agent-dbus.h"

G_BEGIN_DECLS

#define PH_TYPE_MCP_SERVER (ph_mcp_server_get_type ())

G_DECLARE_FINAL_TYPE (PhMcpServer, ph_mcp_server, PH, MCP_SERVER, GObject)

/* Called with each message to send (a reply or a notification), as one line of JSON. */
typedef void (*PhMcpSend) (const char *json,
                           gpointer    data);

#define PH_MCP_MAX_MESSAGE (4 * 1024 * 1024)

PhMcpServer *ph_mcp_server_new     (PhDBusAgent1 *agent,
                                    const char   *spawned_by,
                                    PhMcpSend     send,
                                    gpointer      send_data);
PhMcpServer *ph_mcp_server_new_full (PhDBusAgent1   *agent,
                                     const char     *spawned_by,
                                     PhMcpSend       send,
                                     gpointer        send_data,
                                     GDestroyNotify  destroy);
void         ph_mcp_server_set_agent_name (PhMcpServer *self,
                                          const char  *name);
void         ph_mcp_server_receive (PhMcpServer  *self,
                                    const char   *json,
                                    gsize         length);

G_END_DECLS
