/* ph-mcp-http.c: MCP's Streamable HTTP transport (protocol 2025-11-25, "Transports").
 *
 * One endpoint, /mcp, on a loopback address only. POST carries one JSON-RPC message: a
 * notification or a response gets 202; a request gets its response as application/json, or as
 * a text/event-stream (progress notifications, then the response) when the client accepts one
 * and asked for progress. initialize opens a session (Mcp-Session-Id); GET opens the session's
 * stream for messages outside a request; DELETE ends the session.
 *
 * Each session is its own D-Bus connection to the agent, so each declares its own AI agent and
 * is decided as agent:NAME. Every request must carry the bearer token (compared in constant
 * time), a Host naming the loopback address (DNS rebinding), and no foreign Origin.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <libsoup/soup.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "ph-mcp-http.h"
#include "ph-mcp-server.h"

#define MCP_PATH "/mcp"
#define AGENT_NAME "org.perihelion.Agent"
#define AGENT_PATH "/org/perihelion/Agent"

static const char * const protocols[] = { "2025-11-25", "2025-06-18", "2025-03-26", NULL };

typedef struct _Session Session;

/* A POST waiting for its response. */
typedef struct
{
  Session *session;
  SoupServerMessage *message;   /* NULL once the client went away */
  gulong finished_handler;
  char *key;                    /* the request id, as JSON text */
  char *progress_key;           /* its progress token, as JSON text, or NULL */
  gboolean event_stream;
  gboolean answered;
} Pending;

struct _Session
{
  PhMcpHttp *http;              /* not owned */
  char *id;
  GDBusConnection *connection;
  PhDBusAgent1 *agent;
  PhMcpServer *server;
  GHashTable *pending;          /* key -> Pending */
  GHashTable *progress;         /* progress key -> Pending (not owned) */
  Pending *current;             /* the POST being received, for replies without an id */
  char *bound_name;             /* the AI agent the client's token names, or NULL (the server's token) */
  GPtrArray *streams;           /* SoupServerMessage: open GET streams */
};

struct _PhMcpHttp
{
  GObject parent_instance;

  char *bus_address;
  char *token;
  SoupServer *server;
  GSocketService *service;
  guint16 port;
  GHashTable *sessions;         /* id -> Session (a reference) */
};

G_DEFINE_FINAL_TYPE (PhMcpHttp, ph_mcp_http, G_TYPE_OBJECT)

static void
refuse (SoupServerMessage *message,
        guint              status,
        const char        *why)
{
  g_autofree char *body = g_strdup_printf ("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":\"%s\"}}",
                                           why);

  soup_server_message_set_status (message, status, NULL);
  soup_server_message_set_response (message, "application/json", SOUP_MEMORY_COPY, body, strlen (body));
}

static void
pending_free (Pending *pending)
{
  if (pending->message)
    {
      g_signal_handler_disconnect (pending->message, pending->finished_handler);
      if (!pending->answered)
        {
          /* The session ended under it: the client hears so. */
          refuse (pending->message, SOUP_STATUS_NOT_FOUND, "Not Found: the session ended");
          soup_server_message_unpause (pending->message);
        }
      g_object_unref (pending->message);
    }
  g_free (pending->key);
  g_free (pending->progress_key);
  g_free (pending);
}

static void
session_free (Session *session)
{
  for (guint i = 0; i < session->streams->len; i++)
    {
      SoupServerMessage *stream = g_ptr_array_index (session->streams, i);

      soup_message_body_complete (soup_server_message_get_response_body (stream));
      soup_server_message_unpause (stream);
    }
  g_ptr_array_unref (session->streams);
  g_hash_table_unref (session->progress);
  g_hash_table_unref (session->pending);
  g_clear_object (&session->agent);
  if (session->connection)
    g_dbus_connection_close (session->connection, NULL, NULL, NULL);
  g_clear_object (&session->connection);
  g_free (session->id);
  g_free (session->bound_name);
}

static Session *
session_ref (Session *session)
{
  return g_rc_box_acquire (session);
}

static void
session_unref (Session *session)
{
  g_rc_box_release_full (session, (GDestroyNotify) session_free);
}

static void
write_event (SoupServerMessage *message,
             const char        *json)
{
  g_autofree char *event = g_strdup_printf ("event: message\ndata: %s\n\n", json);

  soup_message_body_append (soup_server_message_get_response_body (message), SOUP_MEMORY_COPY, event, strlen (event));
  soup_server_message_unpause (message);
}

/* The server's messages out: a response to the POST that asked, progress to the POST whose
 * token it names, anything else to the session's GET streams. */
static void
session_send (const char *json,
              gpointer    data)
{
  Session *session = data;
  g_autoptr(JsonNode) node = json_from_string (json, NULL);
  JsonObject *object = node && JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  Pending *pending = NULL;
  gboolean response = FALSE;

  if (object == NULL)
    return;
  if (json_object_has_member (object, "id"))
    {
      g_autofree char *key = json_to_string (json_object_get_member (object, "id"), FALSE);

      response = TRUE;
      pending = g_hash_table_lookup (session->pending, key);
      if (pending == NULL && JSON_NODE_HOLDS_NULL (json_object_get_member (object, "id")))
        pending = session->current;
    }
  else if (g_strcmp0 (json_object_get_string_member_with_default (object, "method", ""), "notifications/progress") == 0 &&
           json_object_has_member (object, "params"))
    {
      JsonObject *params = json_object_get_object_member (object, "params");
      g_autofree char *key = params && json_object_has_member (params, "progressToken")
                             ? json_to_string (json_object_get_member (params, "progressToken"), FALSE) : NULL;

      pending = key ? g_hash_table_lookup (session->progress, key) : NULL;
    }

  if (pending == NULL || pending->message == NULL)
    {
      if (!response)
        for (guint i = 0; i < session->streams->len; i++)
          write_event (g_ptr_array_index (session->streams, i), json);
      if (pending)
        g_hash_table_remove (session->pending, pending->key);
      return;
    }
  if (!response)
    {
      if (pending->event_stream)
        write_event (pending->message, json);
      return;   /* a JSON reply has room for the response only */
    }
  if (pending->event_stream)
    {
      write_event (pending->message, json);
      soup_message_body_complete (soup_server_message_get_response_body (pending->message));
    }
  else
    {
      /* A JSON-RPC error without an id (a message that did not parse) is a bad request. */
      guint status = JSON_NODE_HOLDS_NULL (json_object_get_member (object, "id")) ? SOUP_STATUS_BAD_REQUEST : SOUP_STATUS_OK;

      soup_server_message_set_status (pending->message, status, NULL);
      soup_server_message_set_response (pending->message, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
      soup_server_message_unpause (pending->message);
    }
  pending->answered = TRUE;
  if (pending == session->current)
    session->current = NULL;
  if (pending->progress_key)
    g_hash_table_remove (session->progress, pending->progress_key);
  if (pending->key && g_hash_table_lookup (session->pending, pending->key) == pending)
    g_hash_table_remove (session->pending, pending->key);
  else
    pending_free (pending);
}

static void
on_pending_finished (SoupServerMessage *message,
                     Pending           *pending)
{
  /* The exchange is over (answered, or the client went away): nothing more is written to it. */
  g_signal_handler_disconnect (message, pending->finished_handler);
  g_clear_object (&pending->message);
}

static Session *
session_new (PhMcpHttp  *self,
             GError    **error)
{
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(PhDBusAgent1) agent = NULL;
  Session *session;
  guint8 raw[16];
  char hex[33];

  /* A connection of its own: the agent knows each session as the AI agent it declares. */
  connection = g_dbus_connection_new_for_address_sync (self->bus_address,
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, error);
  if (connection == NULL)
    return NULL;
  agent = ph_dbus_agent1_proxy_new_sync (connection, G_DBUS_PROXY_FLAGS_DO_NOT_LOAD_PROPERTIES |
                                         G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
                                         AGENT_NAME, AGENT_PATH, NULL, error);
  if (agent == NULL)
    return NULL;
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (agent), G_MAXINT);
  randombytes_buf (raw, sizeof raw);
  sodium_bin2hex (hex, sizeof hex, raw, sizeof raw);

  session = g_rc_box_new0 (Session);
  session->http = self;
  session->id = g_strdup (hex);
  session->connection = g_steal_pointer (&connection);
  session->agent = g_steal_pointer (&agent);
  session->pending = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) pending_free);
  session->progress = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  session->streams = g_ptr_array_new_with_free_func (g_object_unref);
  /* The server calls back into the session while tool calls finish, even after a DELETE. */
  session->server = ph_mcp_server_new_full (session->agent, NULL, session_send, session_ref (session),
                                            (GDestroyNotify) session_unref);
  return session;
}

static void
session_close (PhMcpHttp *self,
               Session   *session)
{
  g_clear_object (&session->server);
  g_hash_table_remove (self->sessions, session->id);
}

static void
ph_mcp_http_finalize (GObject *object)
{
  PhMcpHttp *self = PH_MCP_HTTP (object);
  GHashTableIter iter;
  gpointer session;

  g_hash_table_iter_init (&iter, self->sessions);
  while (g_hash_table_iter_next (&iter, NULL, &session))
    g_clear_object (&((Session *) session)->server);
  g_hash_table_unref (self->sessions);
  if (self->service)
    g_socket_service_stop (self->service);
  g_clear_object (&self->service);
  g_clear_object (&self->server);
  if (self->token)
    sodium_memzero (self->token, strlen (self->token));
  g_free (self->token);
  g_free (self->bus_address);
  G_OBJECT_CLASS (ph_mcp_http_parent_class)->finalize (object);
}

static void
ph_mcp_http_class_init (PhMcpHttpClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ph_mcp_http_finalize;
}

static void
ph_mcp_http_init (PhMcpHttp *self)
{
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, (GDestroyNotify) session_unref);
}

/* Requests in */

static gboolean
loopback_host (const char *host)
{
  return g_str_equal (host, "127.0.0.1") || g_str_equal (host, "localhost") || g_str_equal (host, "[::1]") ||
         g_str_equal (host, "::1");
}

static char *
token_hash (const char *token)
{
  guint8 hash[32];
  char hex[65];

  crypto_generichash (hash, sizeof hash, (const guint8 *) token, strlen (token), NULL, 0);
  sodium_bin2hex (hex, sizeof hex, hash, sizeof hash);
  return g_strdup (hex);
}

char *
ph_mcp_http_clients_path (void)
{
  return g_build_filename (g_get_user_config_dir (), "perihelion", "mcp-clients", NULL);
}

/* The AI agent a client token was approved for (the clients file keeps "NAME HASH" lines, the
 * token's BLAKE2b-256 in hex, never the token), or NULL. */
static char *
client_for_token (const char *token)
{
  g_autofree char *path = ph_mcp_http_clients_path ();
  g_autofree char *text = NULL;
  g_autofree char *hash = token_hash (token);
  g_auto(GStrv) lines = NULL;
  char *found = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  lines = g_strsplit (text, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      const char *space = strchr (lines[i], ' ');

      if (space && strlen (space + 1) == strlen (hash) && sodium_memcmp (space + 1, hash, strlen (hash)) == 0 &&
          found == NULL)
        found = g_strndup (lines[i], space - lines[i]);
    }
  return found;
}

/**
 * ph_mcp_http_add_client:
 *
 * Records @token as the HTTP client token of the AI agent @name (after the person approved it).
 */
gboolean
ph_mcp_http_add_client (const char  *name,
                        const char  *token,
                        GError     **error)
{
  g_autofree char *path = ph_mcp_http_clients_path ();
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *hash = token_hash (token);
  g_autofree char *line = g_strdup_printf ("%s %s\n", name, hash);
  g_autoptr(GFile) file = g_file_new_for_path (path);
  g_autoptr(GFileOutputStream) out = NULL;

  if (g_mkdir_with_parents (dir, 0700) < 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", dir, g_strerror (errno));
      return FALSE;
    }
  out = g_file_append_to (file, G_FILE_CREATE_PRIVATE, NULL, error);
  return out && g_output_stream_write_all (G_OUTPUT_STREAM (out), line, strlen (line), NULL, NULL, error) &&
         g_output_stream_close (G_OUTPUT_STREAM (out), NULL, error);
}

/* The bearer token, a loopback Host (a rebound DNS name would carry its own), and an Origin, if
 * any, on loopback: a web page the person visits cannot reach this server. */
static gboolean
admitted (PhMcpHttp         *self,
          SoupServerMessage *message,
          char             **bound_name)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  const char *authorization = soup_message_headers_get_one (headers, "Authorization");
  const char *host = soup_message_headers_get_one (headers, "Host");
  const char *origin = soup_message_headers_get_one (headers, "Origin");
  g_autofree char *host_name = NULL;

  if (host)
    {
      const char *colon = host[0] == '[' ? strstr (host, "]:") : strrchr (host, ':');

      host_name = colon ? g_strndup (host, colon - host + (host[0] == '[' ? 1 : 0)) : g_strdup (host);
    }
  if (host_name == NULL || !loopback_host (host_name))
    {
      refuse (message, SOUP_STATUS_FORBIDDEN, "Forbidden: the Host is not this machine's loopback address");
      return FALSE;
    }
  if (origin)
    {
      g_autoptr(GUri) uri = g_uri_parse (origin, G_URI_FLAGS_NONE, NULL);

      if (uri == NULL || g_uri_get_host (uri) == NULL || !loopback_host (g_uri_get_host (uri)))
        {
          refuse (message, SOUP_STATUS_FORBIDDEN, "Forbidden: a foreign Origin");
          return FALSE;
        }
    }
  /* The server's own token, or a client's (which names the AI agent the client is). */
  if (authorization == NULL || !g_str_has_prefix (authorization, "Bearer ") ||
      ((strlen (authorization + 7) != strlen (self->token) ||
        sodium_memcmp (authorization + 7, self->token, strlen (self->token)) != 0) &&
       (*bound_name = client_for_token (authorization + 7)) == NULL))
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (message), "WWW-Authenticate",
                                    "Bearer realm=\"perihelion-mcp\"");
      refuse (message, SOUP_STATUS_UNAUTHORIZED, "Unauthorized: a bearer token is needed");
      return FALSE;
    }
  return TRUE;
}

static void
handle_post (PhMcpHttp         *self,
             SoupServerMessage *message,
             Session           *session,
             const char        *bound_name)
{
  SoupMessageBody *request_body = soup_server_message_get_request_body (message);
  g_autoptr(GBytes) body = soup_message_body_flatten (request_body);
  g_autoptr(JsonParser) parser = json_parser_new ();
  const char *accept = soup_message_headers_get_one (soup_server_message_get_request_headers (message), "Accept");
  JsonObject *object = NULL;
  JsonNode *root;
  gboolean is_request = FALSE, is_initialize = FALSE;
  const char *data;
  gsize size;
  Pending *pending;

  data = g_bytes_get_data (body, &size);
  if (size > PH_MCP_MAX_MESSAGE)
    {
      refuse (message, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "Message too large");
      return;
    }
  if (data && json_parser_load_from_data (parser, data, size, NULL) && (root = json_parser_get_root (parser)) &&
      JSON_NODE_HOLDS_OBJECT (root))
    {
      object = json_node_get_object (root);
      is_request = json_object_has_member (object, "id") && json_object_has_member (object, "method");
      is_initialize = is_request &&
                      g_strcmp0 (json_object_get_string_member_with_default (object, "method", ""), "initialize") == 0;
    }

  if (session == NULL)
    {
      g_autoptr(GError) error = NULL;

      if (!is_initialize)
        {
          refuse (message, SOUP_STATUS_BAD_REQUEST, "Bad Request: no Mcp-Session-Id (initialize first)");
          return;
        }
      session = session_new (self, &error);
      if (session == NULL)
        {
          g_printerr ("perihelion-mcp: %s\n", error->message);
          refuse (message, SOUP_STATUS_SERVICE_UNAVAILABLE, "The Perihelion agent cannot be reached");
          return;
        }
      session->bound_name = g_strdup (bound_name);
      if (bound_name)
        ph_mcp_server_set_agent_name (session->server, bound_name);
      g_hash_table_insert (self->sessions, session->id, session);
    }
  soup_message_headers_replace (soup_server_message_get_response_headers (message), "Mcp-Session-Id", session->id);

  if (object && !is_request)
    {
      /* A notification or a response: taken, nothing to answer. */
      ph_mcp_server_receive (session->server, data, size);
      soup_server_message_set_status (message, SOUP_STATUS_ACCEPTED, NULL);
      return;
    }

  pending = g_new0 (Pending, 1);
  pending->session = session;
  pending->message = g_object_ref (message);
  pending->finished_handler = g_signal_connect (message, "finished", G_CALLBACK (on_pending_finished), pending);
  if (is_request)
    {
      JsonObject *params = json_object_get_member (object, "params") &&
                           JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "params"))
                           ? json_object_get_object_member (object, "params") : NULL;
      JsonObject *meta = params && json_object_has_member (params, "_meta") &&
                         JSON_NODE_HOLDS_OBJECT (json_object_get_member (params, "_meta"))
                         ? json_object_get_object_member (params, "_meta") : NULL;

      pending->key = json_to_string (json_object_get_member (object, "id"), FALSE);
      if (meta && json_object_has_member (meta, "progressToken"))
        pending->progress_key = json_to_string (json_object_get_member (meta, "progressToken"), FALSE);
      /* A stream when the client takes one and may hear progress; otherwise one JSON reply. */
      pending->event_stream = pending->progress_key && accept && strstr (accept, "text/event-stream");
      if (g_hash_table_contains (session->pending, pending->key))
        {
          g_signal_handler_disconnect (message, pending->finished_handler);
          g_clear_object (&pending->message);
          pending_free (pending);
          refuse (message, SOUP_STATUS_BAD_REQUEST, "Bad Request: that id is in use");
          return;
        }
      g_hash_table_insert (session->pending, pending->key, pending);
      if (pending->progress_key)
        g_hash_table_insert (session->progress, g_strdup (pending->progress_key), pending);
    }
  soup_server_message_pause (message);
  if (pending->event_stream)
    {
      SoupMessageHeaders *headers = soup_server_message_get_response_headers (message);

      soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
      soup_message_headers_set_content_type (headers, "text/event-stream", NULL);
      soup_message_headers_set_encoding (headers, SOUP_ENCODING_CHUNKED);
      soup_message_headers_replace (headers, "Cache-Control", "no-store");
    }
  session->current = pending;
  ph_mcp_server_receive (session->server, data ? data : "", size);
  if (session->current == pending)
    {
      session->current = NULL;
      if (pending->key == NULL)
        {
          /* Not a request, and nothing answered it: a bad request all the same. */
          refuse (message, SOUP_STATUS_BAD_REQUEST, "Bad Request");
          soup_server_message_unpause (message);
          pending->answered = TRUE;
          pending_free (pending);
        }
    }
}

static void
on_stream_finished (SoupServerMessage *message,
                    Session           *session)
{
  g_ptr_array_remove (session->streams, message);
}

static void
handle_request (SoupServer        *server,
                SoupServerMessage *message,
                const char        *path,
                GHashTable        *query,
                gpointer           data)
{
  PhMcpHttp *self = data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (message);
  const char *method = soup_server_message_get_method (message);
  const char *session_id = soup_message_headers_get_one (headers, "Mcp-Session-Id");
  const char *version = soup_message_headers_get_one (headers, "MCP-Protocol-Version");
  Session *session = NULL;
  g_autofree char *bound_name = NULL;

  /* A connection per exchange: libsoup 3.2's server was seen closing kept-alive connections under
   * a client's next request; on loopback a new connection costs a fraction of a millisecond. */
  soup_message_headers_replace (soup_server_message_get_response_headers (message), "Connection", "close");
  if (!g_str_equal (path, MCP_PATH))
    {
      soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  if (!admitted (self, message, &bound_name))
    return;
  if (version && !g_strv_contains (protocols, version))
    {
      refuse (message, SOUP_STATUS_BAD_REQUEST, "Bad Request: unsupported MCP-Protocol-Version");
      return;
    }
  if (session_id && (session = g_hash_table_lookup (self->sessions, session_id)) == NULL)
    {
      refuse (message, SOUP_STATUS_NOT_FOUND, "Not Found: no such session (initialize again)");
      return;
    }
  /* A session stays with the token that opened it: one client cannot ride another's. */
  if (session && g_strcmp0 (session->bound_name, bound_name) != 0)
    {
      refuse (message, SOUP_STATUS_FORBIDDEN, "Forbidden: the session belongs to another client");
      return;
    }

  if (g_str_equal (method, "POST"))
    handle_post (self, message, session, bound_name);
  else if (g_str_equal (method, "GET"))
    {
      const char *accept = soup_message_headers_get_one (headers, "Accept");
      SoupMessageHeaders *response = soup_server_message_get_response_headers (message);

      if (session == NULL)
        {
          refuse (message, SOUP_STATUS_BAD_REQUEST, "Bad Request: no Mcp-Session-Id");
          return;
        }
      if (accept == NULL || strstr (accept, "text/event-stream") == NULL)
        {
          soup_server_message_set_status (message, SOUP_STATUS_NOT_ACCEPTABLE, NULL);
          return;
        }
      /* The session's stream, for messages that belong to no request; open until DELETE. */
      soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
      soup_message_headers_set_content_type (response, "text/event-stream", NULL);
      soup_message_headers_set_encoding (response, SOUP_ENCODING_CHUNKED);
      soup_message_headers_replace (response, "Cache-Control", "no-store");
      soup_message_body_append (soup_server_message_get_response_body (message), SOUP_MEMORY_STATIC, ": open\n\n", 8);
      g_ptr_array_add (session->streams, g_object_ref (message));
      g_signal_connect (message, "finished", G_CALLBACK (on_stream_finished), session);
    }
  else if (g_str_equal (method, "DELETE"))
    {
      if (session == NULL)
        {
          refuse (message, SOUP_STATUS_BAD_REQUEST, "Bad Request: no Mcp-Session-Id");
          return;
        }
      for (guint i = 0; i < session->streams->len; i++)
        g_signal_handlers_disconnect_by_func (g_ptr_array_index (session->streams, i), on_stream_finished, session);
      session_close (self, session);
      soup_server_message_set_status (message, SOUP_STATUS_NO_CONTENT, NULL);
    }
  else
    {
      soup_message_headers_replace (soup_server_message_get_response_headers (message), "Allow", "GET, POST, DELETE");
      soup_server_message_set_status (message, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
    }
}

/* GIO accepts, libsoup speaks HTTP on the connection (as in ph-loopback-listener.c). */
static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source,
             PhMcpHttp         *self)
{
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  g_autoptr(GError) error = NULL;

  if (!soup_server_accept_iostream (self->server, G_IO_STREAM (connection), local, remote, &error))
    g_debug ("perihelion-mcp: %s", error->message);
  return TRUE;
}

PhMcpHttp *
ph_mcp_http_new (const char *bus_address,
                 const char *token)
{
  PhMcpHttp *self = g_object_new (PH_TYPE_MCP_HTTP, NULL);

  self->bus_address = g_strdup (bus_address);
  self->token = g_strdup (token);
  self->server = soup_server_new ("server-header", "perihelion-mcp", NULL);
  soup_server_add_handler (self->server, NULL, handle_request, self, NULL);
  return self;
}

/**
 * ph_mcp_http_listen:
 * @address: `HOST:PORT`, HOST a loopback address (127.0.0.1, ::1 or localhost); PORT 0 picks one
 *
 * Returns: %FALSE with an error if @address is not loopback or cannot be bound
 */
gboolean
ph_mcp_http_listen (PhMcpHttp   *self,
                    const char  *address,
                    GError     **error)
{
  g_autoptr(GSocketConnectable) connectable = g_network_address_parse (address, 0, error);
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  g_autoptr(GSocketAddress) bound = NULL;
  const char *host;

  if (connectable == NULL)
    return FALSE;
  host = g_network_address_get_hostname (G_NETWORK_ADDRESS (connectable));
  inet = g_str_equal (host, "localhost") ? g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4)
                                         : g_inet_address_new_from_string (host);
  if (inet == NULL || !g_inet_address_get_is_loopback (inet))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("Only a loopback address is served (127.0.0.1, ::1 or localhost), not “%s”"), host);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (inet, g_network_address_get_port (G_NETWORK_ADDRESS (connectable)));
  self->service = g_socket_service_new ();
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), socket_address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &bound, error))
    return FALSE;
  self->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound));
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  g_socket_service_start (self->service);
  return TRUE;
}

guint16
ph_mcp_http_get_port (PhMcpHttp *self)
{
  return self->port;
}
