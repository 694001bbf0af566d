/* ph-policy-value.h: the values a matcher computes with (govaluate's types).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef enum
{
  PH_VALUE_NULL,
  PH_VALUE_BOOL,
  PH_VALUE_NUMBER,   /* govaluate computes every number as float64 */
  PH_VALUE_STRING,
  PH_VALUE_ARRAY,    /* a parenthesised list, the right side of `in` */
  PH_VALUE_JSON,     /* an attribute object or array from an ABAC request */
} PhValueType;

typedef struct _PhValue PhValue;

/* Values never own what they point to: strings live in the request, the policy row, the compiled
 * matcher or the decision's scratch list, all of which outlive one decision. */
struct _PhValue
{
  PhValueType type;
  union
  {
    gboolean boolean;
    double number;
    const char *string;
    struct
    {
      PhValue *items;
      guint n_items;
    } array;
    JsonNode *json;
  };
};

static inline PhValue
ph_value_string (const char *s)
{
  PhValue v = { .type = PH_VALUE_STRING };
  v.string = s;
  return v;
}

static inline PhValue
ph_value_bool (gboolean b)
{
  PhValue v = { .type = PH_VALUE_BOOL };
  v.boolean = !!b;
  return v;
}

static inline PhValue
ph_value_number (double n)
{
  PhValue v = { .type = PH_VALUE_NUMBER };
  v.number = n;
  return v;
}

G_END_DECLS
