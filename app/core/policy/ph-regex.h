/* ph-regex.h: regular expressions with Go's syntax and RE2's linear-time guarantee.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PhRegex PhRegex;

PhRegex  *ph_regex_new      (const char  *pattern,
                             char       **error_message);
void      ph_regex_free     (PhRegex     *regex);
gboolean  ph_regex_search   (PhRegex     *regex,
                             const char  *text);
char    **ph_regex_captures (PhRegex     *regex,
                             const char  *text);

G_END_DECLS
