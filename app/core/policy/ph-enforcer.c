/* ph-enforcer.c: a Casbin-compatible enforcer: model + policy in, decisions out.
 *
 * Decisions follow Go Casbin's enforce(): rules in stored order, the matcher evaluated per rule,
 * effects merged until decided. Three things make it fast without changing an answer:
 *  - matchers are compiled once (eval() rules once per distinct rule text);
 *  - rules are indexed on the policy columns the matcher compares for equality with a request
 *    value at its top level (`r.obj == p.obj && ...`): a rule whose column differs cannot match,
 *    so only the rules in the request's bucket are evaluated, still in stored order;
 *  - decisions on all-string requests are cached until the policy changes.
 * An enforcer is not thread-safe: use it from one thread at a time.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-policy"

#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "ph-enforcer.h"
#include "ph-policy-expr.h"
#include "ph-policy-model.h"
#include "ph-role-manager.h"

#define MAX_HIERARCHY_LEVEL 10
#define CACHE_MAX_ENTRIES 65536
#define KEY_SEPARATOR '\x1f'

typedef enum
{
  EFFECT_ALLOW_OVERRIDE,
  EFFECT_DENY_OVERRIDE,
  EFFECT_ALLOW_AND_DENY,
  EFFECT_PRIORITY,
  EFFECT_SUBJECT_PRIORITY,
} Effect;

typedef struct
{
  char *ptype;
  guint n_fields;
  GPtrArray *rows;        /* GStrv, without the ptype */
  GHashTable *present;    /* row -> row, to skip duplicates */
} Rules;

typedef struct
{
  char *gtype;
  guint n_fields;
  GPtrArray *rows;
  GHashTable *present;
  PhRoleManager *manager;
} Roles;

typedef struct
{
  PhModelAssertion *r, *p, *e, *m;
  Rules *rules;
  Effect effect;
  PhExpr *matcher;
  gboolean uses_policy;   /* Go: the matcher text contains "p_" */
  gboolean uses_eval;
  int eft_index;
  int priority_index;
  int domain_index;
  PhExprIndexKeys keys;
  GHashTable *index;      /* joined key columns (role column first) -> GArray of row numbers, ascending */
  GHashTable *eval_rules; /* rule text -> PhExpr */
  PhExprScope scope;
} Context;

struct _PhEnforcer
{
  GObject parent_instance;

  char *model_text;
  PhPolicyModel *model;
  GPtrArray *rules;       /* Rules, one per p key */
  GPtrArray *roles;       /* Roles, one per g key */
  GStrv role_names;
  GPtrArray *contexts;    /* Context */

  gboolean cache_enabled;
  GHashTable *cache;      /* context + request -> decision */
  GPtrArray *scratch;
  GPtrArray *reachable;   /* decision scratch: the roles of the request's subject */
  GArray *candidates;     /* decision scratch: row numbers to evaluate */
  gsize max_policy_size;
};

G_DEFINE_FINAL_TYPE (PhEnforcer, ph_enforcer, G_TYPE_OBJECT)

static void
rules_free (gpointer data)
{
  Rules *rules = data;

  g_free (rules->ptype);
  g_ptr_array_unref (rules->rows);
  g_hash_table_unref (rules->present);
  g_free (rules);
}

static void
roles_free (gpointer data)
{
  Roles *roles = data;

  g_free (roles->gtype);
  g_ptr_array_unref (roles->rows);
  g_hash_table_unref (roles->present);
  ph_role_manager_free (roles->manager);
  g_free (roles);
}

static void
context_free (gpointer data)
{
  Context *c = data;

  ph_expr_free (c->matcher);
  g_clear_pointer (&c->index, g_hash_table_unref);
  g_hash_table_unref (c->eval_rules);
  g_free (c);
}

static void
ph_enforcer_finalize (GObject *object)
{
  PhEnforcer *self = PH_ENFORCER (object);

  g_clear_pointer (&self->contexts, g_ptr_array_unref);
  g_clear_pointer (&self->rules, g_ptr_array_unref);
  g_clear_pointer (&self->roles, g_ptr_array_unref);
  g_clear_pointer (&self->role_names, g_strfreev);
  g_clear_pointer (&self->model, ph_policy_model_free);
  g_clear_pointer (&self->cache, g_hash_table_unref);
  g_clear_pointer (&self->scratch, g_ptr_array_unref);
  g_clear_pointer (&self->reachable, g_ptr_array_unref);
  g_clear_pointer (&self->candidates, g_array_unref);
  g_free (self->model_text);

  G_OBJECT_CLASS (ph_enforcer_parent_class)->finalize (object);
}

static void
ph_enforcer_class_init (PhEnforcerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ph_enforcer_finalize;
}

static void
ph_enforcer_init (PhEnforcer *self)
{
  self->rules = g_ptr_array_new_with_free_func (rules_free);
  self->roles = g_ptr_array_new_with_free_func (roles_free);
  self->contexts = g_ptr_array_new_with_free_func (context_free);
  self->cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->scratch = g_ptr_array_new_with_free_func (g_free);
  self->reachable = g_ptr_array_new ();
  self->candidates = g_array_new (FALSE, FALSE, sizeof (guint));
  self->cache_enabled = TRUE;
  self->max_policy_size = PH_ENFORCER_DEFAULT_MAX_POLICY_SIZE;
}

static int
token_index (PhModelAssertion *a,
             const char       *name)
{
  g_autofree char *token = g_strconcat (a->key, "_", name, NULL);

  for (guint i = 0; a->tokens[i]; i++)
    if (strcmp (a->tokens[i], token) == 0)
      return i;
  return -1;
}

static gboolean
parse_effect (PhModelAssertion *e,
              PhModelAssertion *p,
              Effect           *effect,
              GError          **error)
{
  static const struct
  {
    const char *text;
    Effect effect;
  } effects[] = {
    { "some(where (p_eft == allow))", EFFECT_ALLOW_OVERRIDE },
    { "!some(where (p_eft == deny))", EFFECT_DENY_OVERRIDE },
    { "some(where (p_eft == allow)) && !some(where (p_eft == deny))", EFFECT_ALLOW_AND_DENY },
    { "priority(p_eft) || deny", EFFECT_PRIORITY },
    { "subjectPriority(p_eft) || deny", EFFECT_SUBJECT_PRIORITY },
  };
  g_autofree char *prefix = g_strconcat (p->key, "_eft", NULL);
  g_autofree char *text = NULL;
  g_auto(GStrv) parts = g_strsplit (e->escaped, prefix, -1);

  /* e2 speaks of p2_eft; compare in the p_eft spelling. */
  text = g_strjoinv ("p_eft", parts);
  for (guint i = 0; i < G_N_ELEMENTS (effects); i++)
    if (strcmp (text, effects[i].text) == 0)
      {
        *effect = effects[i].effect;
        return TRUE;
      }
  g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_UNSUPPORTED_EFFECT,
               _("Model line %u: unsupported effect “%s”"), e->line, e->value);
  return FALSE;
}

static Rules *
find_rules (PhEnforcer *self,
            const char *ptype)
{
  for (guint i = 0; i < self->rules->len; i++)
    {
      Rules *rules = g_ptr_array_index (self->rules, i);

      if (strcmp (rules->ptype, ptype) == 0)
        return rules;
    }
  return NULL;
}

static Roles *
find_roles (PhEnforcer *self,
            const char *gtype)
{
  for (guint i = 0; i < self->roles->len; i++)
    {
      Roles *roles = g_ptr_array_index (self->roles, i);

      if (strcmp (roles->gtype, gtype) == 0)
        return roles;
    }
  return NULL;
}

/* A stored row is one block: the NULL-terminated pointer array, then the strings. */
static char **
row_new (const char * const *fields,
         guint               n)
{
  gsize size = (n + 1) * sizeof (char *);
  char **row;
  char *text;

  for (guint i = 0; i < n; i++)
    size += strlen (fields[i]) + 1;
  row = g_malloc (size);
  text = (char *) (row + n + 1);
  for (guint i = 0; i < n; i++)
    {
      gsize len = strlen (fields[i]) + 1;

      memcpy (text, fields[i], len);
      row[i] = text;
      text += len;
    }
  row[n] = NULL;
  return row;
}

static guint
row_hash (gconstpointer data)
{
  const char * const *row = data;
  guint h = 5381;

  for (guint i = 0; row[i]; i++)
    h = h * 33 + g_str_hash (row[i]);
  return h;
}

static gboolean
row_equal (gconstpointer a,
           gconstpointer b)
{
  const char * const *x = a, * const *y = b;
  guint i;

  for (i = 0; x[i] && y[i]; i++)
    if (strcmp (x[i], y[i]) != 0)
      return FALSE;
  return x[i] == NULL && y[i] == NULL;
}

PhEnforcer *
ph_enforcer_new (const char *model_text,
                 GError    **error)
{
  g_autoptr(PhEnforcer) self = g_object_new (PH_TYPE_ENFORCER, NULL);
  PhPolicyModel *model;
  guint n_contexts;

  if (!(self->model = model = ph_policy_model_parse (model_text, error)))
    return NULL;
  self->model_text = g_strdup (model_text);

  for (guint i = 0; i < model->p->len; i++)
    {
      PhModelAssertion *p = g_ptr_array_index (model->p, i);
      Rules *rules = g_new0 (Rules, 1);

      rules->ptype = g_strdup (p->key);
      rules->n_fields = g_strv_length (p->tokens);
      rules->rows = g_ptr_array_new_with_free_func (g_free);
      rules->present = g_hash_table_new (row_hash, row_equal);
      g_ptr_array_add (self->rules, rules);
    }
  self->role_names = g_new0 (char *, model->g->len + 1);
  for (guint i = 0; i < model->g->len; i++)
    {
      PhModelAssertion *g = g_ptr_array_index (model->g, i);
      Roles *roles = g_new0 (Roles, 1);

      roles->gtype = g_strdup (g->key);
      roles->n_fields = g_strv_length (g->tokens);
      roles->rows = g_ptr_array_new_with_free_func (g_free);
      roles->present = g_hash_table_new (row_hash, row_equal);
      roles->manager = ph_role_manager_new (MAX_HIERARCHY_LEVEL);
      g_ptr_array_add (self->roles, roles);
      self->role_names[i] = g_strdup (g->key);
    }

  /* Context N pairs rN, pN, eN and mN, like Go's EnforceContext. */
  n_contexts = MIN (MIN (model->r->len, model->p->len), model->m->len);
  for (guint i = 0; i < n_contexts; i++)
    {
      Context *c = g_new0 (Context, 1);
      g_autofree char *p_prefix = NULL;

      g_ptr_array_add (self->contexts, c);
      c->eval_rules = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) ph_expr_free);
      c->r = g_ptr_array_index (model->r, i);
      c->p = g_ptr_array_index (model->p, i);
      /* A context without its own effect uses e, as Go does with EnforceContext{EType: "e"}. */
      c->e = g_ptr_array_index (model->e, i < model->e->len ? i : 0);
      c->m = g_ptr_array_index (model->m, i);
      c->rules = find_rules (self, c->p->key);
      if (!parse_effect (c->e, c->p, &c->effect, error))
        return NULL;
      c->eft_index = token_index (c->p, "eft");
      c->priority_index = token_index (c->p, "priority");
      c->domain_index = token_index (c->p, "dom");

      c->scope.r_names = (const char * const *) c->r->tokens;
      c->scope.n_r = g_strv_length (c->r->tokens);
      c->scope.p_names = (const char * const *) c->p->tokens;
      c->scope.n_p = g_strv_length (c->p->tokens);
      c->scope.role_names = (const char * const *) self->role_names;
      c->scope.n_roles = model->g->len;
      c->scope.allow_eval = TRUE;
      if (!(c->matcher = ph_expr_compile (c->m->escaped, &c->scope, error)))
        {
          g_prefix_error (error, _("Model line %u: "), c->m->line);
          return NULL;
        }
      p_prefix = g_strconcat (c->p->key, "_", NULL);
      c->uses_policy = strstr (c->m->escaped, p_prefix) != NULL;
      c->uses_eval = strstr (c->m->escaped, "eval(") != NULL;
      ph_expr_index_keys (c->matcher, &c->keys);

      /* Go registers keyMatch as the domain matcher of a domain role definition when the
       * matcher compares domains with exactly keyMatch(r_dom, p_dom). */
      if (c->scope.n_r > 1 && c->scope.n_p > 1)
        {
          g_autofree char *call = g_strdup_printf ("keyMatch(%s, %s)", c->r->tokens[1], c->p->tokens[1]);

          if (strstr (c->m->escaped, call))
            for (guint k = 0; k < self->roles->len; k++)
              {
                Roles *roles = g_ptr_array_index (self->roles, k);

                if (roles->n_fields >= 3)
                  ph_role_manager_set_domain_key_match (roles->manager, TRUE);
              }
        }
    }

  return g_steal_pointer (&self);
}

void
ph_enforcer_set_max_policy_size (PhEnforcer *self,
                                 gsize       max_size)
{
  g_return_if_fail (PH_IS_ENFORCER (self));
  self->max_policy_size = max_size;
}

void
ph_enforcer_set_cache_enabled (PhEnforcer *self,
                               gboolean    enabled)
{
  g_return_if_fail (PH_IS_ENFORCER (self));
  self->cache_enabled = enabled;
  g_hash_table_remove_all (self->cache);
}

guint
ph_enforcer_get_n_contexts (PhEnforcer *self)
{
  return self->contexts->len;
}

const char * const *
ph_enforcer_get_request_tokens (PhEnforcer *self,
                                guint       context)
{
  g_return_val_if_fail (context < self->contexts->len, NULL);
  return (const char * const *) ((Context *) g_ptr_array_index (self->contexts, context))->r->tokens;
}

const char * const *
ph_enforcer_get_policy_tokens (PhEnforcer *self,
                               guint       context)
{
  g_return_val_if_fail (context < self->contexts->len, NULL);
  return (const char * const *) ((Context *) g_ptr_array_index (self->contexts, context))->p->tokens;
}

static char *
join_fields (const char * const *fields,
             guint               n)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < n; i++)
    {
      if (i)
        g_string_append_c (s, KEY_SEPARATOR);
      g_string_append (s, fields[i]);
    }
  return g_string_free (s, FALSE);
}

/* Go's getSubjectHierarchyMap: the depth of each subject below the roots of the g hierarchy. */
static GHashTable *
subject_levels (Roles *roles)
{
  GHashTable *levels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) children = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                          (GDestroyNotify) g_ptr_array_unref);

  if (roles == NULL)
    return levels;
  for (guint i = 0; i < roles->rows->len; i++)
    {
      char **row = g_ptr_array_index (roles->rows, i);
      const char *domain = roles->n_fields >= 3 ? row[2] : "";
      char *child = g_strconcat (domain, "::", row[0], NULL);
      char *parent = g_strconcat (domain, "::", row[1], NULL);
      GPtrArray *list = g_hash_table_lookup (children, parent);

      if (list == NULL)
        {
          list = g_ptr_array_new_with_free_func (g_free);
          g_hash_table_insert (children, g_strdup (parent), list);
        }
      g_ptr_array_add (list, g_strdup (child));
      if (!g_hash_table_contains (levels, parent))
        g_hash_table_insert (levels, g_strdup (parent), GINT_TO_POINTER (0));
      g_hash_table_insert (levels, child, GINT_TO_POINTER (1));
      g_free (parent);
    }
  {
    g_autoptr(GPtrArray) roots = g_ptr_array_new_with_free_func (g_free);
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init (&iter, levels);
    while (g_hash_table_iter_next (&iter, &key, &value))
      if (GPOINTER_TO_INT (value) == 0)
        g_ptr_array_add (roots, g_strdup (key));
    for (guint r = 0; r < roots->len; r++)
      {
        g_autoptr(GPtrArray) queue = g_ptr_array_new_with_free_func (g_free);
        int level = 0;

        g_ptr_array_add (queue, g_strdup (g_ptr_array_index (roots, r)));
        /* Bounded like the role manager, so a cycle cannot loop forever. */
        while (queue->len > 0 && level <= MAX_HIERARCHY_LEVEL + 1)
          {
            g_autoptr(GPtrArray) next = g_ptr_array_new_with_free_func (g_free);

            for (guint i = 0; i < queue->len; i++)
              {
                const char *node = g_ptr_array_index (queue, i);
                GPtrArray *kids = g_hash_table_lookup (children, node);

                g_hash_table_insert (levels, g_strdup (node), GINT_TO_POINTER (level));
                for (guint k = 0; kids && k < kids->len; k++)
                  g_ptr_array_add (next, g_strdup (g_ptr_array_index (kids, k)));
              }
            g_ptr_array_unref (queue);
            queue = g_steal_pointer (&next);
            level++;
          }
      }
  }
  return levels;
}

typedef struct
{
  char **row;
  guint position;
  gint64 key;
} SortItem;

static int
compare_sort_items (gconstpointer a,
                    gconstpointer b)
{
  const SortItem *x = a, *y = b;

  if (x->key != y->key)
    return x->key < y->key ? -1 : 1;
  return x->position < y->position ? -1 : x->position > y->position;
}

/* Stable sorts: by the `priority` column ascending, or by subject depth deepest first. */
static gboolean
sort_rules (PhEnforcer *self,
            GError    **error)
{
  for (guint i = 0; i < self->contexts->len; i++)
    {
      Context *c = g_ptr_array_index (self->contexts, i);
      GPtrArray *rows = c->rules->rows;
      g_autofree SortItem *items = NULL;
      g_autoptr(GHashTable) levels = NULL;

      if ((c->priority_index < 0 && c->effect != EFFECT_SUBJECT_PRIORITY) || rows->len == 0)
        continue;
      if (c->effect == EFFECT_SUBJECT_PRIORITY)
        levels = subject_levels (find_roles (self, "g"));

      items = g_new0 (SortItem, rows->len);
      for (guint k = 0; k < rows->len; k++)
        {
          char **row = g_ptr_array_index (rows, k);

          items[k].row = row;
          items[k].position = k;
          if (levels)
            {
              const char *domain = c->domain_index >= 0 ? row[c->domain_index] : "";
              g_autofree char *name = g_strconcat (domain, "::", row[0], NULL);

              items[k].key = -GPOINTER_TO_INT (g_hash_table_lookup (levels, name));
            }
          else
            {
              const char *text = row[c->priority_index];
              char *end = NULL;
              gint64 value = g_ascii_strtoll (text, &end, 10);

              if (*text == '\0' || *end != '\0')
                {
                  g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_POLICY,
                               _("Policy rule “%s”: priority “%s” is not an integer"),
                               c->rules->ptype, text);
                  return FALSE;
                }
              items[k].key = value;
            }
        }
      qsort (items, rows->len, sizeof (SortItem), compare_sort_items);
      for (guint k = 0; k < rows->len; k++)
        g_ptr_array_index (rows, k) = items[k].row;
    }
  return TRUE;
}

/* The policy columns a rule is looked up by: the role column first, then the equality columns. */
static guint
index_columns (Context *c,
               guint    columns[PH_EXPR_MAX_KEYS + 1])
{
  guint n = 0;

  if (c->keys.has_role)
    columns[n++] = c->keys.role_p;
  for (guint f = 0; f < c->keys.n_keys; f++)
    columns[n++] = c->keys.p_index[f];
  return n;
}

static void
build_indexes (PhEnforcer *self)
{
  for (guint i = 0; i < self->contexts->len; i++)
    {
      Context *c = g_ptr_array_index (self->contexts, i);
      GPtrArray *rows = c->rules->rows;
      guint columns[PH_EXPR_MAX_KEYS + 1];
      guint n_columns = index_columns (c, columns);

      g_clear_pointer (&c->index, g_hash_table_unref);
      g_hash_table_remove_all (c->eval_rules);
      if (n_columns == 0)
        continue;
      c->index = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_array_unref);
      for (guint k = 0; k < rows->len; k++)
        {
          char **row = g_ptr_array_index (rows, k);
          const char *fields[PH_EXPR_MAX_KEYS + 1];
          char *key;
          GArray *bucket;

          for (guint f = 0; f < n_columns; f++)
            fields[f] = row[columns[f]];
          key = join_fields (fields, n_columns);
          bucket = g_hash_table_lookup (c->index, key);
          if (bucket == NULL)
            {
              bucket = g_array_new (FALSE, FALSE, sizeof (guint));
              g_hash_table_insert (c->index, key, bucket);
            }
          else
            g_free (key);
          g_array_append_val (bucket, k);
        }
    }
}

/* After any change: roles rebuilt, cycles refused, rules re-sorted and re-indexed, cache gone. */
static gboolean
policy_changed (PhEnforcer *self,
                GError    **error)
{
  for (guint i = 0; i < self->roles->len; i++)
    {
      Roles *roles = g_ptr_array_index (self->roles, i);

      ph_role_manager_clear (roles->manager);
      for (guint k = 0; k < roles->rows->len; k++)
        {
          char **row = g_ptr_array_index (roles->rows, k);

          ph_role_manager_add_link (roles->manager, row[0], row[1],
                                    roles->n_fields >= 3 ? row[2] : NULL);
        }
      if (!ph_role_manager_check_cycles (roles->manager, error))
        {
          g_prefix_error (error, "%s: ", roles->gtype);
          return FALSE;
        }
    }
  g_hash_table_remove_all (self->cache);
  if (!sort_rules (self, error))
    return FALSE;
  build_indexes (self);
  return TRUE;
}

static void
clear_rules (PhEnforcer *self)
{
  for (guint i = 0; i < self->rules->len; i++)
    {
      Rules *rules = g_ptr_array_index (self->rules, i);

      g_hash_table_remove_all (rules->present);
      g_ptr_array_set_size (rules->rows, 0);
    }
  for (guint i = 0; i < self->roles->len; i++)
    {
      Roles *roles = g_ptr_array_index (self->roles, i);

      g_hash_table_remove_all (roles->present);
      g_ptr_array_set_size (roles->rows, 0);
    }
}

/* Adds one rule (fields[0] is its type, @n fields in all) without re-indexing. Duplicates are
 * skipped. */
static gboolean
add_rule (PhEnforcer         *self,
          const char * const *fields,
          guint               n,
          guint               line,
          GError            **error)
{
  const char *ptype = fields[0];
  Rules *rules;
  Roles *roles;
  char **row;

  if ((rules = find_rules (self, ptype)))
    {
      if (n - 1 != rules->n_fields)
        {
          g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_POLICY,
                       _("Policy line %u: a “%s” rule has %u fields, the model defines %u"),
                       line, ptype, n - 1, rules->n_fields);
          return FALSE;
        }
      /* Exact duplicates are skipped, as Casbin does. (g_hash_table_add() would replace the key.) */
      if (g_hash_table_contains (rules->present, fields + 1))
        return TRUE;
      row = row_new (fields + 1, n - 1);
      g_hash_table_add (rules->present, row);
      g_ptr_array_add (rules->rows, row);
      return TRUE;
    }
  if ((roles = find_roles (self, ptype)))
    {
      if (n - 1 < roles->n_fields)
        {
          g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_POLICY,
                       _("Policy line %u: a “%s” link needs %u fields, it has %u"),
                       line, ptype, roles->n_fields, n - 1);
          return FALSE;
        }
      /* Extra fields are ignored, as in Go. */
      row = row_new (fields + 1, roles->n_fields);
      if (g_hash_table_contains (roles->present, row))
        {
          g_free (row);
          return TRUE;
        }
      g_hash_table_add (roles->present, row);
      g_ptr_array_add (roles->rows, row);
      return TRUE;
    }
  g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_POLICY,
               _("Policy line %u: the model defines no rule type “%s”"), line, ptype);
  return FALSE;
}

/* Splits a line with no quotes in place, as Casbin's CSV reader would: at commas, leading
 * spaces of each field dropped; @fields ends with NULL. Returns the field count, 0 if there
 * are too many. */
static guint
split_plain_line (char        *line,
                  const char **fields,
                  guint        max_fields)
{
  guint n = 0;

  for (char *p = line;;)
    {
      char *comma;

      while (*p == ' ' || *p == '\t')
        p++;
      if (n + 1 >= max_fields)
        return 0;
      fields[n++] = p;
      if (!(comma = strchr (p, ',')))
        break;
      *comma = '\0';
      p = comma + 1;
    }
  fields[n] = NULL;   /* NULL-terminated, like a GStrv */
  return n;
}

gboolean
ph_enforcer_load_policy (PhEnforcer *self,
                         const char *policy_text,
                         gsize       length,
                         GError    **error)
{
  g_autofree char *copy = NULL;
  GError *local_error = NULL;
  guint line_number = 0;
  char *next;

  g_return_val_if_fail (PH_IS_ENFORCER (self), FALSE);

  if (length > self->max_policy_size)
    {
      g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_TOO_LARGE,
                   _("The policy is %zu bytes, over the limit of %zu"), length, self->max_policy_size);
      return FALSE;
    }
  copy = g_strndup (policy_text, length);

  clear_rules (self);
  for (char *line = copy; line; line = next)
    {
      const char *fields[64];
      guint n;

      line_number++;
      if ((next = strchr (line, '\n')))
        *next++ = '\0';
      g_strstrip (line);
      if (*line == '\0' || *line == '#')
        continue;
      if (strchr (line, '"') == NULL && (n = split_plain_line (line, fields, G_N_ELEMENTS (fields))))
        {
          if (!add_rule (self, fields, n, line_number, &local_error))
            break;
        }
      else
        {
          g_auto(GStrv) parsed = ph_policy_parse_csv_line (line, line_number, &local_error);

          if (!parsed || !add_rule (self, (const char * const *) parsed, g_strv_length (parsed), line_number,
                                    &local_error))
            break;
        }
    }
  if (local_error == NULL && policy_changed (self, &local_error))
    return TRUE;

  /* Nothing half-loaded stays behind. */
  clear_rules (self);
  policy_changed (self, NULL);
  g_propagate_error (error, local_error);
  return FALSE;
}

gboolean
ph_enforcer_add_rule (PhEnforcer         *self,
                      const char * const *fields,
                      GError            **error)
{
  g_return_val_if_fail (PH_IS_ENFORCER (self), FALSE);
  g_return_val_if_fail (fields && fields[0], FALSE);

  if (!add_rule (self, fields, g_strv_length ((char **) fields), 0, error))
    return FALSE;
  if (!policy_changed (self, error))
    {
      ph_enforcer_remove_rule (self, fields);
      return FALSE;
    }
  return TRUE;
}

gboolean
ph_enforcer_remove_rule (PhEnforcer         *self,
                         const char * const *fields)
{
  GPtrArray *rows = NULL;
  GHashTable *present = NULL;
  char **row;
  Rules *rules;
  Roles *roles;

  if ((rules = find_rules (self, fields[0])))
    {
      rows = rules->rows;
      present = rules->present;
    }
  else if ((roles = find_roles (self, fields[0])))
    {
      rows = roles->rows;
      present = roles->present;
    }
  if (rows == NULL || !(row = g_hash_table_lookup (present, fields + 1)))
    return FALSE;
  g_hash_table_remove (present, row);
  g_ptr_array_remove (rows, row);
  policy_changed (self, NULL);
  return TRUE;
}

static void
append_csv_field (GString    *out,
                  const char *field)
{
  if (strpbrk (field, ",\"\n") || field[0] == ' ' || field[0] == '#')
    {
      g_string_append_c (out, '"');
      for (const char *c = field; *c; c++)
        {
          if (*c == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *c);
        }
      g_string_append_c (out, '"');
    }
  else
    g_string_append (out, field);
}

char *
ph_enforcer_dump_policy (PhEnforcer *self)
{
  GString *out = g_string_new (NULL);

  for (guint pass = 0; pass < 2; pass++)
    {
      GPtrArray *groups = pass == 0 ? self->rules : self->roles;

      for (guint i = 0; i < groups->len; i++)
        {
          /* Rules and Roles start alike: type name, then field count, then rows. */
          const char *type = pass == 0 ? ((Rules *) g_ptr_array_index (groups, i))->ptype
                                       : ((Roles *) g_ptr_array_index (groups, i))->gtype;
          GPtrArray *rows = pass == 0 ? ((Rules *) g_ptr_array_index (groups, i))->rows
                                      : ((Roles *) g_ptr_array_index (groups, i))->rows;

          for (guint k = 0; k < rows->len; k++)
            {
              char **row = g_ptr_array_index (rows, k);

              g_string_append (out, type);
              for (guint f = 0; row[f]; f++)
                {
                  g_string_append (out, ", ");
                  append_csv_field (out, row[f]);
                }
              g_string_append_c (out, '\n');
            }
        }
    }
  return g_string_free (out, FALSE);
}

char *
ph_enforcer_dump_model (PhEnforcer *self)
{
  return g_strdup (self->model_text);
}

/* Deciding */

typedef struct
{
  PhEnforcer *self;
  Context *context;
  /* g() is usually asked about one request subject against many rules' roles: after the same
   * question subject comes twice, its reachable roles are computed once and looked up. */
  guint memo_role;
  const char *memo_name;
  const char *memo_domain;
  guint memo_hits;
  GHashTable *memo_reachable;
} Decision;

static gboolean
has_link_cb (gpointer       data,
             guint          role_index,
             const PhValue *args,
             guint          n_args,
             gboolean      *out,
             GError       **error)
{
  Decision *d = data;
  Roles *roles = g_ptr_array_index (d->self->roles, role_index);

  if (n_args < 2 || n_args > 3)
    {
      g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_EVAL,
                   _("%s() takes 2 or 3 arguments, got %u"), roles->gtype, n_args);
      return FALSE;
    }
  for (guint i = 0; i < n_args; i++)
    if (args[i].type != PH_VALUE_STRING)
      {
        g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_EVAL,
                     _("%s(): argument %u must be a string"), roles->gtype, i + 1);
        return FALSE;
      }
  {
    const char *domain = n_args == 3 ? args[2].string : NULL;

    if (d->memo_name && d->memo_role == role_index && strcmp (d->memo_name, args[0].string) == 0 &&
        g_strcmp0 (d->memo_domain, domain) == 0)
      {
        if (d->memo_reachable == NULL && ++d->memo_hits >= 1)
          d->memo_reachable = ph_role_manager_get_reachable (roles->manager, d->memo_name, domain);
        if (d->memo_reachable)
          {
            *out = g_hash_table_contains (d->memo_reachable, args[1].string);
            return TRUE;
          }
      }
    else
      {
        g_clear_pointer (&d->memo_reachable, g_hash_table_unref);
        d->memo_role = role_index;
        d->memo_name = args[0].string;
        d->memo_domain = domain;
        d->memo_hits = 0;
      }
    *out = ph_role_manager_has_link (roles->manager, args[0].string, args[1].string, domain);
  }
  return TRUE;
}

static gboolean
eval_rule_cb (gpointer       data,
              const char    *rule,
              PhExprContext *context,
              PhValue       *out,
              GError       **error)
{
  Decision *d = data;
  PhExpr *expr = g_hash_table_lookup (d->context->eval_rules, rule);

  if (expr == NULL)
    {
      g_autofree char *escaped = ph_policy_escape_assertion (rule);
      PhExprScope scope = d->context->scope;

      scope.allow_eval = FALSE;
      if (!(expr = ph_expr_compile (escaped, &scope, error)))
        return FALSE;
      g_hash_table_insert (d->context->eval_rules, g_strdup (rule), expr);
    }
  return ph_expr_eval (expr, context, out, error);
}

/* Writes the bucket key (@first, then the request's equality values) into @buffer. Returns
 * FALSE if a keyed request value is not a string (no rule can pass the equality) and sets *fits
 * to FALSE if the key does not fit (the caller then scans every row). */
static gboolean
make_key (Context       *c,
          const PhValue *request,
          const char    *first,
          char          *buffer,
          gsize          size,
          gboolean      *fits)
{
  gsize used = 0;

  *fits = TRUE;
  for (int f = first ? -1 : 0; f < (int) c->keys.n_keys; f++)
    {
      const char *value;
      gsize len;

      if (f < 0)
        value = first;
      else
        {
          const PhValue *v = &request[c->keys.r_index[f]];

          if (v->type != PH_VALUE_STRING)
            return FALSE;
          value = v->string;
        }
      len = strlen (value);
      if (used + len + 2 > size)
        {
          *fits = FALSE;
          return TRUE;
        }
      if (used || f > 0 || (f == 0 && first))
        buffer[used++] = KEY_SEPARATOR;
      memcpy (buffer + used, value, len);
      used += len;
    }
  buffer[used] = '\0';
  return TRUE;
}

static int
compare_uint (gconstpointer a,
              gconstpointer b)
{
  guint x = *(const guint *) a, y = *(const guint *) b;

  return x < y ? -1 : x > y;
}

/* The rows that can match, in stored order, through the index. FALSE: scan every row (the
 * request has a value the index cannot use, such as an attribute object where g() wants a name;
 * the full scan then reports the same error Casbin would). */
static gboolean
index_candidates (PhEnforcer    *self,
                  Context       *c,
                  const PhValue *request,
                  GArray        *candidates)
{
  char key[1024];
  gboolean fits;
  guint n_buckets = 0;
  GArray *bucket;

  g_array_set_size (candidates, 0);
  if (c->index == NULL)
    return FALSE;

  if (!c->keys.has_role)
    {
      if (!make_key (c, request, NULL, key, sizeof key, &fits))
        return TRUE;
      if (!fits)
        return FALSE;
      if ((bucket = g_hash_table_lookup (c->index, key)))
        g_array_append_vals (candidates, bucket->data, bucket->len);
      return TRUE;
    }

  {
    const PhValue *subject = &request[c->keys.role_r];
    const PhValue *domain = c->keys.role_domain_r >= 0 ? &request[c->keys.role_domain_r] : NULL;
    Roles *roles = g_ptr_array_index (self->roles, c->keys.role_index);

    if (subject->type != PH_VALUE_STRING || (domain && domain->type != PH_VALUE_STRING))
      return FALSE;
    g_ptr_array_set_size (self->reachable, 0);
    ph_role_manager_collect_reachable (roles->manager, subject->string, domain ? domain->string : NULL,
                                       self->reachable);
  }
  for (guint i = 0; i < self->reachable->len; i++)
    {
      if (!make_key (c, request, g_ptr_array_index (self->reachable, i), key, sizeof key, &fits))
        return TRUE;
      if (!fits)
        return FALSE;
      if ((bucket = g_hash_table_lookup (c->index, key)))
        {
          g_array_append_vals (candidates, bucket->data, bucket->len);
          n_buckets++;
        }
    }
  /* Rows of different buckets interleave: restore stored order (priority depends on it). */
  if (n_buckets > 1)
    g_array_sort (candidates, compare_uint);
  return TRUE;
}

static gboolean
decide_with (Decision      *d,
             const PhValue *request,
             gboolean      *allowed,
             int           *deciding,
             GError       **error);

static gboolean
decide (PhEnforcer    *self,
        Context       *c,
        const PhValue *request,
        gboolean      *allowed,
        int           *deciding,
        GError       **error)
{
  Decision d = { self, c };
  gboolean ok = decide_with (&d, request, allowed, deciding, error);

  g_clear_pointer (&d.memo_reachable, g_hash_table_unref);
  return ok;
}

static gboolean
decide_with (Decision      *d,
             const PhValue *request,
             gboolean      *allowed,
             int           *deciding,
             GError       **error)
{
  PhEnforcer *self = d->self;
  Context *c = d->context;
  PhExprContext ctx = {
    .r = request,
    .scratch = self->scratch,
    .has_link = has_link_cb,
    .eval_rule = eval_rule_cb,
    .data = d,
  };
  GPtrArray *rows = c->rules->rows;
  gboolean any_allow = FALSE;
  int first_allow = -1;

  *deciding = -1;

  if (rows->len > 0 && c->uses_policy)
    {
      gboolean use_index = index_candidates (self, c, request, self->candidates);
      guint n_candidates = use_index ? self->candidates->len : rows->len;

      for (guint k = 0; k < n_candidates; k++)
        {
          guint row_index = use_index ? g_array_index (self->candidates, guint, k) : k;
          char **row = g_ptr_array_index (rows, row_index);
          gboolean matched = FALSE;
          const char *eft;

          ctx.p = (const char * const *) row;
          if (!ph_expr_eval_match (c->matcher, &ctx, &matched, error))
            return FALSE;
          if (!matched)
            continue;

          eft = c->eft_index >= 0 ? row[c->eft_index] : "allow";
          switch (c->effect)
            {
            case EFFECT_ALLOW_OVERRIDE:
              if (strcmp (eft, "allow") == 0)
                {
                  *allowed = TRUE;
                  *deciding = row_index;
                  return TRUE;
                }
              break;

            case EFFECT_DENY_OVERRIDE:
              if (strcmp (eft, "deny") == 0)
                {
                  *allowed = FALSE;
                  *deciding = row_index;
                  return TRUE;
                }
              break;

            case EFFECT_ALLOW_AND_DENY:
              if (strcmp (eft, "deny") == 0)
                {
                  *allowed = FALSE;
                  *deciding = row_index;
                  return TRUE;
                }
              if (strcmp (eft, "allow") == 0 && !any_allow)
                {
                  any_allow = TRUE;
                  first_allow = row_index;
                }
              break;

            case EFFECT_PRIORITY:
            case EFFECT_SUBJECT_PRIORITY:
              if (strcmp (eft, "allow") == 0 || strcmp (eft, "deny") == 0)
                {
                  *allowed = eft[0] == 'a';
                  *deciding = row_index;
                  return TRUE;
                }
              break;

            default:
              g_assert_not_reached ();
            }
        }

      *allowed = c->effect == EFFECT_DENY_OVERRIDE || any_allow;
      *deciding = first_allow;
      return TRUE;
    }

  /* No rules, or a matcher that never reads one: evaluate once with every p value "". */
  if (c->uses_eval)
    {
      g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_EVAL,
                   _("The matcher uses eval() but there is no rule to evaluate"));
      return FALSE;
    }
  {
    gboolean matched = FALSE;

    ctx.p = NULL;
    if (!ph_expr_eval_match (c->matcher, &ctx, &matched, error))
      return FALSE;
    *allowed = c->effect == EFFECT_DENY_OVERRIDE || matched;
  }
  return TRUE;
}

/**
 * ph_enforcer_enforce:
 * @context: 0 for r, p, e, m; 1 for r2, p2, e2, m2 ...
 * @deciding_rule: (out) (optional): the rule that decided, or %NULL when none did
 *
 * Decides one request, as Go Casbin's Enforce with an EnforceContext.
 */
gboolean
ph_enforcer_enforce (PhEnforcer          *self,
                     guint                context,
                     const PhValue       *request,
                     guint                n_values,
                     gboolean            *allowed,
                     const char * const **deciding_rule,
                     GError             **error)
{
  Context *c;
  char key[1024];
  gsize used = 0;
  gboolean cacheable;
  gboolean ok;
  int deciding = -1;

  g_return_val_if_fail (PH_IS_ENFORCER (self), FALSE);

  *allowed = FALSE;
  if (deciding_rule)
    *deciding_rule = NULL;
  if (context >= self->contexts->len)
    {
      g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_REQUEST,
                   _("The model has no enforce context %u"), context + 1);
      return FALSE;
    }
  c = g_ptr_array_index (self->contexts, context);
  if (n_values != c->scope.n_r)
    {
      g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_REQUEST,
                   _("Invalid request size: expected %u values, got %u"), c->scope.n_r, n_values);
      return FALSE;
    }

  cacheable = self->cache_enabled;
  if (cacheable)
    {
      key[used++] = (char) ('0' + context % 64);
      for (guint i = 0; i < n_values && cacheable; i++)
        {
          gsize len;

          if (request[i].type != PH_VALUE_STRING ||
              used + (len = strlen (request[i].string)) + 2 > sizeof key)
            {
              cacheable = FALSE;
              break;
            }
          key[used++] = KEY_SEPARATOR;
          memcpy (key + used, request[i].string, len);
          used += len;
        }
      key[used] = '\0';
    }
  if (cacheable)
    {
      gpointer value;

      if (g_hash_table_lookup_extended (self->cache, key, NULL, &value))
        {
          int packed = GPOINTER_TO_INT (value);

          *allowed = packed & 1;
          deciding = (packed >> 1) - 1;
          if (deciding_rule && deciding >= 0)
            *deciding_rule = g_ptr_array_index (c->rules->rows, deciding);
          return TRUE;
        }
    }

  ok = decide (self, c, request, allowed, &deciding, error);
  g_ptr_array_set_size (self->scratch, 0);
  if (!ok)
    {
      *allowed = FALSE;
      return FALSE;
    }

  if (cacheable)
    {
      if (g_hash_table_size (self->cache) >= CACHE_MAX_ENTRIES)
        g_hash_table_remove_all (self->cache);
      g_hash_table_insert (self->cache, g_strdup (key), GINT_TO_POINTER ((*allowed ? 1 : 0) | ((deciding + 1) << 1)));
    }
  if (deciding_rule && deciding >= 0)
    *deciding_rule = g_ptr_array_index (c->rules->rows, deciding);
  return TRUE;
}

/* Convenience for all-string requests in the default context. */
gboolean
ph_enforcer_enforce_strings (PhEnforcer         *self,
                             const char * const *request,
                             gboolean           *allowed,
                             GError            **error)
{
  guint n = g_strv_length ((char **) request);
  g_autofree PhValue *values = g_new0 (PhValue, MAX (n, 1));

  for (guint i = 0; i < n; i++)
    values[i] = ph_value_string (request[i]);
  return ph_enforcer_enforce (self, 0, values, n, allowed, NULL, error);
}

PhEnforcer *
ph_enforcer_new_for_files (const char *model_path,
                           const char *policy_path,
                           GError    **error)
{
  g_autofree char *model_text = NULL;
  g_autofree char *policy_text = NULL;
  gsize length = 0;
  g_autoptr(PhEnforcer) self = NULL;

  if (!g_file_get_contents (model_path, &model_text, NULL, error))
    return NULL;
  if (!(self = ph_enforcer_new (model_text, error)))
    return NULL;
  if (policy_path)
    {
      g_autoptr(GMappedFile) mapped = NULL;

      if (!(mapped = g_mapped_file_new (policy_path, FALSE, error)))
        return NULL;
      length = g_mapped_file_get_length (mapped);
      if (!ph_enforcer_load_policy (self, length ? g_mapped_file_get_contents (mapped) : "", length, error))
        return NULL;
    }
  return g_steal_pointer (&self);
}
