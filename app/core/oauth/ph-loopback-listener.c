/* ph-loopback-listener.c: the loopback redirect endpoint of RFC 8252 §7.3.
 *
 * Providers that refuse embedded web views (Google does) are signed in to in the person's own
 * browser; the provider then redirects that browser to http://127.0.0.1:PORT/callback, where
 * this listener takes the first GET and answers with a page saying the browser can be closed.
 * It listens on the IPv4 loopback address only (never on a public interface), on a port the
 * system picks, for as long as the object lives. What the redirect carries (code and state) is
 * checked by PhOAuthSignIn, not here: a stray or forged request is simply a failed sign-in.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <libsoup/soup.h>
#include <glib/gi18n.h>

#include "ph-loopback-listener.h"

#define CALLBACK_PATH "/callback"

struct _PhLoopbackListener
{
  GObject parent_instance;

  SoupServer *server;
  GSocketService *service;
  char *redirect_uri;
  char *received;       /* the first redirect, until someone waits for it */
  gboolean answered;    /* the one redirect has come */
  GTask *waiting;
  GCancellable *cancellable;
  gulong cancelled_id;
};

G_DEFINE_FINAL_TYPE (PhLoopbackListener, ph_loopback_listener, G_TYPE_OBJECT)

/* Hands the waiter its answer: the redirect, or @error. */
static void
finish_waiting (PhLoopbackListener *self,
                GError             *error)
{
  g_autoptr(GTask) task = g_steal_pointer (&self->waiting);

  if (self->cancellable)
    g_cancellable_disconnect (self->cancellable, self->cancelled_id);
  g_clear_object (&self->cancellable);
  self->cancelled_id = 0;
  if (error)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&self->received), g_free);
}

static void
ph_loopback_listener_dispose (GObject *object)
{
  PhLoopbackListener *self = PH_LOOPBACK_LISTENER (object);

  if (self->service)
    {
      g_socket_service_stop (self->service);
      g_socket_listener_close (G_SOCKET_LISTENER (self->service));
      g_signal_handlers_disconnect_by_data (self->service, self);
    }
  g_clear_object (&self->service);
  if (self->server)
    soup_server_disconnect (self->server);
  g_clear_object (&self->server);
  if (self->waiting)
    finish_waiting (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The sign-in was abandoned")));
  G_OBJECT_CLASS (ph_loopback_listener_parent_class)->dispose (object);
}

static void
ph_loopback_listener_finalize (GObject *object)
{
  PhLoopbackListener *self = PH_LOOPBACK_LISTENER (object);

  g_free (self->redirect_uri);
  g_free (self->received);
  G_OBJECT_CLASS (ph_loopback_listener_parent_class)->finalize (object);
}

static void
ph_loopback_listener_class_init (PhLoopbackListenerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ph_loopback_listener_dispose;
  object_class->finalize = ph_loopback_listener_finalize;
}

static void
ph_loopback_listener_init (PhLoopbackListener *self)
{
}

static void
respond (SoupServerMessage *message,
         guint              status,
         const char        *title,
         const char        *text)
{
  g_autofree char *escaped_title = g_markup_escape_text (title, -1);
  g_autofree char *escaped_text = g_markup_escape_text (text, -1);
  g_autofree char *body = g_strdup_printf ("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>%s</title>"
                                           "<style>body{font:16px sans-serif;margin:15vh auto;max-width:32em;"
                                           "text-align:center}</style></head><body><h1>%s</h1><p>%s</p></body>"
                                           "</html>",
                                           escaped_title, escaped_title, escaped_text);

  soup_server_message_set_status (message, status, NULL);
  soup_message_headers_replace (soup_server_message_get_response_headers (message), "Cache-Control", "no-store");
  /* One answer per connection: nothing is kept open once the browser has its page. */
  soup_message_headers_replace (soup_server_message_get_response_headers (message), "Connection", "close");
  soup_server_message_set_response (message, "text/html; charset=utf-8", SOUP_MEMORY_COPY, body, strlen (body));
}

static void
on_answered (PhLoopbackListener *self)
{
  if (self->waiting && self->received)
    finish_waiting (self, NULL);
}

static void
on_callback (SoupServer        *server,
             SoupServerMessage *message,
             const char        *path,
             GHashTable        *query,
             gpointer           data)
{
  PhLoopbackListener *self = data;

  if (g_strcmp0 (soup_server_message_get_method (message), SOUP_METHOD_GET) != 0 ||
      g_strcmp0 (path, CALLBACK_PATH) != 0)
    {
      respond (message, SOUP_STATUS_NOT_FOUND, _("Not found"), _("This address only takes a sign-in's answer."));
      return;
    }
  if (self->answered)
    {
      respond (message, SOUP_STATUS_CONFLICT, _("Already signed in"),
               _("This sign-in has already had its answer. You can close this tab."));
      return;
    }
  self->answered = TRUE;
  self->received = g_uri_to_string (soup_server_message_get_uri (message));
  if (query && g_hash_table_contains (query, "error"))
    respond (message, SOUP_STATUS_OK, _("Sign-in not completed"),
             _("The provider did not sign you in. You can close this tab and return to Perihelion."));
  else
    respond (message, SOUP_STATUS_OK, _("Signed in"), _("You can close this tab and return to Perihelion."));
  /* The waiter hears of it once the browser has its page. */
  g_signal_connect_object (message, "finished", G_CALLBACK (on_answered), self, G_CONNECT_SWAPPED);
}

/* GIO accepts the connection and libsoup speaks HTTP on it (libsoup 3.2's own accept loop leaks
 * each accepted socket). */
static gboolean
on_incoming (GSocketService     *service,
             GSocketConnection  *connection,
             GObject            *source,
             PhLoopbackListener *self)
{
  g_autoptr(GSocketAddress) local = g_socket_connection_get_local_address (connection, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address (connection, NULL);
  g_autoptr(GError) error = NULL;

  if (self->server && !soup_server_accept_iostream (self->server, G_IO_STREAM (connection), local, remote, &error))
    g_debug ("Loopback listener: %s", error->message);
  return TRUE;
}

PhLoopbackListener *
ph_loopback_listener_new (GError **error)
{
  g_autoptr(PhLoopbackListener) self = g_object_new (PH_TYPE_LOOPBACK_LISTENER, NULL);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) bound = NULL;

  self->server = soup_server_new ("server-header", "Perihelion", NULL);
  soup_server_add_handler (self->server, NULL, on_callback, self, NULL);
  self->service = g_socket_service_new ();
  g_signal_connect (self->service, "incoming", G_CALLBACK (on_incoming), self);
  if (!g_socket_listener_add_address (G_SOCKET_LISTENER (self->service), address, G_SOCKET_TYPE_STREAM,
                                      G_SOCKET_PROTOCOL_TCP, NULL, &bound, error))
    return NULL;
  self->redirect_uri = g_strdup_printf ("http://127.0.0.1:%u" CALLBACK_PATH,
                                        g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  return g_steal_pointer (&self);
}

const char *
ph_loopback_listener_get_redirect_uri (PhLoopbackListener *self)
{
  return self->redirect_uri;
}

static gboolean
cancel_in_idle (gpointer data)
{
  PhLoopbackListener *self = data;

  if (self->waiting)
    finish_waiting (self, g_error_new (G_IO_ERROR, G_IO_ERROR_CANCELLED, _("The sign-in was cancelled")));
  return G_SOURCE_REMOVE;
}

/* ::cancelled may run in any thread and must not disconnect itself: the answer is given from
 * the main context. */
static void
on_cancelled (GCancellable       *cancellable,
              PhLoopbackListener *self)
{
  g_idle_add_full (G_PRIORITY_DEFAULT, cancel_in_idle, g_object_ref (self), g_object_unref);
}

/* Waits for the browser's redirect (one waiter at a time). */
void
ph_loopback_listener_wait_async (PhLoopbackListener  *self,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);

  g_return_if_fail (self->waiting == NULL);
  if (self->received)
    {
      g_task_return_pointer (task, g_steal_pointer (&self->received), g_free);
      return;
    }
  self->waiting = g_steal_pointer (&task);
  if (cancellable)
    {
      self->cancellable = g_object_ref (cancellable);
      self->cancelled_id = g_cancellable_connect (cancellable, G_CALLBACK (on_cancelled), self, NULL);
    }
}

char *
ph_loopback_listener_wait_finish (PhLoopbackListener  *self,
                                  GAsyncResult        *result,
                                  GError             **error)
{
  return g_task_propagate_pointer (G_TASK (result), error);
}
