/* ph-accounts-window.c: OAuth accounts: add, sign in again, sign out.
 *
 * The window never holds a token. A sign-in is the agent's (BeginOAuthSignIn keeps the PKCE
 * verifier, state and nonce); this window only shows the provider's page and hands back where
 * it redirected: in the embedded PhSignInWindow, which catches the redirect before it loads, or
 * in the system browser for providers that refuse embedded pages (Google), whose redirect comes
 * to a PhLoopbackListener on 127.0.0.1. Either way the redirect URI is the listener's, so the
 * port is really ours. Accounts are the vault's OAuth entries, as ListPacked reports them (their
 * plain oauth.* fields carry the status shown here).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ph-accounts-window.h"
#include "ph-entry-pack.h"
#include "ph-gui-util.h"
#include "ph-loopback-listener.h"
#include "ph-oauth-account.h"
#include "ph-oauth-catalog.h"
#include "ph-sign-in-window.h"

/* The catalog placeholders the form asks for, in the order of param_rows. */
static const char * const parameter_names[] = {
  "issuer", "base_url", "realm_url", "tenant", "domain", "region", "start_url",
};
#define N_PARAMETERS G_N_ELEMENTS (parameter_names)

struct _PhAccountsWindow
{
  AdwWindow parent_instance;

  PhDBusAgent1 *agent;
  PhOAuthCatalog *catalog;
  GStrv provider_ids;               /* in the provider row's order */

  /* the sign-in under way */
  GCancellable *cancellable;
  PhLoopbackListener *listener;
  char *handle;
  char *provider_name;
  PhSignInWindow *sign_in_window;   /* weak */
  gboolean busy;

  AdwToastOverlay *toast_overlay;
  AdwWindowTitle *window_title;
  GtkButton *back_button;
  GtkButton *add_button;
  GtkStack *stack;
  GtkListBox *accounts_list;
  AdwComboRow *provider_row;
  AdwEntryRow *client_id_row;
  AdwEntryRow *issuer_row;
  AdwEntryRow *base_url_row;
  AdwEntryRow *realm_url_row;
  AdwEntryRow *tenant_row;
  AdwEntryRow *domain_row;
  AdwEntryRow *region_row;
  AdwEntryRow *start_url_row;
  AdwEntryRow *name_row;
  AdwEntryRow *git_host_row;
  AdwEntryRow *git_path_row;
  GtkSwitch *browser_switch;
  GtkLabel *hint_label;
  GtkSpinner *spinner;
  GtkButton *sign_in_button;
  GtkButton *cancel_button;

  AdwEntryRow *param_rows[N_PARAMETERS];
};

G_DEFINE_FINAL_TYPE (PhAccountsWindow, ph_accounts_window, ADW_TYPE_WINDOW)

static void
toast (PhAccountsWindow *self,
       const char       *message)
{
  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
}

static void
toast_error (PhAccountsWindow *self,
             const GError     *error)
{
  g_autofree char *message = ph_error_dup_message (error);

  toast (self, message);
}

static const char *
selected_provider (PhAccountsWindow *self)
{
  guint selected = adw_combo_row_get_selected (self->provider_row);

  return self->provider_ids && selected < g_strv_length (self->provider_ids) ? self->provider_ids[selected] : NULL;
}

static const char *
row_text (AdwEntryRow *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

/* The list */

static char *
format_time (gint64 seconds)
{
  g_autoptr(GDateTime) time = g_date_time_new_from_unix_local (seconds);
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();

  if (time == NULL)
    return g_strdup ("?");
  /* Today: the hour is enough. */
  if (g_date_time_get_year (time) == g_date_time_get_year (now) &&
      g_date_time_get_day_of_year (time) == g_date_time_get_day_of_year (now))
    return g_date_time_format (time, "%H:%M");
  return g_date_time_format (time, "%Y-%m-%d %H:%M");
}

static char *
account_status (PhAccountsWindow *self,
                PhEntry          *entry)
{
  const char *provider_id = ph_entry_get_field (entry, "oauth.provider");
  const char *provider = ph_oauth_catalog_get_name (self->catalog, provider_id);
  const char * const *urls = ph_entry_get_urls (entry);
  g_autoptr(GUri) issuer = g_str_equal (provider_id, "oidc") && urls && urls[0]
                           ? g_uri_parse (urls[0], G_URI_FLAGS_NONE, NULL) : NULL;
  const char *refreshed = ph_entry_get_field (entry, "oauth.refreshed_at");
  gint64 expires_at = ph_oauth_account_expires_at (entry);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  /* Any OpenID provider is named by its issuer's host. */
  g_autofree char *who = g_strdup_printf (_("Signed in as %s at %s"), ph_entry_get_username (entry),
                                          issuer ? g_uri_get_host (issuer)
                                                 : provider ? provider : provider_id);
  g_autofree char *validity = NULL;
  g_autofree char *obtained = NULL;

  if (expires_at == 0)
    validity = g_strdup (_("token without an expiry"));
  else if (expires_at > now)
    {
      g_autofree char *until = format_time (expires_at);

      validity = g_strdup_printf (_("token valid until %s"), until);
    }
  else if (ph_entry_field_is_protected (entry, "refresh_token"))
    validity = g_strdup (_("token expired, renewed on next use"));
  else
    validity = g_strdup (_("token expired: sign in again"));
  if (refreshed)
    {
      g_autofree char *when = format_time (g_ascii_strtoll (refreshed, NULL, 10));

      obtained = g_strdup_printf (_("last refresh %s"), when);
    }
  return obtained ? g_strdup_printf ("%s\n%s · %s", who, validity, obtained) : g_strdup_printf ("%s\n%s", who, validity);
}

static GtkWidget *
account_button (const char *icon,
                const char *label,
                const char *action,
                const char *entry_id)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  gtk_widget_set_tooltip_text (button, label);
  gtk_widget_add_css_class (button, "flat");
  gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  gtk_actionable_set_action_target (GTK_ACTIONABLE (button), "s", entry_id);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  return button;
}

static GtkWidget *
account_row (PhAccountsWindow *self,
             PhEntry          *entry)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *status = account_status (self, entry);
  g_autofree char *again = g_strdup_printf (_("Sign In Again to %s"), ph_entry_get_title (entry));
  g_autofree char *out = g_strdup_printf (_("Sign Out of %s"), ph_entry_get_title (entry));

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), ph_entry_get_title (entry));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), status);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 2);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("avatar-default-symbolic"));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), account_button ("view-refresh-symbolic", again,
                                                                   "accounts.sign-in-again", ph_entry_get_id (entry)));
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), account_button ("system-log-out-symbolic", out,
                                                                   "accounts.sign-out", ph_entry_get_id (entry)));
  g_object_set_data_full (G_OBJECT (row), "ph-account-title", g_strdup (ph_entry_get_title (entry)), g_free);
  g_object_set_data_full (G_OBJECT (row), "ph-account-id", g_strdup (ph_entry_get_id (entry)), g_free);
  g_object_set_data_full (G_OBJECT (row), "ph-account-provider", g_strdup (ph_entry_get_field (entry, "oauth.provider")),
                          g_free);
  return row;
}

static int
compare_titles (gconstpointer a,
                gconstpointer b)
{
  return g_utf8_collate (ph_entry_get_title (*(PhEntry **) a), ph_entry_get_title (*(PhEntry **) b));
}

static void
show_page (PhAccountsWindow *self,
           const char       *page)
{
  gboolean adding = g_str_equal (page, "add");

  gtk_stack_set_visible_child_name (self->stack, page);
  gtk_widget_set_visible (GTK_WIDGET (self->back_button), adding);
  gtk_widget_set_visible (GTK_WIDGET (self->add_button), !adding);
  adw_window_title_set_title (self->window_title, adding ? _("Add Account") : _("OAuth Accounts"));
}

static void
list_done (GObject      *object,
           GAsyncResult *result,
           gpointer      data)
{
  g_autoptr(PhAccountsWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) packed = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GPtrArray) accounts = g_ptr_array_new ();
  GtkWidget *child;

  if (!ph_dbus_agent1_call_list_packed_finish (PH_DBUS_AGENT1 (object), &packed, result, &error))
    {
      toast_error (self, error);
      return;
    }
  bytes = g_variant_get_data_as_bytes (packed);
  if (!(entries = ph_entry_unpack (bytes, &error)))
    {
      toast_error (self, error);
      return;
    }
  for (guint i = 0; i < entries->len; i++)
    if (ph_oauth_account_is (g_ptr_array_index (entries, i)))
      g_ptr_array_add (accounts, g_ptr_array_index (entries, i));
  g_ptr_array_sort (accounts, compare_titles);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->accounts_list))))
    gtk_list_box_remove (self->accounts_list, child);
  for (guint i = 0; i < accounts->len; i++)
    gtk_list_box_append (self->accounts_list, account_row (self, g_ptr_array_index (accounts, i)));
  adw_window_title_set_subtitle (self->window_title, NULL);
  if (!g_str_equal (gtk_stack_get_visible_child_name (self->stack), "add"))
    show_page (self, accounts->len ? "list" : "empty");
  g_object_set_data (G_OBJECT (self), "ph-account-count", GUINT_TO_POINTER (accounts->len));
}

void
ph_accounts_window_reload (PhAccountsWindow *self)
{
  ph_dbus_agent1_call_list_packed (self->agent, "", NULL, list_done, g_object_ref (self));
}

/* The form */

static gboolean
strv_has (GStrv       names,
          const char *name)
{
  return names && g_strv_contains ((const char * const *) names, name);
}

static void
update_sign_in_button (PhAccountsWindow *self)
{
  const char *id = selected_provider (self);
  gboolean ready = id && !self->busy && ph_oauth_catalog_has_flow (self->catalog, id, "code") &&
                   *row_text (self->client_id_row) != '\0';

  for (guint i = 0; ready && i < N_PARAMETERS; i++)
    if (gtk_widget_get_visible (GTK_WIDGET (self->param_rows[i])) && *row_text (self->param_rows[i]) == '\0')
      ready = FALSE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "accounts.sign-in", ready);
}

static void
on_provider_changed (PhAccountsWindow *self)
{
  const char *id = selected_provider (self);
  g_auto(GStrv) parameters = id ? ph_oauth_catalog_dup_parameters (self->catalog, id) : NULL;

  if (id == NULL)
    return;
  for (guint i = 0; i < N_PARAMETERS; i++)
    {
      const char *fallback = ph_oauth_catalog_get_default (self->catalog, id, parameter_names[i]);

      gtk_widget_set_visible (GTK_WIDGET (self->param_rows[i]), strv_has (parameters, parameter_names[i]));
      gtk_editable_set_text (GTK_EDITABLE (self->param_rows[i]), fallback ? fallback : "");
    }
  gtk_widget_set_visible (GTK_WIDGET (self->git_host_row), strv_has (parameters, "git_host?"));
  gtk_switch_set_active (self->browser_switch, !ph_oauth_catalog_get_embedded (self->catalog, id));
  if (!ph_oauth_catalog_has_flow (self->catalog, id, "code"))
    {
      g_autofree char *hint = g_strdup_printf (_("%s signs in with a code entered on another device: "
                                                 "perihelion-cli oauth login %s --client-id ID --device"),
                                               ph_oauth_catalog_get_name (self->catalog, id), id);

      gtk_label_set_text (self->hint_label, hint);
      gtk_widget_set_visible (GTK_WIDGET (self->hint_label), TRUE);
    }
  else
    gtk_widget_set_visible (GTK_WIDGET (self->hint_label), FALSE);
  update_sign_in_button (self);
}

/* A sign-in */

static void
set_busy (PhAccountsWindow *self,
          gboolean          busy,
          const char       *hint)
{
  self->busy = busy;
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_widget_set_visible (GTK_WIDGET (self->cancel_button), busy);
  gtk_widget_set_visible (GTK_WIDGET (self->hint_label), hint != NULL);
  gtk_label_set_text (self->hint_label, hint ? hint : "");
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "accounts.sign-in-again", !busy);
  update_sign_in_button (self);
}

static void
finish_sign_in (PhAccountsWindow *self)
{
  if (self->sign_in_window)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->sign_in_window), (gpointer *) &self->sign_in_window);
      self->sign_in_window = NULL;
    }
  g_clear_object (&self->listener);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->handle, g_free);
  g_clear_pointer (&self->provider_name, g_free);
  set_busy (self, FALSE, NULL);
}

static void
complete_done (GObject      *object,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(PhAccountsWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *account = NULL;

  if (!ph_dbus_agent1_call_complete_oauth_sign_in_finish (PH_DBUS_AGENT1 (object), &account, result, &error))
    {
      finish_sign_in (self);
      toast_error (self, error);
      return;
    }
  {
    g_autofree char *message = g_strdup_printf (_("Signed in to %s"), self->provider_name);

    finish_sign_in (self);
    toast (self, message);
  }
  gtk_editable_set_text (GTK_EDITABLE (self->name_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->git_path_row), "");
  show_page (self, "list");
  ph_accounts_window_reload (self);
}

/* Where the provider sent the browser, or NULL: the person closed the page or cancelled. */
static void
redirect_received (PhAccountsWindow *self,
                   const char       *redirect)
{
  if (self->handle == NULL)
    return;
  if (redirect == NULL)
    {
      ph_dbus_agent1_call_cancel_oauth_sign_in (self->agent, self->handle, NULL, NULL, NULL);
      finish_sign_in (self);
      toast (self, _("Sign-in cancelled"));
      return;
    }
  set_busy (self, TRUE, _("Checking the sign-in…"));
  ph_dbus_agent1_call_complete_oauth_sign_in (self->agent, self->handle, redirect, NULL, complete_done,
                                              g_object_ref (self));
}

static void
on_sign_in_window_finished (PhSignInWindow   *window,
                            const char       *redirect,
                            PhAccountsWindow *self)
{
  redirect_received (self, redirect);
}

static void
on_listener_redirect (GObject      *object,
                      GAsyncResult *result,
                      gpointer      data)
{
  g_autoptr(PhAccountsWindow) self = data;
  g_autofree char *redirect = ph_loopback_listener_wait_finish (PH_LOOPBACK_LISTENER (object), result, NULL);

  if (PH_LOOPBACK_LISTENER (object) == self->listener)
    redirect_received (self, redirect);
}

static void
on_browser_shown (GObject      *object,
                  GAsyncResult *result,
                  gpointer      data)
{
  g_autoptr(PhAccountsWindow) self = data;
  g_autoptr(GError) error = NULL;

  if (!gtk_show_uri_full_finish (GTK_WINDOW (self), result, &error) && self->handle)
    {
      g_autofree char *message = g_strdup_printf (_("No browser could be opened: %s"), error->message);

      toast (self, message);
    }
}

static void
begin_done (GObject      *object,
            GAsyncResult *result,
            gpointer      data)
{
  g_autoptr(PhAccountsWindow) self = data;
  g_autoptr(GError) error = NULL;
  g_autofree char *handle = NULL;
  g_autofree char *url = NULL;

  if (!ph_dbus_agent1_call_begin_oauth_sign_in_finish (PH_DBUS_AGENT1 (object), &handle, &url, result, &error))
    {
      finish_sign_in (self);
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        toast_error (self, error);
      return;
    }
  self->handle = g_steal_pointer (&handle);
  if (g_object_get_data (G_OBJECT (self->listener), "ph-in-browser"))
    {
      set_busy (self, TRUE, _("Continue in your browser. This window hears back when you have signed in."));
      ph_loopback_listener_wait_async (self->listener, self->cancellable, on_listener_redirect, g_object_ref (self));
      gtk_show_uri_full (GTK_WINDOW (self), url, GDK_CURRENT_TIME, NULL, on_browser_shown, g_object_ref (self));
      return;
    }
  set_busy (self, TRUE, _("Sign in on the provider's page."));
  self->sign_in_window = ph_sign_in_window_new (GTK_WINDOW (self), self->provider_name, url,
                                                ph_loopback_listener_get_redirect_uri (self->listener));
  g_object_add_weak_pointer (G_OBJECT (self->sign_in_window), (gpointer *) &self->sign_in_window);
  g_signal_connect_object (self->sign_in_window, "finished", G_CALLBACK (on_sign_in_window_finished), self, 0);
  gtk_window_present (GTK_WINDOW (self->sign_in_window));
}

static void
start_sign_in (PhAccountsWindow *self,
               const char       *provider_id,
               GVariant         *options,
               const char       *provider_name,
               gboolean          in_browser)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) sunk = g_variant_ref_sink (options);

  if (self->busy)
    return;
  if (!(self->listener = ph_loopback_listener_new (&error)))
    {
      toast_error (self, error);
      return;
    }
  if (in_browser)
    g_object_set_data (G_OBJECT (self->listener), "ph-in-browser", GINT_TO_POINTER (TRUE));
  self->cancellable = g_cancellable_new ();
  self->provider_name = g_strdup (provider_name);
  set_busy (self, TRUE, _("Asking the provider…"));
  ph_dbus_agent1_call_begin_oauth_sign_in (self->agent, provider_id, sunk,
                                           ph_loopback_listener_get_redirect_uri (self->listener), self->cancellable,
                                           begin_done, g_object_ref (self));
}

static void
sign_in_action (GtkWidget  *widget,
                const char *action,
                GVariant   *parameter)
{
  PhAccountsWindow *self = PH_ACCOUNTS_WINDOW (widget);
  const char *id = selected_provider (self);
  g_autofree char *client_id = g_strstrip (g_strdup (row_text (self->client_id_row)));
  GVariantBuilder options;

  if (id == NULL)
    return;
  g_variant_builder_init (&options, G_VARIANT_TYPE ("a{ss}"));
  g_variant_builder_add (&options, "{ss}", "client_id", client_id);
  for (guint i = 0; i < N_PARAMETERS; i++)
    if (gtk_widget_get_visible (GTK_WIDGET (self->param_rows[i])) && *row_text (self->param_rows[i]))
      g_variant_builder_add (&options, "{ss}", parameter_names[i], row_text (self->param_rows[i]));
  if (gtk_widget_get_visible (GTK_WIDGET (self->git_host_row)) && *row_text (self->git_host_row))
    g_variant_builder_add (&options, "{ss}", "git_host", row_text (self->git_host_row));
  if (*row_text (self->name_row))
    g_variant_builder_add (&options, "{ss}", "name", row_text (self->name_row));
  if (*row_text (self->git_path_row))
    g_variant_builder_add (&options, "{ss}", "git_path", row_text (self->git_path_row));
  start_sign_in (self, id, g_variant_builder_end (&options),
                 *row_text (self->name_row) ? row_text (self->name_row) : ph_oauth_catalog_get_name (self->catalog, id),
                 gtk_switch_get_active (self->browser_switch));
}

static void
cancel_action (GtkWidget  *widget,
               const char *action,
               GVariant   *parameter)
{
  PhAccountsWindow *self = PH_ACCOUNTS_WINDOW (widget);

  if (self->sign_in_window)
    gtk_window_close (GTK_WINDOW (self->sign_in_window));   /* ::finished without a redirect */
  else if (self->handle)
    redirect_received (self, NULL);
  else if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
}

/* The account of @entry_id, from the rows' data (the list is what the person sees). */
static const char *
account_title (PhAccountsWindow *self,
               const char       *entry_id,
               const char      **out_provider_id)
{
  for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->accounts_list)); row;
       row = gtk_widget_get_next_sibling (row))
    {
      const char *id = g_object_get_data (G_OBJECT (row), "ph-account-id");

      if (g_strcmp0 (id, entry_id) == 0)
        {
          *out_provider_id = g_object_get_data (G_OBJECT (row), "ph-account-provider");
          return g_object_get_data (G_OBJECT (row), "ph-account-title");
        }
    }
  *out_provider_id = NULL;
  return NULL;
}

static void
sign_in_again_action (GtkWidget  *widget,
                      const char *action,
                      GVariant   *parameter)
{
  PhAccountsWindow *self = PH_ACCOUNTS_WINDOW (widget);
  const char *entry_id = g_variant_get_string (parameter, NULL);
  const char *provider_id = NULL;
  const char *title = account_title (self, entry_id, &provider_id);
  GVariantBuilder options;

  if (title == NULL)
    return;
  g_variant_builder_init (&options, G_VARIANT_TYPE ("a{ss}"));
  g_variant_builder_add (&options, "{ss}", "account", entry_id);
  start_sign_in (self, "", g_variant_builder_end (&options), title,
                 provider_id && !ph_oauth_catalog_get_embedded (self->catalog, provider_id));
}

static void
sign_out_done (GObject      *object,
               GAsyncResult *result,
               gpointer      data)
{
  g_autoptr(PhAccountsWindow) self = data;
  g_autoptr(GError) error = NULL;

  if (!ph_dbus_agent1_call_sign_out_oauth_account_finish (PH_DBUS_AGENT1 (object), result, &error))
    toast_error (self, error);
  else
    toast (self, _("Signed out; the provider revoked the tokens"));
  ph_accounts_window_reload (self);
}

static void
on_sign_out_response (AdwMessageDialog *dialog,
                      const char       *response,
                      PhAccountsWindow *self)
{
  if (g_str_equal (response, "sign-out"))
    ph_dbus_agent1_call_sign_out_oauth_account (self->agent, g_object_get_data (G_OBJECT (dialog), "ph-account-id"),
                                                NULL, sign_out_done, g_object_ref (self));
}

static void
sign_out_action (GtkWidget  *widget,
                 const char *action,
                 GVariant   *parameter)
{
  PhAccountsWindow *self = PH_ACCOUNTS_WINDOW (widget);
  const char *entry_id = g_variant_get_string (parameter, NULL);
  const char *provider_id = NULL;
  const char *title = account_title (self, entry_id, &provider_id);
  g_autofree char *heading = NULL;
  GtkWidget *dialog;

  if (title == NULL)
    return;
  heading = g_strdup_printf (_("Sign Out of “%s”?"), title);
  dialog = adw_message_dialog_new (GTK_WINDOW (self), heading,
                                   _("Its tokens are revoked at the provider and the account is removed from the "
                                     "vault. git will no longer get a token for it."));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "sign-out", _("_Sign Out"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "sign-out", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_object_set_data_full (G_OBJECT (dialog), "ph-account-id", g_strdup (entry_id), g_free);
  g_signal_connect (dialog, "response", G_CALLBACK (on_sign_out_response), self);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
add_action (GtkWidget  *widget,
            const char *action,
            GVariant   *parameter)
{
  PhAccountsWindow *self = PH_ACCOUNTS_WINDOW (widget);

  show_page (self, "add");
  on_provider_changed (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->provider_row));
}

static void
back_action (GtkWidget  *widget,
             const char *action,
             GVariant   *parameter)
{
  PhAccountsWindow *self = PH_ACCOUNTS_WINDOW (widget);

  if (!g_str_equal (gtk_stack_get_visible_child_name (self->stack), "add"))
    {
      gtk_window_close (GTK_WINDOW (self));
      return;
    }
  show_page (self, GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (self), "ph-account-count")) ? "list" : "empty");
}

static void
ph_accounts_window_dispose (GObject *object)
{
  PhAccountsWindow *self = PH_ACCOUNTS_WINDOW (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  if (self->handle && self->agent)
    ph_dbus_agent1_call_cancel_oauth_sign_in (self->agent, self->handle, NULL, NULL, NULL);
  if (self->sign_in_window)
    {
      g_object_remove_weak_pointer (G_OBJECT (self->sign_in_window), (gpointer *) &self->sign_in_window);
      self->sign_in_window = NULL;
    }
  g_clear_object (&self->listener);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->agent);
  G_OBJECT_CLASS (ph_accounts_window_parent_class)->dispose (object);
}

static void
ph_accounts_window_finalize (GObject *object)
{
  PhAccountsWindow *self = PH_ACCOUNTS_WINDOW (object);

  g_clear_pointer (&self->catalog, ph_oauth_catalog_free);
  g_strfreev (self->provider_ids);
  g_free (self->handle);
  g_free (self->provider_name);
  G_OBJECT_CLASS (ph_accounts_window_parent_class)->finalize (object);
}

static void
ph_accounts_window_class_init (PhAccountsWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ph_accounts_window_dispose;
  object_class->finalize = ph_accounts_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perihelion/AuthManager/ph-accounts-window.ui");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, PhAccountsWindow, name)
  CHILD (toast_overlay);
  CHILD (window_title);
  CHILD (back_button);
  CHILD (add_button);
  CHILD (stack);
  CHILD (accounts_list);
  CHILD (provider_row);
  CHILD (client_id_row);
  CHILD (issuer_row);
  CHILD (base_url_row);
  CHILD (realm_url_row);
  CHILD (tenant_row);
  CHILD (domain_row);
  CHILD (region_row);
  CHILD (start_url_row);
  CHILD (name_row);
  CHILD (git_host_row);
  CHILD (git_path_row);
  CHILD (browser_switch);
  CHILD (hint_label);
  CHILD (spinner);
  CHILD (sign_in_button);
  CHILD (cancel_button);
#undef CHILD
  gtk_widget_class_bind_template_callback (widget_class, on_provider_changed);
  gtk_widget_class_bind_template_callback (widget_class, update_sign_in_button);

  gtk_widget_class_install_action (widget_class, "accounts.add", NULL, add_action);
  gtk_widget_class_install_action (widget_class, "accounts.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "accounts.sign-in", NULL, sign_in_action);
  gtk_widget_class_install_action (widget_class, "accounts.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "accounts.sign-in-again", "s", sign_in_again_action);
  gtk_widget_class_install_action (widget_class, "accounts.sign-out", "s", sign_out_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK, "accounts.add", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "accounts.back", NULL);
}

static void
ph_accounts_window_init (PhAccountsWindow *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  AdwEntryRow *rows[N_PARAMETERS];

  gtk_widget_init_template (GTK_WIDGET (self));
  ph_accessible_name_internals (GTK_WIDGET (self));
  rows[0] = self->issuer_row;
  rows[1] = self->base_url_row;
  rows[2] = self->realm_url_row;
  rows[3] = self->tenant_row;
  rows[4] = self->domain_row;
  rows[5] = self->region_row;
  rows[6] = self->start_url_row;
  memcpy (self->param_rows, rows, sizeof rows);

  if (!(self->catalog = ph_oauth_catalog_load_default (&error)))
    {
      toast_error (self, error);
      return;
    }
  self->provider_ids = ph_oauth_catalog_dup_ids (self->catalog);
  for (guint i = 0; self->provider_ids[i]; i++)
    gtk_string_list_append (names, ph_oauth_catalog_get_name (self->catalog, self->provider_ids[i]));
  adw_combo_row_set_model (self->provider_row, G_LIST_MODEL (names));
  on_provider_changed (self);
}

PhAccountsWindow *
ph_accounts_window_new (GtkWindow    *parent,
                        PhDBusAgent1 *agent)
{
  PhAccountsWindow *self = g_object_new (PH_TYPE_ACCOUNTS_WINDOW, "transient-for", parent, NULL);

  self->agent = g_object_ref (agent);
  g_signal_connect_object (agent, "entries-changed", G_CALLBACK (ph_accounts_window_reload), self, G_CONNECT_SWAPPED);
  ph_accounts_window_reload (self);
  return self;
}

/* The embedded sign-in window of the sign-in under way, if any (for tests). */
GtkWindow *
ph_accounts_window_get_sign_in_window (PhAccountsWindow *self)
{
  return self->sign_in_window ? GTK_WINDOW (self->sign_in_window) : NULL;
}
