/* ph-policy-builtins.h: Casbin's built-in matcher functions, with Go Casbin's semantics.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-policy-value.h"

G_BEGIN_DECLS

/* A built-in takes its arguments, may allocate result strings into @scratch (freed after the
 * decision), and sets @out. */
typedef gboolean (*PhBuiltinFunc) (const PhValue *args,
                                   guint          n_args,
                                   GPtrArray     *scratch,
                                   PhValue       *out,
                                   GError       **error);

PhBuiltinFunc ph_policy_builtin_lookup (const char *name);

gboolean ph_key_match       (const char *key, const char *pattern);
gboolean ph_key_match2      (const char *key, const char *pattern, GError **error);
gboolean ph_key_match3      (const char *key, const char *pattern, GError **error);
gboolean ph_key_match4      (const char *key, const char *pattern, GError **error);
gboolean ph_key_match5      (const char *key, const char *pattern, GError **error);
gboolean ph_regex_match     (const char *text, const char *pattern, GError **error);
gboolean ph_ip_match        (const char *ip, const char *pattern, GError **error);
gboolean ph_glob_match      (const char *name, const char *pattern);

G_END_DECLS
