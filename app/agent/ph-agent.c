/* ph-agent.c: perihelion-agent's service: the vault's one key holder, on D-Bus.
 *
 * The agent holds the unlocked vault and its broker. Each D-Bus call comes from a caller that
 * the bus identifies (GetConnectionCredentials: uid and pid); callers of another uid are
 * refused, and the rest become the subject of a gate request: the executable behind the pid,
 * its SHA-256 and its Flatpak app id are what policy decides on. Wrong passwords are answered
 * with growing delays. The vault locks (keys wiped) after an idle timeout, when the session
 * locks and before the machine sleeps.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "perihelion-agent"

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "ph-agent.h"
#include "ph-agent-dbus.h"
#include "ph-agent-private.h"
#include "ph-broker.h"
#include "ph-csv.h"
#include "ph-entry.h"
#include "ph-entry-pack.h"
#include "ph-keystore.h"
#include "ph-agent-mfa.h"
#include "ph-agent-oauth.h"
#include "ph-otp-entry.h"
#include "ph-second-factors.h"
#include "ph-jose.h"
#include "ph-oauth-catalog.h"
#include "ph-oidc.h"
#include <errno.h>
#include "ph-vault.h"

#define MAX_UNLOCK_DELAY 30

struct _PhAgent
{
  GObject parent_instance;

  char *vault_path;
  PhVault *vault;
  PhBroker *broker;
  GPtrArray *trusted_clients;  /* perihelion-cli executables: their callers are the subject "cli" */
  GPtrArray *trusted_guis;     /* perihelion executables: the subject "gui" */
  GPtrArray *trusted_mcp;      /* perihelion-mcp executables: may declare the AI agent they serve */
  gboolean creating;           /* a Create call is deriving its key */

  PhDBusAgent1 *skeleton;
  PhAgentOAuth *oauth;         /* the OAuth methods, and sign-ins under way */
  PhAgentMfa *mfa;             /* the second-factor methods, and enrollments under way */
  GPtrArray *subscriptions;    /* (GDBusConnection, id) pairs for session signals */

  guint idle_timeout;          /* seconds; 0: never */
  guint idle_source;

  guint failed_unlocks;
  gint64 retry_at;             /* monotonic µs before which Unlock is refused */

  GHashTable *callers;         /* unique bus name -> PhSubject: names are never reused */
  guint name_watch;            /* NameOwnerChanged, to forget callers that left */
  guint flush_source;          /* pending batched audit write */

  PhPrompter *prompter;        /* windows, when there is a display */
  gboolean (*unlock_ui) (PhAgent *agent, const char *reason, gpointer data);
  gpointer unlock_ui_data;
};

G_DEFINE_FINAL_TYPE (PhAgent, ph_agent, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_LOCKED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

typedef struct
{
  GDBusConnection *connection;
  guint id;
} Subscription;

static void
subscription_free (gpointer data)
{
  Subscription *s = data;

  g_dbus_connection_signal_unsubscribe (s->connection, s->id);
  g_object_unref (s->connection);
  g_free (s);
}

static void
ph_agent_dispose (GObject *object)
{
  PhAgent *self = PH_AGENT (object);

  ph_agent_lock (self);
  g_clear_handle_id (&self->flush_source, g_source_remove);
  if (self->name_watch && self->skeleton)
    g_dbus_connection_signal_unsubscribe (g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self->skeleton)),
                                          self->name_watch);
  self->name_watch = 0;
  ph_agent_unexport (self);
  g_clear_pointer (&self->subscriptions, g_ptr_array_unref);
  g_clear_handle_id (&self->idle_source, g_source_remove);
  g_clear_object (&self->vault);
  g_clear_object (&self->prompter);

  G_OBJECT_CLASS (ph_agent_parent_class)->dispose (object);
}

static void
ph_agent_finalize (GObject *object)
{
  PhAgent *self = PH_AGENT (object);

  g_free (self->vault_path);
  g_ptr_array_unref (self->trusted_clients);
  g_ptr_array_unref (self->trusted_guis);
  g_ptr_array_unref (self->trusted_mcp);
  g_hash_table_unref (self->callers);

  G_OBJECT_CLASS (ph_agent_parent_class)->finalize (object);
}

static void
ph_agent_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  PhAgent *self = PH_AGENT (object);

  switch (prop_id)
    {
    case PROP_LOCKED:
      g_value_set_boolean (value, ph_agent_get_locked (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ph_agent_class_init (PhAgentClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ph_agent_dispose;
  object_class->finalize = ph_agent_finalize;
  object_class->get_property = ph_agent_get_property;

  /* Whether the vault is locked; the tray and D-Bus clients follow it. */
  properties[PROP_LOCKED] = g_param_spec_boolean ("locked", NULL, NULL, TRUE,
                                                  G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ph_agent_init (PhAgent *self)
{
  self->subscriptions = g_ptr_array_new_with_free_func (subscription_free);
  self->trusted_clients = g_ptr_array_new_with_free_func (g_free);
  self->trusted_guis = g_ptr_array_new_with_free_func (g_free);
  self->trusted_mcp = g_ptr_array_new_with_free_func (g_free);
  self->callers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) ph_subject_free);
  self->idle_timeout = 300;
}

PhAgent *
ph_agent_new (const char *vault_path)
{
  PhAgent *self = g_object_new (PH_TYPE_AGENT, NULL);

  self->vault_path = g_strdup (vault_path);
  return self;
}

gboolean
ph_agent_get_locked (PhAgent *self)
{
  return self->broker == NULL;
}

/* Callers running @exe_path are perihelion-cli: the subject "cli", the user's own tool. */
void
ph_agent_add_trusted_client (PhAgent    *self,
                             const char *exe_path)
{
  char *real = realpath (exe_path, NULL);

  if (real)
    g_ptr_array_add (self->trusted_clients, real);
}

/* Callers running @exe_path are perihelion, the GTK app: the subject "gui". */
void
ph_agent_add_trusted_mcp (PhAgent    *self,
                          const char *exe)
{
  g_ptr_array_add (self->trusted_mcp, g_strdup (exe));
}

void
ph_agent_add_trusted_gui (PhAgent    *self,
                          const char *exe_path)
{
  char *real = realpath (exe_path, NULL);

  if (real)
    g_ptr_array_add (self->trusted_guis, real);
}

static void
update_locked (PhAgent *self)
{
  if (self->skeleton)
    ph_dbus_agent1_set_locked (self->skeleton, ph_agent_get_locked (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOCKED]);
}

/* Saves the audit chain's head into the vault when it moved, so a cut log is caught later. */
static void
save_head (PhAgent *self)
{
  g_autoptr(GError) error = NULL;
  guint64 before = 0, after = 0;
  guint8 mac[32];

  if (self->broker == NULL)
    return;
  ph_vault_get_audit_head (self->vault, &before, mac);
  if (!ph_broker_finish (self->broker, &error))
    g_warning ("%s", error->message);
  ph_vault_get_audit_head (self->vault, &after, mac);
  if (after != before && !ph_vault_save (self->vault, &error))
    g_warning ("Could not save the audit chain's head: %s", error->message);
}

/**
 * ph_agent_lock:
 *
 * Locks the vault: the audit log is flushed (its head saved), then every key and opened
 * secret is wiped.
 */
void
ph_agent_lock (PhAgent *self)
{
  if (self->broker == NULL)
    return;
  g_clear_handle_id (&self->flush_source, g_source_remove);
  save_head (self);
  g_clear_object (&self->broker);
  ph_vault_lock (self->vault);
  g_clear_object (&self->vault);
  g_clear_handle_id (&self->idle_source, g_source_remove);
  g_message ("Locked");
  update_locked (self);
}

static gboolean
on_idle_timeout (gpointer data)
{
  PhAgent *self = data;

  self->idle_source = 0;
  g_message ("Idle for %u seconds", self->idle_timeout);
  ph_agent_lock (self);
  return G_SOURCE_REMOVE;
}

/* Any request counts as use: the idle countdown starts again. */
static void
touch (PhAgent *self)
{
  g_clear_handle_id (&self->idle_source, g_source_remove);
  if (self->broker && self->idle_timeout > 0)
    self->idle_source = g_timeout_add_seconds (self->idle_timeout, on_idle_timeout, self);
}

void
ph_agent_set_idle_timeout (PhAgent *self,
                           guint    seconds)
{
  self->idle_timeout = seconds;
  touch (self);
}

/* Refuses an unlock attempt while the wait after a wrong password runs. */
gboolean
ph_agent_check_unlock_allowed (PhAgent  *self,
                               GError  **error)
{
  gint64 now = g_get_monotonic_time ();

  if (now < self->retry_at)
    {
      int wait = (int) ((self->retry_at - now + G_USEC_PER_SEC - 1) / G_USEC_PER_SEC);

      g_set_error (error, G_IO_ERROR, G_IO_ERROR_BUSY,
                   g_dngettext (GETTEXT_PACKAGE, "Too many wrong passwords: try again in %d second",
                                "Too many wrong passwords: try again in %d seconds", wait), wait);
      return FALSE;
    }
  return TRUE;
}

/* How long until the next unlock attempt is accepted, in ms (0: now). */
guint
ph_agent_get_unlock_wait_ms (PhAgent *self)
{
  gint64 now = g_get_monotonic_time ();

  return now < self->retry_at ? (guint) ((self->retry_at - now + 999) / 1000) : 0;
}

/* A wrong password: the next attempt waits 1, 2, 4 ... up to 30 seconds. Returns the wait. */
guint
ph_agent_note_wrong_password (PhAgent *self)
{
  guint wait;

  self->failed_unlocks++;
  wait = MIN (1u << MIN (self->failed_unlocks - 1, 5u), MAX_UNLOCK_DELAY);
  self->retry_at = g_get_monotonic_time () + (gint64) wait * G_USEC_PER_SEC;
  return wait;
}

/* Takes over a vault unlocked elsewhere (the unlock window derives the key in a thread). */
gboolean
ph_agent_adopt_vault (PhAgent  *self,
                      PhVault  *vault,
                      GError  **error)
{
  if (!(self->broker = ph_broker_new_for_vault (vault, self->prompter, error)))
    return FALSE;
  /* The password was just entered: that is a re-authentication too. */
  ph_broker_set_session (self->broker, g_get_real_time (), g_get_real_time ());
  ph_broker_set_present (self->broker, self->prompter != NULL);
  for (guint i = 0; i < self->failed_unlocks; i++)
    ph_broker_note_failed_unlock (self->broker);
  self->failed_unlocks = 0;
  self->retry_at = 0;
  self->vault = g_object_ref (vault);
  g_message ("Unlocked");
  update_locked (self);
  touch (self);
  return TRUE;
}

/**
 * ph_agent_unlock:
 *
 * Unlocks with the master password. After a wrong one, the next attempt must wait 1, 2, 4 ...
 * up to 30 seconds.
 */
gboolean
ph_agent_unlock (PhAgent        *self,
                 const PhSecret *password,
                 GError        **error)
{
  g_autoptr(PhVault) vault = NULL;

  if (self->broker)
    return TRUE;
  if (!ph_agent_check_unlock_allowed (self, error))
    return FALSE;
  if (!(vault = ph_vault_load (self->vault_path, error)))
    return FALSE;
  if (!ph_vault_unlock_with_password (vault, password, error))
    {
      if (g_error_matches (*error, PH_VAULT_ERROR, PH_VAULT_ERROR_WRONG_PASSWORD))
        ph_agent_note_wrong_password (self);
      return FALSE;
    }
  return ph_agent_adopt_vault (self, vault, error);
}

/* Opens the unlock window (when there is a display). Returns whether the vault is unlocked. */
gboolean
ph_agent_request_unlock (PhAgent    *self,
                         const char *reason)
{
  if (self->broker == NULL && self->unlock_ui)
    self->unlock_ui (self, reason, self->unlock_ui_data);
  return self->broker != NULL;
}

gboolean
ph_agent_can_prompt (PhAgent *self)
{
  return self->unlock_ui != NULL;
}

const char *
ph_agent_get_vault_path (PhAgent *self)
{
  return self->vault_path;
}

/* With a display: obligations are asked in windows, and a locked vault opens an unlock window
 * for the client that needs it. */
void
ph_agent_set_prompter (PhAgent    *self,
                       PhPrompter *prompter,
                       gboolean  (*unlock_ui) (PhAgent *agent, const char *reason, gpointer data),
                       gpointer    data)
{
  g_set_object (&self->prompter, prompter);
  self->unlock_ui = unlock_ui;
  self->unlock_ui_data = data;
}

/* D-Bus */

static void
return_error (GDBusMethodInvocation *invocation,
              const GError          *error)
{
  const char *name = "org.perihelion.Agent1.Error.Failed";

  if (error->domain == PH_BROKER_ERROR)
    name = error->code == PH_BROKER_ERROR_NOT_APPROVED ? "org.perihelion.Agent1.Error.NotApproved"
         : error->code == PH_BROKER_ERROR_REAUTH ? "org.perihelion.Agent1.Error.Reauth"
         : "org.perihelion.Agent1.Error.Denied";
  else if (error->domain == PH_VAULT_ERROR)
    name = error->code == PH_VAULT_ERROR_WRONG_PASSWORD ? "org.perihelion.Agent1.Error.WrongPassword"
         : error->code == PH_VAULT_ERROR_LOCKED ? "org.perihelion.Agent1.Error.Locked"
         : error->code == PH_VAULT_ERROR_NOT_FOUND || error->code == PH_VAULT_ERROR_AMBIGUOUS
           ? "org.perihelion.Agent1.Error.NotFound"
           : name;
  else if (error->domain == PH_MFA_ERROR)
    name = error->code == PH_MFA_ERROR_NOT_ENROLLED ? "org.perihelion.Agent1.Error.NotFound"
                                                    : "org.perihelion.Agent1.Error.WrongCode";
  else if (error->domain == PH_OAUTH_ERROR || error->domain == PH_OIDC_ERROR || error->domain == PH_JOSE_ERROR)
    name = "org.perihelion.Agent1.Error.SignInFailed";
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_BUSY))
    name = "org.perihelion.Agent1.Error.RateLimited";
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    name = "org.freedesktop.DBus.Error.AccessDenied";
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT))
    name = "org.freedesktop.DBus.Error.InvalidArgs";
  g_dbus_method_invocation_return_dbus_error (invocation, name, error->message);
}

static PhSubject *
subject_copy (const PhSubject *subject)
{
  PhSubject *copy = ph_subject_new (subject->kind, subject->name);

  copy->pid = subject->pid;
  copy->uid = subject->uid;
  copy->exe = g_strdup (subject->exe);
  copy->exe_sha256 = g_strdup (subject->exe_sha256);
  copy->app_id = g_strdup (subject->app_id);
  copy->origin = g_strdup (subject->origin);
  return copy;
}

static void
on_name_owner_changed (GDBusConnection *connection,
                       const char      *sender,
                       const char      *path,
                       const char      *interface,
                       const char      *signal,
                       GVariant        *parameters,
                       gpointer         data)
{
  PhAgent *self = data;
  const char *name, *old_owner, *new_owner;

  g_variant_get (parameters, "(&s&s&s)", &name, &old_owner, &new_owner);
  if (*old_owner && !*new_owner)
    g_hash_table_remove (self->callers, old_owner);
}

/* Who is calling, as the bus vouches for it. Refuses other users. A unique bus name belongs to
 * one connection of one process and is never reused, so what was learned about it (executable,
 * hash) holds until it leaves the bus. */
static PhSubject *
caller_subject (PhAgent               *self,
                GDBusMethodInvocation *invocation,
                GError               **error)
{
  const char *sender = g_dbus_method_invocation_get_sender (invocation);
  GDBusConnection *connection = g_dbus_method_invocation_get_connection (invocation);
  g_autoptr(GVariant) reply = NULL;
  g_autoptr(GVariant) credentials = NULL;
  PhSubject *subject, *known;
  guint32 uid, pid;

  if (sender == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, _("Callers must come through the bus"));
      return NULL;
    }
  if ((known = g_hash_table_lookup (self->callers, sender)))
    return subject_copy (known);

  reply = g_dbus_connection_call_sync (connection, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus", "GetConnectionCredentials",
                                       g_variant_new ("(s)", sender), G_VARIANT_TYPE ("(a{sv})"),
                                       G_DBUS_CALL_FLAGS_NONE, -1, NULL, error);
  if (reply == NULL)
    return NULL;
  credentials = g_variant_get_child_value (reply, 0);
  if (!g_variant_lookup (credentials, "UnixUserID", "u", &uid) ||
      !g_variant_lookup (credentials, "ProcessID", "u", &pid))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED, _("The bus does not say who is calling"));
      return NULL;
    }
  if (uid != getuid ())
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   _("Only this user's programs may use the agent"));
      return NULL;
    }
  subject = ph_subject_new_for_process (pid, uid);
  if (subject->exe && g_ptr_array_find_with_equal_func (self->trusted_clients, subject->exe, g_str_equal, NULL))
    {
      subject->kind = PH_SUBJECT_CLI;
      g_free (subject->name);
      subject->name = g_strdup ("perihelion-cli");
    }
  else if (subject->exe && g_ptr_array_find_with_equal_func (self->trusted_guis, subject->exe, g_str_equal, NULL))
    {
      subject->kind = PH_SUBJECT_GUI;
      g_free (subject->name);
      subject->name = g_strdup ("perihelion");
    }
  if (self->name_watch == 0)
    self->name_watch = g_dbus_connection_signal_subscribe (connection, "org.freedesktop.DBus", "org.freedesktop.DBus",
                                                           "NameOwnerChanged", "/org/freedesktop/DBus", NULL,
                                                           G_DBUS_SIGNAL_FLAGS_NONE, on_name_owner_changed, self,
                                                           NULL);
  g_hash_table_insert (self->callers, g_strdup (sender), subject_copy (subject));
  return subject;
}

/* The common start of a call: a caller, an unlocked vault. */
static PhSubject *
begin (PhAgent               *self,
       GDBusMethodInvocation *invocation)
{
  g_autoptr(GError) error = NULL;
  PhSubject *subject = caller_subject (self, invocation, &error);

  if (subject == NULL)
    {
      return_error (invocation, error);
      return NULL;
    }
  if (self->broker == NULL && self->unlock_ui)
    {
      g_autofree char *who = ph_subject_dup_id (subject);
      g_autofree char *reason = g_strdup_printf (_("%s needs the vault"), who);

      self->unlock_ui (self, reason, self->unlock_ui_data);
    }
  if (self->broker == NULL)
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.perihelion.Agent1.Error.Locked",
                                                  _("The vault is locked"));
      ph_subject_free (subject);
      return NULL;
    }
  touch (self);
  return subject;
}

static gboolean
flush_now (gpointer data)
{
  PhAgent *self = data;
  g_autoptr(GError) error = NULL;

  self->flush_source = 0;
  if (self->broker && !ph_broker_finish (self->broker, &error))
    g_warning ("%s", error->message);
  return G_SOURCE_REMOVE;
}

/* After a call: its audit records are written within 50 ms, with one fsync for every call in
 * that time (locking and quitting write them at once). */
static void
end (PhAgent *self)
{
  if (self->flush_source == 0 && self->broker)
    self->flush_source = g_timeout_add (50, flush_now, self);
}

/* A call that failed: its audit records queued, the error returned. For handlers. */
static gboolean
fail (PhAgent               *self,
      GDBusMethodInvocation *invocation,
      const GError          *error)
{
  end (self);
  return_error (invocation, error);
  return TRUE;
}

static PhSecret *
secret_from_variant (GVariant *bytes)
{
  gsize len = 0;
  const guint8 *data = g_variant_get_fixed_array (bytes, &len, 1);

  return ph_secret_new_from_data (data, len);
}

static gboolean
handle_unlock (PhDBusAgent1          *skeleton,
               GDBusMethodInvocation *invocation,
               GVariant              *password_bytes,
               PhAgent               *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSubject) subject = caller_subject (self, invocation, &error);
  g_autoptr(PhSecret) password = NULL;

  if (subject == NULL)
    return fail (self, invocation, error);
  password = secret_from_variant (password_bytes);
  if (!ph_agent_unlock (self, password, &error))
    return_error (invocation, error);
  else
    ph_dbus_agent1_complete_unlock (skeleton, invocation);
  return TRUE;
}

static gboolean
handle_lock (PhDBusAgent1          *skeleton,
             GDBusMethodInvocation *invocation,
             PhAgent               *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSubject) subject = caller_subject (self, invocation, &error);

  if (subject == NULL)
    return fail (self, invocation, error);
  ph_agent_lock (self);
  ph_dbus_agent1_complete_lock (skeleton, invocation);
  return TRUE;
}

/* What List and ListPacked send: the ranked matches of @query, or every entry. */
static GPtrArray *
listed_entries (PhAgent    *self,
                const char *query)
{
  GPtrArray *entries;
  guint n;

  if (*query)
    return ph_vault_search (self->vault, query);
  n = g_list_model_get_n_items (G_LIST_MODEL (self->vault));
  entries = g_ptr_array_new_full (n, g_object_unref);
  for (guint i = 0; i < n; i++)
    g_ptr_array_add (entries, g_list_model_get_item (G_LIST_MODEL (self->vault), i));
  return entries;
}

static gboolean
handle_list (PhDBusAgent1          *skeleton,
             GDBusMethodInvocation *invocation,
             const char            *query,
             PhAgent               *self)
{
  g_autoptr(PhSubject) subject = begin (self, invocation);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) found = NULL;
  GVariantBuilder entries;

  if (subject == NULL)
    return TRUE;
  if (!ph_broker_authorize (self->broker, subject, PH_ACTION_LIST, NULL, "vault", &error))
    return fail (self, invocation, error);
  found = listed_entries (self, query);
  g_variant_builder_init (&entries, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < found->len; i++)
    g_variant_builder_add_value (&entries, ph_entry_to_variant (g_ptr_array_index (found, i)));
  end (self);
  ph_dbus_agent1_complete_list (skeleton, invocation, g_variant_builder_end (&entries));
  return TRUE;
}

static gboolean
handle_list_packed (PhDBusAgent1          *skeleton,
                    GDBusMethodInvocation *invocation,
                    const char            *query,
                    PhAgent               *self)
{
  g_autoptr(PhSubject) subject = begin (self, invocation);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GBytes) packed = NULL;

  if (subject == NULL)
    return TRUE;
  if (!ph_broker_authorize (self->broker, subject, PH_ACTION_LIST, NULL, "vault", &error))
    return fail (self, invocation, error);
  entries = listed_entries (self, query);
  packed = ph_entry_pack (entries);
  end (self);
  ph_dbus_agent1_complete_list_packed (skeleton, invocation,
                                       g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, packed, TRUE));
  return TRUE;
}

static void
wipe_and_free (gpointer data)
{
  PhSecret *secret = data;

  ph_secret_unref (secret);
}

/**
 * ph_agent_secret_variant:
 * @secret: (transfer full): what a reply carries
 *
 * A byte string that borrows @secret's guarded buffer; the buffer is wiped and freed when the
 * reply is done with it.
 */
GVariant *
ph_agent_secret_variant (PhSecret *secret)
{
  return g_variant_new_from_data (G_VARIANT_TYPE_BYTESTRING, ph_secret_get_data (secret), ph_secret_get_length (secret),
                                  TRUE, wipe_and_free, secret);
}

static gboolean
save_and_announce (PhAgent  *self,
                   GError  **error)
{
  if (!ph_broker_finish (self->broker, error) || !ph_vault_save (self->vault, error))
    return FALSE;
  ph_dbus_agent1_emit_entries_changed (self->skeleton);
  return TRUE;
}

static gboolean
handle_set_one_time_password (PhDBusAgent1          *skeleton,
                              GDBusMethodInvocation *invocation,
                              const char            *entry_name,
                              GVariant              *otp_bytes,
                              PhAgent               *self)
{
  g_autoptr(PhSubject) subject = begin (self, invocation);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) given = NULL;
  g_autoptr(PhSecret) uri = NULL;
  PhEntry *entry;

  if (subject == NULL)
    return TRUE;
  if (!(entry = ph_vault_find (self->vault, entry_name, &error)) ||
      !ph_broker_authorize (self->broker, subject, PH_ACTION_WRITE, entry, NULL, &error))
    return fail (self, invocation, error);
  given = secret_from_variant (otp_bytes);
  if (ph_secret_get_length (given) > 0 &&
      !(uri = ph_otp_normalize_uri (ph_secret_get_text (given), ph_entry_get_title (entry),
                                    ph_entry_get_username (entry), &error)))
    {
      end (self);
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.InvalidArgs", error->message);
      return TRUE;
    }
  if (!ph_vault_set_secret (self->vault, entry, PH_FIELD_OTP, uri, &error))
    return fail (self, invocation, error);
  ph_vault_entry_changed (self->vault, entry);
  if (!save_and_announce (self, &error))
    return fail (self, invocation, error);
  ph_dbus_agent1_complete_set_one_time_password (skeleton, invocation);
  return TRUE;
}

/* An AI agent's name: letters, digits, ".", "_" and "-", as policy rules can name it. */
static gboolean
valid_agent_name (const char *name)
{
  return *name != '\0' && strlen (name) <= 64 &&
         strspn (name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == strlen (name);
}

/* DeclareAgent: perihelion-mcp says which AI agent it serves; the connection's subject becomes
 * agent:NAME (the bus still vouches for the process: only a trusted perihelion-mcp may ask). */
static gboolean
handle_declare_agent (PhDBusAgent1          *skeleton,
                      GDBusMethodInvocation *invocation,
                      const char            *name,
                      const char            *detail,
                      PhAgent               *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSubject) caller = caller_subject (self, invocation, &error);
  PhSubject *agent_subject;

  if (caller == NULL)
    {
      return_error (invocation, error);
      return TRUE;
    }
  if (caller->exe == NULL || !g_ptr_array_find_with_equal_func (self->trusted_mcp, caller->exe, g_str_equal, NULL))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.AccessDenied",
                                                  _("Only perihelion-mcp may speak for an AI agent"));
      return TRUE;
    }
  if (!valid_agent_name (name) || !g_utf8_validate (detail, -1, NULL))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.InvalidArgs",
                                                  _("An agent's name is letters, digits, “.”, “_” and “-”"));
      return TRUE;
    }
  agent_subject = subject_copy (caller);
  agent_subject->kind = PH_SUBJECT_AGENT;
  g_free (agent_subject->name);
  agent_subject->name = g_strdup (name);
  g_clear_pointer (&agent_subject->origin, g_free);
  if (*detail)
    {
      /* One line of at most 200 characters: it is the caller's own account. */
      agent_subject->origin = g_utf8_substring (detail, 0, MIN (g_utf8_strlen (detail, -1), 200));
      g_strdelimit (agent_subject->origin, "\n\r\t\v\f", ' ');
    }
  g_hash_table_insert (self->callers, g_strdup (g_dbus_method_invocation_get_sender (invocation)), agent_subject);
  ph_dbus_agent1_complete_declare_agent (skeleton, invocation);
  return TRUE;
}

/* GetOneTimeCode: only the code leaves the agent. */
static gboolean
handle_get_one_time_code (PhDBusAgent1          *skeleton,
                          GDBusMethodInvocation *invocation,
                          const char            *entry_name,
                          const char            *action_name,
                          PhAgent               *self)
{
  g_autoptr(PhSubject) subject = begin (self, invocation);
  g_autoptr(GError) error = NULL;
  PhSecret *code;
  PhEntry *entry;
  PhAction action;
  guint period;
  gint64 valid_until;
  gboolean changed;

  if (subject == NULL)
    return TRUE;
  if (!ph_action_from_string (action_name, &action) || (action != PH_ACTION_REVEAL && action != PH_ACTION_COPY))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.InvalidArgs",
                                                  _("The action is reveal or copy"));
      return TRUE;
    }
  if (!(entry = ph_vault_find (self->vault, entry_name, &error)) ||
      !(code = ph_otp_entry_code (self->broker, subject, action, entry, g_get_real_time () / G_USEC_PER_SEC, &period,
                                  &valid_until, &changed, &error)))
    return fail (self, invocation, error);
  /* An HOTP counter that advanced is saved before the code is given out: never reused. */
  if (changed && !save_and_announce (self, &error))
    {
      ph_secret_unref (code);
      return fail (self, invocation, error);
    }
  end (self);
  ph_dbus_agent1_complete_get_one_time_code (skeleton, invocation, ph_agent_secret_variant (code), period, valid_until);
  return TRUE;
}

static gboolean
handle_get_secret (PhDBusAgent1          *skeleton,
                   GDBusMethodInvocation *invocation,
                   const char            *entry_name,
                   const char            *field,
                   const char            *action_name,
                   PhAgent               *self)
{
  g_autoptr(PhSubject) subject = begin (self, invocation);
  g_autoptr(GError) error = NULL;
  PhSecret *secret;
  PhEntry *entry;
  PhAction action;

  if (subject == NULL)
    return TRUE;
  if (!ph_action_from_string (action_name, &action) ||
      (action != PH_ACTION_REVEAL && action != PH_ACTION_COPY && action != PH_ACTION_USE))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.InvalidArgs",
                                                  _("The action is reveal, copy or use"));
      return TRUE;
    }
  if (!(entry = ph_vault_find (self->vault, entry_name, &error)))
    return fail (self, invocation, error);
  if (g_str_has_prefix (field, "history:"))
    {
      guint64 index;

      /* Earlier passwords are revealed, never copied or used: they are for recovering. */
      if (action != PH_ACTION_REVEAL ||
          !g_ascii_string_to_unsigned (field + strlen ("history:"), 10, 0, G_MAXUINT, &index, &error))
        {
          g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.InvalidArgs",
                                                      _("An earlier password is history:N, for reveal"));
          return TRUE;
        }
      secret = ph_broker_open_history (self->broker, subject, entry, index, &error);
    }
  else
    secret = ph_broker_open (self->broker, subject, action, entry, field, &error);
  if (secret == NULL)
    return fail (self, invocation, error);
  end (self);
  ph_dbus_agent1_complete_get_secret (skeleton, invocation, ph_agent_secret_variant (secret),
                                      ph_broker_get_ttl (self->broker));
  return TRUE;
}

/* ApproveMcpClient: the person lets an HTTP client of perihelion-mcp connect as the AI agent
 * @name (perihelion-mcp then mints its token). */
static gboolean
handle_approve_mcp_client (PhDBusAgent1          *skeleton,
                           GDBusMethodInvocation *invocation,
                           const char            *name,
                           PhAgent               *self)
{
  g_autoptr(PhSubject) subject = NULL;
  g_autoptr(GError) error = NULL;

  if (!valid_agent_name (name))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.InvalidArgs",
                                                  _("An agent's name is letters, digits, “.”, “_” and “-”"));
      return TRUE;
    }
  if ((subject = begin (self, invocation)) == NULL)
    return TRUE;
  if (subject->exe == NULL || !g_ptr_array_find_with_equal_func (self->trusted_mcp, subject->exe, g_str_equal, NULL))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.AccessDenied",
                                                  _("Only perihelion-mcp may ask for its clients"));
      return TRUE;
    }
  subject->kind = PH_SUBJECT_AGENT;
  g_free (subject->name);
  subject->name = g_strdup (name);
  subject->purpose = g_strdup (_("connect to perihelion-mcp over HTTP"));
  if (!ph_broker_ask_person (self->broker, subject, "mcp-client", &error))
    return fail (self, invocation, error);
  end (self);
  ph_dbus_agent1_complete_approve_mcp_client (skeleton, invocation);
  return TRUE;
}

/* Opens @field of @entry_name for @subject through the gate, as a byte string whose buffer is
 * wiped when the reply is done with it; or returns the error to @invocation and NULL. */
static GVariant *
open_secret (PhAgent               *self,
             GDBusMethodInvocation *invocation,
             const PhSubject       *subject,
             PhAction               action,
             const char            *entry_name,
             const char            *field)
{
  g_autoptr(GError) error = NULL;
  PhSecret *secret;
  PhEntry *entry;

  if (!(entry = ph_vault_find (self->vault, entry_name, &error)) ||
      !(secret = ph_broker_open (self->broker, subject, action, entry, field, &error)))
    {
      fail (self, invocation, error);
      return NULL;
    }
  end (self);
  return ph_agent_secret_variant (secret);
}

/* RequestSecret: a reveal or use with the caller's reason, which the person approving reads. */
static gboolean
handle_request_secret (PhDBusAgent1          *skeleton,
                       GDBusMethodInvocation *invocation,
                       const char            *entry_name,
                       const char            *field,
                       const char            *action_name,
                       const char            *reason,
                       PhAgent               *self)
{
  g_autoptr(PhSubject) subject = NULL;
  GVariant *secret;
  PhAction action;

  if (!ph_action_from_string (action_name, &action) || (action != PH_ACTION_REVEAL && action != PH_ACTION_USE))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.InvalidArgs",
                                                  _("The action is reveal or use"));
      return TRUE;
    }

  if (!g_utf8_validate (reason, -1, NULL) || g_utf8_strlen (reason, -1) > 500 || *reason == '\0')
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.InvalidArgs",
                                                  _("A reason is text of at most 500 characters"));
      return TRUE;
    }
  if (g_str_has_prefix (field, "history:"))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.InvalidArgs",
                                                  _("Earlier passwords are not requested this way"));
      return TRUE;
    }
  if ((subject = begin (self, invocation)) == NULL)
    return TRUE;
  /* One line, no control characters: the reason is shown and audited as the caller's words. */
  subject->purpose = g_strdup (reason);
  g_strdelimit (subject->purpose, "\n\r\t\v\f", ' ');
  if ((secret = open_secret (self, invocation, subject, action, entry_name, field)))
    ph_dbus_agent1_complete_request_secret (skeleton, invocation, secret, ph_broker_get_ttl (self->broker));
  return TRUE;
}

/* GetSecretForCommand: a "use" for a program perihelion-mcp will run with the secret in its
 * environment; the policy sees the program as r.ctx.Command, the person the whole command line. */
static gboolean
handle_get_secret_for_command (PhDBusAgent1          *skeleton,
                               GDBusMethodInvocation *invocation,
                               const char            *entry_name,
                               const char            *field,
                               const char            *program,
                               const char            *command_line,
                               PhAgent               *self)
{
  g_autoptr(PhSubject) subject = NULL;
  GVariant *secret;

  if (!g_path_is_absolute (program) || !g_utf8_validate (program, -1, NULL) ||
      !g_utf8_validate (command_line, -1, NULL) || g_utf8_strlen (command_line, -1) > 1000 ||
      g_str_has_prefix (field, "history:"))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.InvalidArgs",
                                                  _("The program is an absolute path, the command line at most "
                                                    "1000 characters"));
      return TRUE;
    }
  if ((subject = begin (self, invocation)) == NULL)
    return TRUE;
  if (subject->exe == NULL || !g_ptr_array_find_with_equal_func (self->trusted_mcp, subject->exe, g_str_equal, NULL))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.AccessDenied",
                                                  _("Only perihelion-mcp runs commands with secrets"));
      return TRUE;
    }
  subject->command = g_strdup (program);
  subject->purpose = g_strdup (command_line);
  g_strdelimit (subject->purpose, "\n\r\t\v\f", ' ');
  if ((secret = open_secret (self, invocation, subject, PH_ACTION_USE, entry_name, field)))
    ph_dbus_agent1_complete_get_secret_for_command (skeleton, invocation, secret, ph_broker_get_ttl (self->broker));
  return TRUE;
}

/* Applies the attributes a client sends (title, username, urls, folder, tags, notes,
 * sensitivity) to @entry. */
static void
apply_attributes (PhEntry  *entry,
                  GVariant *attributes)
{
  g_autofree const char **urls = NULL;
  g_autofree const char **tags = NULL;
  const char *text;
  PhSensitivity sensitivity;
  gboolean favorite;
  gint64 rotation_due;

  if (g_variant_lookup (attributes, "title", "&s", &text) && *text && g_utf8_validate (text, -1, NULL))
    ph_entry_set_title (entry, text);
  if (g_variant_lookup (attributes, "username", "&s", &text))
    ph_entry_set_username (entry, text);
  if (g_variant_lookup (attributes, "folder", "&s", &text))
    ph_entry_set_folder (entry, text);
  if (g_variant_lookup (attributes, "notes", "&s", &text))
    ph_entry_set_notes (entry, text);
  if (g_variant_lookup (attributes, "urls", "^a&s", &urls))
    ph_entry_set_urls (entry, urls);
  if (g_variant_lookup (attributes, "tags", "^a&s", &tags))
    ph_entry_set_tags (entry, tags);
  if (g_variant_lookup (attributes, "sensitivity", "&s", &text) && ph_sensitivity_from_string (text, &sensitivity))
    ph_entry_set_sensitivity (entry, sensitivity);
  if (g_variant_lookup (attributes, "favorite", "b", &favorite))
    ph_entry_set_favorite (entry, favorite);
  if (g_variant_lookup (attributes, "rotation_due", "x", &rotation_due) && rotation_due >= 0)
    ph_entry_set_rotation_due (entry, rotation_due);
}

static gboolean
handle_edit_entry (PhDBusAgent1          *skeleton,
                   GDBusMethodInvocation *invocation,
                   const char            *entry_name,
                   GVariant              *attributes,
                   GVariant              *password_bytes,
                   PhAgent               *self)
{
  g_autoptr(PhSubject) subject = begin (self, invocation);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) password = NULL;
  PhEntry *entry;

  if (subject == NULL)
    return TRUE;
  if (!(entry = ph_vault_find (self->vault, entry_name, &error)) ||
      !ph_broker_authorize (self->broker, subject, PH_ACTION_WRITE, entry, NULL, &error))
    return fail (self, invocation, error);
  apply_attributes (entry, attributes);
  password = secret_from_variant (password_bytes);
  if ((ph_secret_get_length (password) > 0 &&
       !ph_vault_set_secret (self->vault, entry, PH_FIELD_PASSWORD, password, &error)))
    return fail (self, invocation, error);
  ph_vault_entry_changed (self->vault, entry);
  if (!save_and_announce (self, &error))
    return fail (self, invocation, error);
  ph_dbus_agent1_complete_edit_entry (skeleton, invocation);
  return TRUE;
}

static gboolean
handle_set_policy (PhDBusAgent1          *skeleton,
                   GDBusMethodInvocation *invocation,
                   const char            *model,
                   const char            *policy,
                   PhAgent               *self)
{
  g_autoptr(PhSubject) subject = begin (self, invocation);
  g_autoptr(GError) error = NULL;

  if (subject == NULL)
    return TRUE;
  if (!ph_broker_set_policy (self->broker, subject, model, policy, &error) ||
      !ph_broker_finish (self->broker, &error) || !ph_vault_save (self->vault, &error))
    return fail (self, invocation, error);
  ph_dbus_agent1_complete_set_policy (skeleton, invocation);
  return TRUE;
}

static gboolean
handle_get_audit_records (PhDBusAgent1          *skeleton,
                          GDBusMethodInvocation *invocation,
                          gint64                 start,
                          guint                  limit,
                          PhAgent               *self)
{
  g_autoptr(PhSubject) subject = begin (self, invocation);
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *vault_key = NULL;
  const char *data, *end;

  if (subject == NULL)
    return TRUE;
  if (!ph_broker_authorize (self->broker, subject, PH_ACTION_READ_METADATA, NULL, "audit", &error) ||
      !ph_broker_finish (self->broker, &error))
    return fail (self, invocation, error);
  {
    g_autofree char *vault_id = ph_vault_dup_id (self->vault);

    vault_key = g_strdup_printf ("\"vault\":\"%s\"", vault_id);
  }
  mapped = g_mapped_file_new (ph_audit_log_get_path (ph_broker_get_audit_log (self->broker)), FALSE, NULL);
  data = mapped ? g_mapped_file_get_contents (mapped) : NULL;
  end = data ? data + g_mapped_file_get_length (mapped) : NULL;
  for (const char *p = data; p && p < end;)
    {
      const char *nl = memchr (p, '\n', end - p);
      gsize len = (nl ? nl : end) - p;

      if (len > 0 && g_strstr_len (p, MIN (len, 120), vault_key))
        {
          const char *t = g_strstr_len (p, len, "\"time\":\"");
          g_autoptr(GDateTime) dt = NULL;

          if (start > 0 && t)
            {
              g_autofree char *stamp = g_strndup (t + 8, 27);

              dt = g_date_time_new_from_iso8601 (stamp, NULL);
            }
          if (start <= 0 || (dt && g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt) >= start))
            g_ptr_array_add (lines, g_strndup (p, len));
        }
      p = nl ? nl + 1 : end;
    }
  if (limit > 0 && lines->len > limit)
    g_ptr_array_remove_range (lines, 0, lines->len - limit);
  g_ptr_array_add (lines, NULL);
  ph_dbus_agent1_complete_get_audit_records (skeleton, invocation, (const char * const *) lines->pdata);
  return TRUE;
}

static gboolean
handle_add_entry (PhDBusAgent1          *skeleton,
                  GDBusMethodInvocation *invocation,
                  GVariant              *attributes,
                  GVariant              *password_bytes,
                  PhAgent               *self)
{
  g_autoptr(PhSubject) subject = begin (self, invocation);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhEntry) entry = NULL;
  g_autoptr(PhSecret) password = NULL;
  const char *title;

  if (subject == NULL)
    return TRUE;
  if (!g_variant_lookup (attributes, "title", "&s", &title) || *title == '\0' ||
      !g_utf8_validate (title, -1, NULL))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.InvalidArgs",
                                                  _("An entry needs a title"));
      return TRUE;
    }
  if (!ph_broker_authorize (self->broker, subject, PH_ACTION_WRITE, NULL, "vault", &error))
    return fail (self, invocation, error);
  entry = ph_entry_new (title);
  apply_attributes (entry, attributes);
  password = secret_from_variant (password_bytes);
  if (!ph_vault_add (self->vault, entry, &error) ||
      (ph_secret_get_length (password) > 0 &&
       !ph_vault_set_secret (self->vault, entry, PH_FIELD_PASSWORD, password, &error)) ||
      !save_and_announce (self, &error))
    return fail (self, invocation, error);
  ph_dbus_agent1_complete_add_entry (skeleton, invocation, ph_entry_get_id (entry));
  return TRUE;
}

static gboolean
handle_delete_entry (PhDBusAgent1          *skeleton,
                     GDBusMethodInvocation *invocation,
                     const char            *entry_name,
                     PhAgent               *self)
{
  g_autoptr(PhSubject) subject = begin (self, invocation);
  g_autoptr(GError) error = NULL;
  PhEntry *entry;

  if (subject == NULL)
    return TRUE;
  if (!(entry = ph_vault_find (self->vault, entry_name, &error)) ||
      !ph_broker_authorize (self->broker, subject, PH_ACTION_DELETE, entry, NULL, &error))
    return fail (self, invocation, error);
  ph_vault_remove (self->vault, entry);
  if (!save_and_announce (self, &error))
    return fail (self, invocation, error);
  ph_dbus_agent1_complete_delete_entry (skeleton, invocation);
  return TRUE;
}

static gboolean
handle_get_policy (PhDBusAgent1          *skeleton,
                   GDBusMethodInvocation *invocation,
                   PhAgent               *self)
{
  g_autoptr(PhSubject) subject = begin (self, invocation);
  g_autoptr(GError) error = NULL;
  g_autofree char *policy = NULL;
  PhPdp *pdp;

  if (subject == NULL)
    return TRUE;
  if (!ph_broker_authorize (self->broker, subject, PH_ACTION_READ_METADATA, NULL, "policy", &error))
    return fail (self, invocation, error);
  end (self);
  pdp = ph_broker_get_pdp (self->broker);
  policy = ph_pdp_dup_policy (pdp);
  ph_dbus_agent1_complete_get_policy (skeleton, invocation, ph_pdp_get_model (pdp), policy);
  return TRUE;
}

static gboolean
handle_verify_audit (PhDBusAgent1          *skeleton,
                     GDBusMethodInvocation *invocation,
                     PhAgent               *self)
{
  g_autoptr(PhSubject) subject = begin (self, invocation);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) key = NULL;
  g_autofree char *vault_id = NULL;
  PhAuditVerifyResult result;
  guint8 mac[32];
  guint64 seq = 0;
  gboolean have_head;

  if (subject == NULL)
    return TRUE;
  have_head = ph_vault_get_audit_head (self->vault, &seq, mac);
  if (!ph_broker_authorize (self->broker, subject, PH_ACTION_READ_METADATA, NULL, "audit", &error) ||
      !ph_broker_finish (self->broker, &error))
    return fail (self, invocation, error);
  key = ph_vault_derive_key (self->vault, PH_AUDIT_KEY_ID, PH_AUDIT_KEY_CONTEXT);
  vault_id = ph_vault_dup_id (self->vault);
  if (!ph_audit_log_verify (ph_audit_log_get_path (ph_broker_get_audit_log (self->broker)), vault_id, key,
                            have_head ? seq : 0, have_head ? mac : NULL, &result, &error))
    return fail (self, invocation, error);
  ph_dbus_agent1_complete_verify_audit (skeleton, invocation, result.problem == PH_AUDIT_INTACT, result.message);
  ph_audit_verify_result_clear (&result);
  return TRUE;
}

/* Create: the key derivation runs in a thread, so the agent keeps answering meanwhile. */
typedef struct
{
  PhSecret *password;
  PhKdfParams params;
  gboolean calibrate;
  gboolean remember;
  char *path;
  PhSecret *recovery_key;
} CreateData;

static void
create_data_free (gpointer data)
{
  CreateData *create = data;

  g_clear_pointer (&create->password, ph_secret_unref);
  g_clear_pointer (&create->recovery_key, ph_secret_unref);
  g_free (create->path);
  g_free (create);
}

static void
create_thread (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  CreateData *create = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autofree char *folder = g_path_get_dirname (create->path);

  if (create->calibrate)
    ph_kdf_calibrate (1.0, PH_KDF_MIN_MEMLIMIT, &create->params, NULL);
  if (g_mkdir_with_parents (folder, 0700) != 0)
    {
      int saved = errno;

      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (saved),
                               _("Could not create the folder %s: %s"), folder, g_strerror (saved));
      return;
    }
  if (!(vault = ph_vault_new (create->path, create->password, &create->params, &create->recovery_key, &error)))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (create->remember)
    {
      g_autoptr(PhKeystore) keystore = ph_keystore_new_default ();

      /* The vault exists either way; a keyring that refuses is reported as a warning only. */
      if (keystore == NULL || !ph_vault_remember_on_device (vault, keystore, &error))
        g_warning ("Not remembered on this device: %s", error ? error->message : "no keyring");
    }
  if (!ph_vault_save (vault, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&vault), g_object_unref);
}

static void
create_done (GObject      *object,
             GAsyncResult *result,
             gpointer      data)
{
  GDBusMethodInvocation *invocation = data;
  PhAgent *self = PH_AGENT (object);
  CreateData *create = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = g_task_propagate_pointer (G_TASK (result), &error);

  self->creating = FALSE;
  if (vault == NULL || (self->broker == NULL && !ph_agent_adopt_vault (self, vault, &error)))
    {
      return_error (invocation, error);
      return;
    }
  ph_dbus_agent1_complete_create (self->skeleton, invocation,
                                  ph_agent_secret_variant (ph_secret_ref (create->recovery_key)));
}

static gboolean
handle_create (PhDBusAgent1          *skeleton,
               GDBusMethodInvocation *invocation,
               GVariant              *password_bytes,
               GVariant              *options,
               PhAgent               *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSubject) subject = caller_subject (self, invocation, &error);
  g_autoptr(GTask) task = NULL;
  CreateData *create;

  if (subject == NULL)
    return fail (self, invocation, error);
  if (self->broker || self->creating || g_file_test (self->vault_path, G_FILE_TEST_EXISTS))
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.perihelion.Agent1.Error.Failed",
                                                  _("A vault already exists there"));
      return TRUE;
    }
  create = g_new0 (CreateData, 1);
  create->password = secret_from_variant (password_bytes);
  create->path = g_strdup (self->vault_path);
  create->calibrate = !g_variant_lookup (options, "kdf_ops", "t", &create->params.opslimit) ||
                      !g_variant_lookup (options, "kdf_mem", "t", &create->params.memlimit);
  g_variant_lookup (options, "remember", "b", &create->remember);
  if (ph_secret_get_length (create->password) == 0 ||
      (!create->calibrate && !ph_kdf_params_validate (&create->params, &error)))
    {
      create_data_free (create);
      if (error == NULL)
        g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The master password is empty"));
      return_error (invocation, error);
      return TRUE;
    }
  self->creating = TRUE;
  task = g_task_new (self, NULL, create_done, invocation);
  g_task_set_task_data (task, create, create_data_free);
  g_task_run_in_thread (task, create_thread);
  return TRUE;
}

static gboolean
handle_open_vault (PhDBusAgent1          *skeleton,
                   GDBusMethodInvocation *invocation,
                   const char            *path,
                   PhAgent               *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSubject) subject = caller_subject (self, invocation, &error);
  g_autoptr(PhVault) vault = NULL;

  if (subject == NULL)
    return fail (self, invocation, error);
  if (self->broker || self->creating)
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.perihelion.Agent1.Error.Failed",
                                                  _("Lock the vault before opening another one"));
      return TRUE;
    }
  if (!g_path_is_absolute (path) || !(vault = ph_vault_load (path, &error)))
    {
      if (error == NULL)
        g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The path must be absolute"));
      return_error (invocation, error);
      return TRUE;
    }
  g_free (self->vault_path);
  self->vault_path = g_strdup (path);
  ph_dbus_agent1_set_vault_path (self->skeleton, path);
  g_message ("Serving %s", path);
  ph_dbus_agent1_complete_open_vault (skeleton, invocation);
  return TRUE;
}

static gboolean
handle_import (PhDBusAgent1          *skeleton,
               GDBusMethodInvocation *invocation,
               const char            *format,
               GVariant              *data,
               PhAgent               *self)
{
  g_autoptr(PhSubject) subject = begin (self, invocation);
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  const char *contents;
  guint count = 0;

  if (subject == NULL)
    return TRUE;
  contents = g_variant_get_fixed_array (data, &len, 1);
  if (g_strcmp0 (format, "csv") != 0)
    {
      end (self);
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.InvalidArgs",
                                                  _("The import formats are: csv"));
      return TRUE;
    }
  if (!ph_broker_authorize (self->broker, subject, PH_ACTION_WRITE, NULL, "vault", &error) ||
      !ph_csv_import (self->vault, contents, len, &count, &error) || !save_and_announce (self, &error))
    return fail (self, invocation, error);
  ph_dbus_agent1_complete_import (skeleton, invocation, count);
  return TRUE;
}

static gboolean
handle_get_vault_info (PhDBusAgent1          *skeleton,
                       GDBusMethodInvocation *invocation,
                       PhAgent               *self)
{
  g_autoptr(PhSubject) subject = begin (self, invocation);
  g_autoptr(GError) error = NULL;
  PhKdfParams params = { 0 };
  GVariantBuilder info;

  if (subject == NULL)
    return TRUE;
  if (!ph_broker_authorize (self->broker, subject, PH_ACTION_READ_METADATA, NULL, "vault", &error))
    return fail (self, invocation, error);
  end (self);
  ph_vault_get_kdf_params (self->vault, &params);
  g_variant_builder_init (&info, G_VARIANT_TYPE_VARDICT);
  g_variant_builder_add (&info, "{sv}", "kdf_ops", g_variant_new_uint64 (params.opslimit));
  g_variant_builder_add (&info, "{sv}", "kdf_mem", g_variant_new_uint64 (params.memlimit));
  g_variant_builder_add (&info, "{sv}", "entries",
                         g_variant_new_uint32 (g_list_model_get_n_items (G_LIST_MODEL (self->vault))));
  g_variant_builder_add (&info, "{sv}", "device_slot",
                         g_variant_new_boolean (ph_vault_has_slot (self->vault, PH_KEY_SLOT_KEYSTORE)));
  ph_dbus_agent1_complete_get_vault_info (skeleton, invocation, g_variant_builder_end (&info));
  return TRUE;
}

static gboolean
handle_change_password (PhDBusAgent1          *skeleton,
                        GDBusMethodInvocation *invocation,
                        GVariant              *current_bytes,
                        GVariant              *password_bytes,
                        GVariant              *options,
                        PhAgent               *self)
{
  g_autoptr(PhSubject) subject = begin (self, invocation);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) current = NULL;
  g_autoptr(PhSecret) password = NULL;
  PhKdfParams params = { 0 };

  if (subject == NULL)
    return TRUE;
  current = secret_from_variant (current_bytes);
  password = secret_from_variant (password_bytes);
  ph_vault_get_kdf_params (self->vault, &params);
  g_variant_lookup (options, "kdf_ops", "t", &params.opslimit);
  g_variant_lookup (options, "kdf_mem", "t", &params.memlimit);
  if (!ph_kdf_params_validate (&params, &error) || ph_secret_get_length (password) == 0)
    {
      end (self);
      if (error == NULL)
        g_set_error (&error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("The master password is empty"));
      return_error (invocation, error);
      return TRUE;
    }
  if (!ph_vault_verify_password (self->vault, current, &error))
    {
      ph_agent_note_wrong_password (self);
      return fail (self, invocation, error);
    }
  if (!ph_broker_authorize (self->broker, subject, PH_ACTION_ADMIN_POLICY, NULL, "vault", &error) ||
      !ph_vault_set_password (self->vault, password, &params, &error) || !save_and_announce (self, &error))
    return fail (self, invocation, error);
  ph_dbus_agent1_complete_change_password (skeleton, invocation);
  return TRUE;
}

PhVault *
ph_agent_get_vault (PhAgent *self)
{
  return self->broker ? self->vault : NULL;
}

PhBroker *
ph_agent_get_broker (PhAgent *self)
{
  return self->broker;
}

PhSubject *
ph_agent_begin_call (PhAgent               *self,
                     GDBusMethodInvocation *invocation)
{
  return begin (self, invocation);
}

gboolean
ph_agent_fail_call (PhAgent               *self,
                    GDBusMethodInvocation *invocation,
                    const GError          *error)
{
  return fail (self, invocation, error);
}

void
ph_agent_return_error (GDBusMethodInvocation *invocation,
                       const GError          *error)
{
  return_error (invocation, error);
}

PhSubject *
ph_agent_dup_caller (PhAgent               *self,
                     GDBusMethodInvocation *invocation,
                     GError               **error)
{
  return caller_subject (self, invocation, error);
}

void
ph_agent_touch (PhAgent *self)
{
  touch (self);
}

void
ph_agent_flush_audit (PhAgent *self)
{
  end (self);
}

/* Audit records written, the vault saved, clients told. */
gboolean
ph_agent_save (PhAgent  *self,
               GError  **error)
{
  return save_and_announce (self, error);
}

gboolean
ph_agent_export (PhAgent          *self,
                 GDBusConnection  *connection,
                 GError          **error)
{
  self->skeleton = ph_dbus_agent1_skeleton_new ();
  ph_dbus_agent1_set_vault_path (self->skeleton, self->vault_path);
  update_locked (self);
  g_signal_connect (self->skeleton, "handle-unlock", G_CALLBACK (handle_unlock), self);
  g_signal_connect (self->skeleton, "handle-lock", G_CALLBACK (handle_lock), self);
  g_signal_connect (self->skeleton, "handle-list", G_CALLBACK (handle_list), self);
  g_signal_connect (self->skeleton, "handle-list-packed", G_CALLBACK (handle_list_packed), self);
  g_signal_connect (self->skeleton, "handle-get-secret", G_CALLBACK (handle_get_secret), self);
  g_signal_connect (self->skeleton, "handle-get-one-time-code", G_CALLBACK (handle_get_one_time_code), self);
  g_signal_connect (self->skeleton, "handle-declare-agent", G_CALLBACK (handle_declare_agent), self);
  g_signal_connect (self->skeleton, "handle-request-secret", G_CALLBACK (handle_request_secret), self);
  g_signal_connect (self->skeleton, "handle-approve-mcp-client", G_CALLBACK (handle_approve_mcp_client), self);
  g_signal_connect (self->skeleton, "handle-get-secret-for-command", G_CALLBACK (handle_get_secret_for_command), self);
  g_signal_connect (self->skeleton, "handle-set-one-time-password", G_CALLBACK (handle_set_one_time_password), self);
  g_signal_connect (self->skeleton, "handle-add-entry", G_CALLBACK (handle_add_entry), self);
  g_signal_connect (self->skeleton, "handle-delete-entry", G_CALLBACK (handle_delete_entry), self);
  g_signal_connect (self->skeleton, "handle-edit-entry", G_CALLBACK (handle_edit_entry), self);
  g_signal_connect (self->skeleton, "handle-set-policy", G_CALLBACK (handle_set_policy), self);
  g_signal_connect (self->skeleton, "handle-get-audit-records", G_CALLBACK (handle_get_audit_records), self);
  g_signal_connect (self->skeleton, "handle-get-policy", G_CALLBACK (handle_get_policy), self);
  g_signal_connect (self->skeleton, "handle-verify-audit", G_CALLBACK (handle_verify_audit), self);
  g_signal_connect (self->skeleton, "handle-create", G_CALLBACK (handle_create), self);
  g_signal_connect (self->skeleton, "handle-open-vault", G_CALLBACK (handle_open_vault), self);
  g_signal_connect (self->skeleton, "handle-import", G_CALLBACK (handle_import), self);
  g_signal_connect (self->skeleton, "handle-get-vault-info", G_CALLBACK (handle_get_vault_info), self);
  g_signal_connect (self->skeleton, "handle-change-password", G_CALLBACK (handle_change_password), self);
  self->oauth = ph_agent_oauth_new (self, self->skeleton);
  self->mfa = ph_agent_mfa_new (self, self->skeleton);
  return g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->skeleton), connection,
                                           PH_AGENT_DBUS_PATH, error);
}

void
ph_agent_unexport (PhAgent *self)
{
  if (self->skeleton == NULL)
    return;
  g_clear_pointer (&self->oauth, ph_agent_oauth_free);
  g_clear_pointer (&self->mfa, ph_agent_mfa_free);
  g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->skeleton));
  g_clear_object (&self->skeleton);
}

/* Session signals that lock: logind's Lock (session locked) and PrepareForSleep(true), and the
 * screensaver's ActiveChanged(true). */
static void
on_session_signal (GDBusConnection *connection,
                   const char      *sender,
                   const char      *path,
                   const char      *interface,
                   const char      *signal,
                   GVariant        *parameters,
                   gpointer         data)
{
  PhAgent *self = data;
  gboolean active = TRUE;

  if (g_variant_is_of_type (parameters, G_VARIANT_TYPE ("(b)")))
    g_variant_get (parameters, "(b)", &active);
  if (!active)
    return;
  g_message ("%s.%s: locking", interface, signal);
  ph_agent_lock (self);
}

static void
subscribe (PhAgent         *self,
           GDBusConnection *connection,
           const char      *sender,
           const char      *interface,
           const char      *signal)
{
  Subscription *s = g_new0 (Subscription, 1);

  s->connection = g_object_ref (connection);
  s->id = g_dbus_connection_signal_subscribe (connection, sender, interface, signal, NULL, NULL,
                                              G_DBUS_SIGNAL_FLAGS_NONE, on_session_signal, self, NULL);
  g_ptr_array_add (self->subscriptions, s);
}

/**
 * ph_agent_watch_session:
 *
 * Locks when @connection carries a session lock or a suspend: logind on the system bus, the
 * screensaver on the session bus (a test bus can carry both).
 */
void
ph_agent_watch_session (PhAgent         *self,
                        GDBusConnection *connection)
{
  subscribe (self, connection, "org.freedesktop.login1", "org.freedesktop.login1.Session", "Lock");
  subscribe (self, connection, "org.freedesktop.login1", "org.freedesktop.login1.Manager", "PrepareForSleep");
  subscribe (self, connection, "org.freedesktop.ScreenSaver", "org.freedesktop.ScreenSaver", "ActiveChanged");
  subscribe (self, connection, "org.gnome.ScreenSaver", "org.gnome.ScreenSaver", "ActiveChanged");
}
