/* ph-policy-builtins.c: Casbin's built-in matcher functions, with Go Casbin's semantics.
 *
 * Go Casbin builds its key matchers out of Go regular expressions; so do we, with RE2 itself (see
 * ph-regex.cc), which gives the same answers and never backtracks.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-policy"

#include "config.h"

#include <arpa/inet.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "ph-policy-builtins.h"
#include "ph-policy-error.h"
#include "ph-regex.h"

#define REGEX_CACHE_MAX 4096
#define GLOB_MAX_ALTERNATIVES 256

G_DEFINE_QUARK (ph-policy-error-quark, ph_policy_error)

static GMutex regex_lock;
static GHashTable *regex_cache;   /* pattern -> PhRegex */

/* Compiled patterns are kept, bounded, so a policy's patterns compile once. */
static PhRegex *
regex_get (const char *pattern,
           GError    **error)
{
  PhRegex *regex;

  g_mutex_lock (&regex_lock);
  if (regex_cache == NULL)
    regex_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) ph_regex_free);
  regex = g_hash_table_lookup (regex_cache, pattern);
  if (regex == NULL)
    {
      g_autofree char *message = NULL;

      if (!(regex = ph_regex_new (pattern, &message)))
        {
          g_mutex_unlock (&regex_lock);
          g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_EVAL,
                       _("Invalid regular expression “%s”: %s"), pattern, message);
          return NULL;
        }
      if (g_hash_table_size (regex_cache) >= REGEX_CACHE_MAX)
        g_hash_table_remove_all (regex_cache);
      g_hash_table_insert (regex_cache, g_strdup (pattern), regex);
    }
  g_mutex_unlock (&regex_lock);

  return regex;
}

/* Unanchored search, like Go's regexp.MatchString. */
gboolean
ph_regex_match (const char *text,
                const char *pattern,
                GError    **error)
{
  PhRegex *regex = regex_get (pattern, error);

  return regex && ph_regex_search (regex, text);
}

/* Captures (index 0 is the whole match), or NULL with no error if there is no match. */
static char **
regex_captures (const char *text,
                const char *pattern,
                GError    **error)
{
  PhRegex *regex = regex_get (pattern, error);

  return regex ? ph_regex_captures (regex, text) : NULL;
}

/* keyMatch: a `*` in the pattern matches any rest; text after the first `*` is ignored. */
gboolean
ph_key_match (const char *key,
              const char *pattern)
{
  const char *star = strchr (pattern, '*');
  gsize i, key_len;

  if (star == NULL)
    return strcmp (key, pattern) == 0;

  i = star - pattern;
  key_len = strlen (key);
  if (key_len > i)
    return strncmp (key, pattern, i) == 0;
  return key_len == i && strncmp (key, pattern, i) == 0;
}

static char *
key_get (const char *key,
         const char *pattern)
{
  const char *star = strchr (pattern, '*');
  gsize i;

  if (star == NULL)
    return g_strdup ("");
  i = star - pattern;
  if (strlen (key) > i && strncmp (key, pattern, i) == 0)
    return g_strdup (key + i);
  return g_strdup ("");
}

typedef enum
{
  PLACEHOLDER_COLON,   /* keyMatch2 `:name` */
  PLACEHOLDER_BRACES,  /* keyMatch3-5 `{name}` */
} PlaceholderStyle;

/* Rewrites a key pattern into a regular expression the way Go Casbin does: a slash-star becomes slash-dot-star
 * and each placeholder becomes @replacement; names of the placeholders go to @names. Other
 * characters, regular expression syntax included, pass through unchanged (as in Go). */
static char *
key_pattern_to_regex (const char       *pattern,
                      PlaceholderStyle  style,
                      const char       *replacement,
                      GPtrArray        *names)
{
  g_autoptr(GString) step1 = g_string_new (NULL);
  GString *re = g_string_new ("^");

  for (const char *p = pattern; *p; p++)
    {
      if (p[0] == '/' && p[1] == '*')
        {
          g_string_append (step1, "/.*");
          p++;
        }
      else
        g_string_append_c (step1, *p);
    }

  for (const char *p = step1->str; *p;)
    {
      if (style == PLACEHOLDER_COLON && *p == ':' && p[1] && p[1] != '/')
        {
          const char *end = p + 1;

          while (*end && *end != '/')
            end++;
          if (names)
            g_ptr_array_add (names, g_strndup (p + 1, end - p - 1));
          g_string_append (re, replacement);
          p = end;
          continue;
        }
      if (style == PLACEHOLDER_BRACES && *p == '{' && p[1] && p[1] != '/')
        {
          /* `\{[^/]+?\}`: the shortest run of at least one non-slash character up to a `}`. */
          const char *end = p + 2;

          while (*end && *end != '/' && *end != '}')
            end++;
          if (*end == '}')
            {
              if (names)
                g_ptr_array_add (names, g_strndup (p + 1, end - p - 1));
              g_string_append (re, replacement);
              p = end + 1;
              continue;
            }
        }
      g_string_append_c (re, *p);
      p++;
    }
  g_string_append_c (re, '$');

  return g_string_free (re, FALSE);
}

gboolean
ph_key_match2 (const char *key,
               const char *pattern,
               GError    **error)
{
  g_autofree char *re = key_pattern_to_regex (pattern, PLACEHOLDER_COLON, "[^/]+", NULL);

  return ph_regex_match (key, re, error);
}

gboolean
ph_key_match3 (const char *key,
               const char *pattern,
               GError    **error)
{
  g_autofree char *re = key_pattern_to_regex (pattern, PLACEHOLDER_BRACES, "[^/]+", NULL);

  return ph_regex_match (key, re, error);
}

/* keyMatch4: like keyMatch3, but a placeholder used twice must capture the same text twice. */
gboolean
ph_key_match4 (const char *key,
               const char *pattern,
               GError    **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *re = key_pattern_to_regex (pattern, PLACEHOLDER_BRACES, "([^/]+)", names);
  g_auto(GStrv) groups = regex_captures (key, re, error);
  g_autoptr(GHashTable) values = NULL;

  if (groups == NULL)
    return FALSE;

  values = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < names->len && groups[i] && groups[i + 1]; i++)
    {
      const char *name = g_ptr_array_index (names, i);
      const char *seen = g_hash_table_lookup (values, name);

      if (seen == NULL)
        g_hash_table_insert (values, (gpointer) name, groups[i + 1]);
      else if (strcmp (seen, groups[i + 1]) != 0)
        return FALSE;
    }
  return TRUE;
}

/* keyMatch5: keyMatch3 on the path with any `?query` removed. */
gboolean
ph_key_match5 (const char *key,
               const char *pattern,
               GError    **error)
{
  g_autofree char *path = g_strndup (key, strcspn (key, "?"));

  return ph_key_match3 (path, pattern, error);
}

static char *
key_get_named (const char       *key,
               const char       *pattern,
               const char       *name,
               PlaceholderStyle  style,
               GError          **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  const char *replacement = style == PLACEHOLDER_COLON ? "([^/]+)" : "([^/]+?)";
  g_autofree char *re = key_pattern_to_regex (pattern, style, replacement, names);
  g_auto(GStrv) groups = NULL;
  GError *local_error = NULL;

  groups = regex_captures (key, re, &local_error);
  if (local_error)
    {
      g_propagate_error (error, local_error);
      return NULL;
    }
  if (groups == NULL)
    return g_strdup ("");
  for (guint i = 0; i < names->len && groups[i] && groups[i + 1]; i++)
    if (strcmp (g_ptr_array_index (names, i), name) == 0)
      return g_strdup (groups[i + 1]);
  return g_strdup ("");
}

/* Parses an IPv4 or IPv6 address into 16 bytes, IPv4 as IPv4-mapped IPv6 like Go's net.IP. */
static gboolean
parse_ip (const char *text,
          guint8      out[16],
          gboolean   *is_v4)
{
  struct in_addr v4;

  if (inet_pton (AF_INET, text, &v4) == 1)
    {
      static const guint8 prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

      memcpy (out, prefix, 12);
      memcpy (out + 12, &v4, 4);
      *is_v4 = TRUE;
      return TRUE;
    }
  *is_v4 = FALSE;
  return inet_pton (AF_INET6, text, out) == 1;
}

gboolean
ph_ip_match (const char *ip,
             const char *pattern,
             GError    **error)
{
  guint8 a[16], b[16];
  gboolean a_v4, b_v4;
  const char *slash = strchr (pattern, '/');

  if (!parse_ip (ip, a, &a_v4))
    {
      g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_EVAL,
                   _("ipMatch: “%s” is not an IP address"), ip);
      return FALSE;
    }

  if (slash)
    {
      g_autofree char *net = g_strndup (pattern, slash - pattern);
      char *end = NULL;
      guint64 bits;
      guint max;

      if (parse_ip (net, b, &b_v4) && g_ascii_isdigit (slash[1]) &&
          (bits = g_ascii_strtoull (slash + 1, &end, 10), *end == '\0') &&
          bits <= (max = b_v4 ? 32 : 128))
        {
          guint prefix = (guint) bits + (b_v4 ? 96 : 0);

          /* Go: a v4 network never contains a v6 address and vice versa. */
          if (a_v4 != b_v4)
            return FALSE;
          for (guint i = 0; i < prefix / 8; i++)
            if (a[i] != b[i])
              return FALSE;
          if (prefix % 8)
            {
              guint8 mask = (guint8) (0xff << (8 - prefix % 8));

              return (a[prefix / 8] & mask) == (b[prefix / 8] & mask);
            }
          return TRUE;
        }
    }
  else if (parse_ip (pattern, b, &b_v4))
    return memcmp (a, b, 16) == 0;

  g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_EVAL,
               _("ipMatch: “%s” is neither an IP address nor a CIDR"), pattern);
  return FALSE;
}

/* Glob matching with the semantics of Go's doublestar v4 (Casbin's globMatch): `*` and `?` stay
 * within a path segment, a `**` segment spans any number of segments, `[...]` classes (`!` or `^`
 * negates), `{a,b}` alternatives and `\` escapes. */

static gboolean
class_match (const char **pp,
             char         c,
             gboolean    *ok)
{
  const char *p = *pp + 1;
  gboolean negate = FALSE, matched = FALSE;

  if (*p == '!' || *p == '^')
    {
      negate = TRUE;
      p++;
    }
  for (gboolean first = TRUE; *p && (first || *p != ']'); first = FALSE)
    {
      char lo = *p, hi;

      if (lo == '\\' && p[1])
        lo = *++p;
      p++;
      hi = lo;
      if (*p == '-' && p[1] && p[1] != ']')
        {
          p++;
          hi = *p;
          if (hi == '\\' && p[1])
            hi = *++p;
          p++;
        }
      if (lo <= c && c <= hi)
        matched = TRUE;
    }
  if (*p != ']')
    {
      *ok = FALSE;   /* an unclosed class: doublestar reports a bad pattern, which Casbin treats as no match */
      return FALSE;
    }
  *pp = p + 1;
  return matched != negate;
}

/* One path segment against one pattern segment (no `/` in either). */
static gboolean
glob_segment (const char *p,
              const char *p_end,
              const char *s,
              const char *s_end,
              gboolean   *ok)
{
  const char *star_p = NULL, *star_s = NULL;

  while (s < s_end)
    {
      if (p < p_end && *p == '*')
        {
          while (p < p_end && *p == '*')
            p++;
          star_p = p;
          star_s = s;
          continue;
        }
      if (p < p_end)
        {
          const char *next = p;
          gboolean hit;

          if (*p == '?')
            {
              hit = TRUE;
              next = p + 1;
            }
          else if (*p == '[')
            {
              hit = class_match (&next, *s, ok);
              if (!*ok)
                return FALSE;
            }
          else if (*p == '\\' && p + 1 < p_end)
            {
              hit = p[1] == *s;
              next = p + 2;
            }
          else
            {
              hit = *p == *s;
              next = p + 1;
            }
          if (hit)
            {
              p = next;
              s++;
              continue;
            }
        }
      if (star_p == NULL)
        return FALSE;
      p = star_p;
      s = ++star_s;
    }
  while (p < p_end && *p == '*')
    p++;
  return p == p_end;
}

static gboolean
glob_segments (char     **pat,
               char     **name,
               gboolean  *ok)
{
  if (*pat == NULL)
    return *name == NULL;

  if (strcmp (*pat, "**") == 0)
    {
      /* Zero or more whole segments. */
      for (char **n = name;; n++)
        {
          if (glob_segments (pat + 1, n, ok))
            return TRUE;
          if (*n == NULL)
            return FALSE;
        }
    }
  if (*name == NULL)
    return FALSE;
  if (!glob_segment (*pat, *pat + strlen (*pat), *name, *name + strlen (*name), ok))
    return FALSE;
  return glob_segments (pat + 1, name + 1, ok);
}

/* Expands the first `{a,b,...}` group (nested groups expand on recursion). */
static void
glob_expand (const char *pattern,
             GPtrArray  *out)
{
  const char *open = NULL;
  int depth = 0;

  if (out->len >= GLOB_MAX_ALTERNATIVES)
    return;
  for (const char *p = pattern; *p; p++)
    {
      if (*p == '\\' && p[1])
        {
          p++;
          continue;
        }
      if (*p == '{')
        {
          if (depth++ == 0)
            open = p;
        }
      else if (*p == '}' && depth > 0 && --depth == 0)
        {
          const char *start = open + 1;
          int inner = 0;

          for (const char *q = start;; q++)
            {
              if (*q == '\\' && q[1])
                {
                  q++;
                  continue;
                }
              if (*q == '{')
                inner++;
              else if (*q == '}' && inner > 0)
                inner--;
              else if ((*q == ',' && inner == 0) || q == p)
                {
                  g_autofree char *alt = g_strdup_printf ("%.*s%.*s%s", (int) (open - pattern), pattern,
                                                          (int) (q - start), start, p + 1);
                  glob_expand (alt, out);
                  start = q + 1;
                  if (q == p)
                    break;
                }
            }
          return;
        }
    }
  g_ptr_array_add (out, g_strdup (pattern));
}

gboolean
ph_glob_match (const char *name,
               const char *pattern)
{
  g_autoptr(GPtrArray) alternatives = g_ptr_array_new_with_free_func (g_free);
  g_auto(GStrv) name_parts = g_strsplit (name, "/", -1);

  glob_expand (pattern, alternatives);
  for (guint i = 0; i < alternatives->len; i++)
    {
      g_auto(GStrv) pat_parts = g_strsplit (g_ptr_array_index (alternatives, i), "/", -1);
      gboolean ok = TRUE;

      if (glob_segments (pat_parts, name_parts, &ok) && ok)
        return TRUE;
    }
  return FALSE;
}

/* The matcher-facing wrappers: check arity and types, as Go's wrappers do. */

static gboolean
want_strings (const char    *func,
              const PhValue *args,
              guint          n_args,
              guint          n_want,
              GError       **error)
{
  if (n_args != n_want)
    {
      g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_EVAL,
                   _("%s: expected %u arguments, got %u"), func, n_want, n_args);
      return FALSE;
    }
  for (guint i = 0; i < n_args; i++)
    if (args[i].type != PH_VALUE_STRING)
      {
        g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_EVAL,
                     _("%s: argument %u must be a string"), func, i + 1);
        return FALSE;
      }
  return TRUE;
}

#define BOOL_BUILTIN(fname, cname, call)                                                       \
  static gboolean                                                                              \
  cname (const PhValue *args, guint n_args, GPtrArray *scratch, PhValue *out, GError **error)  \
  {                                                                                            \
    GError *local_error = NULL;                                                                \
    gboolean r;                                                                                \
    if (!want_strings (fname, args, n_args, 2, error))                                         \
      return FALSE;                                                                            \
    r = call;                                                                                  \
    if (local_error)                                                                           \
      {                                                                                        \
        g_propagate_error (error, local_error);                                                \
        return FALSE;                                                                          \
      }                                                                                        \
    *out = ph_value_bool (r);                                                                  \
    return TRUE;                                                                               \
  }

BOOL_BUILTIN ("keyMatch", builtin_key_match, ph_key_match (args[0].string, args[1].string))
BOOL_BUILTIN ("keyMatch2", builtin_key_match2, ph_key_match2 (args[0].string, args[1].string, &local_error))
BOOL_BUILTIN ("keyMatch3", builtin_key_match3, ph_key_match3 (args[0].string, args[1].string, &local_error))
BOOL_BUILTIN ("keyMatch4", builtin_key_match4, ph_key_match4 (args[0].string, args[1].string, &local_error))
BOOL_BUILTIN ("keyMatch5", builtin_key_match5, ph_key_match5 (args[0].string, args[1].string, &local_error))
BOOL_BUILTIN ("regexMatch", builtin_regex_match, ph_regex_match (args[0].string, args[1].string, &local_error))
BOOL_BUILTIN ("ipMatch", builtin_ip_match, ph_ip_match (args[0].string, args[1].string, &local_error))
BOOL_BUILTIN ("globMatch", builtin_glob_match, ph_glob_match (args[0].string, args[1].string))

static gboolean
builtin_key_get (const PhValue *args, guint n_args, GPtrArray *scratch, PhValue *out, GError **error)
{
  char *s;

  if (!want_strings ("keyGet", args, n_args, 2, error))
    return FALSE;
  s = key_get (args[0].string, args[1].string);
  g_ptr_array_add (scratch, s);
  *out = ph_value_string (s);
  return TRUE;
}

static gboolean
key_get_builtin (const char *fname, PlaceholderStyle style, const PhValue *args, guint n_args,
                 GPtrArray *scratch, PhValue *out, GError **error)
{
  char *s;

  if (!want_strings (fname, args, n_args, 3, error))
    return FALSE;
  if (!(s = key_get_named (args[0].string, args[1].string, args[2].string, style, error)))
    return FALSE;
  g_ptr_array_add (scratch, s);
  *out = ph_value_string (s);
  return TRUE;
}

static gboolean
builtin_key_get2 (const PhValue *args, guint n_args, GPtrArray *scratch, PhValue *out, GError **error)
{
  return key_get_builtin ("keyGet2", PLACEHOLDER_COLON, args, n_args, scratch, out, error);
}

static gboolean
builtin_key_get3 (const PhValue *args, guint n_args, GPtrArray *scratch, PhValue *out, GError **error)
{
  return key_get_builtin ("keyGet3", PLACEHOLDER_BRACES, args, n_args, scratch, out, error);
}

static const struct
{
  const char *name;
  PhBuiltinFunc func;
} builtins[] = {
  { "keyMatch", builtin_key_match },
  { "keyMatch2", builtin_key_match2 },
  { "keyMatch3", builtin_key_match3 },
  { "keyMatch4", builtin_key_match4 },
  { "keyMatch5", builtin_key_match5 },
  { "keyGet", builtin_key_get },
  { "keyGet2", builtin_key_get2 },
  { "keyGet3", builtin_key_get3 },
  { "regexMatch", builtin_regex_match },
  { "ipMatch", builtin_ip_match },
  { "globMatch", builtin_glob_match },
};

PhBuiltinFunc
ph_policy_builtin_lookup (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (builtins); i++)
    if (strcmp (builtins[i].name, name) == 0)
      return builtins[i].func;
  return NULL;
}
