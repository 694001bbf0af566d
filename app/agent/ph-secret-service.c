/* ph-secret-service.c: the freedesktop Secret Service (org.freedesktop.secrets), backed by the
 * vault and gated by the policy.
 *
 * Collections are folders "Secret Service/NAME" in the vault ("login" is the default, also at
 * the alias "default"); items are entries in them: the label is the title, the secret is the
 * password, lookup attributes are fields named "xdg:ATTRIBUTE". Every read of a secret is a
 * "reveal" request to the gate by the calling program, every store a "write", every removal a
 * "delete", every search a "list": so one application can be allowed a login while another is
 * asked, denied and audited, which is what the Secret Service never offered before.
 * Secrets travel in "plain" or "dh-ietf1024-sha256-aes128-cbc-pkcs7" sessions.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "perihelion-agent"

#include "config.h"

#include <string.h>
#include <glib/gi18n.h>

#include "ph-agent-private.h"
#include "ph-secret-service.h"
#include "ph-secret-session.h"

#define ROOT "/org/freedesktop/secrets"
#define COLLECTION_PREFIX ROOT "/collection/"
#define ALIAS_DEFAULT ROOT "/aliases/default"
#define SESSION_PREFIX ROOT "/session/"
#define PROMPT_PREFIX ROOT "/prompt/"
#define FOLDER_PREFIX "Secret Service/"
#define ATTRIBUTE_PREFIX "xdg:"
#define CONTENT_TYPE_FIELD "xdg-content-type"
#define DEFAULT_COLLECTION "login"

static const char introspection_xml[] =
  "<node>"
  " <interface name='org.freedesktop.Secret.Service'>"
  "  <method name='OpenSession'><arg name='algorithm' type='s' direction='in'/><arg name='input' type='v' direction='in'/>"
  "   <arg name='output' type='v' direction='out'/><arg name='result' type='o' direction='out'/></method>"
  "  <method name='CreateCollection'><arg name='properties' type='a{sv}' direction='in'/><arg name='alias' type='s' direction='in'/>"
  "   <arg name='collection' type='o' direction='out'/><arg name='prompt' type='o' direction='out'/></method>"
  "  <method name='SearchItems'><arg name='attributes' type='a{ss}' direction='in'/>"
  "   <arg name='unlocked' type='ao' direction='out'/><arg name='locked' type='ao' direction='out'/></method>"
  "  <method name='Unlock'><arg name='objects' type='ao' direction='in'/><arg name='unlocked' type='ao' direction='out'/>"
  "   <arg name='prompt' type='o' direction='out'/></method>"
  "  <method name='Lock'><arg name='objects' type='ao' direction='in'/><arg name='locked' type='ao' direction='out'/>"
  "   <arg name='Prompt' type='o' direction='out'/></method>"
  "  <method name='GetSecrets'><arg name='items' type='ao' direction='in'/><arg name='session' type='o' direction='in'/>"
  "   <arg name='secrets' type='a{o(oayays)}' direction='out'/></method>"
  "  <method name='ReadAlias'><arg name='name' type='s' direction='in'/><arg name='collection' type='o' direction='out'/></method>"
  "  <method name='SetAlias'><arg name='name' type='s' direction='in'/><arg name='collection' type='o' direction='in'/></method>"
  "  <property name='Collections' type='ao' access='read'/>"
  "  <signal name='CollectionCreated'><arg name='collection' type='o'/></signal>"
  "  <signal name='CollectionDeleted'><arg name='collection' type='o'/></signal>"
  "  <signal name='CollectionChanged'><arg name='collection' type='o'/></signal>"
  " </interface>"
  " <interface name='org.freedesktop.Secret.Collection'>"
  "  <method name='Delete'><arg name='prompt' type='o' direction='out'/></method>"
  "  <method name='SearchItems'><arg name='attributes' type='a{ss}' direction='in'/><arg name='results' type='ao' direction='out'/></method>"
  "  <method name='CreateItem'><arg name='properties' type='a{sv}' direction='in'/><arg name='secret' type='(oayays)' direction='in'/>"
  "   <arg name='replace' type='b' direction='in'/><arg name='item' type='o' direction='out'/><arg name='prompt' type='o' direction='out'/></method>"
  "  <property name='Items' type='ao' access='read'/>"
  "  <property name='Label' type='s' access='readwrite'/>"
  "  <property name='Locked' type='b' access='read'/>"
  "  <property name='Created' type='t' access='read'/>"
  "  <property name='Modified' type='t' access='read'/>"
  "  <signal name='ItemCreated'><arg name='item' type='o'/></signal>"
  "  <signal name='ItemDeleted'><arg name='item' type='o'/></signal>"
  "  <signal name='ItemChanged'><arg name='item' type='o'/></signal>"
  " </interface>"
  " <interface name='org.freedesktop.Secret.Item'>"
  "  <method name='Delete'><arg name='Prompt' type='o' direction='out'/></method>"
  "  <method name='GetSecret'><arg name='session' type='o' direction='in'/><arg name='secret' type='(oayays)' direction='out'/></method>"
  "  <method name='SetSecret'><arg name='secret' type='(oayays)' direction='in'/></method>"
  "  <property name='Locked' type='b' access='read'/>"
  "  <property name='Attributes' type='a{ss}' access='readwrite'/>"
  "  <property name='Label' type='s' access='readwrite'/>"
  "  <property name='Created' type='t' access='read'/>"
  "  <property name='Modified' type='t' access='read'/>"
  " </interface>"
  " <interface name='org.freedesktop.Secret.Session'>"
  "  <method name='Close'/>"
  " </interface>"
  " <interface name='org.freedesktop.Secret.Prompt'>"
  "  <method name='Prompt'><arg name='window-id' type='s' direction='in'/></method>"
  "  <method name='Dismiss'/>"
  "  <signal name='Completed'><arg name='dismissed' type='b'/><arg name='result' type='v'/></signal>"
  " </interface>"
  "</node>";

typedef struct
{
  PhSecretSession *crypto;
  char *owner;   /* the bus name that opened it: only it may use it */
} Session;

struct _PhSecretService
{
  GObject parent_instance;

  PhAgent *agent;
  GDBusConnection *connection;
  GDBusNodeInfo *info;
  guint service_id;           /* the Service object */
  GArray *registrations;      /* subtree ids */
  GHashTable *collections;    /* name -> subtree id */
  GHashTable *sessions;       /* node -> Session */
  guint next_session;
  guint next_prompt;
};

G_DEFINE_FINAL_TYPE (PhSecretService, ph_secret_service, G_TYPE_OBJECT)

static void
session_free (gpointer data)
{
  Session *session = data;

  ph_secret_session_free (session->crypto);
  g_free (session->owner);
  g_free (session);
}

static void
ph_secret_service_dispose (GObject *object)
{
  PhSecretService *self = PH_SECRET_SERVICE (object);

  if (self->connection)
    {
      GHashTableIter iter;
      gpointer id;

      if (self->service_id)
        g_dbus_connection_unregister_object (self->connection, self->service_id);
      for (guint i = 0; i < self->registrations->len; i++)
        g_dbus_connection_unregister_subtree (self->connection, g_array_index (self->registrations, guint, i));
      g_array_set_size (self->registrations, 0);
      g_hash_table_iter_init (&iter, self->collections);
      while (g_hash_table_iter_next (&iter, NULL, &id))
        g_dbus_connection_unregister_subtree (self->connection, GPOINTER_TO_UINT (id));
      g_hash_table_remove_all (self->collections);
    }
  g_clear_object (&self->connection);
  g_clear_object (&self->agent);

  G_OBJECT_CLASS (ph_secret_service_parent_class)->dispose (object);
}

static void
ph_secret_service_finalize (GObject *object)
{
  PhSecretService *self = PH_SECRET_SERVICE (object);

  g_dbus_node_info_unref (self->info);
  g_array_unref (self->registrations);
  g_hash_table_unref (self->collections);
  g_hash_table_unref (self->sessions);

  G_OBJECT_CLASS (ph_secret_service_parent_class)->finalize (object);
}

static void
ph_secret_service_class_init (PhSecretServiceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = ph_secret_service_dispose;
  object_class->finalize = ph_secret_service_finalize;
}

static void
ph_secret_service_init (PhSecretService *self)
{
  self->info = g_dbus_node_info_new_for_xml (introspection_xml, NULL);
  g_assert (self->info != NULL);
  self->registrations = g_array_new (FALSE, FALSE, sizeof (guint));
  self->collections = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, session_free);
}

PhSecretService *
ph_secret_service_new (PhAgent *agent)
{
  PhSecretService *self = g_object_new (PH_TYPE_SECRET_SERVICE, NULL);

  self->agent = g_object_ref (agent);
  return self;
}

static GDBusInterfaceInfo *
iface (PhSecretService *self,
       const char      *name)
{
  return g_dbus_node_info_lookup_interface (self->info, name);
}

/* Paths */

typedef enum
{
  PATH_NONE,
  PATH_SERVICE,
  PATH_COLLECTION,
  PATH_ITEM,
  PATH_SESSION,
  PATH_PROMPT,
} PathKind;

/* "a-b" ids become "a_b" path elements and back. */
static char *
node_from_id (const char *id)
{
  return g_strdelimit (g_strdup (id), "-", '_');
}

static char *
id_from_node (const char *node)
{
  return g_strdelimit (g_strdup (node), "_", '-');
}

static PathKind
parse_path (const char  *path,
            char       **collection,
            char       **node)
{
  const char *rest;

  *collection = NULL;
  *node = NULL;
  if (strcmp (path, ROOT) == 0)
    return PATH_SERVICE;
  if (g_str_has_prefix (path, SESSION_PREFIX))
    {
      *node = g_strdup (path + strlen (SESSION_PREFIX));
      return PATH_SESSION;
    }
  if (g_str_has_prefix (path, PROMPT_PREFIX))
    return PATH_PROMPT;
  if (g_str_has_prefix (path, ALIAS_DEFAULT))
    {
      *collection = g_strdup (DEFAULT_COLLECTION);
      rest = path + strlen (ALIAS_DEFAULT);
    }
  else if (g_str_has_prefix (path, COLLECTION_PREFIX))
    {
      const char *name = path + strlen (COLLECTION_PREFIX);
      const char *slash = strchr (name, '/');

      *collection = slash ? g_strndup (name, slash - name) : g_strdup (name);
      rest = slash ? slash : "";
    }
  else
    return PATH_NONE;
  if (*rest == '\0')
    return PATH_COLLECTION;
  if (rest[0] == '/' && rest[1] && !strchr (rest + 1, '/'))
    {
      *node = g_strdup (rest + 1);
      return PATH_ITEM;
    }
  g_clear_pointer (collection, g_free);
  return PATH_NONE;
}

static char *
collection_path (const char *name)
{
  return g_strconcat (COLLECTION_PREFIX, name, NULL);
}

static char *
item_path (const char *collection,
           PhEntry    *entry)
{
  g_autofree char *node = node_from_id (ph_entry_get_id (entry));

  return g_strconcat (COLLECTION_PREFIX, collection, "/", node, NULL);
}

/* The collection an entry belongs to, or NULL if it is not a Secret Service item. */
static const char *
entry_collection (PhEntry *entry)
{
  const char *folder = ph_entry_get_folder (entry);

  if (folder && g_str_has_prefix (folder, FOLDER_PREFIX) && folder[strlen (FOLDER_PREFIX)])
    return folder + strlen (FOLDER_PREFIX);
  return NULL;
}

/* A collection name that is also a valid object path element. */
static char *
collection_name (const char *label)
{
  GString *name = g_string_new (NULL);

  for (const char *c = label; *c; c++)
    g_string_append_c (name, g_ascii_isalnum (*c) ? g_ascii_tolower (*c) : '_');
  if (name->len == 0)
    g_string_append (name, "collection");
  return g_string_free (name, FALSE);
}

static PhEntry *
find_item (PhSecretService *self,
           const char      *collection,
           const char      *node)
{
  PhVault *vault = ph_agent_get_vault (self->agent);
  g_autofree char *id = NULL;
  PhEntry *entry;

  if (vault == NULL || node == NULL)
    return NULL;
  id = id_from_node (node);
  entry = ph_vault_find (vault, id, NULL);
  if (entry == NULL || g_strcmp0 (entry_collection (entry), collection) != 0 ||
      strcmp (ph_entry_get_id (entry), id) != 0)
    return NULL;
  return entry;
}

static GVariant *
entry_attributes (PhEntry *entry)
{
  g_auto(GStrv) names = ph_entry_dup_field_names (entry);
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{ss}"));
  for (guint i = 0; names && names[i]; i++)
    if (g_str_has_prefix (names[i], ATTRIBUTE_PREFIX) && !ph_entry_field_is_protected (entry, names[i]))
      g_variant_builder_add (&b, "{ss}", names[i] + strlen (ATTRIBUTE_PREFIX), ph_entry_get_field (entry, names[i]));
  return g_variant_builder_end (&b);
}

static gboolean
entry_matches (PhEntry  *entry,
               GVariant *attributes)
{
  GVariantIter iter;
  const char *key, *value;

  g_variant_iter_init (&iter, attributes);
  while (g_variant_iter_next (&iter, "{&s&s}", &key, &value))
    {
      g_autofree char *field = g_strconcat (ATTRIBUTE_PREFIX, key, NULL);

      if (g_strcmp0 (ph_entry_get_field (entry, field), value) != 0)
        return FALSE;
    }
  return TRUE;
}

static void
set_attributes (PhEntry  *entry,
                GVariant *attributes)
{
  g_auto(GStrv) names = ph_entry_dup_field_names (entry);
  GVariantIter iter;
  const char *key, *value;

  for (guint i = 0; names && names[i]; i++)
    if (g_str_has_prefix (names[i], ATTRIBUTE_PREFIX))
      ph_entry_remove_field (entry, names[i]);
  g_variant_iter_init (&iter, attributes);
  while (g_variant_iter_next (&iter, "{&s&s}", &key, &value))
    {
      g_autofree char *field = g_strconcat (ATTRIBUTE_PREFIX, key, NULL);

      ph_entry_set_field (entry, field, value);
    }
}

/* Items of @collection (or of every collection) matching @attributes. */
static GPtrArray *
search (PhSecretService *self,
        const char      *collection,
        GVariant        *attributes)
{
  PhVault *vault = ph_agent_get_vault (self->agent);
  GPtrArray *found = g_ptr_array_new_with_free_func (g_object_unref);
  guint n;

  if (vault == NULL)
    return found;
  n = g_list_model_get_n_items (G_LIST_MODEL (vault));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PhEntry) entry = g_list_model_get_item (G_LIST_MODEL (vault), i);
      const char *c = entry_collection (entry);

      if (c && (collection == NULL || strcmp (c, collection) == 0) && entry_matches (entry, attributes))
        g_ptr_array_add (found, g_steal_pointer (&entry));
    }
  return found;
}

static void ensure_collection (PhSecretService *self, const char *name);

/* Object paths of @entries; their collections are exported on the way. */
static GVariant *
paths_variant (PhSecretService *self,
               GPtrArray       *entries)
{
  GVariantBuilder b;

  g_variant_builder_init (&b, G_VARIANT_TYPE ("ao"));
  for (guint i = 0; i < entries->len; i++)
    {
      PhEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *path = item_path (entry_collection (entry), entry);

      ensure_collection (self, entry_collection (entry));
      g_variant_builder_add (&b, "o", path);
    }
  return g_variant_builder_end (&b);
}

/* Errors */

static void
return_locked (GDBusMethodInvocation *invocation)
{
  g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.Secret.Error.IsLocked",
                                              _("The vault is locked"));
}

static void
return_no_object (GDBusMethodInvocation *invocation)
{
  g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.Secret.Error.NoSuchObject",
                                              _("No such object"));
}

static void
return_gerror (GDBusMethodInvocation *invocation,
               const GError          *error)
{
  if (error->domain == PH_BROKER_ERROR)
    g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.AccessDenied",
                                                error->message);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED))
    g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.NotSupported",
                                                error->message);
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED))
    g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.AccessDenied",
                                                error->message);
  else if (error->domain == G_IO_ERROR)
    g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.InvalidArgs",
                                                error->message);
  else
    g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.Failed", error->message);
}

/* A refused or failed request: its audit records written, the error returned. */
static void
deny (PhSecretService       *self,
      GDBusMethodInvocation *invocation,
      const GError          *error)
{
  ph_agent_flush_audit (self->agent);
  return_gerror (invocation, error);
}

/* Registration of collections (a subtree each: the collection and its items) */

static const GDBusInterfaceVTable object_vtable;

static char **
subtree_enumerate (GDBusConnection *connection,
                   const char      *sender,
                   const char      *object_path,
                   gpointer         data)
{
  PhSecretService *self = data;
  g_autofree char *collection = NULL;
  g_autofree char *node = NULL;
  g_autoptr(GVariant) none = g_variant_ref_sink (g_variant_new ("a{ss}", NULL));
  g_autoptr(GPtrArray) items = NULL;
  GStrvBuilder *nodes = g_strv_builder_new ();
  char **result;

  if (parse_path (object_path, &collection, &node) == PATH_COLLECTION)
    {
      items = search (self, collection, none);
      for (guint i = 0; i < items->len; i++)
        {
          g_autofree char *child = node_from_id (ph_entry_get_id (g_ptr_array_index (items, i)));

          g_strv_builder_add (nodes, child);
        }
    }
  result = g_strv_builder_end (nodes);
  g_strv_builder_unref (nodes);
  return result;
}

static GDBusInterfaceInfo **
subtree_introspect (GDBusConnection *connection,
                    const char      *sender,
                    const char      *object_path,
                    const char      *node,
                    gpointer         data)
{
  PhSecretService *self = data;
  GDBusInterfaceInfo **infos = g_new0 (GDBusInterfaceInfo *, 2);
  const char *name;

  if (g_str_has_prefix (object_path, SESSION_PREFIX) || strcmp (object_path, ROOT "/session") == 0)
    name = node ? "org.freedesktop.Secret.Session" : NULL;
  else if (g_str_has_prefix (object_path, PROMPT_PREFIX) || strcmp (object_path, ROOT "/prompt") == 0)
    name = node ? "org.freedesktop.Secret.Prompt" : NULL;
  else
    name = node ? "org.freedesktop.Secret.Item" : "org.freedesktop.Secret.Collection";
  if (name)
    infos[0] = g_dbus_interface_info_ref (iface (self, name));
  return infos;
}

static const GDBusInterfaceVTable *
subtree_dispatch (GDBusConnection *connection,
                  const char      *sender,
                  const char      *object_path,
                  const char      *interface_name,
                  const char      *node,
                  gpointer        *out_data,
                  gpointer         data)
{
  *out_data = data;
  return &object_vtable;
}

static const GDBusSubtreeVTable subtree_vtable = { subtree_enumerate, subtree_introspect, subtree_dispatch };

static void
ensure_collection (PhSecretService *self,
                   const char      *name)
{
  g_autofree char *path = NULL;
  g_autoptr(GError) error = NULL;
  guint id;

  if (self->connection == NULL || g_hash_table_contains (self->collections, name))
    return;
  path = collection_path (name);
  id = g_dbus_connection_register_subtree (self->connection, path, &subtree_vtable,
                                           G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES, self, NULL, &error);
  if (id == 0)
    {
      g_warning ("Could not export %s: %s", path, error->message);
      return;
    }
  g_hash_table_insert (self->collections, g_strdup (name), GUINT_TO_POINTER (id));
}

/* Collections: the default one, and every folder "Secret Service/NAME" in the vault. */
static void
scan_collections (PhSecretService *self)
{
  PhVault *vault = ph_agent_get_vault (self->agent);

  ensure_collection (self, DEFAULT_COLLECTION);
  if (vault == NULL)
    return;
  for (guint i = 0, n = g_list_model_get_n_items (G_LIST_MODEL (vault)); i < n; i++)
    {
      g_autoptr(PhEntry) entry = g_list_model_get_item (G_LIST_MODEL (vault), i);
      const char *c = entry_collection (entry);

      if (c)
        ensure_collection (self, c);
    }
}

/* Methods */

static PhSecretSession *
caller_session (PhSecretService       *self,
                GDBusMethodInvocation *invocation,
                const char            *path)
{
  Session *session;

  if (!g_str_has_prefix (path, SESSION_PREFIX) ||
      !(session = g_hash_table_lookup (self->sessions, path + strlen (SESSION_PREFIX))) ||
      g_strcmp0 (session->owner, g_dbus_method_invocation_get_sender (invocation)) != 0)
    return NULL;
  return session->crypto;
}

/* A secret for @session_path, as the (oayays) struct; or NULL with @error (gate or crypto). */
static GVariant *
secret_struct (PhSecretService       *self,
               GDBusMethodInvocation *invocation,
               const PhSubject       *subject,
               PhEntry               *entry,
               const char            *session_path,
               GError               **error)
{
  PhSecretSession *session = caller_session (self, invocation, session_path);
  g_autoptr(PhSecret) secret = NULL;
  g_autoptr(GBytes) parameters = NULL;
  g_autoptr(GBytes) value = NULL;
  const char *content_type = ph_entry_get_field (entry, CONTENT_TYPE_FIELD);

  if (session == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("No such session"));
      return NULL;
    }
  if (ph_entry_has_password (entry))
    secret = ph_broker_open (ph_agent_get_broker (self->agent), subject, PH_ACTION_REVEAL, entry, PH_FIELD_PASSWORD,
                             error);
  else if (ph_broker_authorize (ph_agent_get_broker (self->agent), subject, PH_ACTION_REVEAL, entry, NULL, error))
    secret = ph_secret_new (0);
  if (secret == NULL || !ph_secret_session_encode (session, secret, &parameters, &value, error))
    return NULL;
  return g_variant_new ("(o@ay@ays)", session_path,
                        g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, parameters, TRUE),
                        g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, value, TRUE),
                        content_type ? content_type : "text/plain");
}

static PhSecret *
decode_secret (PhSecretService       *self,
               GDBusMethodInvocation *invocation,
               GVariant              *secret,
               char                 **content_type,
               GError               **error)
{
  const char *session_path, *type;
  g_autoptr(GVariant) parameters = NULL;
  g_autoptr(GVariant) value = NULL;
  PhSecretSession *session;

  g_variant_get (secret, "(&o@ay@ay&s)", &session_path, &parameters, &value, &type);
  if (!(session = caller_session (self, invocation, session_path)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("No such session"));
      return NULL;
    }
  *content_type = g_strdup (type);
  return ph_secret_session_decode (session, parameters, value, error);
}

static void
emit (PhSecretService *self,
      const char      *path,
      const char      *interface,
      const char      *signal,
      const char      *object)
{
  g_dbus_connection_emit_signal (self->connection, NULL, path, interface, signal, g_variant_new ("(o)", object),
                                 NULL);
}

static void
service_method (PhSecretService       *self,
                GDBusMethodInvocation *invocation,
                const char            *method,
                GVariant              *parameters,
                const PhSubject       *subject)
{
  g_autoptr(GError) error = NULL;

  if (strcmp (method, "OpenSession") == 0)
    {
      const char *algorithm;
      g_autoptr(GVariant) input = NULL;
      GVariant *output = NULL;
      PhSecretSession *crypto;
      Session *session;
      char *node;

      g_variant_get (parameters, "(&sv)", &algorithm, &input);
      if (!(crypto = ph_secret_session_new (algorithm, input, &output, &error)))
        {
          return_gerror (invocation, error);
          return;
        }
      session = g_new0 (Session, 1);
      session->crypto = crypto;
      session->owner = g_strdup (g_dbus_method_invocation_get_sender (invocation));
      node = g_strdup_printf ("s%u", ++self->next_session);
      g_debug ("Session %s for %s: %s", node, session->owner, algorithm);
      g_hash_table_insert (self->sessions, node, session);
      {
        g_autofree char *path = g_strconcat (SESSION_PREFIX, node, NULL);

        g_dbus_method_invocation_return_value (invocation, g_variant_new ("(@vo)", output, path));
      }
      return;
    }

  if (strcmp (method, "ReadAlias") == 0)
    {
      const char *alias;

      g_variant_get (parameters, "(&s)", &alias);
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(o)", strcmp (alias, "default") == 0
                                                                     ? COLLECTION_PREFIX DEFAULT_COLLECTION : "/"));
      return;
    }
  if (strcmp (method, "SetAlias") == 0)
    {
      g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.NotSupported",
                                                  _("The default collection is fixed"));
      return;
    }

  if (strcmp (method, "Lock") == 0)
    {
      g_autoptr(GVariant) objects = NULL;

      g_variant_get (parameters, "(@ao)", &objects);
      ph_agent_lock (self->agent);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(@aoo)", g_steal_pointer (&objects), "/"));
      return;
    }

  if (strcmp (method, "Unlock") == 0)
    {
      g_autoptr(GVariant) objects = NULL;

      g_variant_get (parameters, "(@ao)", &objects);
      if (ph_agent_get_vault (self->agent))
        g_dbus_method_invocation_return_value (invocation, g_variant_new ("(@aoo)", g_steal_pointer (&objects), "/"));
      else
        {
          /* The agent's unlock window answers this prompt; without one it is dismissed. */
          g_autofree char *prompt = g_strdup_printf (PROMPT_PREFIX "p%u", ++self->next_prompt);

          g_dbus_method_invocation_return_value (invocation, g_variant_new ("(aoo)", NULL, prompt));
        }
      return;
    }

  if (ph_agent_get_vault (self->agent) == NULL)
    {
      if (strcmp (method, "SearchItems") == 0)
        g_dbus_method_invocation_return_value (invocation, g_variant_new ("(aoao)", NULL, NULL));
      else
        return_locked (invocation);
      return;
    }
  ph_agent_touch (self->agent);

  if (strcmp (method, "SearchItems") == 0)
    {
      g_autoptr(GVariant) attributes = NULL;
      g_autoptr(GPtrArray) found = NULL;

      g_variant_get (parameters, "(@a{ss})", &attributes);
      if (!ph_broker_authorize (ph_agent_get_broker (self->agent), subject, PH_ACTION_LIST, NULL, "vault", &error))
        {
          deny (self, invocation, error);
          return;
        }
      ph_agent_flush_audit (self->agent);
      found = search (self, NULL, attributes);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(@aoao)", paths_variant (self, found), NULL));
      return;
    }

  if (strcmp (method, "GetSecrets") == 0)
    {
      g_autoptr(GVariant) items = NULL;
      const char *session_path;
      GVariantBuilder secrets;
      GVariantIter iter;
      const char *path;

      g_variant_get (parameters, "(@ao&o)", &items, &session_path);
      g_variant_builder_init (&secrets, G_VARIANT_TYPE ("a{o(oayays)}"));
      g_variant_iter_init (&iter, items);
      while (g_variant_iter_next (&iter, "&o", &path))
        {
          g_autofree char *collection = NULL;
          g_autofree char *node = NULL;
          PhEntry *entry = parse_path (path, &collection, &node) == PATH_ITEM ? find_item (self, collection, node) : NULL;
          GVariant *secret;

          if (entry == NULL)
            continue;
          if (!(secret = secret_struct (self, invocation, subject, entry, session_path, &error)))
            {
              g_variant_builder_clear (&secrets);
              deny (self, invocation, error);
              return;
            }
          g_variant_builder_add (&secrets, "{o@(oayays)}", path, secret);
        }
      ph_agent_flush_audit (self->agent);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(a{o(oayays)})", &secrets));
      return;
    }

  if (strcmp (method, "CreateCollection") == 0)
    {
      g_autoptr(GVariant) properties = NULL;
      g_autofree char *name = NULL;
      g_autofree char *path = NULL;
      const char *alias, *label = NULL;

      g_variant_get (parameters, "(@a{sv}&s)", &properties, &alias);
      if (strcmp (alias, "default") == 0)
        name = g_strdup (DEFAULT_COLLECTION);
      else
        {
          g_variant_lookup (properties, "org.freedesktop.Secret.Collection.Label", "&s", &label);
          name = collection_name (label ? label : alias);
        }
      if (!ph_broker_authorize (ph_agent_get_broker (self->agent), subject, PH_ACTION_WRITE, NULL, "vault", &error))
        {
          deny (self, invocation, error);
          return;
        }
      ph_agent_flush_audit (self->agent);
      ensure_collection (self, name);
      path = collection_path (name);
      emit (self, ROOT, "org.freedesktop.Secret.Service", "CollectionCreated", path);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(oo)", path, "/"));
      return;
    }

  g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.UnknownMethod", method);
}

static gboolean
save (PhSecretService       *self,
      GDBusMethodInvocation *invocation)
{
  g_autoptr(GError) error = NULL;

  if (ph_agent_save (self->agent, &error))
    return TRUE;
  return_gerror (invocation, error);
  return FALSE;
}

static void
collection_method (PhSecretService       *self,
                   GDBusMethodInvocation *invocation,
                   const char            *collection,
                   const char            *method,
                   GVariant              *parameters,
                   const PhSubject       *subject)
{
  PhBroker *broker = ph_agent_get_broker (self->agent);
  PhVault *vault = ph_agent_get_vault (self->agent);
  g_autofree char *path = collection_path (collection);
  g_autoptr(GError) error = NULL;

  if (vault == NULL)
    {
      return_locked (invocation);
      return;
    }
  ph_agent_touch (self->agent);

  if (strcmp (method, "SearchItems") == 0)
    {
      g_autoptr(GVariant) attributes = NULL;
      g_autoptr(GPtrArray) found = NULL;

      g_variant_get (parameters, "(@a{ss})", &attributes);
      if (!ph_broker_authorize (broker, subject, PH_ACTION_LIST, NULL, "vault", &error))
        {
          deny (self, invocation, error);
          return;
        }
      ph_agent_flush_audit (self->agent);
      found = search (self, collection, attributes);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(@ao)", paths_variant (self, found)));
      return;
    }

  if (strcmp (method, "CreateItem") == 0)
    {
      g_autoptr(GVariant) properties = NULL;
      g_autoptr(GVariant) secret_value = NULL;
      g_autoptr(GVariant) attributes = NULL;
      g_autoptr(PhSecret) secret = NULL;
      g_autoptr(PhEntry) created = NULL;
      g_autofree char *content_type = NULL;
      g_autofree char *folder = g_strconcat (FOLDER_PREFIX, collection, NULL);
      g_autofree char *result = NULL;
      const char *label = NULL;
      gboolean replace;
      PhEntry *entry = NULL;

      g_variant_get (parameters, "(@a{sv}@(oayays)b)", &properties, &secret_value, &replace);
      g_variant_lookup (properties, "org.freedesktop.Secret.Item.Label", "&s", &label);
      attributes = g_variant_lookup_value (properties, "org.freedesktop.Secret.Item.Attributes", G_VARIANT_TYPE ("a{ss}"));
      if (attributes == NULL)
        attributes = g_variant_ref_sink (g_variant_new ("a{ss}", NULL));
      if (!(secret = decode_secret (self, invocation, secret_value, &content_type, &error)))
        {
          return_gerror (invocation, error);
          return;
        }
      if (replace)
        {
          g_autoptr(GPtrArray) same = search (self, collection, attributes);

          /* The same attributes exactly: not just a superset of them. */
          for (guint i = 0; i < same->len && entry == NULL; i++)
            {
              g_autoptr(GVariant) theirs = g_variant_ref_sink (entry_attributes (g_ptr_array_index (same, i)));

              if (g_variant_n_children (attributes) == g_variant_n_children (theirs))
                entry = g_ptr_array_index (same, i);
            }
        }
      if (!ph_broker_authorize (broker, subject, PH_ACTION_WRITE, entry, entry ? NULL : "vault", &error))
        {
          deny (self, invocation, error);
          return;
        }
      if (entry == NULL)
        {
          created = ph_entry_new (label && *label ? label : _("Unnamed"));
          ph_entry_set_folder (created, folder);
          if (!ph_vault_add (vault, created, &error))
            {
              return_gerror (invocation, error);
              return;
            }
          entry = created;
        }
      else if (label && *label)
        ph_entry_set_title (entry, label);
      set_attributes (entry, attributes);
      ph_entry_set_field (entry, CONTENT_TYPE_FIELD, content_type);
      if (!ph_vault_set_secret (vault, entry, PH_FIELD_PASSWORD, secret, &error))
        {
          return_gerror (invocation, error);
          return;
        }
      ph_vault_entry_changed (vault, entry);
      if (!save (self, invocation))
        return;
      result = item_path (collection, entry);
      emit (self, path, "org.freedesktop.Secret.Collection", created ? "ItemCreated" : "ItemChanged", result);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(oo)", result, "/"));
      return;
    }

  if (strcmp (method, "Delete") == 0)
    {
      g_autoptr(GVariant) none = g_variant_ref_sink (g_variant_new ("a{ss}", NULL));
      g_autoptr(GPtrArray) items = search (self, collection, none);

      for (guint i = 0; i < items->len; i++)
        if (!ph_broker_authorize (broker, subject, PH_ACTION_DELETE, g_ptr_array_index (items, i), NULL, &error))
          {
            deny (self, invocation, error);
            return;
          }
      for (guint i = 0; i < items->len; i++)
        ph_vault_remove (vault, g_ptr_array_index (items, i));
      if (!save (self, invocation))
        return;
      emit (self, ROOT, "org.freedesktop.Secret.Service", "CollectionDeleted", path);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", "/"));
      return;
    }

  g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.UnknownMethod", method);
}

static void
item_method (PhSecretService       *self,
             GDBusMethodInvocation *invocation,
             const char            *collection,
             const char            *node,
             const char            *method,
             GVariant              *parameters,
             const PhSubject       *subject)
{
  PhBroker *broker = ph_agent_get_broker (self->agent);
  PhVault *vault = ph_agent_get_vault (self->agent);
  g_autoptr(GError) error = NULL;
  PhEntry *entry;

  if (vault == NULL)
    {
      return_locked (invocation);
      return;
    }
  if (!(entry = find_item (self, collection, node)))
    {
      return_no_object (invocation);
      return;
    }
  ph_agent_touch (self->agent);

  if (strcmp (method, "GetSecret") == 0)
    {
      const char *session_path;
      GVariant *secret;

      g_variant_get (parameters, "(&o)", &session_path);
      secret = secret_struct (self, invocation, subject, entry, session_path, &error);
      ph_agent_flush_audit (self->agent);
      if (secret == NULL)
        return_gerror (invocation, error);
      else
        g_dbus_method_invocation_return_value (invocation, g_variant_new_tuple (&secret, 1));
      return;
    }

  if (strcmp (method, "SetSecret") == 0)
    {
      g_autoptr(GVariant) value = NULL;
      g_autoptr(PhSecret) secret = NULL;
      g_autofree char *content_type = NULL;

      g_variant_get (parameters, "(@(oayays))", &value);
      if (!(secret = decode_secret (self, invocation, value, &content_type, &error)) ||
          !ph_broker_authorize (broker, subject, PH_ACTION_WRITE, entry, NULL, &error) ||
          !ph_vault_set_secret (vault, entry, PH_FIELD_PASSWORD, secret, &error))
        {
          deny (self, invocation, error);
          return;
        }
      ph_entry_set_field (entry, CONTENT_TYPE_FIELD, content_type);
      ph_vault_entry_changed (vault, entry);
      if (save (self, invocation))
        g_dbus_method_invocation_return_value (invocation, NULL);
      return;
    }

  if (strcmp (method, "Delete") == 0)
    {
      g_autofree char *path = item_path (collection, entry);
      g_autofree char *collection_object = collection_path (collection);

      if (!ph_broker_authorize (broker, subject, PH_ACTION_DELETE, entry, NULL, &error))
        {
          deny (self, invocation, error);
          return;
        }
      ph_vault_remove (vault, entry);
      if (!save (self, invocation))
        return;
      emit (self, collection_object, "org.freedesktop.Secret.Collection", "ItemDeleted", path);
      g_dbus_method_invocation_return_value (invocation, g_variant_new ("(o)", "/"));
      return;
    }

  g_dbus_method_invocation_return_dbus_error (invocation, "org.freedesktop.DBus.Error.UnknownMethod", method);
}

static void
on_method_call (GDBusConnection       *connection,
                const char            *sender,
                const char            *object_path,
                const char            *interface_name,
                const char            *method,
                GVariant              *parameters,
                GDBusMethodInvocation *invocation,
                gpointer               data)
{
  PhSecretService *self = data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSubject) subject = ph_agent_dup_caller (self->agent, invocation, &error);
  g_autofree char *collection = NULL;
  g_autofree char *node = NULL;

  if (subject == NULL)
    {
      return_gerror (invocation, error);
      return;
    }

  switch (parse_path (object_path, &collection, &node))
    {
    case PATH_SERVICE:
      service_method (self, invocation, method, parameters, subject);
      break;
    case PATH_COLLECTION:
      collection_method (self, invocation, collection, method, parameters, subject);
      break;
    case PATH_ITEM:
      item_method (self, invocation, collection, node, method, parameters, subject);
      break;
    case PATH_SESSION:
      {
        Session *session = g_hash_table_lookup (self->sessions, node);

        if (session == NULL || g_strcmp0 (session->owner, sender) != 0)
          return_no_object (invocation);
        else
          {
            g_hash_table_remove (self->sessions, node);
            g_dbus_method_invocation_return_value (invocation, NULL);
          }
        break;
      }
    case PATH_PROMPT:
      {
        /* An unlock prompt: Prompt shows the agent's unlock window (when there is a display);
         * Dismiss, a cancelled window or no display complete it dismissed. */
        gboolean unlocked = FALSE;

        g_dbus_method_invocation_return_value (invocation, NULL);
        if (g_str_equal (method, "Prompt"))
          unlocked = ph_agent_request_unlock (self->agent, _("An application needs its passwords"));
        g_dbus_connection_emit_signal (connection, sender, object_path, "org.freedesktop.Secret.Prompt", "Completed",
                                       g_variant_new ("(bv)", !unlocked,
                                                      unlocked ? g_variant_new_objv ((const char *[]) {
                                                                   COLLECTION_PREFIX DEFAULT_COLLECTION, NULL }, -1)
                                                               : g_variant_new_string ("")),
                                       NULL);
        break;
      }
    case PATH_NONE:
    default:
      return_no_object (invocation);
      break;
    }
}

static GVariant *
on_get_property (GDBusConnection  *connection,
                 const char       *sender,
                 const char       *object_path,
                 const char       *interface_name,
                 const char       *property,
                 GError          **error,
                 gpointer          data)
{
  PhSecretService *self = data;
  g_autofree char *collection = NULL;
  g_autofree char *node = NULL;
  gboolean locked = ph_agent_get_vault (self->agent) == NULL;
  PhEntry *entry;

  switch (parse_path (object_path, &collection, &node))
    {
    case PATH_SERVICE:
      {
        GVariantBuilder b;
        GHashTableIter iter;
        gpointer name;

        scan_collections (self);
        g_variant_builder_init (&b, G_VARIANT_TYPE ("ao"));
        g_hash_table_iter_init (&iter, self->collections);
        while (g_hash_table_iter_next (&iter, &name, NULL))
          {
            g_autofree char *path = collection_path (name);

            g_variant_builder_add (&b, "o", path);
          }
        return g_variant_builder_end (&b);
      }
    case PATH_COLLECTION:
      if (strcmp (property, "Items") == 0)
        {
          g_autoptr(GVariant) none = g_variant_ref_sink (g_variant_new ("a{ss}", NULL));
          g_autoptr(GPtrArray) items = search (self, collection, none);

          return paths_variant (self, items);
        }
      if (strcmp (property, "Label") == 0)
        return g_variant_new_string (strcmp (collection, DEFAULT_COLLECTION) == 0 ? "Login" : collection);
      if (strcmp (property, "Locked") == 0)
        return g_variant_new_boolean (locked);
      return g_variant_new_uint64 (0);
    case PATH_ITEM:
      if (strcmp (property, "Locked") == 0)
        return g_variant_new_boolean (locked);
      if (!(entry = find_item (self, collection, node)))
        {
          g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT, _("No such item"));
          return NULL;
        }
      if (strcmp (property, "Attributes") == 0)
        return entry_attributes (entry);
      if (strcmp (property, "Label") == 0)
        return g_variant_new_string (ph_entry_get_title (entry));
      if (strcmp (property, "Created") == 0)
        return g_variant_new_uint64 (ph_entry_get_created (entry) / G_USEC_PER_SEC);
      return g_variant_new_uint64 (ph_entry_get_modified (entry) / G_USEC_PER_SEC);
    default:
      g_set_error (error, G_DBUS_ERROR, G_DBUS_ERROR_UNKNOWN_OBJECT, _("No such object"));
      return NULL;
    }
}

static const GDBusInterfaceVTable object_vtable = { on_method_call, on_get_property, NULL };

static GDBusInterfaceInfo **
plain_introspect (GDBusConnection *connection,
                  const char      *sender,
                  const char      *object_path,
                  const char      *node,
                  gpointer         data)
{
  return subtree_introspect (connection, sender, object_path, node, data);
}

static const GDBusSubtreeVTable nodes_vtable = { NULL, plain_introspect, subtree_dispatch };

static gboolean
add_registration (PhSecretService *self,
                  guint            id)
{
  if (id == 0)
    return FALSE;
  g_array_append_val (self->registrations, id);
  return TRUE;
}

/**
 * ph_secret_service_export:
 *
 * Serves the Secret Service objects on @connection (the caller owns the name).
 */
gboolean
ph_secret_service_export (PhSecretService  *self,
                          GDBusConnection  *connection,
                          GError          **error)
{
  self->connection = g_object_ref (connection);
  self->service_id = g_dbus_connection_register_object (connection, ROOT, iface (self, "org.freedesktop.Secret.Service"),
                                                        &object_vtable, self, NULL, error);
  if (self->service_id == 0 ||
      !add_registration (self, g_dbus_connection_register_subtree (connection, ALIAS_DEFAULT, &subtree_vtable,
                                                                   G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES,
                                                                   self, NULL, error)) ||
      !add_registration (self, g_dbus_connection_register_subtree (connection, ROOT "/session", &nodes_vtable,
                                                                   G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES,
                                                                   self, NULL, error)) ||
      !add_registration (self, g_dbus_connection_register_subtree (connection, ROOT "/prompt", &nodes_vtable,
                                                                   G_DBUS_SUBTREE_FLAGS_DISPATCH_TO_UNENUMERATED_NODES,
                                                                   self, NULL, error)))
    return FALSE;
  scan_collections (self);
  return TRUE;
}
