/* ph-sign-in-window.c: an OAuth sign-in in an embedded browser that keeps nothing.
 *
 * The page runs in an ephemeral WebKit network session (no cookies or storage survive the
 * window), and the header shows the real host of the page on show, with a padlock when TLS
 * verified it, so a person can spot a look-alike. The provider's redirect to our loopback URI is
 * caught in decide-policy and never loaded: the window hands the URI (code and state) to its
 * owner through ::finished and closes. Closing the window is a cancel (::finished with NULL).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ph-gui-util.h"
#include "ph-sign-in-window.h"

struct _PhSignInWindow
{
  AdwWindow parent_instance;

  WebKitWebView *web_view;
  char *redirect_uri;
  char *host;
  gboolean done;

  GtkBox *box;
  GtkImage *security_icon;
  GtkLabel *host_label;
  GtkProgressBar *progress_bar;
};

G_DEFINE_FINAL_TYPE (PhSignInWindow, ph_sign_in_window, ADW_TYPE_WINDOW)

enum
{
  FINISHED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
finish (PhSignInWindow *self,
        const char     *redirect)
{
  if (self->done)
    return;
  self->done = TRUE;
  webkit_web_view_stop_loading (self->web_view);
  g_signal_emit (self, signals[FINISHED], 0, redirect);
  gtk_window_destroy (GTK_WINDOW (self));
}

/* The redirect is ours when scheme, host, port and path are the redirect URI's. */
static gboolean
is_our_redirect (PhSignInWindow *self,
                 const char     *uri_text)
{
  g_autoptr(GUri) uri = g_uri_parse (uri_text, G_URI_FLAGS_ENCODED, NULL);
  g_autoptr(GUri) ours = g_uri_parse (self->redirect_uri, G_URI_FLAGS_ENCODED, NULL);

  return uri && ours && g_strcmp0 (g_uri_get_scheme (uri), g_uri_get_scheme (ours)) == 0 &&
         g_strcmp0 (g_uri_get_host (uri), g_uri_get_host (ours)) == 0 && g_uri_get_port (uri) == g_uri_get_port (ours) &&
         g_strcmp0 (g_uri_get_path (uri), g_uri_get_path (ours)) == 0;
}

static gboolean
on_decide_policy (WebKitWebView            *web_view,
                  WebKitPolicyDecision     *decision,
                  WebKitPolicyDecisionType  type,
                  PhSignInWindow           *self)
{
  WebKitNavigationAction *action;
  const char *uri;

  if (type != WEBKIT_POLICY_DECISION_TYPE_NAVIGATION_ACTION)
    return FALSE;
  action = webkit_navigation_policy_decision_get_navigation_action (WEBKIT_NAVIGATION_POLICY_DECISION (decision));
  uri = webkit_uri_request_get_uri (webkit_navigation_action_get_request (action));
  if (!is_our_redirect (self, uri))
    return FALSE;
  webkit_policy_decision_ignore (decision);
  finish (self, uri);
  return TRUE;
}

static void
update_origin (PhSignInWindow *self)
{
  const char *uri = webkit_web_view_get_uri (self->web_view);
  g_autoptr(GUri) parsed = uri ? g_uri_parse (uri, G_URI_FLAGS_NONE, NULL) : NULL;
  GTlsCertificate *certificate = NULL;
  GTlsCertificateFlags errors = 0;
  gboolean secure;
  const char *description;

  if (parsed == NULL)
    return;
  g_free (self->host);
  self->host = g_uri_get_port (parsed) > 0 ? g_strdup_printf ("%s:%d", g_uri_get_host (parsed), g_uri_get_port (parsed))
                                          : g_strdup (g_uri_get_host (parsed));
  gtk_label_set_text (self->host_label, self->host);
  secure = g_str_equal (g_uri_get_scheme (parsed), "https") &&
           webkit_web_view_get_tls_info (self->web_view, &certificate, &errors) && errors == 0;
  gtk_image_set_from_icon_name (self->security_icon, secure ? "channel-secure-symbolic" : "channel-insecure-symbolic");
  description = secure ? _("The connection is encrypted and the site's certificate is valid")
                       : _("The connection is not encrypted, or the certificate is not valid");
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->security_icon), description);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->security_icon), GTK_ACCESSIBLE_PROPERTY_LABEL, description, -1);
}

static void
on_load_changed (WebKitWebView   *web_view,
                 WebKitLoadEvent  event,
                 PhSignInWindow  *self)
{
  if (event == WEBKIT_LOAD_COMMITTED || event == WEBKIT_LOAD_FINISHED)
    update_origin (self);
  gtk_widget_set_visible (GTK_WIDGET (self->progress_bar), event != WEBKIT_LOAD_FINISHED);
}

static void
on_progress (PhSignInWindow *self)
{
  gtk_progress_bar_set_fraction (self->progress_bar, webkit_web_view_get_estimated_load_progress (self->web_view));
}

static gboolean
on_load_failed (WebKitWebView   *web_view,
                WebKitLoadEvent  event,
                const char      *uri,
                GError          *error,
                PhSignInWindow  *self)
{
  /* Ignoring our own redirect ends its load this way; that is not a failure. */
  return g_error_matches (error, WEBKIT_POLICY_ERROR, WEBKIT_POLICY_ERROR_FRAME_LOAD_INTERRUPTED_BY_POLICY_CHANGE);
}

static gboolean
on_close_request (PhSignInWindow *self)
{
  finish (self, NULL);
  return FALSE;
}

static void
ph_sign_in_window_finalize (GObject *object)
{
  PhSignInWindow *self = PH_SIGN_IN_WINDOW (object);

  g_free (self->redirect_uri);
  g_free (self->host);
  G_OBJECT_CLASS (ph_sign_in_window_parent_class)->finalize (object);
}

static void
ph_sign_in_window_class_init (PhSignInWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->finalize = ph_sign_in_window_finalize;

  signals[FINISHED] = g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                    G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perihelion/AuthManager/ph-sign-in-window.ui");
  gtk_widget_class_bind_template_child (widget_class, PhSignInWindow, box);
  gtk_widget_class_bind_template_child (widget_class, PhSignInWindow, security_icon);
  gtk_widget_class_bind_template_child (widget_class, PhSignInWindow, host_label);
  gtk_widget_class_bind_template_child (widget_class, PhSignInWindow, progress_bar);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
ph_sign_in_window_init (PhSignInWindow *self)
{
  g_autoptr(WebKitNetworkSession) session = webkit_network_session_new_ephemeral ();

  gtk_widget_init_template (GTK_WIDGET (self));
  self->web_view = g_object_new (WEBKIT_TYPE_WEB_VIEW, "network-session", session, NULL);
  gtk_widget_set_vexpand (GTK_WIDGET (self->web_view), TRUE);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->web_view), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Sign-in page"), -1);
  gtk_box_append (self->box, GTK_WIDGET (self->web_view));
  g_signal_connect (self->web_view, "decide-policy", G_CALLBACK (on_decide_policy), self);
  g_signal_connect (self->web_view, "load-changed", G_CALLBACK (on_load_changed), self);
  g_signal_connect (self->web_view, "load-failed", G_CALLBACK (on_load_failed), self);
  g_signal_connect_swapped (self->web_view, "notify::estimated-load-progress", G_CALLBACK (on_progress), self);
  g_signal_connect_swapped (self, "close-request", G_CALLBACK (on_close_request), self);
  ph_accessible_name_internals (GTK_WIDGET (self));
}

PhSignInWindow *
ph_sign_in_window_new (GtkWindow  *parent,
                       const char *provider_name,
                       const char *authorization_url,
                       const char *redirect_uri)
{
  PhSignInWindow *self = g_object_new (PH_TYPE_SIGN_IN_WINDOW, "transient-for", parent, NULL);
  g_autofree char *title = g_strdup_printf (_("Sign in to %s"), provider_name);

  gtk_window_set_title (GTK_WINDOW (self), title);
  self->redirect_uri = g_strdup (redirect_uri);
  webkit_web_view_load_uri (self->web_view, authorization_url);
  return self;
}

WebKitWebView *
ph_sign_in_window_get_web_view (PhSignInWindow *self)
{
  return self->web_view;
}

const char *
ph_sign_in_window_get_host (PhSignInWindow *self)
{
  return self->host;
}
