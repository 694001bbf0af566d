/* ph-policy-model.c: reading Casbin model (.conf) text, and Casbin's CSV lines.
 *
 * The rules are Go Casbin's config reader: INI sections, `#` and `;` start a comment anywhere on
 * a line, a trailing `\` continues a line, keys split at the first `=`, and numbered keys (r2,
 * p2, ...) are read in order until the first missing number.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-policy"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>

#include "ph-policy-error.h"
#include "ph-policy-model.h"
#include "ph-policy-value.h"

static void
assertion_free (gpointer data)
{
  PhModelAssertion *a = data;

  g_free (a->key);
  g_free (a->value);
  g_free (a->escaped);
  g_strfreev (a->tokens);
  g_free (a);
}

void
ph_policy_model_free (PhPolicyModel *model)
{
  if (model == NULL)
    return;
  g_clear_pointer (&model->r, g_ptr_array_unref);
  g_clear_pointer (&model->p, g_ptr_array_unref);
  g_clear_pointer (&model->g, g_ptr_array_unref);
  g_clear_pointer (&model->e, g_ptr_array_unref);
  g_clear_pointer (&model->m, g_ptr_array_unref);
  g_free (model);
}

PhModelAssertion *
ph_policy_model_find (GPtrArray  *section,
                      const char *key)
{
  for (guint i = 0; i < section->len; i++)
    {
      PhModelAssertion *a = g_ptr_array_index (section, i);

      if (strcmp (a->key, key) == 0)
        return a;
    }
  return NULL;
}

/* Go's util.EscapeAssertion: `r.` / `p.` (and `r2.`, `p2.` ...) at the start or after one of
 * `( ) whitespace | & , = ! > < + - * /` become `r_` / `p_`; only that first dot. */
char *
ph_policy_escape_assertion (const char *text)
{
  char *out = g_strdup (text);

  for (char *s = out; *s; s++)
    {
      char *d;

      if ((*s != 'r' && *s != 'p') || (s > out && !strchr ("()|&,=!><+-*/ \t", s[-1])))
        continue;
      d = s + 1;
      while (g_ascii_isdigit (*d))
        d++;
      if (*d == '.')
        *d = '_';
    }
  return out;
}

typedef enum
{
  SECTION_NONE,
  SECTION_R,
  SECTION_P,
  SECTION_G,
  SECTION_E,
  SECTION_M,
  SECTION_OTHER,
} Section;

static const struct
{
  const char *name;
  Section section;
  char letter;
} sections[] = {
  { "request_definition", SECTION_R, 'r' },
  { "policy_definition", SECTION_P, 'p' },
  { "role_definition", SECTION_G, 'g' },
  { "policy_effect", SECTION_E, 'e' },
  { "matchers", SECTION_M, 'm' },
};

static gboolean
key_is_numbered (const char *key,
                 char        letter,
                 guint      *number)
{
  guint64 n = 1;

  if (key[0] != letter)
    return FALSE;
  if (key[1] == '\0')
    {
      *number = 1;
      return TRUE;
    }
  if (!g_ascii_isdigit (key[1]) || key[1] == '0')
    return FALSE;
  for (const char *c = key + 1; *c; c++)
    if (!g_ascii_isdigit (*c))
      return FALSE;
  n = g_ascii_strtoull (key + 1, NULL, 10);
  if (n < 2 || n > 1000)
    return FALSE;
  *number = (guint) n;
  return TRUE;
}

static gboolean
finish_assertion (PhModelAssertion *a,
                  Section           section,
                  GError          **error)
{
  if (section == SECTION_R || section == SECTION_P)
    {
      g_auto(GStrv) names = g_strsplit (a->value, ",", -1);
      guint n = g_strv_length (names);

      a->tokens = g_new0 (char *, n + 1);
      for (guint i = 0; i < n; i++)
        {
          char *name = g_strstrip (names[i]);

          if (*name == '\0')
            {
              g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_MODEL,
                           _("Model line %u: “%s” has an empty field name"), a->line, a->key);
              return FALSE;
            }
          a->tokens[i] = g_strconcat (a->key, "_", name, NULL);
        }
    }
  else if (section == SECTION_G)
    {
      g_auto(GStrv) fields = g_strsplit (a->value, ",", -1);
      guint n = g_strv_length (fields);

      if (strchr (a->value, '('))
        {
          g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_MODEL,
                       _("Model line %u: conditional role links (“%s”) are not supported"),
                       a->line, a->value);
          return FALSE;
        }
      for (guint i = 0; i < n; i++)
        if (strcmp (g_strstrip (fields[i]), "_") != 0)
          {
            g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_MODEL,
                         _("Model line %u: a role definition is written “_, _” or “_, _, _”"), a->line);
            return FALSE;
          }
      if (n < 2)
        {
          g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_MODEL,
                       _("Model line %u: a role definition needs at least two fields"), a->line);
          return FALSE;
        }
      a->tokens = g_new0 (char *, n + 1);
      for (guint i = 0; i < n; i++)
        a->tokens[i] = g_strdup ("_");
    }
  else if (section == SECTION_M)
    {
      g_autofree char *escaped = ph_policy_escape_assertion (a->value);

      /* Go Casbin: if the text mentions "in" anywhere, [ and ] become ( and ) so that
       * `r.obj in ['a', 'b']` works. */
      if (strstr (escaped, "in"))
        {
          g_strdelimit (escaped, "[", '(');
          g_strdelimit (escaped, "]", ')');
        }
      a->escaped = g_steal_pointer (&escaped);
    }
  else if (section == SECTION_E)
    a->escaped = ph_policy_escape_assertion (a->value);

  return TRUE;
}

PhPolicyModel *
ph_policy_model_parse (const char *text,
                       GError    **error)
{
  g_autoptr(PhPolicyModel) model = g_new0 (PhPolicyModel, 1);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  GPtrArray *by_section[SECTION_OTHER + 1] = { NULL };
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  Section section = SECTION_NONE;
  g_autoptr(GString) logical = g_string_new (NULL);
  guint logical_start = 0;

  model->r = g_ptr_array_new_with_free_func (assertion_free);
  model->p = g_ptr_array_new_with_free_func (assertion_free);
  model->g = g_ptr_array_new_with_free_func (assertion_free);
  model->e = g_ptr_array_new_with_free_func (assertion_free);
  model->m = g_ptr_array_new_with_free_func (assertion_free);
  by_section[SECTION_R] = model->r;
  by_section[SECTION_P] = model->p;
  by_section[SECTION_G] = model->g;
  by_section[SECTION_E] = model->e;
  by_section[SECTION_M] = model->m;

  for (guint n = 0; lines[n]; n++)
    {
      char *line = lines[n];
      gsize comment = strcspn (line, "#;");
      gboolean continues;

      line[comment] = '\0';
      g_strstrip (line);
      if (logical->len == 0)
        logical_start = n + 1;
      continues = g_str_has_suffix (line, "\\");
      if (continues)
        {
          line[strlen (line) - 1] = '\0';
          g_strchomp (line);
        }
      if (*line)
        {
          if (logical->len)
            g_string_append_c (logical, ' ');
          g_string_append (logical, line);
        }
      if (continues && lines[n + 1])
        continue;
      if (logical->len == 0)
        continue;

      if (logical->str[0] == '[' && logical->str[logical->len - 1] == ']')
        {
          g_autofree char *name = g_strndup (logical->str + 1, logical->len - 2);

          section = SECTION_OTHER;
          for (guint i = 0; i < G_N_ELEMENTS (sections); i++)
            if (strcmp (sections[i].name, g_strstrip (name)) == 0)
              section = sections[i].section;
        }
      else
        {
          char *eq = strchr (logical->str, '=');
          g_autofree char *key = NULL;
          guint number;
          PhModelAssertion *a;

          if (eq == NULL || section == SECTION_NONE)
            {
              g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_MODEL,
                           eq == NULL ? _("Model line %u: expected “key = value” or a [section]")
                                      : _("Model line %u: a key outside any [section]"),
                           logical_start);
              return NULL;
            }
          {
            g_autofree char *raw = g_strndup (logical->str, eq - logical->str);

            key = g_ascii_strdown (g_strstrip (raw), -1);
          }
          if (section != SECTION_OTHER && key_is_numbered (key, sections[section - 1].letter, &number))
            {
              if (!g_hash_table_add (seen, g_strdup_printf ("%d:%s", section, key)))
                {
                  g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_MODEL,
                               _("Model line %u: “%s” is defined twice"), logical_start, key);
                  return NULL;
                }
              a = g_new0 (PhModelAssertion, 1);
              a->key = g_steal_pointer (&key);
              a->value = g_strstrip (g_strdup (eq + 1));
              a->line = logical_start;
              if (!finish_assertion (a, section, error))
                {
                  assertion_free (a);
                  return NULL;
                }
              g_ptr_array_add (by_section[section], a);
            }
        }
      g_string_truncate (logical, 0);
    }
  /* Keep r, r2, r3 ... only up to the first gap, as Go does; sort by number. */
  for (guint s = SECTION_R; s <= SECTION_M; s++)
    {
      GPtrArray *list = by_section[s];
      char letter = sections[s - 1].letter;
      g_autoptr(GPtrArray) ordered = g_ptr_array_new_with_free_func (assertion_free);

      for (guint number = 1;; number++)
        {
          g_autofree char *want = number == 1 ? g_strdup_printf ("%c", letter)
                                              : g_strdup_printf ("%c%u", letter, number);
          guint index;
          gboolean found = FALSE;

          for (index = 0; index < list->len; index++)
            if (strcmp (((PhModelAssertion *) g_ptr_array_index (list, index))->key, want) == 0)
              {
                found = TRUE;
                break;
              }
          if (!found)
            break;
          g_ptr_array_add (ordered, g_ptr_array_steal_index (list, index));
        }
      g_ptr_array_set_size (list, 0);
      g_ptr_array_extend_and_steal (list, g_steal_pointer (&ordered));
    }

  {
    const char *missing[4];
    guint n_missing = 0;

    if (model->r->len == 0)
      missing[n_missing++] = "request_definition";
    if (model->p->len == 0)
      missing[n_missing++] = "policy_definition";
    if (model->e->len == 0)
      missing[n_missing++] = "policy_effect";
    if (model->m->len == 0)
      missing[n_missing++] = "matchers";
    if (n_missing)
      {
        g_autofree char *list = NULL;

        missing[n_missing] = NULL;
        list = g_strjoinv (", ", (char **) missing);
        g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_MODEL,
                     _("Model is missing required sections: %s"), list);
        return NULL;
      }
  }

  return g_steal_pointer (&model);
}

/* One line of a Casbin policy or request as Go's encoding/csv reads it with TrimLeadingSpace:
 * fields split at commas, a field may be quoted with doubled quotes inside, a bare quote in an
 * unquoted field is an error. Errors name the line and column. */
GStrv
ph_policy_parse_csv_line (const char *line,
                          guint       line_number,
                          GError    **error)
{
  g_autoptr(GStrvBuilder) fields = g_strv_builder_new ();
  g_autoptr(GString) field = g_string_new (NULL);
  const char *p = line;

  for (;;)
    {
      while (*p == ' ' || *p == '\t')
        p++;
      g_string_truncate (field, 0);
      if (*p == '"')
        {
          const char *open = p++;

          for (;;)
            {
              if (*p == '\0')
                {
                  g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_POLICY,
                               _("Line %u, column %d: the quoted field is not closed"),
                               line_number, (int) (open - line) + 1);
                  return NULL;
                }
              if (*p == '"')
                {
                  if (p[1] == '"')
                    {
                      g_string_append_c (field, '"');
                      p += 2;
                      continue;
                    }
                  p++;
                  break;
                }
              g_string_append_c (field, *p++);
            }
          if (*p != ',' && *p != '\0')
            {
              g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_POLICY,
                           _("Line %u, column %d: extraneous text after a quoted field"),
                           line_number, (int) (p - line) + 1);
              return NULL;
            }
        }
      else
        {
          while (*p && *p != ',')
            {
              if (*p == '"')
                {
                  g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_POLICY,
                               _("Line %u, column %d: a quote inside an unquoted field"),
                               line_number, (int) (p - line) + 1);
                  return NULL;
                }
              g_string_append_c (field, *p++);
            }
        }
      g_strv_builder_add (fields, field->str);
      if (*p == '\0')
        break;
      p++;   /* the comma */
    }
  return g_strv_builder_end (fields);
}

struct _PhPolicyRequest
{
  GPtrArray *strings;   /* char* */
  GPtrArray *nodes;     /* JsonNode* */
  GArray *values;       /* PhValue */
};

PhPolicyRequest *
ph_policy_request_new (void)
{
  PhPolicyRequest *req = g_new0 (PhPolicyRequest, 1);

  req->strings = g_ptr_array_new_with_free_func (g_free);
  req->nodes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_node_unref);
  req->values = g_array_new (FALSE, FALSE, sizeof (PhValue));
  return req;
}

void
ph_policy_request_free (PhPolicyRequest *req)
{
  if (req == NULL)
    return;
  g_ptr_array_unref (req->strings);
  g_ptr_array_unref (req->nodes);
  g_array_unref (req->values);
  g_free (req);
}

const PhValue *
ph_policy_request_get_values (PhPolicyRequest *req)
{
  return (const PhValue *) req->values->data;
}

guint
ph_policy_request_get_n_values (PhPolicyRequest *req)
{
  return req->values->len;
}

/* A request line: CSV fields as Casbin reads them, except that a field starting with `{` is a
 * JSON object up to its matching `}` (commas inside need no quoting): an ABAC attribute object. */
gboolean
ph_policy_request_parse (PhPolicyRequest *req,
                         const char      *line,
                         guint            line_number,
                         GError         **error)
{
  const char *p = line;

  g_ptr_array_set_size (req->strings, 0);
  g_ptr_array_set_size (req->nodes, 0);
  g_array_set_size (req->values, 0);

  for (;;)
    {
      const char *start;
      PhValue value;

      while (*p == ' ' || *p == '\t')
        p++;
      start = p;
      if (*p == '{')
        {
          g_autoptr(JsonParser) parser = json_parser_new ();
          g_autoptr(GError) json_error = NULL;
          gboolean in_string = FALSE;
          int depth = 0;
          JsonNode *node;

          for (; *p; p++)
            {
              if (in_string)
                {
                  if (*p == '\\' && p[1])
                    p++;
                  else if (*p == '"')
                    in_string = FALSE;
                }
              else if (*p == '"')
                in_string = TRUE;
              else if (*p == '{' || *p == '[')
                depth++;
              else if ((*p == '}' || *p == ']') && --depth == 0)
                {
                  p++;
                  break;
                }
            }
          if (depth != 0 || !json_parser_load_from_data (parser, start, p - start, &json_error))
            {
              g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_REQUEST,
                           _("Line %u, column %d: invalid JSON object: %s"), line_number,
                           (int) (start - line) + 1,
                           json_error ? json_error->message : _("unbalanced braces"));
              return FALSE;
            }
          node = json_parser_steal_root (parser);
          g_ptr_array_add (req->nodes, node);
          value.type = PH_VALUE_JSON;
          value.json = node;
          while (*p == ' ' || *p == '\t')
            p++;
        }
      else
        {
          GString *field = g_string_new (NULL);

          if (*p == '"')
            {
              for (p++;; p++)
                {
                  if (*p == '\0')
                    {
                      g_string_free (field, TRUE);
                      g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_REQUEST,
                                   _("Line %u, column %d: the quoted field is not closed"),
                                   line_number, (int) (start - line) + 1);
                      return FALSE;
                    }
                  if (*p == '"' && p[1] == '"')
                    {
                      g_string_append_c (field, '"');
                      p++;
                    }
                  else if (*p == '"')
                    {
                      p++;
                      break;
                    }
                  else
                    g_string_append_c (field, *p);
                }
            }
          else
            {
              while (*p && *p != ',')
                {
                  if (*p == '"')
                    {
                      g_string_free (field, TRUE);
                      g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_REQUEST,
                                   _("Line %u, column %d: a quote inside an unquoted field"),
                                   line_number, (int) (p - line) + 1);
                      return FALSE;
                    }
                  g_string_append_c (field, *p++);
                }
            }
          g_ptr_array_add (req->strings, g_string_free (field, FALSE));
          value = ph_value_string (g_ptr_array_index (req->strings, req->strings->len - 1));
        }
      g_array_append_val (req->values, value);

      if (*p == '\0')
        return TRUE;
      if (*p != ',')
        {
          g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_REQUEST,
                       _("Line %u, column %d: expected “,” between fields"), line_number,
                       (int) (p - line) + 1);
          return FALSE;
        }
      p++;
    }
}
