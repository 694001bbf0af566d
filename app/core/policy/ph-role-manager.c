/* ph-role-manager.c: Casbin's default role manager (g, g2, ... with or without domains).
 *
 * As in Go Casbin: a name has its own role trivially; otherwise roles are followed breadth first
 * for at most max_level links. Links live in their domain; when the matcher compares domains
 * with keyMatch, links in a pattern domain (such as `*`) also apply to every domain it matches.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-policy"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ph-policy-builtins.h"
#include "ph-policy-error.h"
#include "ph-role-manager.h"

typedef struct _Role Role;

struct _Role
{
  char *name;
  GPtrArray *roles;   /* Role* this one has, in the same domain */
  guint stamp;        /* last search that reached it */
  guint8 color;       /* cycle check: 0 white, 1 on the path, 2 done */
};

typedef struct
{
  char *name;
  GHashTable *roles;   /* name -> Role */
} Domain;

struct _PhRoleManager
{
  guint max_level;
  gboolean domain_key_match;
  GHashTable *domains;        /* name -> Domain */
  GHashTable *domain_sets;    /* queried domain -> GPtrArray of Domain*, with pattern domains */
  guint stamp;
  GPtrArray *frontier;        /* search scratch, kept to avoid allocating per query */
  GPtrArray *next;
};

static void
role_free (gpointer data)
{
  Role *role = data;

  g_ptr_array_unref (role->roles);
  g_free (role->name);
  g_free (role);
}

static void
domain_free (gpointer data)
{
  Domain *domain = data;

  g_hash_table_unref (domain->roles);
  g_free (domain->name);
  g_free (domain);
}

PhRoleManager *
ph_role_manager_new (guint max_level)
{
  PhRoleManager *manager = g_new0 (PhRoleManager, 1);

  manager->max_level = max_level;
  manager->domains = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, domain_free);
  manager->domain_sets = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                (GDestroyNotify) g_ptr_array_unref);
  manager->frontier = g_ptr_array_new ();
  manager->next = g_ptr_array_new ();
  return manager;
}

void
ph_role_manager_free (PhRoleManager *manager)
{
  if (manager == NULL)
    return;
  g_hash_table_unref (manager->domains);
  g_hash_table_unref (manager->domain_sets);
  g_ptr_array_unref (manager->frontier);
  g_ptr_array_unref (manager->next);
  g_free (manager);
}

void
ph_role_manager_clear (PhRoleManager *manager)
{
  g_hash_table_remove_all (manager->domain_sets);
  g_hash_table_remove_all (manager->domains);
}

void
ph_role_manager_set_domain_key_match (PhRoleManager *manager,
                                      gboolean       enabled)
{
  manager->domain_key_match = enabled;
  g_hash_table_remove_all (manager->domain_sets);
}

static Role *
domain_role (Domain     *domain,
             const char *name)
{
  Role *role = g_hash_table_lookup (domain->roles, name);

  if (role == NULL)
    {
      role = g_new0 (Role, 1);
      role->name = g_strdup (name);
      role->roles = g_ptr_array_new ();
      g_hash_table_insert (domain->roles, role->name, role);
    }
  return role;
}

void
ph_role_manager_add_link (PhRoleManager *manager,
                          const char    *name,
                          const char    *role,
                          const char    *domain_name)
{
  Domain *domain;
  Role *from, *to;

  if (domain_name == NULL)
    domain_name = "";
  domain = g_hash_table_lookup (manager->domains, domain_name);
  if (domain == NULL)
    {
      domain = g_new0 (Domain, 1);
      domain->name = g_strdup (domain_name);
      domain->roles = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, role_free);
      g_hash_table_insert (manager->domains, domain->name, domain);
    }
  from = domain_role (domain, name);
  to = domain_role (domain, role);
  for (guint i = 0; i < from->roles->len; i++)
    if (g_ptr_array_index (from->roles, i) == to)
      return;
  g_ptr_array_add (from->roles, to);
  g_hash_table_remove_all (manager->domain_sets);
}

/* The domains whose links apply to a query in @name. */
static GPtrArray *
domain_set (PhRoleManager *manager,
            const char    *name)
{
  GPtrArray *set = g_hash_table_lookup (manager->domain_sets, name);
  GHashTableIter iter;
  Domain *domain;

  if (set)
    return set;

  set = g_ptr_array_new ();
  if (!manager->domain_key_match)
    {
      if ((domain = g_hash_table_lookup (manager->domains, name)))
        g_ptr_array_add (set, domain);
    }
  else
    {
      g_hash_table_iter_init (&iter, manager->domains);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &domain))
        if (strcmp (domain->name, name) == 0 || ph_key_match (name, domain->name))
          g_ptr_array_add (set, domain);
    }
  g_hash_table_insert (manager->domain_sets, g_strdup (name), set);
  return set;
}

/* Breadth first from @name for at most max_level links. With @target, stops when it is reached;
 * with @reached, collects every name reached (the name itself included). */
static gboolean
search (PhRoleManager *manager,
        const char    *name,
        const char    *target,
        const char    *domain_name,
        GHashTable    *reached)
{
  GPtrArray *domains = domain_set (manager, domain_name ? domain_name : "");
  GPtrArray *frontier = manager->frontier;
  GPtrArray *next = manager->next;
  g_autoptr(GHashTable) seen = NULL;
  gboolean found = FALSE;
  guint stamp;

  if (reached)
    g_hash_table_add (reached, (gpointer) name);
  if (domains->len == 0)
    return FALSE;

  /* One domain: roles are unique by name, so a stamp marks them seen. Several: names repeat
   * across domains and must be merged, as Go's temporary union manager does. */
  stamp = ++manager->stamp;
  if (domains->len > 1)
    seen = g_hash_table_new (g_str_hash, g_str_equal);

  g_ptr_array_set_size (frontier, 0);
  g_ptr_array_set_size (next, 0);
  g_ptr_array_add (frontier, (gpointer) name);

  for (guint level = 0; level <= manager->max_level && frontier->len > 0 && !found; level++)
    {
      for (guint i = 0; i < frontier->len && !found; i++)
        {
          const char *current = g_ptr_array_index (frontier, i);

          if (target && strcmp (current, target) == 0)
            {
              found = TRUE;
              break;
            }
          if (level == manager->max_level)
            continue;
          for (guint d = 0; d < domains->len; d++)
            {
              Domain *domain = g_ptr_array_index (domains, d);
              Role *r = g_hash_table_lookup (domain->roles, current);

              if (r == NULL)
                continue;
              for (guint k = 0; k < r->roles->len; k++)
                {
                  Role *parent = g_ptr_array_index (r->roles, k);

                  if (seen)
                    {
                      if (!g_hash_table_add (seen, parent->name))
                        continue;
                    }
                  else
                    {
                      if (parent->stamp == stamp)
                        continue;
                      parent->stamp = stamp;
                    }
                  g_ptr_array_add (next, parent->name);
                  if (reached)
                    g_hash_table_add (reached, parent->name);
                }
            }
        }
      g_ptr_array_set_size (frontier, 0);
      frontier = next;
      next = frontier == manager->frontier ? manager->next : manager->frontier;
    }
  return found;
}

gboolean
ph_role_manager_has_link (PhRoleManager *manager,
                          const char    *name,
                          const char    *role,
                          const char    *domain_name)
{
  if (strcmp (name, role) == 0)
    return TRUE;
  return search (manager, name, role, domain_name, NULL);
}

/**
 * ph_role_manager_get_reachable:
 *
 * Every role @name has (itself included), for answering many has_link questions about one name.
 * Keys point into the manager and stay valid until the next change.
 *
 * Returns: (transfer full): a set of names
 */
GHashTable *
ph_role_manager_get_reachable (PhRoleManager *manager,
                               const char    *name,
                               const char    *domain_name)
{
  GHashTable *reached = g_hash_table_new (g_str_hash, g_str_equal);

  search (manager, name, NULL, domain_name, reached);
  return reached;
}

/* The same set as a list, with no hash table when the roles live in one domain (the usual
 * case): @out gets @name, then each role reached, once. */
void
ph_role_manager_collect_reachable (PhRoleManager *manager,
                                   const char    *name,
                                   const char    *domain_name,
                                   GPtrArray     *out)
{
  GPtrArray *domains = domain_set (manager, domain_name ? domain_name : "");
  guint start = out->len;

  g_ptr_array_add (out, (gpointer) name);
  if (domains->len != 1)
    {
      g_autoptr(GHashTable) reached = ph_role_manager_get_reachable (manager, name, domain_name);
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, reached);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        if (strcmp (key, name) != 0)
          g_ptr_array_add (out, key);
      return;
    }
  {
    Domain *domain = g_ptr_array_index (domains, 0);
    Role *self_role = g_hash_table_lookup (domain->roles, name);
    guint stamp = ++manager->stamp;
    guint level_start = start, level_end;

    if (self_role)
      self_role->stamp = stamp;
    /* Level by level in @out itself. */
    for (guint level = 0; level < manager->max_level && level_start < out->len; level++)
      {
        level_end = out->len;
        for (guint i = level_start; i < level_end; i++)
          {
            Role *r = g_hash_table_lookup (domain->roles, g_ptr_array_index (out, i));

            if (r == NULL)
              continue;
            for (guint k = 0; k < r->roles->len; k++)
              {
                Role *parent = g_ptr_array_index (r->roles, k);

                if (parent->stamp == stamp)
                  continue;
                parent->stamp = stamp;
                g_ptr_array_add (out, parent->name);
              }
          }
        level_start = level_end;
      }
  }
}

static gboolean
visit (Role     *role,
       GString  *path,
       GError  **error)
{
  role->color = 1;
  for (guint i = 0; i < role->roles->len; i++)
    {
      Role *parent = g_ptr_array_index (role->roles, i);

      if (parent->color == 1)
        {
          g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_CYCLE,
                       _("Role links form a cycle: %s → %s"), path->str, parent->name);
          return FALSE;
        }
      if (parent->color == 0)
        {
          gsize len = path->len;

          g_string_append_printf (path, " → %s", parent->name);
          if (!visit (parent, path, error))
            return FALSE;
          g_string_truncate (path, len);
        }
    }
  role->color = 2;
  return TRUE;
}

/* Depth-first search for a cycle, as Go Casbin v3 does when it loads a policy. */
gboolean
ph_role_manager_check_cycles (PhRoleManager *manager,
                              GError       **error)
{
  GHashTableIter diter, riter;
  Domain *domain;
  Role *role;
  gboolean ok = TRUE;

  g_hash_table_iter_init (&diter, manager->domains);
  while (ok && g_hash_table_iter_next (&diter, NULL, (gpointer *) &domain))
    {
      g_hash_table_iter_init (&riter, domain->roles);
      while (g_hash_table_iter_next (&riter, NULL, (gpointer *) &role))
        role->color = 0;
      g_hash_table_iter_init (&riter, domain->roles);
      while (ok && g_hash_table_iter_next (&riter, NULL, (gpointer *) &role))
        if (role->color == 0)
          {
            g_autoptr(GString) path = g_string_new (role->name);

            ok = visit (role, path, error);
          }
    }
  return ok;
}
