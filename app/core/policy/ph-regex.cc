// ph-regex.cc: regular expressions with Go's syntax and RE2's linear-time guarantee.
//
// Go Casbin matches with Go's regexp package, which is RE2. Using RE2 itself gives the same
// syntax and the same answers, and RE2 never backtracks: time is linear in the input, so a
// hostile pattern in a policy cannot stall a decision.
// SPDX-License-Identifier: GPL-3.0-or-later
#include <re2/re2.h>

#include <vector>

extern "C" {
#include "ph-regex.h"
}

struct _PhRegex
{
  RE2 *re;
};

extern "C" PhRegex *
ph_regex_new (const char  *pattern,
              char       **error_message)
{
  RE2::Options options;

  options.set_log_errors (false);
  RE2 *re = new RE2 (pattern, options);
  if (!re->ok ())
    {
      if (error_message)
        *error_message = g_strdup (re->error ().c_str ());
      delete re;
      return NULL;
    }
  PhRegex *regex = g_new0 (PhRegex, 1);
  regex->re = re;
  return regex;
}

extern "C" void
ph_regex_free (PhRegex *regex)
{
  if (regex == NULL)
    return;
  delete regex->re;
  g_free (regex);
}

extern "C" gboolean
ph_regex_search (PhRegex    *regex,
                 const char *text)
{
  return RE2::PartialMatch (text, *regex->re);
}

// The whole match and each group, or NULL if there is no match.
extern "C" char **
ph_regex_captures (PhRegex    *regex,
                   const char *text)
{
  int n = regex->re->NumberOfCapturingGroups () + 1;
  std::vector<re2::StringPiece> groups (n);
  re2::StringPiece input (text);

  if (!regex->re->Match (input, 0, input.size (), RE2::UNANCHORED, groups.data (), n))
    return NULL;

  char **out = g_new0 (char *, n + 1);
  for (int i = 0; i < n; i++)
    out[i] = groups[i].data () ? g_strndup (groups[i].data (), groups[i].size ()) : g_strdup ("");
  return out;
}
