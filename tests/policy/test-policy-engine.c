/* test-policy-engine.c: the policy engine's parts, its limits and its bad input.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include "ph-enforcer.h"
#include "ph-policy-builtins.h"
#include "ph-policy-model.h"
#include "ph-role-manager.h"

#define MODEL(r, p, g, e, m)                                                                   \
  "[request_definition]\nr = " r "\n[policy_definition]\np = " p "\n" g                        \
  "[policy_effect]\ne = " e "\n[matchers]\nm = " m "\n"
#define ALLOW "some(where (p.eft == allow))"
#define NO_ROLES ""
#define ROLES "[role_definition]\ng = _, _\n"

static PhEnforcer *
enforcer_new (const char *model,
              const char *policy)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhEnforcer) enforcer = ph_enforcer_new (model, &error);

  g_assert_no_error (error);
  ph_enforcer_load_policy (enforcer, policy, strlen (policy), &error);
  g_assert_no_error (error);
  return g_steal_pointer (&enforcer);
}

static gboolean
decide (PhEnforcer *enforcer,
        const char *line)
{
  g_autoptr(PhPolicyRequest) req = ph_policy_request_new ();
  g_autoptr(GError) error = NULL;
  gboolean allowed = FALSE;

  ph_policy_request_parse (req, line, 1, &error);
  g_assert_no_error (error);
  ph_enforcer_enforce (enforcer, 0, ph_policy_request_get_values (req), ph_policy_request_get_n_values (req),
                       &allowed, NULL, &error);
  g_assert_no_error (error);
  return allowed;
}

static void
decide_error (PhEnforcer *enforcer,
              const char *line,
              int         code)
{
  g_autoptr(PhPolicyRequest) req = ph_policy_request_new ();
  g_autoptr(GError) error = NULL;
  gboolean allowed = TRUE;

  ph_policy_request_parse (req, line, 1, &error);
  g_assert_no_error (error);
  g_assert_false (ph_enforcer_enforce (enforcer, 0, ph_policy_request_get_values (req),
                                       ph_policy_request_get_n_values (req), &allowed, NULL, &error));
  g_assert_error (error, PH_POLICY_ERROR, code);
  g_assert_false (allowed);
}

/* Go Casbin's util/builtin_operators_test.go */
static void
test_builtins (void)
{
  g_assert_true (ph_key_match ("/foo", "/foo*"));
  g_assert_false (ph_key_match ("/foo", "/foo/*"));
  g_assert_false (ph_key_match ("/foo/bar", "/foo"));
  g_assert_true (ph_key_match ("/foobar", "/foo*"));
  g_assert_false (ph_key_match ("/foobar", "/foo/*"));

  g_assert_true (ph_key_match2 ("/foo", "/foo*", NULL));
  g_assert_false (ph_key_match2 ("/foo/bar", "/foo*", NULL));
  g_assert_false (ph_key_match2 ("/foobar", "/foo*", NULL));
  g_assert_false (ph_key_match2 ("/", "/:resource", NULL));
  g_assert_true (ph_key_match2 ("/resource1", "/:resource", NULL));
  g_assert_false (ph_key_match2 ("/proxy/myid", "/proxy/:id/*", NULL));
  g_assert_true (ph_key_match2 ("/proxy/myid/", "/proxy/:id/*", NULL));
  g_assert_true (ph_key_match2 ("/proxy/myid/res/res2/res3", "/proxy/:id/*", NULL));
  g_assert_false (ph_key_match2 ("/alice/all", "/:/all", NULL));

  g_assert_true (ph_key_match3 ("/myid/using/myresid", "/{id}/using/{resId}", NULL));
  g_assert_false (ph_key_match3 ("/myid/using/myresid", "/{id/using/{resId}", NULL));

  g_assert_true (ph_key_match4 ("/parent/123/child/123", "/parent/{id}/child/{id}", NULL));
  g_assert_false (ph_key_match4 ("/parent/123/child/456", "/parent/{id}/child/{id}", NULL));
  g_assert_true (ph_key_match4 ("/parent/123/child/456", "/parent/{id}/child/{another_id}", NULL));

  g_assert_true (ph_key_match5 ("/parent/child?status=1&type=2", "/parent/child", NULL));
  g_assert_false (ph_key_match5 ("/parent/child/?status=1&type=2", "/parent/child", NULL));
  g_assert_true (ph_key_match5 ("/proxy/myid/res?status=1&type=2", "/proxy/{id}/*", NULL));

  g_assert_true (ph_regex_match ("/topic/create/123", "/topic/create", NULL));
  g_assert_false (ph_regex_match ("/topic/edit/123s", "/topic/delete/[0-9]+", NULL));

  g_assert_true (ph_ip_match ("192.168.2.123", "192.168.2.0/16", NULL));
  g_assert_true (ph_ip_match ("192.168.2.123", "192.168.2.123", NULL));
  g_assert_false (ph_ip_match ("11.0.0.123", "10.0.0.0/8", NULL));
  g_assert_true (ph_ip_match ("2001:db8::1", "2001:db8::/32", NULL));
  g_assert_false (ph_ip_match ("2001:db9::1", "2001:db8::/32", NULL));

  g_assert_true (ph_glob_match ("/foobar", "/foo*"));
  g_assert_false (ph_glob_match ("/prefix/foo", "*/foo"));
  g_assert_true (ph_glob_match ("/foo", "**/foo/**"));
  g_assert_true (ph_glob_match ("/prefix/subprefix/foobar", "**/foo*"));
  g_assert_false (ph_glob_match ("/foo/bar", "**/foo*"));
  g_assert_true (ph_glob_match ("/a/x.txt", "/a/{*.txt,*.md}"));
  g_assert_true (ph_glob_match ("/a/b", "/a/[a-c]"));
  g_assert_false (ph_glob_match ("/a/b", "/a/[!a-c]"));
}

static void
test_builtins_in_matcher (void)
{
  g_autoptr(PhEnforcer) e = enforcer_new (
    MODEL ("sub, obj", "sub, obj", NO_ROLES, ALLOW,
           "r.sub == p.sub && keyGet2(r.obj, p.obj, 'id') == 'alice' && keyGet3(r.obj, '/x/{name}', 'name') == ''"),
    "p, u, /users/:id\n");

  g_assert_true (decide (e, "u, /users/alice"));
  g_assert_false (decide (e, "u, /users/bob"));
}

static void
test_bad_builtin_input (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhEnforcer) e = enforcer_new (
    MODEL ("sub, obj", "sub, obj", NO_ROLES, ALLOW, "ipMatch(r.sub, p.sub) && regexMatch(r.obj, p.obj)"),
    "p, 10.0.0.0/8, (\n");

  decide_error (e, "not-an-ip, x", PH_POLICY_ERROR_EVAL);
  decide_error (e, "10.1.1.1, x", PH_POLICY_ERROR_EVAL);   /* the pattern "(" does not compile */

  g_assert_false (ph_ip_match ("10.0.0.1", "10.0.0.0/33", &error));
  g_assert_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_EVAL);
}

/* Backtracking engines take exponential time on this; DFA matching takes linear time. */
static void
test_hostile_regex (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  gboolean matched;

  for (int i = 0; i < 20000; i++)
    g_string_append_c (text, 'a');
  g_string_append_c (text, 'b');
  matched = ph_regex_match (text->str, "^(a+)+$", &error);
  g_assert_no_error (error);
  g_assert_false (matched);
  matched = ph_regex_match (text->str, "(a|aa)*c", &error);
  g_assert_no_error (error);
  g_assert_false (matched);
  /* Back-references are not regular (RE2 refuses them too): a clear error. */
  g_assert_false (ph_regex_match ("aa", "(a)\\1", &error));
  g_assert_nonnull (error);
}

static void
test_roles (void)
{
  g_autoptr(PhRoleManager) one = ph_role_manager_new (1);
  g_autoptr(PhRoleManager) two = ph_role_manager_new (2);
  g_autoptr(PhRoleManager) domains = ph_role_manager_new (10);
  g_autoptr(GError) error = NULL;

  for (PhRoleManager **m = (PhRoleManager *[]) { one, two, NULL }; *m; m++)
    {
      ph_role_manager_add_link (*m, "level0", "level1", NULL);
      ph_role_manager_add_link (*m, "level1", "level2", NULL);
      ph_role_manager_add_link (*m, "level2", "level3", NULL);
    }
  g_assert_true (ph_role_manager_has_link (one, "level0", "level1", NULL));
  g_assert_false (ph_role_manager_has_link (one, "level0", "level2", NULL));
  g_assert_true (ph_role_manager_has_link (two, "level0", "level2", NULL));
  g_assert_false (ph_role_manager_has_link (two, "level0", "level3", NULL));
  g_assert_true (ph_role_manager_has_link (two, "nobody", "nobody", NULL));

  ph_role_manager_set_domain_key_match (domains, TRUE);
  ph_role_manager_add_link (domains, "alice", "editor", "*");
  ph_role_manager_add_link (domains, "editor", "admin", "domain1");
  g_assert_true (ph_role_manager_has_link (domains, "alice", "admin", "domain1"));
  g_assert_false (ph_role_manager_has_link (domains, "alice", "admin", "domain2"));
  g_assert_true (ph_role_manager_check_cycles (domains, &error));

  ph_role_manager_add_link (domains, "editor", "alice", "*");
  g_assert_false (ph_role_manager_check_cycles (domains, &error));
  g_assert_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_CYCLE);
}

static void
test_cycle_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhEnforcer) e = ph_enforcer_new (
    MODEL ("sub, obj, act", "sub, obj, act", ROLES, ALLOW, "g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act"),
    &error);
  const char *policy = "p, admin, d, read\ng, alice, admin\ng, admin, staff\ng, staff, alice\n";

  g_assert_no_error (error);
  g_assert_false (ph_enforcer_load_policy (e, policy, strlen (policy), &error));
  g_assert_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_CYCLE);
  g_assert_nonnull (strstr (error->message, "cycle"));
  /* Nothing half-loaded: the old (empty) policy stands. */
  g_assert_false (decide (e, "alice, d, read"));
}

static void
test_govaluate_semantics (void)
{
  g_autoptr(PhEnforcer) precedence = enforcer_new (
    MODEL ("a, b, c", "x", NO_ROLES, ALLOW, "r.a == 'y' && r.b == 'y' || r.c == 'y'"), "");
  g_autoptr(PhEnforcer) types = enforcer_new (
    MODEL ("sub, obj", "x", NO_ROLES, ALLOW, "r.sub.Age == 18 && r.sub.Name + 1 == 'x1' && 2 ** 3 == 8 && 7 % 4 == 3 && (1 + 2) * 3 == 9 && -(2) == -2 && r.obj in ('a', 'b')"),
    "");
  g_autoptr(PhEnforcer) strings = enforcer_new (
    MODEL ("sub", "x", NO_ROLES, ALLOW, "r.sub == '18' && 'a' + 1000000 == 'a1e+06' && 'b' + 1.5 == 'b1.5' && 'c' + 123456 == 'c123456'"),
    "");
  g_autoptr(PhEnforcer) compare = enforcer_new (
    MODEL ("sub", "x", NO_ROLES, ALLOW, "r.sub > 1"), "");
  g_autoptr(PhEnforcer) ternary = enforcer_new (
    MODEL ("sub", "x", NO_ROLES, ALLOW, "(r.sub == 'a' ? 1 : 0) == 1 && 0x10 == 16 && 6 & 3 == 2 && 1 << 4 == 16"), "");

  /* `a && b || c` is `(a && b) || c`. */
  g_assert_true (decide (precedence, "n, n, y"));
  g_assert_true (decide (precedence, "y, y, n"));
  g_assert_false (decide (precedence, "y, n, n"));

  g_assert_true (decide (types, "{\"Age\": 18, \"Name\": \"x\"}, a"));
  g_assert_false (decide (types, "{\"Age\": 18, \"Name\": \"x\"}, c"));
  /* "18" is not 18: == never converts. */
  g_assert_false (decide (types, "{\"Age\": \"18\", \"Name\": \"x\"}, a"));
  g_assert_true (decide (strings, "18"));
  /* Comparing a string with a number is an error, not false. */
  decide_error (compare, "abc", PH_POLICY_ERROR_EVAL);
  /* A missing attribute is an error. */
  decide_error (types, "{\"Name\": \"x\"}, a", PH_POLICY_ERROR_EVAL);
  g_assert_true (decide (ternary, "a"));
  g_assert_false (decide (ternary, "b"));
}

/* Go's BLP model compares numeric request values; attribute objects carry numbers here. */
static void
test_numeric_values (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhEnforcer) e = enforcer_new (
    MODEL ("sub, sub_level, obj, obj_level, act", "sub, obj, act", NO_ROLES, ALLOW,
           "(r.act == 'read' && r.sub_level >= r.obj_level) || (r.act == 'write' && r.sub_level <= r.obj_level)"),
    "");
  PhValue request[5] = {
    ph_value_string ("alice"), ph_value_number (3), ph_value_string ("data1"), ph_value_number (1),
    ph_value_string ("read"),
  };
  gboolean allowed = FALSE;

  g_assert_true (ph_enforcer_enforce (e, 0, request, 5, &allowed, NULL, &error));
  g_assert_true (allowed);
  request[4] = ph_value_string ("write");
  g_assert_true (ph_enforcer_enforce (e, 0, request, 5, &allowed, NULL, &error));
  g_assert_false (allowed);
  g_assert_no_error (error);
}

static void
test_bad_models (void)
{
  static const struct
  {
    const char *model;
    int code;
    const char *says;
  } cases[] = {
    { "[request_definition]\nr = sub\n", PH_POLICY_ERROR_MODEL, "missing required sections" },
    { "[request_definition]\nr = sub\n[policy_definition\np = sub\n", PH_POLICY_ERROR_MODEL, "line 3" },
    { MODEL ("sub", "sub", NO_ROLES, "some(where (p.eft==allow))", "r.sub == p.sub"),
      PH_POLICY_ERROR_UNSUPPORTED_EFFECT, "unsupported effect" },
    { MODEL ("sub", "sub", NO_ROLES, ALLOW, "noSuchFunction(r.sub, p.sub)"), PH_POLICY_ERROR_MATCHER,
      "unknown function" },
    { MODEL ("sub", "sub", NO_ROLES, ALLOW, "r.sub == p.nothing"), PH_POLICY_ERROR_MATCHER, "unknown name" },
    { MODEL ("sub", "sub", NO_ROLES, ALLOW, "r.sub == (p.sub"), PH_POLICY_ERROR_MATCHER, "column" },
    { MODEL ("sub", "sub", NO_ROLES, ALLOW, "r.sub == 'open"), PH_POLICY_ERROR_MATCHER, "unterminated" },
    { MODEL ("sub", "sub", "[role_definition]\ng = _, _, (_, _)\n", ALLOW, "r.sub == p.sub"),
      PH_POLICY_ERROR_MODEL, "not supported" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PhEnforcer) e = ph_enforcer_new (cases[i].model, &error);

      g_assert_null (e);
      g_assert_error (error, PH_POLICY_ERROR, cases[i].code);
      if (!strstr (error->message, cases[i].says))
        g_error ("case %u: “%s” does not say “%s”", i, error->message, cases[i].says);
    }
}

static void
test_deep_nesting (void)
{
  g_autoptr(GString) matcher = g_string_new ("r.sub == ");
  g_autoptr(GString) model = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PhEnforcer) e = NULL;

  for (int i = 0; i < 100000; i++)
    g_string_append_c (matcher, '(');
  g_string_append (matcher, "p.sub");
  for (int i = 0; i < 100000; i++)
    g_string_append_c (matcher, ')');
  model = g_string_new (NULL);
  g_string_printf (model, MODEL ("sub", "sub", NO_ROLES, ALLOW, "%s"), matcher->str);
  e = ph_enforcer_new (model->str, &error);
  g_assert_null (e);
  g_assert_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_TOO_LARGE);
}

static void
test_bad_policies (void)
{
  static const struct
  {
    const char *policy;
    const char *says;
  } cases[] = {
    { "p, alice, data1\n", "line 1" },
    { "p, alice, data1, read\nx, alice, data1, read\n", "line 2" },
    { "p, alice, \"data1, read\n", "column 11" },
    { "p, ali\"ce, data1, read\n", "column 7" },
    { "g, alice\n", "needs 2 fields" },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhEnforcer) e = ph_enforcer_new (
    MODEL ("sub, obj, act", "sub, obj, act", ROLES, ALLOW, "g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act"),
    &error);
  const char *good = "p, alice, data1, read\n";

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_clear_error (&error);
      g_assert_true (ph_enforcer_load_policy (e, good, strlen (good), &error));
      g_assert_false (ph_enforcer_load_policy (e, cases[i].policy, strlen (cases[i].policy), &error));
      g_assert_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_POLICY);
      if (!strstr (error->message, cases[i].says))
        g_error ("case %u: “%s” does not say “%s”", i, error->message, cases[i].says);
      /* A failed load leaves no half policy behind. */
      g_assert_false (decide (e, "alice, data1, read"));
    }

  /* Quoted fields, doubled quotes, comments, duplicates. */
  {
    const char *policy = "# comment\n\n  p, \"a,b\", \"say \"\"hi\"\"\", read  \np, \"a,b\", \"say \"\"hi\"\"\", read\n";

    g_clear_error (&error);
    g_assert_true (ph_enforcer_load_policy (e, policy, strlen (policy), &error));
    g_assert_true (decide (e, "\"a,b\", \"say \"\"hi\"\"\", read"));
    g_autofree char *dump = NULL;

    dump = ph_enforcer_dump_policy (e);
    g_assert_cmpstr (dump, ==, "p, \"a,b\", \"say \"\"hi\"\"\", read\n");
  }

  /* A size limit. */
  ph_enforcer_set_max_policy_size (e, 8);
  g_clear_error (&error);
  g_assert_false (ph_enforcer_load_policy (e, good, strlen (good), &error));
  g_assert_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_TOO_LARGE);
}

static void
test_bad_requests (void)
{
  g_autoptr(PhEnforcer) e = enforcer_new (
    MODEL ("sub, obj, act", "sub, obj, act", NO_ROLES, ALLOW, "r.sub == p.sub && r.obj == p.obj && r.act == p.act"),
    "p, a, b, c\n");
  g_autoptr(PhPolicyRequest) req = ph_policy_request_new ();
  g_autoptr(GError) error = NULL;

  decide_error (e, "a, b", PH_POLICY_ERROR_REQUEST);
  g_assert_false (ph_policy_request_parse (req, "a, {\"x\": }, c", 7, &error));
  g_assert_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_REQUEST);
  g_assert_nonnull (strstr (error->message, "Line 7, column 4"));
  g_clear_error (&error);
  g_assert_false (ph_policy_request_parse (req, "a, \"b, c", 3, &error));
  g_assert_nonnull (strstr (error->message, "Line 3, column 4"));
}

static void
test_eval_without_rules (void)
{
  g_autoptr(PhEnforcer) e = enforcer_new (
    MODEL ("sub, obj", "rule, obj", NO_ROLES, ALLOW, "eval(p.rule) && r.obj == p.obj"), "");

  decide_error (e, "a, b", PH_POLICY_ERROR_EVAL);
}

static void
test_priority_not_integer (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhEnforcer) e = ph_enforcer_new (
    MODEL ("sub, obj, act", "priority, sub, obj, act, eft", NO_ROLES, "priority(p.eft) || deny",
           "r.sub == p.sub && r.obj == p.obj && r.act == p.act"), &error);
  const char *policy = "p, high, alice, d, read, allow\n";

  g_assert_no_error (error);
  g_assert_false (ph_enforcer_load_policy (e, policy, strlen (policy), &error));
  g_assert_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_POLICY);
}

/* The index and the cache change speed, never answers: compare with both off. */
static void
test_index_and_cache_agree (void)
{
  const char *model = MODEL ("sub, obj, act", "sub, obj, act, eft", ROLES, "priority(p.eft) || deny",
                             "g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act");
  /* The same matcher with its equalities hidden from the index. */
  const char *unindexed = MODEL ("sub, obj, act", "sub, obj, act, eft", ROLES, "priority(p.eft) || deny",
                                 "g(r.sub, p.sub) && (r.obj == p.obj) == true && !(r.act != p.act)");
  g_autoptr(GString) policy = g_string_new (NULL);
  g_autoptr(GRand) rand = g_rand_new_with_seed (g_test_rand_int ());
  g_autoptr(PhEnforcer) fast = NULL;
  g_autoptr(PhEnforcer) slow = NULL;

  for (int i = 0; i < 300; i++)
    g_string_append_printf (policy, "p, r%d, o%d, a%d, %s\n", g_rand_int_range (rand, 0, 20),
                            g_rand_int_range (rand, 0, 10), g_rand_int_range (rand, 0, 3),
                            g_rand_boolean (rand) ? "allow" : "deny");
  for (int i = 0; i < 100; i++)
    g_string_append_printf (policy, "g, u%d, r%d\n", g_rand_int_range (rand, 0, 50), g_rand_int_range (rand, 0, 20));
  fast = enforcer_new (model, policy->str);
  slow = enforcer_new (unindexed, policy->str);
  ph_enforcer_set_cache_enabled (slow, FALSE);

  for (int i = 0; i < 3000; i++)
    {
      g_autofree char *line = g_strdup_printf ("u%d, o%d, a%d", g_rand_int_range (rand, 0, 50),
                                               g_rand_int_range (rand, 0, 10), g_rand_int_range (rand, 0, 3));

      g_assert_cmpint (decide (fast, line), ==, decide (slow, line));
    }

  /* A policy change empties the cache. */
  {
    const char *rule[] = { "p", "u0", "secret", "a0", "allow", NULL };

    g_assert_false (decide (fast, "u0, secret, a0"));
    g_assert_true (ph_enforcer_add_rule (fast, rule, NULL));
    g_assert_true (decide (fast, "u0, secret, a0"));
    g_assert_true (ph_enforcer_remove_rule (fast, rule));
    g_assert_false (decide (fast, "u0, secret, a0"));
  }
}

static void
test_deciding_rule (void)
{
  g_autoptr(PhEnforcer) e = enforcer_new (
    MODEL ("sub, obj, act", "sub, obj, act, eft", NO_ROLES, "priority(p.eft) || deny",
           "r.sub == p.sub && keyMatch(r.obj, p.obj) && r.act == p.act"),
    "p, alice, /a/secret, read, deny\np, alice, /a/*, read, allow\n");
  PhValue request[3] = { ph_value_string ("alice"), ph_value_string ("/a/secret"), ph_value_string ("read") };
  const char * const *rule = NULL;
  gboolean allowed = TRUE;

  g_assert_true (ph_enforcer_enforce (e, 0, request, 3, &allowed, &rule, NULL));
  g_assert_false (allowed);
  g_assert_nonnull (rule);
  g_assert_cmpstr (rule[1], ==, "/a/secret");
  request[1] = ph_value_string ("/a/public");
  g_assert_true (ph_enforcer_enforce (e, 0, request, 3, &allowed, &rule, NULL));
  g_assert_true (allowed);
  g_assert_cmpstr (rule[1], ==, "/a/*");
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/policy/builtins", test_builtins);
  g_test_add_func ("/policy/builtins-in-matcher", test_builtins_in_matcher);
  g_test_add_func ("/policy/bad-builtin-input", test_bad_builtin_input);
  g_test_add_func ("/policy/hostile-regex", test_hostile_regex);
  g_test_add_func ("/policy/roles", test_roles);
  g_test_add_func ("/policy/cycle-refused", test_cycle_refused);
  g_test_add_func ("/policy/govaluate-semantics", test_govaluate_semantics);
  g_test_add_func ("/policy/numeric-values", test_numeric_values);
  g_test_add_func ("/policy/bad-models", test_bad_models);
  g_test_add_func ("/policy/deep-nesting", test_deep_nesting);
  g_test_add_func ("/policy/bad-policies", test_bad_policies);
  g_test_add_func ("/policy/bad-requests", test_bad_requests);
  g_test_add_func ("/policy/eval-without-rules", test_eval_without_rules);
  g_test_add_func ("/policy/priority-not-integer", test_priority_not_integer);
  g_test_add_func ("/policy/index-and-cache-agree", test_index_and_cache_agree);
  g_test_add_func ("/policy/deciding-rule", test_deciding_rule);

  return g_test_run ();
}
