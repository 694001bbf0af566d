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
  return manager;
}

void
ph_role_manager_free (PhRoleManager *manager)
{
  if (manager == NULL)
    return;
  g_hash_table_unref (manager->domains);
  g_hash_table_unref (manager->domain_sets);
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

gboolean
ph_role_manager_has_link (PhRoleManager *manager,
                          const char    *name,
                          const char    *role,
                          const char    *domain_name)
{
  GPtrArray *domains;
  g_autoptr(GPtrArray) frontier = NULL;
  g_autoptr(GPtrArray) next = NULL;
  g_autoptr(GHashTable) seen = NULL;
  guint stamp;

  if (strcmp (name, role) == 0)
    return TRUE;

  domains = domain_set (manager, domain_name ? domain_name : "");
  if (domains->len == 0)
    return FALSE;

  /* One domain: roles are unique by name, so a stamp marks them seen. Several: names repeat
   * across domains and must be merged, as Go's temporary union manager does. */
  stamp = ++manager->stamp;
  if (domains->len > 1)
    seen = g_hash_table_new (g_str_hash, g_str_equal);

  frontier = g_ptr_array_new ();
  next = g_ptr_array_new ();
  g_ptr_array_add (frontier, (gpointer) name);

  for (guint level = 0; level <= manager->max_level && frontier->len > 0; level++)
    {
      for (guint i = 0; i < frontier->len; i++)
        {
          const char *current = g_ptr_array_index (frontier, i);

          if (strcmp (current, role) == 0)
            return TRUE;
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
                }
            }
        }
      g_ptr_array_set_size (frontier, 0);
      {
        GPtrArray *t = frontier;
        frontier = next;
        next = t;
      }
    }
  return FALSE;
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
