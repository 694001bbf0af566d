/* ph-policy-expr.h: Casbin matcher expressions (govaluate's language), compiled once.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-policy-value.h"

G_BEGIN_DECLS

typedef struct _PhExpr PhExpr;
typedef struct _PhExprContext PhExprContext;

/* Names a matcher may use: request and policy tokens ("r_sub", "p_obj"), role functions ("g"). */
typedef struct
{
  const char * const *r_names;
  guint n_r;
  const char * const *p_names;
  guint n_p;
  const char * const *role_names;
  guint n_roles;
  gboolean allow_eval;
} PhExprScope;

struct _PhExprContext
{
  const PhValue *r;          /* request values, by token index */
  const char * const *p;     /* the policy row, by token index; NULL: every p value is "" */
  GPtrArray *scratch;        /* strings made during the decision; freed after it */
  gboolean (*has_link) (gpointer       data,
                        guint          role_index,
                        const PhValue *args,
                        guint          n_args,
                        gboolean      *out,
                        GError       **error);
  gboolean (*eval_rule) (gpointer       data,
                         const char    *rule,
                         PhExprContext *context,
                         PhValue       *out,
                         GError       **error);
  gpointer data;
  guint eval_depth;
};

PhExpr   *ph_expr_compile        (const char        *text,
                                  const PhExprScope *scope,
                                  GError           **error);
void      ph_expr_free           (PhExpr            *expr);
gboolean  ph_expr_eval           (PhExpr            *expr,
                                  PhExprContext     *context,
                                  PhValue           *out,
                                  GError           **error);
gboolean  ph_expr_eval_match     (PhExpr            *expr,
                                  PhExprContext     *context,
                                  gboolean          *matched,
                                  GError           **error);
/* What an index may use: top-level && conjuncts `r_X == p_Y`, and at most one `g(r_X, p_Y)` or
 * `g(r_X, p_Y, r_D)` (rows can only match if p_Y is among the roles r_X has). */
#define PH_EXPR_MAX_KEYS 4
typedef struct
{
  guint n_keys;
  guint r_index[PH_EXPR_MAX_KEYS];
  guint p_index[PH_EXPR_MAX_KEYS];
  gboolean has_role;
  guint role_index;
  guint role_r;
  guint role_p;
  int role_domain_r;   /* -1: no domain argument */
} PhExprIndexKeys;

void      ph_expr_index_keys     (PhExpr            *expr,
                                  PhExprIndexKeys   *keys);
gboolean  ph_value_equal         (const PhValue     *a,
                                  const PhValue     *b);
char     *ph_value_to_string     (const PhValue     *value);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhExpr, ph_expr_free)

G_END_DECLS
