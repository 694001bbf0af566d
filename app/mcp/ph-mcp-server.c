/* ph-mcp-server.c: the Model Context Protocol server.
 *
 * AI agents get capabilities, not secrets. The server speaks MCP (protocol 2025-11-25, and
 * 2025-06-18 and 2025-03-26 for older clients) as JSON-RPC 2.0; on initialize it tells the agent
 * (the Perihelion agent, over D-Bus: DeclareAgent) which AI agent it serves, so every tool call
 * is a request the gate decides for the subject "agent:NAME" and the audit log records:
 *
 * - list_credentials: metadata only, of the entries the AI agent may list;
 * - http_request: the request made here with the credential injected (bearer, basic, a header),
 *   only to the hosts the entry's URLs name, no redirects followed, the answer masked (the secret
 *   and its base64 and URL-encoded forms) and size-limited: the secret is used, never shown;
 * - get_totp, oauth_token, request_secret: these reveal a value and say so.
 *
 * A denial is a tool result with isError (the model can read why), never a protocol error. While
 * an approval waits in the tray, a call with a progress token gets progress notifications.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <libsoup/soup.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "ph-mcp-server.h"

#define LATEST_PROTOCOL   "2025-11-25"
#define MAX_RESPONSE_BODY (1024 * 1024)
#define REQUEST_TIMEOUT   30

static const char * const protocols[] = { "2025-11-25", "2025-06-18", "2025-03-26", NULL };

struct _PhMcpServer
{
  GObject parent_instance;

  PhDBusAgent1 *agent;
  char *spawned_by;
  PhMcpSend send;
  gpointer send_data;
  GDestroyNotify send_data_destroy;
  gboolean initialized;
  char *client_name;
  char *bound_name;       /* the AI agent a client's token names: wins over its clientInfo */
  SoupSession *http;
};

G_DEFINE_FINAL_TYPE (PhMcpServer, ph_mcp_server, G_TYPE_OBJECT)

static void
ph_mcp_server_finalize (GObject *object)
{
  PhMcpServer *self = PH_MCP_SERVER (object);

  g_clear_object (&self->agent);
  g_clear_object (&self->http);
  g_free (self->spawned_by);
  g_free (self->client_name);
  g_free (self->bound_name);
  if (self->send_data_destroy)
    self->send_data_destroy (self->send_data);
  G_OBJECT_CLASS (ph_mcp_server_parent_class)->finalize (object);
}

static void
ph_mcp_server_class_init (PhMcpServerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ph_mcp_server_finalize;
}

static void
ph_mcp_server_init (PhMcpServer *self)
{
}

PhMcpServer *
ph_mcp_server_new (PhDBusAgent1 *agent,
                   const char   *spawned_by,
                   PhMcpSend     send,
                   gpointer      send_data)
{
  PhMcpServer *self = g_object_new (PH_TYPE_MCP_SERVER, NULL);

  self->agent = g_object_ref (agent);
  self->spawned_by = g_strdup (spawned_by);
  self->send = send;
  self->send_data = send_data;
  /* Requests to the credential's hosts only: no redirect is followed (a redirect elsewhere would
   * carry the credential), and no cookie or cache is kept. */
  self->http = soup_session_new_with_options ("timeout", REQUEST_TIMEOUT, "user-agent", "Perihelion-MCP/" PACKAGE_VERSION,
                                              NULL);
  return self;
}

static const char *
string_member (JsonObject *object,
               const char *name)
{
  JsonNode *node = object ? json_object_get_member (object, name) : NULL;

  return node && JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING
         ? json_node_get_string (node) : NULL;
}

/* As ph_mcp_server_new(), and @send_data is released with @destroy when the server is done. */
PhMcpServer *
ph_mcp_server_new_full (PhDBusAgent1   *agent,
                        const char     *spawned_by,
                        PhMcpSend       send,
                        gpointer        send_data,
                        GDestroyNotify  destroy)
{
  PhMcpServer *self = ph_mcp_server_new (agent, spawned_by, send, send_data);

  self->send_data_destroy = destroy;
  return self;
}

/* The AI agent this server serves whatever its client calls itself: an HTTP client's token was
 * approved for that name. */
void
ph_mcp_server_set_agent_name (PhMcpServer *self,
                              const char  *name)
{
  g_free (self->bound_name);
  self->bound_name = g_strdup (name);
}

/* Messages out */

static void
send_node (PhMcpServer *self,
           JsonNode    *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  self->send (text, self->send_data);
}

static void
reply (PhMcpServer *self,
       JsonNode    *id,
       JsonNode    *result)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "jsonrpc");
  json_builder_add_string_value (b, "2.0");
  json_builder_set_member_name (b, "id");
  json_builder_add_value (b, json_node_copy (id));
  json_builder_set_member_name (b, "result");
  json_builder_add_value (b, result);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  send_node (self, node);
}

static void
reply_error (PhMcpServer *self,
             JsonNode    *id,
             int          code,
             const char  *message)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "jsonrpc");
  json_builder_add_string_value (b, "2.0");
  json_builder_set_member_name (b, "id");
  if (id)
    json_builder_add_value (b, json_node_copy (id));
  else
    json_builder_add_null_value (b);
  json_builder_set_member_name (b, "error");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "code");
  json_builder_add_int_value (b, code);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, message);
  json_builder_end_object (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  send_node (self, node);
}

/* A tools/call result: text for the model, optional structured content, isError for a refusal
 * the model should read (a denial, a host not allowed), not a protocol failure. */
static JsonNode *
tool_result (const char *text,
             JsonNode   *structured,
             gboolean    is_error)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "content");
  json_builder_begin_array (b);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "type");
  json_builder_add_string_value (b, "text");
  json_builder_set_member_name (b, "text");
  json_builder_add_string_value (b, text);
  json_builder_end_object (b);
  json_builder_end_array (b);
  if (structured)
    {
      json_builder_set_member_name (b, "structuredContent");
      json_builder_add_value (b, structured);
    }
  json_builder_set_member_name (b, "isError");
  json_builder_add_boolean_value (b, is_error);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static char *
error_text (GError *error)
{
  g_autofree char *remote = g_dbus_error_get_remote_error (error);

  g_dbus_error_strip_remote_error (error);
  if (remote && (g_str_has_suffix (remote, ".Denied") || g_str_has_suffix (remote, ".NotApproved")))
    return g_strdup_printf (_("Denied by Perihelion's access policy: %s"), error->message);
  if (remote && g_str_has_suffix (remote, ".Locked"))
    return g_strdup (_("The vault is locked: ask the person to unlock Perihelion"));
  return g_strdup (error->message);
}

/* Tool calls in flight: the call's id, and progress while an approval waits. */
typedef struct
{
  PhMcpServer *self;
  JsonNode *id;
  JsonNode *progress_token;
  guint progress_source;
  guint progress;
  const char *kind;      /* get_totp, oauth_token, request_secret: which reply to read */
  /* http_request */
  char *entry;
  SoupMessage *message;
  GPtrArray *forms;       /* the secret in every form a reply could echo it, wiped when done */
  char *url;
  char *method;
  JsonObject *headers;
  char *body;
  char *auth;
  char *auth_header;
  char *username;
  /* run_command */
  GStrv argv;
  char *env_var;
  guint timeout;
  guint timeout_source;
  GCancellable *cancellable;
  GSubprocess *process;
  gboolean timed_out;
} ToolCall;

static void wipe_forms (GPtrArray *forms);

static void
tool_call_free (ToolCall *call)
{
  g_clear_handle_id (&call->progress_source, g_source_remove);
  g_object_unref (call->self);
  json_node_unref (call->id);
  g_clear_pointer (&call->progress_token, json_node_unref);
  g_free (call->entry);
  g_clear_object (&call->message);
  g_clear_pointer (&call->forms, wipe_forms);
  g_free (call->url);
  g_free (call->method);
  g_clear_pointer (&call->headers, json_object_unref);
  g_free (call->body);
  g_free (call->auth);
  g_free (call->auth_header);
  g_free (call->username);
  g_strfreev (call->argv);
  g_free (call->env_var);
  g_clear_handle_id (&call->timeout_source, g_source_remove);
  g_clear_object (&call->cancellable);
  g_clear_object (&call->process);
  g_free (call);
}

static gboolean
send_progress (gpointer data)
{
  ToolCall *call = data;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "jsonrpc");
  json_builder_add_string_value (b, "2.0");
  json_builder_set_member_name (b, "method");
  json_builder_add_string_value (b, "notifications/progress");
  json_builder_set_member_name (b, "params");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "progressToken");
  json_builder_add_value (b, json_node_copy (call->progress_token));
  json_builder_set_member_name (b, "progress");
  json_builder_add_int_value (b, ++call->progress);
  json_builder_set_member_name (b, "message");
  json_builder_add_string_value (b, _("Waiting for the person to approve in Perihelion"));
  json_builder_end_object (b);
  json_builder_end_object (b);
  node = json_builder_get_root (b);
  send_node (call->self, node);
  return G_SOURCE_CONTINUE;
}

static ToolCall *
tool_call_new (PhMcpServer *self,
               JsonNode    *id,
               JsonObject  *params)
{
  ToolCall *call = g_new0 (ToolCall, 1);
  JsonObject *meta = params && json_object_has_member (params, "_meta")
                     ? json_object_get_object_member (params, "_meta") : NULL;

  call->self = g_object_ref (self);
  call->id = json_node_copy (id);
  if (meta && json_object_has_member (meta, "progressToken"))
    {
      call->progress_token = json_node_copy (json_object_get_member (meta, "progressToken"));
      /* A decision is quick unless a person must approve: then the client hears every second. */
      call->progress_source = g_timeout_add (1000, send_progress, call);
    }
  return call;
}

static void
finish_call (ToolCall *call,
             JsonNode *result)
{
  reply (call->self, call->id, result);
  tool_call_free (call);
}

/* list_credentials */

/* The host an entry's URL names ("github.com" alone counts as https://github.com), or NULL. */
static char *
url_host (const char *url)
{
  g_autofree char *full = strstr (url, "://") ? g_strdup (url) : g_strconcat ("https://", url, NULL);
  g_autoptr(GUri) uri = g_uri_parse (full, G_URI_FLAGS_NONE, NULL);

  return uri && g_uri_get_host (uri) ? g_strdup (g_uri_get_host (uri)) : NULL;
}

static const char * const summary_keys[] = { "id", "title", "username" };

static JsonNode *
entry_summary (GVariant *entry)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autofree const char **urls = NULL;
  g_autofree const char **tags = NULL;
  const char *text;
  gboolean flag = FALSE;

  json_builder_begin_object (b);
  for (guint i = 0; i < G_N_ELEMENTS (summary_keys); i++)
    if (g_variant_lookup (entry, summary_keys[i], "&s", &text))
      {
        json_builder_set_member_name (b, summary_keys[i]);
        json_builder_add_string_value (b, text);
      }
  json_builder_set_member_name (b, "hosts");
  json_builder_begin_array (b);
  if (g_variant_lookup (entry, "urls", "^a&s", &urls))
    for (guint i = 0; urls[i]; i++)
      {
        g_autofree char *host = url_host (urls[i]);

        if (host)
          json_builder_add_string_value (b, host);
      }
  json_builder_end_array (b);
  json_builder_set_member_name (b, "tags");
  json_builder_begin_array (b);
  if (g_variant_lookup (entry, "tags", "^a&s", &tags))
    for (guint i = 0; tags[i]; i++)
      json_builder_add_string_value (b, tags[i]);
  json_builder_end_array (b);
  json_builder_set_member_name (b, "has_totp");
  json_builder_add_boolean_value (b, g_variant_lookup (entry, "has_otp", "b", &flag) && flag);
  json_builder_set_member_name (b, "oauth_account");
  json_builder_add_boolean_value (b, tags && g_strv_contains (tags, "oauth"));
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static void
list_done (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  ToolCall *call = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) entries = NULL;
  g_autoptr(JsonArray) array = json_array_new ();
  g_autoptr(JsonNode) list = json_node_new (JSON_NODE_ARRAY);
  g_autofree char *text = NULL;
  JsonObject *structured;
  JsonNode *structured_node;

  if (!ph_dbus_agent1_call_list_finish (PH_DBUS_AGENT1 (object), &entries, result, &error))
    {
      g_autofree char *message = error_text (error);

      finish_call (call, tool_result (message, NULL, TRUE));
      return;
    }
  for (gsize i = 0; i < g_variant_n_children (entries); i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (entries, i);

      json_array_add_element (array, entry_summary (entry));
    }
  json_node_set_array (list, array);
  text = json_to_string (list, TRUE);
  structured = json_object_new ();
  json_object_set_member (structured, "credentials", json_node_copy (list));
  structured_node = json_node_new (JSON_NODE_OBJECT);
  json_node_take_object (structured_node, structured);
  finish_call (call, tool_result (text, structured_node, FALSE));
}

/* Secrets and codes that the tool's description says it reveals. */

static void
reveal_done (GObject      *object,
             GAsyncResult *result,
             gpointer      data)
{
  ToolCall *call = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) bytes = NULL;
  gint64 expires = 0;
  guint32 period = 0;
  int ttl = 0;
  gboolean ok;
  const char *kind = call->kind;

  if (g_strcmp0 (kind, "totp") == 0)
    ok = ph_dbus_agent1_call_get_one_time_code_finish (PH_DBUS_AGENT1 (object), &bytes, &period, &expires, result, &error);
  else if (g_strcmp0 (kind, "oauth") == 0)
    ok = ph_dbus_agent1_call_get_oauth_token_finish (PH_DBUS_AGENT1 (object), &bytes, &expires, result, &error);
  else
    ok = ph_dbus_agent1_call_request_secret_finish (PH_DBUS_AGENT1 (object), &bytes, &ttl, result, &error);
  if (!ok)
    {
      g_autofree char *message = error_text (error);

      finish_call (call, tool_result (message, NULL, TRUE));
      return;
    }
  {
    gsize len;
    const char *data_ptr = g_variant_get_fixed_array (bytes, &len, 1);
    g_autofree char *value = g_strndup (data_ptr, len);

    finish_call (call, tool_result (value, NULL, FALSE));
    sodium_memzero (value, len);
  }
}

/* http_request */

static char *
url_encode (const char *text)
{
  return g_uri_escape_string (text, NULL, FALSE);
}

/* Every form of the secret a response could echo, replaced. */
static char *
mask (const char  *text,
      gsize        length,
      GPtrArray   *forms)
{
  GString *out = g_string_new_len (text, length);

  for (guint i = 0; i < forms->len; i++)
    {
      const char *form = g_ptr_array_index (forms, i);

      if (*form)
        g_string_replace (out, form, "[REDACTED]", 0);
    }
  return g_string_free (out, FALSE);
}

static void
wipe_forms (GPtrArray *forms)
{
  for (guint i = 0; i < forms->len; i++)
    {
      char *form = g_ptr_array_index (forms, i);

      sodium_memzero (form, strlen (form));
    }
  g_ptr_array_unref (forms);
}

static void
http_sent (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  ToolCall *call = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (object), result, &error);
  SoupMessage *message = call->message;
  GPtrArray *forms = call->forms;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) structured = NULL;
  g_autofree char *text = NULL;
  g_autofree char *masked = NULL;
  SoupMessageHeadersIter iter;
  const char *name, *value;
  gsize size = 0;
  const char *data_ptr;
  guint status;

  if (body == NULL)
    {
      g_autofree char *safe = mask (error->message, strlen (error->message), forms);
      g_autofree char *reason = g_strdup_printf (_("The request failed: %s"), safe);

      finish_call (call, tool_result (reason, NULL, TRUE));
      return;
    }
  status = soup_message_get_status (message);
  data_ptr = g_bytes_get_data (body, &size);
  masked = mask (data_ptr ? data_ptr : "", MIN (size, MAX_RESPONSE_BODY), forms);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "status");
  json_builder_add_int_value (b, status);
  json_builder_set_member_name (b, "headers");
  json_builder_begin_object (b);
  soup_message_headers_iter_init (&iter, soup_message_get_response_headers (message));
  while (soup_message_headers_iter_next (&iter, &name, &value))
    {
      g_autofree char *safe = mask (value, strlen (value), forms);

      json_builder_set_member_name (b, name);
      json_builder_add_string_value (b, safe);
    }
  json_builder_end_object (b);
  json_builder_set_member_name (b, "body");
  json_builder_add_string_value (b, g_utf8_validate (masked, -1, NULL) ? masked : _("(binary body not shown)"));
  if (size > MAX_RESPONSE_BODY)
    {
      json_builder_set_member_name (b, "truncated");
      json_builder_add_boolean_value (b, TRUE);
    }
  /* A redirect is reported, never followed: the credential goes only where the entry says. */
  if (SOUP_STATUS_IS_REDIRECTION (status))
    {
      json_builder_set_member_name (b, "redirect_not_followed");
      json_builder_add_boolean_value (b, TRUE);
    }
  json_builder_end_object (b);
  structured = json_builder_get_root (b);
  text = json_to_string (structured, TRUE);
  finish_call (call, tool_result (text, json_node_copy (structured), status >= 400));
}

static void
http_secret_done (GObject      *object,
                  GAsyncResult *result,
                  gpointer      data)
{
  ToolCall *call = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) bytes = NULL;
  g_autoptr(SoupMessage) message = NULL;
  GPtrArray *forms;
  int ttl = 0;
  gsize len;
  const char *data_ptr;
  g_autofree char *secret = NULL;
  g_autofree char *credential = NULL;

  if (!ph_dbus_agent1_call_request_secret_finish (PH_DBUS_AGENT1 (object), &bytes, &ttl, result, &error))
    {
      g_autofree char *text = error_text (error);

      finish_call (call, tool_result (text, NULL, TRUE));
      return;
    }
  data_ptr = g_variant_get_fixed_array (bytes, &len, 1);
  secret = g_strndup (data_ptr, len);
  message = soup_message_new (call->method, call->url);
  soup_message_add_flags (message, SOUP_MESSAGE_NO_REDIRECT);
  forms = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (forms, g_strdup (secret));
  g_ptr_array_add (forms, g_base64_encode ((const guchar *) secret, len));
  g_ptr_array_add (forms, url_encode (secret));
  if (g_str_equal (call->auth, "basic"))
    {
      g_autofree char *pair = g_strdup_printf ("%s:%s", call->username ? call->username : "", secret);

      g_ptr_array_add (forms, g_base64_encode ((const guchar *) pair, strlen (pair)));
      credential = g_strdup_printf ("Basic %s", (char *) g_ptr_array_index (forms, forms->len - 1));
      sodium_memzero (pair, strlen (pair));
      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", credential);
    }
  else if (g_str_equal (call->auth, "header"))
    soup_message_headers_replace (soup_message_get_request_headers (message), call->auth_header, secret);
  else
    {
      credential = g_strdup_printf ("Bearer %s", secret);
      soup_message_headers_replace (soup_message_get_request_headers (message), "Authorization", credential);
    }
  if (call->headers)
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *value;

      json_object_iter_init (&iter, call->headers);
      while (json_object_iter_next (&iter, &name, &value))
        if (JSON_NODE_HOLDS_VALUE (value) && g_ascii_strcasecmp (name, "Authorization") != 0 &&
            (call->auth_header == NULL || g_ascii_strcasecmp (name, call->auth_header) != 0))
          soup_message_headers_append (soup_message_get_request_headers (message), name, json_node_get_string (value));
    }
  if (call->body)
    {
      g_autoptr(GBytes) payload = g_bytes_new (call->body, strlen (call->body));

      soup_message_set_request_body_from_bytes (message, NULL, payload);
    }
  call->forms = forms;
  call->message = g_object_ref (message);
  soup_session_send_and_read_async (call->self->http, message, G_PRIORITY_DEFAULT, NULL, http_sent, call);
  if (credential)
    sodium_memzero (credential, strlen (credential));
  sodium_memzero (secret, len);
}

/* The entry's hosts, from List: the credential goes only there. */
static gboolean
host_allowed (GVariant   *entries,
              const char *entry_name,
              const char *host,
              char      **out_username,
              char      **out_id)
{
  for (gsize i = 0; i < g_variant_n_children (entries); i++)
    {
      g_autoptr(GVariant) entry = g_variant_get_child_value (entries, i);
      g_autofree const char **urls = NULL;
      const char *id = "", *title = "", *username = "";

      g_variant_lookup (entry, "id", "&s", &id);
      g_variant_lookup (entry, "title", "&s", &title);
      g_variant_lookup (entry, "username", "&s", &username);
      if (g_strcmp0 (id, entry_name) != 0 && g_strcmp0 (title, entry_name) != 0)
        continue;
      *out_username = g_strdup (username);
      *out_id = g_strdup (id);
      if (!g_variant_lookup (entry, "urls", "^a&s", &urls))
        return FALSE;
      for (guint u = 0; urls[u]; u++)
        {
          g_autofree char *entry_host = url_host (urls[u]);

          if (entry_host && g_ascii_strcasecmp (entry_host, host) == 0)
            return TRUE;
        }
      return FALSE;
    }
  return FALSE;
}

static void
http_entry_done (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  ToolCall *call = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) entries = NULL;
  g_autoptr(GUri) uri = g_uri_parse (call->url, G_URI_FLAGS_NONE, NULL);
  g_autofree char *id = NULL;

  if (!ph_dbus_agent1_call_list_finish (PH_DBUS_AGENT1 (object), &entries, result, &error))
    {
      g_autofree char *text = error_text (error);

      finish_call (call, tool_result (text, NULL, TRUE));
      return;
    }
  if (!host_allowed (entries, call->entry, g_uri_get_host (uri), &call->username, &id))
    {
      g_autofree char *text = g_strdup_printf (_("Refused: the credential may be sent only to the hosts its entry names, "
                                                 "not to %s (see list_credentials)"), g_uri_get_host (uri));

      finish_call (call, tool_result (text, NULL, TRUE));
      return;
    }
  {
    g_autofree char *purpose = g_strdup_printf ("http_request: %s %s", call->method, call->url);

    ph_dbus_agent1_call_request_secret (call->self->agent, id, "password", "use", purpose, NULL, http_secret_done, call);
  }
}

/* run_command */

#define MAX_COMMAND_OUTPUT (1024 * 1024)
#define MAX_COMMAND_TIMEOUT 300

/* In the child: a process group of its own, so a timeout ends whatever it started too. */
static void
new_process_group (gpointer data)
{
  setpgid (0, 0);
}

/* Still open after the group was killed (a daemon that left it): stop waiting. */
static gboolean
command_abandoned (gpointer data)
{
  ToolCall *call = data;

  call->timeout_source = 0;
  g_cancellable_cancel (call->cancellable);
  return G_SOURCE_REMOVE;
}

static gboolean
command_timed_out (gpointer data)
{
  ToolCall *call = data;
  const char *pid = g_subprocess_get_identifier (call->process);

  call->timed_out = TRUE;
  if (pid)
    kill (-(pid_t) g_ascii_strtoll (pid, NULL, 10), SIGKILL);
  g_subprocess_force_exit (call->process);
  call->timeout_source = g_timeout_add_seconds (2, command_abandoned, call);
  return G_SOURCE_REMOVE;
}

static void
command_done (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  ToolCall *call = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) output = NULL;
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(JsonNode) structured = NULL;
  g_autofree char *masked = NULL;
  g_autofree char *text = NULL;
  const char *data_ptr = NULL;
  gsize size = 0;
  int status = -1;

  g_subprocess_communicate_finish (call->process, result, &output, NULL, &error);
  g_clear_handle_id (&call->timeout_source, g_source_remove);
  if (output)
    data_ptr = g_bytes_get_data (output, &size);
  masked = mask (data_ptr ? data_ptr : "", MIN (size, MAX_COMMAND_OUTPUT), call->forms);
  if (g_subprocess_get_if_exited (call->process))
    status = g_subprocess_get_exit_status (call->process);
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "exit_status");
  json_builder_add_int_value (b, status);
  json_builder_set_member_name (b, "output");
  json_builder_add_string_value (b, g_utf8_validate (masked, -1, NULL) ? masked : _("(binary output not shown)"));
  if (size > MAX_COMMAND_OUTPUT)
    {
      json_builder_set_member_name (b, "truncated");
      json_builder_add_boolean_value (b, TRUE);
    }
  if (call->timed_out)
    {
      json_builder_set_member_name (b, "timed_out");
      json_builder_add_boolean_value (b, TRUE);
    }
  json_builder_end_object (b);
  structured = json_builder_get_root (b);
  text = json_to_string (structured, TRUE);
  finish_call (call, tool_result (text, json_node_copy (structured), status != 0));
}

static void
command_secret_done (GObject      *object,
                     GAsyncResult *result,
                     gpointer      data)
{
  ToolCall *call = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) bytes = NULL;
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autofree char *secret = NULL;
  const char *data_ptr;
  gsize len;
  int ttl = 0;

  if (!ph_dbus_agent1_call_get_secret_for_command_finish (PH_DBUS_AGENT1 (object), &bytes, &ttl, result, &error))
    {
      g_autofree char *text = error_text (error);

      finish_call (call, tool_result (text, NULL, TRUE));
      return;
    }
  data_ptr = g_variant_get_fixed_array (bytes, &len, 1);
  secret = g_strndup (data_ptr, len);
  call->forms = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (call->forms, g_strdup (secret));
  g_ptr_array_add (call->forms, g_base64_encode ((const guchar *) secret, len));
  g_ptr_array_add (call->forms, url_encode (secret));
  /* No shell, no terminal, nothing on standard input (ours is the MCP stream); output and errors
   * together, as a person would read them. */
  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_subprocess_launcher_set_stdin_file_path (launcher, "/dev/null");
  g_subprocess_launcher_set_child_setup (launcher, new_process_group, NULL, NULL);
  g_subprocess_launcher_setenv (launcher, call->env_var, secret, TRUE);
  call->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) call->argv, &error);
  sodium_memzero (secret, len);
  if (call->process == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("The command could not start: %s"), error->message);

      finish_call (call, tool_result (text, NULL, TRUE));
      return;
    }
  call->cancellable = g_cancellable_new ();
  call->timeout_source = g_timeout_add_seconds (call->timeout, command_timed_out, call);
  g_subprocess_communicate_async (call->process, NULL, call->cancellable, command_done, call);
}

/* An environment variable for the secret: a plain name, and none that changes how programs are
 * found or loaded. */
static gboolean
env_var_allowed (const char *name)
{
  static const char * const reserved[] = { "PATH", "HOME", "SHELL", "IFS", "ENV", "BASH_ENV", "PWD", "TMPDIR",
                                           "DBUS_SESSION_BUS_ADDRESS", NULL };

  if (name == NULL || !(g_ascii_isalpha (*name) || *name == '_') || strlen (name) > 64 ||
      strspn (name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != strlen (name))
    return FALSE;
  return !g_strv_contains (reserved, name) && !g_str_has_prefix (name, "LD_") && !g_str_has_prefix (name, "DYLD_") &&
         !g_str_has_prefix (name, "GIO_") && !g_str_has_prefix (name, "G_");
}

static void
run_command (PhMcpServer *self,
             JsonNode    *id,
             JsonObject  *params,
             JsonObject  *arguments)
{
  const char *entry = string_member (arguments, "entry");
  const char *env_var = string_member (arguments, "env_var");
  const char *field = string_member (arguments, "field");
  JsonArray *argv = arguments && json_object_has_member (arguments, "argv") &&
                    JSON_NODE_HOLDS_ARRAY (json_object_get_member (arguments, "argv"))
                    ? json_object_get_array_member (arguments, "argv") : NULL;
  gint64 timeout = arguments && json_object_has_member (arguments, "timeout")
                   ? json_object_get_int_member_with_default (arguments, "timeout", 60) : 60;
  g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *found = NULL;
  g_autofree char *program = NULL;
  g_autofree char *command_line = NULL;
  ToolCall *call;

  if (entry == NULL || argv == NULL || json_array_get_length (argv) == 0 || !env_var_allowed (env_var) ||
      timeout < 1 || timeout > MAX_COMMAND_TIMEOUT)
    {
      reply (self, id, tool_result (_("Refused: give an entry, argv (the program and its arguments, no shell), "
                                      "env_var (a plain variable name, not PATH, HOME, LD_… and the like) and a "
                                      "timeout of 1 to 300 seconds"), NULL, TRUE));
      return;
    }
  for (guint i = 0; i < json_array_get_length (argv); i++)
    {
      JsonNode *node = json_array_get_element (argv, i);

      if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
        {
          reply (self, id, tool_result (_("Refused: argv is a list of strings"), NULL, TRUE));
          return;
        }
      g_ptr_array_add (args, g_strdup (json_node_get_string (node)));
    }
  g_ptr_array_add (args, NULL);
  /* The policy decides on the program itself: found on PATH, symlinks resolved. */
  found = g_find_program_in_path (g_ptr_array_index (args, 0));
  program = found ? realpath (found, NULL) : NULL;
  if (program == NULL)
    {
      g_autofree char *text = g_strdup_printf (_("Refused: no program “%s” here"), (char *) g_ptr_array_index (args, 0));

      reply (self, id, tool_result (text, NULL, TRUE));
      return;
    }
  g_free (g_ptr_array_index (args, 0));
  args->pdata[0] = g_strdup (program);
  {
    g_autofree char *joined = g_strjoinv (" ", (char **) args->pdata);

    command_line = g_strdup_printf ("run_command: %s", joined);
  }
  call = tool_call_new (self, id, params);
  call->argv = (GStrv) g_ptr_array_free (g_steal_pointer (&args), FALSE);
  call->env_var = g_strdup (env_var);
  call->timeout = timeout;
  ph_dbus_agent1_call_get_secret_for_command (self->agent, entry, field ? field : "password", program, command_line,
                                              NULL, command_secret_done, call);
}

/* tools/list */

static const char tools_json[] =
  "{\"tools\":["
  "{\"name\":\"list_credentials\","
  "\"description\":\"List the credentials you may use: id, title, username, the hosts they belong to, tags, and whether "
  "an entry has a one-time password or is an OAuth account. Metadata only: no secret is ever returned.\","
  "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"query\":{\"type\":\"string\",\"description\":\"Words to "
  "search titles, usernames, hosts and tags for; omit to list all\"}}}},"
  "{\"name\":\"http_request\","
  "\"description\":\"Make an HTTP request authenticated with a credential, without seeing it: Perihelion injects the "
  "secret and returns status, headers and body with the secret masked. Only to the hosts the entry's URLs name; "
  "redirects are not followed; the body is cut at 1 MiB. Use this instead of asking for a password or token.\","
  "\"inputSchema\":{\"type\":\"object\",\"required\":[\"entry\",\"url\"],\"properties\":{"
  "\"entry\":{\"type\":\"string\",\"description\":\"The credential's id or title (from list_credentials)\"},"
  "\"url\":{\"type\":\"string\",\"description\":\"An https URL on one of the entry's hosts\"},"
  "\"method\":{\"type\":\"string\",\"description\":\"GET (default), POST, PUT, PATCH, DELETE, HEAD\"},"
  "\"headers\":{\"type\":\"object\",\"additionalProperties\":{\"type\":\"string\"}},"
  "\"body\":{\"type\":\"string\"},"
  "\"auth\":{\"type\":\"string\",\"description\":\"How to send the secret: bearer (default: Authorization: Bearer), "
  "basic (the entry's username and the secret), or header:NAME (the secret as that header's value)\"}}}},"
  "{\"name\":\"run_command\","
  "\"description\":\"Run a program with a credential in one environment variable, without seeing it: no shell "
  "(give the program and its arguments), nothing on standard input; returns the exit status and the output "
  "(standard output and error together, at most 1 MiB) with the secret masked. The person's policy says which "
  "programs may get which credential; otherwise they are asked.\","
  "\"inputSchema\":{\"type\":\"object\",\"required\":[\"entry\",\"argv\",\"env_var\"],\"properties\":{"
  "\"entry\":{\"type\":\"string\",\"description\":\"The credential's id or title (from list_credentials)\"},"
  "\"argv\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":1,\"description\":\"The program "
  "(a name on PATH or a path) and its arguments, e.g. [\\\"gh\\\", \\\"api\\\", \\\"user\\\"]\"},"
  "\"env_var\":{\"type\":\"string\",\"description\":\"The environment variable that holds the secret, e.g. "
  "GH_TOKEN\"},"
  "\"field\":{\"type\":\"string\",\"description\":\"password (default) or a protected field\"},"
  "\"timeout\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":300,\"description\":\"Seconds (default 60)\"}}}},"
  "{\"name\":\"get_totp\","
  "\"description\":\"The current one-time code (TOTP) of a credential. This reveals the code to you; the person may "
  "be asked to approve.\","
  "\"inputSchema\":{\"type\":\"object\",\"required\":[\"entry\"],\"properties\":{\"entry\":{\"type\":\"string\"}}}},"
  "{\"name\":\"oauth_token\","
  "\"description\":\"A fresh access token of an OAuth account (refreshed if needed). This reveals the token to you; "
  "prefer http_request, which uses it without showing it.\","
  "\"inputSchema\":{\"type\":\"object\",\"required\":[\"account\"],\"properties\":{\"account\":{\"type\":\"string\"}}}},"
  "{\"name\":\"request_secret\","
  "\"description\":\"Reveal a secret to you (a password or a protected field). The person must approve unless their "
  "policy says otherwise; say why you need it. Prefer http_request.\","
  "\"inputSchema\":{\"type\":\"object\",\"required\":[\"entry\",\"reason\"],\"properties\":{"
  "\"entry\":{\"type\":\"string\"},\"field\":{\"type\":\"string\",\"description\":\"password (default) or a protected "
  "field\"},\"reason\":{\"type\":\"string\",\"description\":\"Why you need it, shown to the person\"}}}}"
  "]}";

static void
call_tool (PhMcpServer *self,
           JsonNode    *id,
           JsonObject  *params)
{
  const char *name = string_member (params, "name");
  JsonObject *arguments = params && json_object_has_member (params, "arguments") &&
                          JSON_NODE_HOLDS_OBJECT (json_object_get_member (params, "arguments"))
                          ? json_object_get_object_member (params, "arguments") : NULL;
  ToolCall *call;

  if (name == NULL)
    {
      reply_error (self, id, -32602, "tools/call needs a tool name");
      return;
    }
  if (g_str_equal (name, "list_credentials"))
    {
      const char *query = string_member (arguments, "query");

      call = tool_call_new (self, id, params);
      ph_dbus_agent1_call_list (self->agent, query ? query : "", NULL, list_done, call);
    }
  else if (g_str_equal (name, "get_totp") || g_str_equal (name, "request_secret"))
    {
      const char *entry = string_member (arguments, "entry");
      const char *field = string_member (arguments, "field");

      if (entry == NULL || (g_str_equal (name, "request_secret") && string_member (arguments, "reason") == NULL))
        {
          g_autoptr(JsonNode) result = tool_result (_("Give the entry (and for request_secret, a reason)"), NULL, TRUE);

          reply (self, id, g_steal_pointer (&result));
          return;
        }
      call = tool_call_new (self, id, params);
      call->kind = g_str_equal (name, "get_totp") ? "totp" : "secret";
      if (g_str_equal (name, "get_totp"))
        ph_dbus_agent1_call_get_one_time_code (self->agent, entry, "reveal", NULL, reveal_done, call);
      else
        {
          g_autofree char *purpose = g_strdup_printf ("request_secret: %s", string_member (arguments, "reason"));

          ph_dbus_agent1_call_request_secret (self->agent, entry, field ? field : "password", "reveal", purpose, NULL,
                                              reveal_done, call);
        }
    }
  else if (g_str_equal (name, "oauth_token"))
    {
      const char *account = string_member (arguments, "account");

      if (account == NULL)
        {
          reply (self, id, tool_result (_("Give the account"), NULL, TRUE));
          return;
        }
      call = tool_call_new (self, id, params);
      call->kind = "oauth";
      ph_dbus_agent1_call_get_oauth_token (self->agent, account, NULL, reveal_done, call);
    }
  else if (g_str_equal (name, "run_command"))
    run_command (self, id, params, arguments);
  else if (g_str_equal (name, "http_request"))
    {
      const char *entry = string_member (arguments, "entry"), *url = string_member (arguments, "url");
      const char *method = string_member (arguments, "method"), *auth = string_member (arguments, "auth");
      g_autoptr(GUri) uri = url ? g_uri_parse (url, G_URI_FLAGS_NONE, NULL) : NULL;
      const char *scheme = uri ? g_uri_get_scheme (uri) : NULL;
      const char *host = uri ? g_uri_get_host (uri) : NULL;
      gboolean loopback = host && (g_str_equal (host, "127.0.0.1") || g_str_equal (host, "localhost") ||
                                   g_str_equal (host, "::1"));
      static const char * const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", NULL };

      if (entry == NULL || uri == NULL || host == NULL ||
          !(g_strcmp0 (scheme, "https") == 0 || (g_strcmp0 (scheme, "http") == 0 && loopback)) ||
          (method && !g_strv_contains (methods, method)) ||
          (auth && !g_str_equal (auth, "bearer") && !g_str_equal (auth, "basic") && !g_str_has_prefix (auth, "header:")))
        {
          reply (self, id, tool_result (_("Refused: give an entry, an https URL, a method among GET, POST, PUT, PATCH, "
                                          "DELETE, HEAD, and auth as bearer, basic or header:NAME"), NULL, TRUE));
          return;
        }
      call = tool_call_new (self, id, params);
      call->url = g_strdup (url);
      call->method = g_strdup (method ? method : "GET");
      call->auth = g_strdup (auth && g_str_has_prefix (auth, "header:") ? "header" : auth ? auth : "bearer");
      call->auth_header = auth && g_str_has_prefix (auth, "header:") ? g_strdup (auth + 7) : NULL;
      call->body = g_strdup (string_member (arguments, "body"));
      if (json_object_has_member (arguments, "headers") && JSON_NODE_HOLDS_OBJECT (json_object_get_member (arguments, "headers")))
        call->headers = json_object_ref (json_object_get_object_member (arguments, "headers"));
      call->entry = g_strdup (entry);
      ph_dbus_agent1_call_list (self->agent, "", NULL, http_entry_done, call);
    }
  else
    reply_error (self, id, -32602, "Unknown tool");
}

/* JSON-RPC */

static void
declare_done (GObject      *object,
              GAsyncResult *result,
              gpointer      data)
{
  g_autoptr(GError) error = NULL;

  if (!ph_dbus_agent1_call_declare_agent_finish (PH_DBUS_AGENT1 (object), result, &error))
    g_printerr ("perihelion-mcp: %s\n", error->message);
}

static void
initialize (PhMcpServer *self,
            JsonNode    *id,
            JsonObject  *params)
{
  const char *requested = string_member (params, "protocolVersion");
  JsonObject *client = params && json_object_has_member (params, "clientInfo") &&
                       JSON_NODE_HOLDS_OBJECT (json_object_get_member (params, "clientInfo"))
                       ? json_object_get_object_member (params, "clientInfo") : NULL;
  const char *client_name = string_member (client, "name");
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GString) name = g_string_new (NULL);
  g_autofree char *detail = NULL;

  /* The AI agent's name for the policy: its clientInfo name, kept to the safe characters. */
  for (const char *p = self->bound_name ? self->bound_name : client_name ? client_name : "unknown";
       *p && name->len < 64; p++)
    g_string_append_c (name, g_ascii_isalnum (*p) || *p == '.' || *p == '_' || *p == '-' ? *p : '-');
  g_free (self->client_name);
  self->client_name = g_strdup (name->str);
  /* Over stdio, the program that started us; over HTTP, the transport (the token names the agent). */
  {
    g_autofree char *shown = client_name && g_utf8_validate (client_name, -1, NULL)
                             ? g_utf8_substring (client_name, 0, MIN (g_utf8_strlen (client_name, -1), 64))
                             : g_strdup ("?");

    if (self->spawned_by)
      detail = g_strdup_printf ("MCP client “%s”, started by %s", shown, self->spawned_by);
    else
      detail = g_strdup_printf ("MCP client “%s” over HTTP", shown);
  }
  ph_dbus_agent1_call_declare_agent (self->agent, self->client_name, detail, NULL, declare_done, NULL);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "protocolVersion");
  json_builder_add_string_value (b, requested && g_strv_contains (protocols, requested) ? requested : LATEST_PROTOCOL);
  json_builder_set_member_name (b, "capabilities");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "tools");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "listChanged");
  json_builder_add_boolean_value (b, FALSE);
  json_builder_end_object (b);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "serverInfo");
  json_builder_begin_object (b);
  json_builder_set_member_name (b, "name");
  json_builder_add_string_value (b, "perihelion-mcp");
  json_builder_set_member_name (b, "version");
  json_builder_add_string_value (b, PACKAGE_VERSION);
  json_builder_end_object (b);
  json_builder_set_member_name (b, "instructions");
  json_builder_add_string_value (b, "Perihelion gives you capabilities, not secrets: find credentials with "
                                    "list_credentials and use them with http_request, which injects the secret "
                                    "without showing it to you. Every call is decided by the person's access policy "
                                    "and recorded; some need their approval.");
  json_builder_end_object (b);
  reply (self, id, json_builder_get_root (b));
  self->initialized = TRUE;
}

void
ph_mcp_server_receive (PhMcpServer *self,
                       const char  *json,
                       gsize        length)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonNode *root, *id = NULL;
  JsonObject *message, *params = NULL;
  const char *method;

  if (json == NULL || length > PH_MCP_MAX_MESSAGE)
    {
      reply_error (self, NULL, -32600, "Message too large");
      return;
    }
  if (!json_parser_load_from_data (parser, json, length, NULL) || !(root = json_parser_get_root (parser)))
    {
      reply_error (self, NULL, -32700, "Parse error");
      return;
    }
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      reply_error (self, NULL, -32600, "Invalid Request: batches and non-objects are not taken");
      return;
    }
  message = json_node_get_object (root);
  if (json_object_has_member (message, "id"))
    {
      id = json_object_get_member (message, "id");
      if (!JSON_NODE_HOLDS_VALUE (id) ||
          (json_node_get_value_type (id) != G_TYPE_STRING && json_node_get_value_type (id) != G_TYPE_INT64))
        {
          reply_error (self, NULL, -32600, "Invalid Request: the id is a string or an integer");
          return;
        }
    }
  method = string_member (message, "method");
  if (g_strcmp0 (string_member (message, "jsonrpc"), "2.0") != 0 || (method == NULL && id != NULL))
    {
      if (id || method)
        reply_error (self, id, -32600, "Invalid Request");
      return;   /* a response from the client: none is expected */
    }
  if (json_object_has_member (message, "params"))
    {
      JsonNode *p = json_object_get_member (message, "params");

      if (!JSON_NODE_HOLDS_OBJECT (p))
        {
          if (id)
            reply_error (self, id, -32602, "Invalid params: an object");
          return;
        }
      params = json_node_get_object (p);
    }
  if (id == NULL)
    return;   /* notifications (initialized, cancelled): nothing to answer */

  if (g_str_equal (method, "initialize"))
    initialize (self, id, params);
  else if (g_str_equal (method, "ping"))
    {
      JsonNode *empty = json_node_new (JSON_NODE_OBJECT);

      json_node_take_object (empty, json_object_new ());
      reply (self, id, empty);
    }
  else if (!self->initialized)
    reply_error (self, id, -32600, "Initialize first");
  else if (g_str_equal (method, "tools/list"))
    reply (self, id, json_from_string (tools_json, NULL));
  else if (g_str_equal (method, "tools/call"))
    call_tool (self, id, params);
  else
    reply_error (self, id, -32601, "Method not found");
}
