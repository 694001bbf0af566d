/* ph-enforcer.h: a Casbin-compatible enforcer: model + policy in, decisions out.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "ph-policy-error.h"
#include "ph-policy-value.h"

G_BEGIN_DECLS

#define PH_TYPE_ENFORCER (ph_enforcer_get_type ())

G_DECLARE_FINAL_TYPE (PhEnforcer, ph_enforcer, PH, ENFORCER, GObject)

/* Policy text above this size is refused unless the limit is raised. */
#define PH_ENFORCER_DEFAULT_MAX_POLICY_SIZE (64 * 1024 * 1024)

PhEnforcer         *ph_enforcer_new                (const char          *model_text,
                                                    GError             **error);
PhEnforcer         *ph_enforcer_new_for_files      (const char          *model_path,
                                                    const char          *policy_path,
                                                    GError             **error);
void                ph_enforcer_set_max_policy_size (PhEnforcer         *self,
                                                    gsize                max_size);
gboolean            ph_enforcer_load_policy        (PhEnforcer          *self,
                                                    const char          *policy_text,
                                                    gsize                length,
                                                    GError             **error);
gboolean            ph_enforcer_add_rule           (PhEnforcer          *self,
                                                    const char * const  *fields,
                                                    GError             **error);
gboolean            ph_enforcer_remove_rule        (PhEnforcer          *self,
                                                    const char * const  *fields);
char               *ph_enforcer_dump_policy        (PhEnforcer          *self);
char               *ph_enforcer_dump_model         (PhEnforcer          *self);
void                ph_enforcer_set_cache_enabled  (PhEnforcer          *self,
                                                    gboolean             enabled);
guint               ph_enforcer_get_n_contexts     (PhEnforcer          *self);
const char * const *ph_enforcer_get_request_tokens (PhEnforcer          *self,
                                                    guint                context);
const char * const *ph_enforcer_get_policy_tokens  (PhEnforcer          *self,
                                                    guint                context);
gboolean            ph_enforcer_enforce            (PhEnforcer          *self,
                                                    guint                context,
                                                    const PhValue       *request,
                                                    guint                n_values,
                                                    gboolean            *allowed,
                                                    const char * const **deciding_rule,
                                                    GError             **error);
gboolean            ph_enforcer_enforce_strings    (PhEnforcer          *self,
                                                    const char * const  *request,
                                                    gboolean            *allowed,
                                                    GError             **error);

G_END_DECLS
