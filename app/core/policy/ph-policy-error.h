/* ph-policy-error.h: the error domain of the policy engine.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define PH_POLICY_ERROR (ph_policy_error_quark ())

typedef enum
{
  PH_POLICY_ERROR_MODEL = 1,     /* the .conf text is malformed or incomplete */
  PH_POLICY_ERROR_POLICY,        /* a policy line is malformed */
  PH_POLICY_ERROR_MATCHER,       /* a matcher (or eval rule) does not parse */
  PH_POLICY_ERROR_REQUEST,       /* a request has the wrong size or form */
  PH_POLICY_ERROR_EVAL,          /* evaluating a matcher failed (types, bad regex, ...) */
  PH_POLICY_ERROR_UNSUPPORTED_EFFECT,
  PH_POLICY_ERROR_CYCLE,         /* a role hierarchy links back to itself */
  PH_POLICY_ERROR_TOO_LARGE,     /* over a configured size or depth limit */
} PhPolicyError;

GQuark ph_policy_error_quark (void);

G_END_DECLS
