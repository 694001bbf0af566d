/* ph-generator.h: unbiased random passwords and passphrases.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ph-secret.h"

G_BEGIN_DECLS

#define PH_GENERATOR_ERROR (ph_generator_error_quark ())

typedef enum
{
  PH_GENERATOR_ERROR_INVALID = 1,
  PH_GENERATOR_ERROR_WORDLIST,
} PhGeneratorError;

typedef enum
{
  PH_CHARS_LOWER   = 1 << 0,
  PH_CHARS_UPPER   = 1 << 1,
  PH_CHARS_DIGITS  = 1 << 2,
  PH_CHARS_SYMBOLS = 1 << 3,
  PH_CHARS_ALL     = 0xf,
} PhCharClasses;

typedef struct
{
  guint          length;
  PhCharClasses  classes;
  gboolean       exclude_ambiguous;  /* 0 O o 1 l I | ` ' " */
  const char    *exclude;            /* more characters never to use */
  gboolean       require_each_class; /* at least one of each chosen class */
} PhPasswordOptions;

GQuark    ph_generator_error_quark       (void);
void      ph_password_options_init       (PhPasswordOptions *options);
PhSecret *ph_generate_password           (const PhPasswordOptions *options,
                                          double            *out_entropy_bits,
                                          GError           **error);
PhSecret *ph_generate_passphrase         (guint              n_words,
                                          const char        *separator,
                                          double            *out_entropy_bits,
                                          GError           **error);
double    ph_password_options_entropy    (const PhPasswordOptions *options);

G_END_DECLS
