/* ph-generator.c: unbiased random passwords and passphrases.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-generator"

#include "config.h"

#include <math.h>
#include <sodium.h>
#include <glib/gi18n-lib.h>

#include "ph-crypto.h"
#include "ph-generator.h"

#define WORDLIST_NAME "eff_large_wordlist.txt"
#define MAX_LENGTH    1024
#define MAX_WORDS     64

G_DEFINE_QUARK (ph-generator-error-quark, ph_generator_error)

static const char *class_chars[] = {
  "abcdefghijklmnopqrstuvwxyz",
  "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  "0123456789",
  "!#$%&()*+,-./:;<=>?@[]^_{}~",
};
static const char ambiguous[] = "0Oo1lI|`'\"";

void
ph_password_options_init (PhPasswordOptions *options)
{
  memset (options, 0, sizeof *options);
  options->length = 20;
  options->classes = PH_CHARS_ALL;
  options->require_each_class = TRUE;
}

static gboolean
allowed (const PhPasswordOptions *options,
         char                     c)
{
  if (options->exclude_ambiguous && strchr (ambiguous, c))
    return FALSE;
  return options->exclude == NULL || strchr (options->exclude, c) == NULL;
}

/* The alphabet of each chosen class after exclusions; empty strings for classes not chosen. */
static void
build_alphabets (const PhPasswordOptions *options,
                 GString                 *classes[4],
                 GString                 *all)
{
  for (guint c = 0; c < 4; c++)
    {
      classes[c] = g_string_new (NULL);
      if (!(options->classes & (1 << c)))
        continue;
      for (const char *p = class_chars[c]; *p; p++)
        if (allowed (options, *p))
          g_string_append_c (classes[c], *p);
      g_string_append (all, classes[c]->str);
    }
}

/**
 * ph_password_options_entropy:
 *
 * Returns: bits of entropy of a password drawn uniformly from the alphabet (a slight
 *   overestimate when each class is required, by less than a bit for usual lengths)
 */
double
ph_password_options_entropy (const PhPasswordOptions *options)
{
  GString *classes[4];
  g_autoptr(GString) all = g_string_new (NULL);
  double bits;

  build_alphabets (options, classes, all);
  bits = all->len > 0 ? options->length * log2 ((double) all->len) : 0;
  for (guint c = 0; c < 4; c++)
    g_string_free (classes[c], TRUE);
  return bits;
}

/**
 * ph_generate_password:
 *
 * Every character is drawn with randombytes_uniform(), which has no modulo bias. Requiring a
 * character of each class is done by rejecting whole candidates, which keeps the result
 * uniform over all passwords that qualify.
 */
PhSecret *
ph_generate_password (const PhPasswordOptions *options,
                      double                  *out_entropy_bits,
                      GError                 **error)
{
  GString *classes[4];
  g_autoptr(GString) all = g_string_new (NULL);
  g_autoptr(PhSecret) password = NULL;
  guint n_classes = 0;

  g_return_val_if_fail (options != NULL, NULL);

  ph_crypto_init ();
  build_alphabets (options, classes, all);
  for (guint c = 0; c < 4; c++)
    n_classes += classes[c]->len > 0;

  if (options->length == 0 || options->length > MAX_LENGTH)
    g_set_error (error, PH_GENERATOR_ERROR, PH_GENERATOR_ERROR_INVALID,
                 _("The length must be between 1 and %d"), MAX_LENGTH);
  else if (all->len < 2)
    g_set_error (error, PH_GENERATOR_ERROR, PH_GENERATOR_ERROR_INVALID,
                 _("No characters left to choose from: allow more classes or exclude fewer"));
  else if (options->require_each_class && n_classes > options->length)
    g_set_error (error, PH_GENERATOR_ERROR, PH_GENERATOR_ERROR_INVALID,
                 _("A password of %u characters cannot hold one of each of %u classes"),
                 options->length, n_classes);
  else
    {
      password = ph_secret_new (options->length);
      for (;;)
        {
          guint8 *out = ph_secret_get_mutable (password);
          guint seen = 0;

          for (guint i = 0; i < options->length; i++)
            {
              out[i] = all->str[randombytes_uniform (all->len)];
              for (guint c = 0; c < 4; c++)
                if (classes[c]->len > 0 && strchr (classes[c]->str, out[i]))
                  seen |= 1 << c;
            }
          if (!options->require_each_class || (guint) __builtin_popcount (seen) == n_classes)
            break;
        }
      if (out_entropy_bits)
        *out_entropy_bits = options->length * log2 ((double) all->len);
    }

  for (guint c = 0; c < 4; c++)
    g_string_free (classes[c], TRUE);
  return g_steal_pointer (&password);
}

static GStrv
load_wordlist (GError **error)
{
  static GStrv words = NULL;
  static GMutex lock;
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new (&lock);
  const char *dirs[] = { g_getenv ("PERIHELION_DATADIR"), PKGDATADIR, PH_SOURCE_DATADIR };

  if (words != NULL)
    return words;

  for (guint i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = NULL;
      g_autofree char *contents = NULL;
      g_auto(GStrv) lines = NULL;
      g_autoptr(GStrvBuilder) builder = NULL;

      if (dirs[i] == NULL)
        continue;
      path = g_build_filename (dirs[i], "wordlists", WORDLIST_NAME, NULL);
      if (!g_file_get_contents (path, &contents, NULL, NULL))
        continue;

      builder = g_strv_builder_new ();
      lines = g_strsplit (contents, "\n", -1);
      for (guint j = 0; lines[j]; j++)
        {
          /* Lines are "DICE<TAB>word" as the EFF publishes them, or just "word". */
          const char *word = strchr (lines[j], '\t');

          word = word ? word + 1 : lines[j];
          if (*word)
            g_strv_builder_add (builder, g_strstrip ((char *) word));
        }
      words = g_strv_builder_end (builder);
      return words;
    }

  g_set_error (error, PH_GENERATOR_ERROR, PH_GENERATOR_ERROR_WORDLIST,
               _("The passphrase word list %s is missing from this installation"), WORDLIST_NAME);
  return NULL;
}

/**
 * ph_generate_passphrase:
 *
 * Words are drawn uniformly from the EFF large word list (7776 words, 12.9 bits each).
 */
PhSecret *
ph_generate_passphrase (guint       n_words,
                        const char *separator,
                        double     *out_entropy_bits,
                        GError    **error)
{
  GStrv words;
  guint n_list;
  gsize total = 0, sep_len;
  guint32 picks[MAX_WORDS];
  PhSecret *phrase;
  guint8 *out;

  ph_crypto_init ();

  if (n_words == 0 || n_words > MAX_WORDS)
    {
      g_set_error (error, PH_GENERATOR_ERROR, PH_GENERATOR_ERROR_INVALID,
                   _("The number of words must be between 1 and %d"), MAX_WORDS);
      return NULL;
    }
  if ((words = load_wordlist (error)) == NULL)
    return NULL;

  separator = separator ? separator : "-";
  sep_len = strlen (separator);
  n_list = g_strv_length (words);
  for (guint i = 0; i < n_words; i++)
    {
      picks[i] = randombytes_uniform (n_list);
      total += strlen (words[picks[i]]) + (i > 0 ? sep_len : 0);
    }

  phrase = ph_secret_new (total);
  out = ph_secret_get_mutable (phrase);
  for (guint i = 0; i < n_words; i++)
    {
      gsize len = strlen (words[picks[i]]);

      if (i > 0)
        {
          memcpy (out, separator, sep_len);
          out += sep_len;
        }
      memcpy (out, words[picks[i]], len);
      out += len;
    }
  sodium_memzero (picks, sizeof picks);
  if (out_entropy_bits)
    *out_entropy_bits = n_words * log2 ((double) n_list);
  return phrase;
}
