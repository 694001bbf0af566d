/* ph-policy-model.h: reading Casbin model (.conf) text, and Casbin's CSV lines.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-policy-value.h"

G_BEGIN_DECLS

typedef struct
{
  char *key;       /* "r", "p2", "g", "e", "m" ... */
  char *value;     /* as written, joined over continuation lines */
  char *escaped;   /* `r.x` rewritten to `r_x` (Casbin's EscapeAssertion); for e and m */
  GStrv tokens;    /* r and p: "r_sub", "p2_obj" ...; g: one "_" per field */
  guint line;
} PhModelAssertion;

typedef struct
{
  GPtrArray *r;    /* PhModelAssertion, r, r2, r3 ... in order */
  GPtrArray *p;
  GPtrArray *g;
  GPtrArray *e;
  GPtrArray *m;
} PhPolicyModel;

PhPolicyModel    *ph_policy_model_parse     (const char       *text,
                                             GError          **error);
void              ph_policy_model_free      (PhPolicyModel    *model);
PhModelAssertion *ph_policy_model_find      (GPtrArray        *section,
                                             const char       *key);
char             *ph_policy_escape_assertion (const char      *text);
GStrv             ph_policy_parse_csv_line  (const char       *line,
                                             guint             line_number,
                                             GError          **error);

/* One request: values parsed from a request line, alive until the next parse or free. */
typedef struct _PhPolicyRequest PhPolicyRequest;

PhPolicyRequest *ph_policy_request_new          (void);
void             ph_policy_request_free         (PhPolicyRequest *req);
gboolean         ph_policy_request_parse        (PhPolicyRequest *req,
                                                 const char      *line,
                                                 guint            line_number,
                                                 GError         **error);
const PhValue   *ph_policy_request_get_values   (PhPolicyRequest *req);
guint            ph_policy_request_get_n_values (PhPolicyRequest *req);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhPolicyModel, ph_policy_model_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhPolicyRequest, ph_policy_request_free)

G_END_DECLS
