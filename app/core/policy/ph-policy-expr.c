/* ph-policy-expr.c: Casbin matcher expressions (govaluate's language), compiled once.
 *
 * The text is parsed into a tree with every name resolved (request and policy tokens to slot
 * numbers, functions to pointers), so a decision walks the tree without looking anything up by
 * name. Types follow govaluate: numbers are doubles, `==` never converts between types, `&&` and
 * `||` want booleans and short-circuit, `+` concatenates when either side is a string.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-policy"

#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <glib/gi18n-lib.h>

#include "ph-policy-builtins.h"
#include "ph-policy-error.h"
#include "ph-policy-expr.h"

#define MAX_NESTING 128
#define MAX_EVAL_DEPTH 8

typedef enum
{
  OP_LITERAL,
  OP_REQUEST,      /* index: request slot */
  OP_POLICY,       /* index: policy slot */
  OP_MEMBER,       /* kids[0].name */
  OP_NOT,
  OP_NEGATE,
  OP_BIT_NOT,
  OP_AND,
  OP_OR,
  OP_EQ,
  OP_NE,
  OP_LT,
  OP_LE,
  OP_GT,
  OP_GE,
  OP_REGEX,
  OP_NOT_REGEX,
  OP_IN,
  OP_ADD,
  OP_SUB,
  OP_MUL,
  OP_DIV,
  OP_MOD,
  OP_POW,
  OP_BIT_OR,
  OP_BIT_AND,
  OP_BIT_XOR,
  OP_SHL,
  OP_SHR,
  OP_TERNARY,      /* a ? b : c */
  OP_COALESCE,     /* a ?? b */
  OP_ARRAY,
  OP_CALL,         /* func */
  OP_ROLE,         /* index: role definition */
  OP_EVAL,
} Op;

typedef struct _Node Node;

struct _Node
{
  Op op;
  guint index;
  guint n_kids;
  Node **kids;
  char *name;
  PhValue literal;
  PhBuiltinFunc func;
};

struct _PhExpr
{
  Node *root;
  GPtrArray *strings;   /* literal strings */
};

typedef enum
{
  TOK_END,
  TOK_NUMBER,
  TOK_STRING,
  TOK_IDENT,
  TOK_OP,
  TOK_LPAREN,
  TOK_RPAREN,
  TOK_COMMA,
} TokKind;

typedef struct
{
  TokKind kind;
  const char *start;
  gsize len;
  double number;
} Token;

typedef struct
{
  const char *text;
  const char *pos;
  Token tok;
  const PhExprScope *scope;
  PhExpr *expr;
  guint depth;
  GError **error;
  gboolean failed;
} Parser;

static void
node_free (Node *node)
{
  if (node == NULL)
    return;
  for (guint i = 0; i < node->n_kids; i++)
    node_free (node->kids[i]);
  g_free (node->kids);
  g_free (node->name);
  g_free (node);
}

void
ph_expr_free (PhExpr *expr)
{
  if (expr == NULL)
    return;
  node_free (expr->root);
  g_ptr_array_unref (expr->strings);
  g_free (expr);
}

static gboolean
parse_fail (Parser     *parser,
            const char *at,
            const char *format,
            ...) G_GNUC_PRINTF (3, 4);

static gboolean
parse_fail (Parser     *parser,
            const char *at,
            const char *format,
            ...)
{
  g_autofree char *message = NULL;
  va_list args;

  if (parser->failed)
    return FALSE;
  parser->failed = TRUE;
  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (parser->error, PH_POLICY_ERROR, PH_POLICY_ERROR_MATCHER,
               _("Matcher “%s”, column %d: %s"), parser->text,
               (int) g_utf8_strlen (parser->text, at - parser->text) + 1, message);
  return FALSE;
}

static const char *const operators[] = {
  /* longest first */
  "**", "&&", "||", "==", "!=", ">=", "<=", "=~", "!~", "<<", ">>", "??",
  ">", "<", "!", "+", "-", "*", "/", "%", "|", "&", "^", "~", "?", ":",
};

static gboolean
next_token (Parser *parser)
{
  const char *p = parser->pos;
  Token *tok = &parser->tok;

  while (g_ascii_isspace (*p))
    p++;
  tok->start = p;
  tok->len = 0;

  if (*p == '\0')
    {
      tok->kind = TOK_END;
      parser->pos = p;
      return TRUE;
    }
  if (g_ascii_isdigit (*p) || (*p == '.' && g_ascii_isdigit (p[1])))
    {
      char *end = NULL;

      if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        tok->number = (double) g_ascii_strtoull (p + 2, &end, 16);
      else
        tok->number = g_ascii_strtod (p, &end);
      tok->kind = TOK_NUMBER;
      tok->len = end - p;
      parser->pos = end;
      return TRUE;
    }
  if (*p == '\'' || *p == '"')
    {
      /* Casbin doubles every backslash inside a literal before govaluate unescapes it, so a
       * backslash is an ordinary character and a literal ends at the next matching quote. */
      const char *end = strchr (p + 1, *p);

      if (end == NULL)
        return parse_fail (parser, p, _("unterminated string"));
      tok->kind = TOK_STRING;
      tok->len = end + 1 - p;
      parser->pos = end + 1;
      return TRUE;
    }
  if (g_ascii_isalpha (*p) || *p == '_')
    {
      const char *end = p;

      while (g_ascii_isalnum (*end) || *end == '_' || *end == '.')
        end++;
      tok->kind = TOK_IDENT;
      tok->len = end - p;
      parser->pos = end;
      return TRUE;
    }
  if (*p == '(' || *p == ')' || *p == ',')
    {
      tok->kind = *p == '(' ? TOK_LPAREN : *p == ')' ? TOK_RPAREN : TOK_COMMA;
      tok->len = 1;
      parser->pos = p + 1;
      return TRUE;
    }
  for (guint i = 0; i < G_N_ELEMENTS (operators); i++)
    {
      gsize n = strlen (operators[i]);

      if (strncmp (p, operators[i], n) == 0)
        {
          tok->kind = TOK_OP;
          tok->len = n;
          parser->pos = p + n;
          return TRUE;
        }
    }
  if (*p == '[')
    return parse_fail (parser, p, _("“[” is only allowed in a list after “in”"));
  return parse_fail (parser, p, _("unexpected character “%c”"), *p);
}

static gboolean
tok_is (Parser     *parser,
        const char *op)
{
  Token *tok = &parser->tok;

  return (tok->kind == TOK_OP || tok->kind == TOK_IDENT) && tok->len == strlen (op) &&
         strncmp (tok->start, op, tok->len) == 0;
}

static Node *
node_new (Op    op,
          guint n_kids,
          ...)
{
  Node *node = g_new0 (Node, 1);
  va_list args;

  node->op = op;
  node->n_kids = n_kids;
  node->kids = n_kids ? g_new0 (Node *, n_kids) : NULL;
  va_start (args, n_kids);
  for (guint i = 0; i < n_kids; i++)
    node->kids[i] = va_arg (args, Node *);
  va_end (args);
  return node;
}

static Node *parse_expression (Parser *parser);

static gboolean
enter (Parser *parser)
{
  if (++parser->depth > MAX_NESTING)
    {
      if (!parser->failed)
        {
          parser->failed = TRUE;
          g_set_error (parser->error, PH_POLICY_ERROR, PH_POLICY_ERROR_TOO_LARGE,
                       _("Matcher is nested more than %d levels deep"), MAX_NESTING);
        }
      return FALSE;
    }
  return TRUE;
}

static int
find_name (const char * const *names,
           guint               n,
           const char         *name)
{
  for (guint i = 0; i < n; i++)
    if (strcmp (names[i], name) == 0)
      return i;
  return -1;
}

/* Comma-separated arguments up to the closing parenthesis (the current token is after "("). */
static GPtrArray *
parse_list (Parser *parser)
{
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) node_free);

  if (parser->tok.kind == TOK_RPAREN)
    {
      next_token (parser);
      return items;
    }
  for (;;)
    {
      Node *item = parse_expression (parser);

      if (item == NULL)
        break;
      g_ptr_array_add (items, item);
      if (parser->tok.kind == TOK_COMMA)
        {
          if (!next_token (parser))
            break;
          continue;
        }
      if (parser->tok.kind == TOK_RPAREN)
        {
          if (!next_token (parser))
            break;
          return items;
        }
      parse_fail (parser, parser->tok.start, _("expected “,” or “)”"));
      break;
    }
  g_ptr_array_unref (items);
  return NULL;
}

static Node *
node_from_list (Op         op,
                GPtrArray *items)
{
  Node *node = node_new (op, 0);

  node->n_kids = items->len;
  g_ptr_array_set_free_func (items, NULL);
  node->kids = (Node **) g_ptr_array_free (items, FALSE);
  return node;
}

static Node *
parse_call (Parser     *parser,
            const char *name,
            const char *at)
{
  GPtrArray *args;
  Node *node;
  int role;
  PhBuiltinFunc func = NULL;
  gboolean is_eval = strcmp (name, "eval") == 0;

  role = find_name (parser->scope->role_names, parser->scope->n_roles, name);
  if (role < 0 && !is_eval && !(func = ph_policy_builtin_lookup (name)))
    {
      parse_fail (parser, at, _("unknown function “%s”"), name);
      return NULL;
    }
  if (is_eval && !parser->scope->allow_eval)
    {
      parse_fail (parser, at, _("eval() cannot be nested in an eval rule"));
      return NULL;
    }
  if (!next_token (parser) || !(args = parse_list (parser)))
    return NULL;

  if (role >= 0)
    {
      node = node_from_list (OP_ROLE, args);
      node->index = role;
    }
  else if (is_eval)
    {
      if (args->len != 1)
        {
          g_ptr_array_unref (args);
          parse_fail (parser, at, _("eval() takes one argument"));
          return NULL;
        }
      node = node_from_list (OP_EVAL, args);
    }
  else
    {
      node = node_from_list (OP_CALL, args);
      node->func = func;
    }
  node->name = g_strdup (name);
  return node;
}

/* `r.sub.Age`, `r_sub.Age`, `p2.obj`: a request or policy token, then attribute accessors. */
static Node *
parse_variable (Parser     *parser,
                const char *text,
                const char *at)
{
  g_auto(GStrv) parts = g_strsplit (text, ".", -1);
  g_autofree char *token = NULL;
  guint first_accessor = 1;
  Node *node;
  int index;
  const char *head = parts[0];
  gboolean section_only = (head[0] == 'r' || head[0] == 'p') && head[1 + strspn (head + 1, "0123456789")] == '\0';

  if (section_only && parts[1])
    {
      token = g_strconcat (head, "_", parts[1], NULL);
      first_accessor = 2;
    }
  else
    token = g_strdup (head);

  if ((index = find_name (parser->scope->r_names, parser->scope->n_r, token)) >= 0)
    {
      node = node_new (OP_REQUEST, 0);
      node->index = index;
    }
  else if ((index = find_name (parser->scope->p_names, parser->scope->n_p, token)) >= 0)
    {
      node = node_new (OP_POLICY, 0);
      node->index = index;
    }
  else
    {
      parse_fail (parser, at, _("unknown name “%s”"), text);
      return NULL;
    }
  node->name = g_strdup (token);

  for (guint i = first_accessor; parts[i]; i++)
    {
      if (parts[i][0] == '\0')
        {
          node_free (node);
          parse_fail (parser, at, _("empty attribute name in “%s”"), text);
          return NULL;
        }
      node = node_new (OP_MEMBER, 1, node);
      node->name = g_strdup (parts[i]);
    }
  return node;
}

static Node *
parse_primary (Parser *parser)
{
  Token tok = parser->tok;
  Node *node = NULL;

  switch (tok.kind)
    {
    case TOK_NUMBER:
      node = node_new (OP_LITERAL, 0);
      node->literal = ph_value_number (tok.number);
      next_token (parser);
      return node;

    case TOK_STRING:
      {
        char *s = g_strndup (tok.start + 1, tok.len - 2);

        g_ptr_array_add (parser->expr->strings, s);
        node = node_new (OP_LITERAL, 0);
        node->literal = ph_value_string (s);
        next_token (parser);
        return node;
      }

    case TOK_IDENT:
      {
        g_autofree char *name = g_strndup (tok.start, tok.len);

        if (strcmp (name, "true") == 0 || strcmp (name, "false") == 0)
          {
            node = node_new (OP_LITERAL, 0);
            node->literal = ph_value_bool (name[0] == 't');
            next_token (parser);
            return node;
          }
        if (!next_token (parser))
          return NULL;
        if (parser->tok.kind == TOK_LPAREN)
          {
            if (strchr (name, '.'))
              {
                parse_fail (parser, tok.start, _("method calls are not supported (“%s”)"), name);
                return NULL;
              }
            return parse_call (parser, name, tok.start);
          }
        return parse_variable (parser, name, tok.start);
      }

    case TOK_LPAREN:
      {
        GPtrArray *items;

        if (!next_token (parser) || !(items = parse_list (parser)))
          return NULL;
        if (items->len == 1)
          {
            node = g_ptr_array_steal_index (items, 0);
            g_ptr_array_unref (items);
            return node;
          }
        return node_from_list (OP_ARRAY, items);
      }

    case TOK_END:
      parse_fail (parser, tok.start, _("unexpected end of expression"));
      return NULL;

    default:
      parse_fail (parser, tok.start, _("unexpected “%.*s”"), (int) tok.len, tok.start);
      return NULL;
    }
}

static Node *
parse_unary (Parser *parser)
{
  Node *node = NULL;

  if (!enter (parser))
    return NULL;

  if (tok_is (parser, "!") || tok_is (parser, "-") || tok_is (parser, "~"))
    {
      Op op = tok_is (parser, "!") ? OP_NOT : tok_is (parser, "-") ? OP_NEGATE : OP_BIT_NOT;
      Node *operand;

      if (next_token (parser) && (operand = parse_unary (parser)))
        node = node_new (op, 1, operand);
    }
  else
    node = parse_primary (parser);

  parser->depth--;
  return node;
}

typedef struct
{
  const char *text;
  Op op;
} BinaryOp;

/* Binary levels from loosest to tightest, as govaluate's planner orders them. */
static const BinaryOp level_or[] = { { "||", OP_OR }, { NULL } };
static const BinaryOp level_and[] = { { "&&", OP_AND }, { NULL } };
static const BinaryOp level_compare[] = {
  { "==", OP_EQ }, { "!=", OP_NE }, { ">=", OP_GE }, { "<=", OP_LE }, { ">", OP_GT },
  { "<", OP_LT }, { "=~", OP_REGEX }, { "!~", OP_NOT_REGEX }, { "in", OP_IN }, { "IN", OP_IN },
  { NULL }
};
static const BinaryOp level_bitwise[] = { { "|", OP_BIT_OR }, { "&", OP_BIT_AND }, { "^", OP_BIT_XOR }, { NULL } };
static const BinaryOp level_shift[] = { { "<<", OP_SHL }, { ">>", OP_SHR }, { NULL } };
static const BinaryOp level_add[] = { { "+", OP_ADD }, { "-", OP_SUB }, { NULL } };
static const BinaryOp level_mul[] = { { "*", OP_MUL }, { "/", OP_DIV }, { "%", OP_MOD }, { NULL } };
static const BinaryOp level_pow[] = { { "**", OP_POW }, { NULL } };

static const BinaryOp *const levels[] = {
  level_or, level_and, level_compare, level_bitwise, level_shift, level_add, level_mul, level_pow,
};

static Node *
parse_binary (Parser *parser,
              guint   level)
{
  Node *left;

  if (level == G_N_ELEMENTS (levels))
    return parse_unary (parser);
  if (!enter (parser))
    return NULL;

  left = parse_binary (parser, level + 1);
  while (left)
    {
      const BinaryOp *found = NULL;
      Node *right;

      for (const BinaryOp *op = levels[level]; op->text; op++)
        if ((parser->tok.kind == TOK_OP || (parser->tok.kind == TOK_IDENT && op->op == OP_IN)) &&
            tok_is (parser, op->text))
          {
            found = op;
            break;
          }
      if (found == NULL)
        break;
      if (!next_token (parser) || !(right = parse_binary (parser, level + 1)))
        {
          node_free (left);
          left = NULL;
          break;
        }
      left = node_new (found->op, 2, left, right);
    }
  parser->depth--;
  return left;
}

static Node *
parse_expression (Parser *parser)
{
  Node *cond;

  if (!enter (parser))
    return NULL;
  cond = parse_binary (parser, 0);
  if (cond && tok_is (parser, "?"))
    {
      Node *then_node = NULL, *else_node = NULL;

      if (next_token (parser) && (then_node = parse_binary (parser, 0)))
        {
          if (tok_is (parser, ":"))
            {
              if (next_token (parser))
                else_node = parse_expression (parser);
            }
          else
            {
              /* govaluate: `a ? b` alone yields nil when a is false. */
              else_node = node_new (OP_LITERAL, 0);
            }
        }
      if (then_node && else_node)
        cond = node_new (OP_TERNARY, 3, cond, then_node, else_node);
      else
        {
          node_free (cond);
          node_free (then_node);
          node_free (else_node);
          cond = NULL;
        }
    }
  else if (cond && tok_is (parser, "??"))
    {
      Node *fallback = NULL;

      if (next_token (parser) && (fallback = parse_expression (parser)))
        cond = node_new (OP_COALESCE, 2, cond, fallback);
      else
        {
          node_free (cond);
          cond = NULL;
        }
    }
  parser->depth--;
  return cond;
}

PhExpr *
ph_expr_compile (const char        *text,
                 const PhExprScope *scope,
                 GError           **error)
{
  g_autoptr(PhExpr) expr = g_new0 (PhExpr, 1);
  Parser parser = { .text = text, .pos = text, .scope = scope, .error = error };

  expr->strings = g_ptr_array_new_with_free_func (g_free);
  parser.expr = expr;

  if (!next_token (&parser))
    return NULL;
  expr->root = parse_expression (&parser);
  if (expr->root && parser.tok.kind != TOK_END)
    parse_fail (&parser, parser.tok.start, _("unexpected “%.*s”"), (int) parser.tok.len, parser.tok.start);
  if (parser.failed || expr->root == NULL)
    {
      if (!parser.failed)
        parse_fail (&parser, parser.pos, _("empty expression"));
      return NULL;
    }
  return g_steal_pointer (&expr);
}

/* Conjuncts at the top of an && chain that a rule must pass: `r_X == p_Y` (so rows can be
 * looked up by their Y column) and `g(r_X, p_Y[, r_D])` (so rows can be looked up by the roles
 * r_X has). */
static void
collect_keys (Node            *node,
              PhExprIndexKeys *keys)
{
  if (node->op == OP_AND)
    {
      collect_keys (node->kids[0], keys);
      collect_keys (node->kids[1], keys);
      return;
    }
  if (node->op == OP_EQ && keys->n_keys < PH_EXPR_MAX_KEYS)
    {
      Node *a = node->kids[0], *b = node->kids[1];

      if (a->op == OP_POLICY && b->op == OP_REQUEST)
        {
          Node *t = a;
          a = b;
          b = t;
        }
      if (a->op == OP_REQUEST && b->op == OP_POLICY)
        {
          for (guint i = 0; i < keys->n_keys; i++)
            if (keys->p_index[i] == b->index)
              return;
          if (keys->has_role && keys->role_p == b->index)
            return;
          keys->r_index[keys->n_keys] = a->index;
          keys->p_index[keys->n_keys] = b->index;
          keys->n_keys++;
        }
      return;
    }
  if (node->op == OP_ROLE && !keys->has_role && (node->n_kids == 2 || node->n_kids == 3) &&
      node->kids[0]->op == OP_REQUEST && node->kids[1]->op == OP_POLICY &&
      (node->n_kids == 2 || node->kids[2]->op == OP_REQUEST))
    {
      for (guint i = 0; i < keys->n_keys; i++)
        if (keys->p_index[i] == node->kids[1]->index)
          return;
      keys->has_role = TRUE;
      keys->role_index = node->index;
      keys->role_r = node->kids[0]->index;
      keys->role_p = node->kids[1]->index;
      keys->role_domain_r = node->n_kids == 3 ? (int) node->kids[2]->index : -1;
    }
}

void
ph_expr_index_keys (PhExpr          *expr,
                    PhExprIndexKeys *keys)
{
  memset (keys, 0, sizeof *keys);
  keys->role_domain_r = -1;
  collect_keys (expr->root, keys);
}

/* Evaluation */

static gboolean
eval_fail (GError    **error,
           const Node *node,
           const char *format,
           ...) G_GNUC_PRINTF (3, 4);

static gboolean
eval_fail (GError    **error,
           const Node *node,
           const char *format,
           ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error_literal (error, PH_POLICY_ERROR, PH_POLICY_ERROR_EVAL, message);
  return FALSE;
}

static const char *
type_name (PhValueType type)
{
  switch (type)
    {
    case PH_VALUE_NULL: return "nil";
    case PH_VALUE_BOOL: return "bool";
    case PH_VALUE_NUMBER: return "number";
    case PH_VALUE_STRING: return "string";
    case PH_VALUE_ARRAY: return "array";
    case PH_VALUE_JSON: return "object";
    default: return "?";
    }
}

static PhValue
value_from_json (JsonNode *node)
{
  PhValue v = { .type = PH_VALUE_NULL };

  if (node == NULL)
    return v;
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
    case JSON_NODE_ARRAY:
      v.type = PH_VALUE_JSON;
      v.json = node;
      break;
    case JSON_NODE_VALUE:
      {
        GType t = json_node_get_value_type (node);

        if (t == G_TYPE_STRING)
          v = ph_value_string (json_node_get_string (node));
        else if (t == G_TYPE_BOOLEAN)
          v = ph_value_bool (json_node_get_boolean (node));
        else
          v = ph_value_number (json_node_get_double (node));
        break;
      }
    case JSON_NODE_NULL:
    default:
      break;
    }
  return v;
}

gboolean
ph_value_equal (const PhValue *a,
                const PhValue *b)
{
  if (a->type != b->type)
    return FALSE;
  switch (a->type)
    {
    case PH_VALUE_NULL:
      return TRUE;
    case PH_VALUE_BOOL:
      return a->boolean == b->boolean;
    case PH_VALUE_NUMBER:
      return a->number == b->number;
    case PH_VALUE_STRING:
      return strcmp (a->string, b->string) == 0;
    case PH_VALUE_ARRAY:
      if (a->array.n_items != b->array.n_items)
        return FALSE;
      for (guint i = 0; i < a->array.n_items; i++)
        if (!ph_value_equal (&a->array.items[i], &b->array.items[i]))
          return FALSE;
      return TRUE;
    case PH_VALUE_JSON:
      return json_node_equal (a->json, b->json);
    default:
      return FALSE;
    }
}

/* Go's fmt %v for a float64 (strconv 'g' with the shortest precision): the shortest digits that
 * read back the same number, in exponent form when the exponent is below -4 or at least 6. */
static char *
format_number (double n)
{
  char buf[64];
  int digits;

  if (isnan (n))
    return g_strdup ("NaN");
  if (isinf (n))
    return g_strdup (n > 0 ? "+Inf" : "-Inf");
  for (digits = 1; digits < 17; digits++)
    {
      g_snprintf (buf, sizeof buf, "%.*e", digits - 1, n);
      if (g_ascii_strtod (buf, NULL) == n)
        break;
    }
  {
    int exp = n == 0 ? 0 : (int) floor (log10 (fabs (n)));
    char *e = strchr (buf, 'e');

    if (e)
      exp = atoi (e + 1);
    if (exp < -4 || exp >= 6)
      {
        /* Go writes at least two exponent digits, as C does. */
        g_snprintf (buf, sizeof buf, "%.*e", digits - 1, n);
        return g_strdup (buf);
      }
    g_snprintf (buf, sizeof buf, "%.*f", MAX (digits - 1 - exp, 0), n);
    return g_strdup (buf);
  }
}

char *
ph_value_to_string (const PhValue *value)
{
  switch (value->type)
    {
    case PH_VALUE_NULL:
      return g_strdup ("<nil>");
    case PH_VALUE_BOOL:
      return g_strdup (value->boolean ? "true" : "false");
    case PH_VALUE_NUMBER:
      return format_number (value->number);
    case PH_VALUE_STRING:
      return g_strdup (value->string);
    case PH_VALUE_JSON:
      return json_to_string (value->json, FALSE);
    case PH_VALUE_ARRAY:
      {
        GString *s = g_string_new ("[");

        for (guint i = 0; i < value->array.n_items; i++)
          {
            g_autofree char *item = ph_value_to_string (&value->array.items[i]);

            if (i)
              g_string_append_c (s, ' ');
            g_string_append (s, item);
          }
        g_string_append_c (s, ']');
        return g_string_free (s, FALSE);
      }
    default:
      return g_strdup ("");
    }
}

static gboolean eval_node (Node *node, PhExprContext *ctx, PhValue *out, GError **error);

static gboolean
eval_bool (Node          *node,
           PhExprContext *ctx,
           const char    *op,
           gboolean      *out,
           GError       **error)
{
  PhValue v;

  if (!eval_node (node, ctx, &v, error))
    return FALSE;
  if (v.type != PH_VALUE_BOOL)
    return eval_fail (error, node, _("“%s” needs booleans, got a %s"), op, type_name (v.type));
  *out = v.boolean;
  return TRUE;
}

static gboolean
eval_args (Node          *node,
           PhExprContext *ctx,
           PhValue       *args,
           GError       **error)
{
  for (guint i = 0; i < node->n_kids; i++)
    if (!eval_node (node->kids[i], ctx, &args[i], error))
      return FALSE;
  return TRUE;
}

static gboolean
eval_node (Node          *node,
           PhExprContext *ctx,
           PhValue       *out,
           GError       **error)
{
  PhValue a, b;

  switch (node->op)
    {
    case OP_LITERAL:
      *out = node->literal;
      return TRUE;

    case OP_REQUEST:
      *out = ctx->r[node->index];
      return TRUE;

    case OP_POLICY:
      *out = ph_value_string (ctx->p ? ctx->p[node->index] : "");
      return TRUE;

    case OP_MEMBER:
      if (!eval_node (node->kids[0], ctx, &a, error))
        return FALSE;
      if (a.type != PH_VALUE_JSON || !JSON_NODE_HOLDS_OBJECT (a.json))
        return eval_fail (error, node, _("cannot read attribute “%s” of a %s"), node->name,
                          type_name (a.type));
      {
        JsonObject *object = json_node_get_object (a.json);

        if (!json_object_has_member (object, node->name))
          return eval_fail (error, node, _("no attribute “%s”"), node->name);
        *out = value_from_json (json_object_get_member (object, node->name));
      }
      return TRUE;

    case OP_NOT:
      {
        gboolean v = FALSE;

        if (!eval_bool (node->kids[0], ctx, "!", &v, error))
          return FALSE;
        *out = ph_value_bool (!v);
        return TRUE;
      }

    case OP_AND:
    case OP_OR:
      {
        gboolean v = FALSE;
        const char *name = node->op == OP_AND ? "&&" : "||";

        if (!eval_bool (node->kids[0], ctx, name, &v, error))
          return FALSE;
        if (node->op == OP_AND ? !v : v)
          {
            *out = ph_value_bool (v);
            return TRUE;
          }
        if (!eval_bool (node->kids[1], ctx, name, &v, error))
          return FALSE;
        *out = ph_value_bool (v);
        return TRUE;
      }

    case OP_TERNARY:
      {
        gboolean v = FALSE;

        if (!eval_bool (node->kids[0], ctx, "?", &v, error))
          return FALSE;
        return eval_node (node->kids[v ? 1 : 2], ctx, out, error);
      }

    case OP_COALESCE:
      if (!eval_node (node->kids[0], ctx, out, error))
        return FALSE;
      if (out->type != PH_VALUE_NULL)
        return TRUE;
      return eval_node (node->kids[1], ctx, out, error);

    case OP_ARRAY:
      {
        PhValue *items = g_new0 (PhValue, node->n_kids);

        g_ptr_array_add (ctx->scratch, items);
        if (!eval_args (node, ctx, items, error))
          return FALSE;
        out->type = PH_VALUE_ARRAY;
        out->array.items = items;
        out->array.n_items = node->n_kids;
        return TRUE;
      }

    case OP_CALL:
      {
        PhValue args[8];

        if (node->n_kids > G_N_ELEMENTS (args))
          return eval_fail (error, node, _("%s: too many arguments"), node->name);
        if (!eval_args (node, ctx, args, error))
          return FALSE;
        return node->func (args, node->n_kids, ctx->scratch, out, error);
      }

    case OP_ROLE:
      {
        PhValue args[8];
        gboolean linked = FALSE;

        if (node->n_kids > G_N_ELEMENTS (args))
          return eval_fail (error, node, _("%s: too many arguments"), node->name);
        if (!eval_args (node, ctx, args, error))
          return FALSE;
        if (ctx->has_link == NULL)
          return eval_fail (error, node, _("no role definition “%s”"), node->name);
        if (!ctx->has_link (ctx->data, node->index, args, node->n_kids, &linked, error))
          return FALSE;
        *out = ph_value_bool (linked);
        return TRUE;
      }

    case OP_EVAL:
      if (!eval_node (node->kids[0], ctx, &a, error))
        return FALSE;
      if (a.type != PH_VALUE_STRING)
        return eval_fail (error, node, _("eval() needs a string, got a %s"), type_name (a.type));
      if (ctx->eval_rule == NULL || ctx->eval_depth >= MAX_EVAL_DEPTH)
        return eval_fail (error, node, _("eval() is not available here"));
      ctx->eval_depth++;
      {
        gboolean ok = ctx->eval_rule (ctx->data, a.string, ctx, out, error);

        ctx->eval_depth--;
        return ok;
      }

    default:
      break;
    }

  /* The remaining operators evaluate both sides. */
  if (node->n_kids == 1)
    {
      if (!eval_node (node->kids[0], ctx, &a, error))
        return FALSE;
      if (a.type != PH_VALUE_NUMBER)
        return eval_fail (error, node, _("unary operator needs a number, got a %s"), type_name (a.type));
      *out = ph_value_number (node->op == OP_NEGATE ? -a.number : (double) ~(gint64) a.number);
      return TRUE;
    }
  if (!eval_node (node->kids[0], ctx, &a, error) || !eval_node (node->kids[1], ctx, &b, error))
    return FALSE;

  switch (node->op)
    {
    case OP_EQ:
      *out = ph_value_bool (ph_value_equal (&a, &b));
      return TRUE;

    case OP_NE:
      *out = ph_value_bool (!ph_value_equal (&a, &b));
      return TRUE;

    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
      {
        int cmp;

        if (a.type == PH_VALUE_NUMBER && b.type == PH_VALUE_NUMBER)
          cmp = a.number < b.number ? -1 : a.number > b.number ? 1 : 0;
        else if (a.type == PH_VALUE_STRING && b.type == PH_VALUE_STRING)
          cmp = strcmp (a.string, b.string);
        else
          return eval_fail (error, node, _("cannot compare a %s with a %s"), type_name (a.type),
                            type_name (b.type));
        if (isnan (a.number) && a.type == PH_VALUE_NUMBER)
          cmp = 2;
        *out = ph_value_bool (node->op == OP_LT ? cmp < 0 : node->op == OP_LE ? cmp <= 0 && cmp != 2 :
                              node->op == OP_GT ? cmp > 0 && cmp != 2 : cmp >= 0 && cmp != 2);
        return TRUE;
      }

    case OP_REGEX:
    case OP_NOT_REGEX:
      {
        GError *local_error = NULL;
        gboolean m;

        if (a.type != PH_VALUE_STRING || b.type != PH_VALUE_STRING)
          return eval_fail (error, node, _("“=~” needs strings"));
        m = ph_regex_match (a.string, b.string, &local_error);
        if (local_error)
          {
            g_propagate_error (error, local_error);
            return FALSE;
          }
        *out = ph_value_bool (node->op == OP_REGEX ? m : !m);
        return TRUE;
      }

    case OP_IN:
      if (b.type == PH_VALUE_ARRAY)
        {
          for (guint i = 0; i < b.array.n_items; i++)
            if (ph_value_equal (&a, &b.array.items[i]))
              {
                *out = ph_value_bool (TRUE);
                return TRUE;
              }
          *out = ph_value_bool (FALSE);
          return TRUE;
        }
      if (b.type == PH_VALUE_JSON && JSON_NODE_HOLDS_ARRAY (b.json))
        {
          JsonArray *array = json_node_get_array (b.json);

          for (guint i = 0; i < json_array_get_length (array); i++)
            {
              PhValue item = value_from_json (json_array_get_element (array, i));

              if (ph_value_equal (&a, &item))
                {
                  *out = ph_value_bool (TRUE);
                  return TRUE;
                }
            }
          *out = ph_value_bool (FALSE);
          return TRUE;
        }
      /* govaluate wraps a single parenthesised value into a one-element array. */
      *out = ph_value_bool (ph_value_equal (&a, &b));
      return TRUE;

    case OP_ADD:
      if (a.type == PH_VALUE_NUMBER && b.type == PH_VALUE_NUMBER)
        {
          *out = ph_value_number (a.number + b.number);
          return TRUE;
        }
      if (a.type == PH_VALUE_STRING || b.type == PH_VALUE_STRING)
        {
          g_autofree char *sa = ph_value_to_string (&a);
          g_autofree char *sb = ph_value_to_string (&b);
          char *s = g_strconcat (sa, sb, NULL);

          g_ptr_array_add (ctx->scratch, s);
          *out = ph_value_string (s);
          return TRUE;
        }
      return eval_fail (error, node, _("cannot add a %s and a %s"), type_name (a.type), type_name (b.type));

    default:
      break;
    }

  if (a.type != PH_VALUE_NUMBER || b.type != PH_VALUE_NUMBER)
    return eval_fail (error, node, _("arithmetic needs numbers, got a %s and a %s"),
                      type_name (a.type), type_name (b.type));
  switch (node->op)
    {
    case OP_SUB: *out = ph_value_number (a.number - b.number); break;
    case OP_MUL: *out = ph_value_number (a.number * b.number); break;
    case OP_DIV: *out = ph_value_number (a.number / b.number); break;
    case OP_MOD: *out = ph_value_number (fmod (a.number, b.number)); break;
    case OP_POW: *out = ph_value_number (pow (a.number, b.number)); break;
    case OP_BIT_OR: *out = ph_value_number ((double) ((gint64) a.number | (gint64) b.number)); break;
    case OP_BIT_AND: *out = ph_value_number ((double) ((gint64) a.number & (gint64) b.number)); break;
    case OP_BIT_XOR: *out = ph_value_number ((double) ((gint64) a.number ^ (gint64) b.number)); break;
    case OP_SHL: *out = ph_value_number ((double) (gint64) ((guint64) (gint64) a.number << ((guint64) b.number & 63))); break;
    case OP_SHR: *out = ph_value_number ((double) ((gint64) a.number >> ((guint64) b.number & 63))); break;
    default:
      return eval_fail (error, node, _("unknown operator"));
    }
  return TRUE;
}

gboolean
ph_expr_eval (PhExpr        *expr,
              PhExprContext *context,
              PhValue       *out,
              GError       **error)
{
  return eval_node (expr->root, context, out, error);
}

/* A matcher matches on true or a non-zero number, as in Go Casbin. */
gboolean
ph_expr_eval_match (PhExpr        *expr,
                    PhExprContext *context,
                    gboolean      *matched,
                    GError       **error)
{
  PhValue v;

  if (!eval_node (expr->root, context, &v, error))
    return FALSE;
  if (v.type == PH_VALUE_BOOL)
    *matched = v.boolean;
  else if (v.type == PH_VALUE_NUMBER)
    *matched = v.number != 0;
  else
    {
      g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_EVAL,
                   _("matcher result should be a boolean or a number, got a %s"), type_name (v.type));
      return FALSE;
    }
  return TRUE;
}
