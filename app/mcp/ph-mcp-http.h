/* ph-mcp-http.h: MCP's Streamable HTTP transport, on loopback only.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PH_TYPE_MCP_HTTP (ph_mcp_http_get_type ())

G_DECLARE_FINAL_TYPE (PhMcpHttp, ph_mcp_http, PH, MCP_HTTP, GObject)

PhMcpHttp *ph_mcp_http_new      (const char  *bus_address,
                                 const char  *token);
gboolean   ph_mcp_http_listen   (PhMcpHttp   *self,
                                 const char  *address,
                                 GError     **error);
guint16    ph_mcp_http_get_port (PhMcpHttp   *self);
char      *ph_mcp_http_clients_path (void);
gboolean   ph_mcp_http_add_client   (const char  *name,
                                     const char  *token,
                                     GError     **error);

G_END_DECLS
