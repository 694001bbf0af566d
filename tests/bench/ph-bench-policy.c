/* ph-bench-policy.c: the policy engine on the shapes of Casbin's published benchmarks, with
 * node-casbin timed on the same files and requests in the same run.
 *
 * For each shape: our time per decision with the decision cache off (every decision evaluated)
 * and on, node-casbin's time per decision, and both load times. Shapes follow Go Casbin's
 * model_b_test.go: ACL (2 rules), RBAC (5), RBAC small/medium/large (100/1,000/10,000 roles with
 * 10 users each), ABAC, RESTful keyMatch, deny-override, priority; plus our own 110k-row load.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "ph-enforcer.h"
#include "ph-policy-model.h"

typedef struct
{
  const char *name;
  const char *model;          /* text */
  const char *policy;         /* text, or NULL: generated */
  void (*generate) (GString *policy);
  const char *request;        /* a request line */
  const char *node_request;   /* the same request as a JSON array */
} Shape;

static const char *basic_model =
  "[request_definition]\nr = sub, obj, act\n[policy_definition]\np = sub, obj, act\n"
  "[policy_effect]\ne = some(where (p.eft == allow))\n"
  "[matchers]\nm = r.sub == p.sub && r.obj == p.obj && r.act == p.act\n";
static const char *rbac_model =
  "[request_definition]\nr = sub, obj, act\n[policy_definition]\np = sub, obj, act\n"
  "[role_definition]\ng = _, _\n[policy_effect]\ne = some(where (p.eft == allow))\n"
  "[matchers]\nm = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act\n";
static const char *abac_model =
  "[request_definition]\nr = sub, obj, act\n[policy_definition]\np = sub, obj, act\n"
  "[policy_effect]\ne = some(where (p.eft == allow))\n[matchers]\nm = r.sub == r.obj.Owner\n";
static const char *keymatch_model =
  "[request_definition]\nr = sub, obj, act\n[policy_definition]\np = sub, obj, act\n"
  "[policy_effect]\ne = some(where (p.eft == allow))\n"
  "[matchers]\nm = r.sub == p.sub && keyMatch(r.obj, p.obj) && regexMatch(r.act, p.act)\n";
static const char *deny_model =
  "[request_definition]\nr = sub, obj, act\n[policy_definition]\np = sub, obj, act, eft\n"
  "[role_definition]\ng = _, _\n"
  "[policy_effect]\ne = some(where (p.eft == allow)) && !some(where (p.eft == deny))\n"
  "[matchers]\nm = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act\n";
static const char *priority_model =
  "[request_definition]\nr = sub, obj, act\n[policy_definition]\np = sub, obj, act, eft\n"
  "[role_definition]\ng = _, _\n[policy_effect]\ne = priority(p.eft) || deny\n"
  "[matchers]\nm = g(r.sub, p.sub) && r.obj == p.obj && r.act == p.act\n";

static void
generate_rbac (GString *policy,
               int      roles)
{
  for (int i = 0; i < roles; i++)
    g_string_append_printf (policy, "p, group%d, data%d, read\n", i, i / 10);
  for (int i = 0; i < roles * 10; i++)
    g_string_append_printf (policy, "g, user%d, group%d\n", i, i / 10);
}

static void gen_small (GString *p) { generate_rbac (p, 100); }
static void gen_medium (GString *p) { generate_rbac (p, 1000); }
static void gen_large (GString *p) { generate_rbac (p, 10000); }

static const Shape shapes[] = {
  { "ACL (2 rules)", NULL, "p, alice, data1, read\np, bob, data2, write\n", NULL,
    "alice, data1, read", "[\"alice\",\"data1\",\"read\"]" },
  { "RBAC (5 rules)", NULL,
    "p, alice, data1, read\np, bob, data2, write\np, data2_admin, data2, read\n"
    "p, data2_admin, data2, write\ng, alice, data2_admin\n", NULL,
    "alice, data2, read", "[\"alice\",\"data2\",\"read\"]" },
  { "RBAC small (1,100 rows)", NULL, NULL, gen_small, "user501, data9, read", "[\"user501\",\"data9\",\"read\"]" },
  { "RBAC medium (11,000 rows)", NULL, NULL, gen_medium, "user5001, data150, read",
    "[\"user5001\",\"data150\",\"read\"]" },
  { "RBAC large (110,000 rows)", NULL, NULL, gen_large, "user50001, data1500, read",
    "[\"user50001\",\"data1500\",\"read\"]" },
  { "RBAC large, allowed", NULL, NULL, gen_large, "user50001, data500, read",
    "[\"user50001\",\"data500\",\"read\"]" },
  { "ABAC", NULL, "", NULL, "alice, {\"Name\": \"data1\", \"Owner\": \"alice\"}, read",
    "[\"alice\",{\"Name\":\"data1\",\"Owner\":\"alice\"},\"read\"]" },
  { "RESTful keyMatch (6 rules)", NULL,
    "p, alice, /alice_data/*, GET\np, alice, /alice_data/resource1, POST\np, bob, /alice_data/resource2, GET\n"
    "p, bob, /bob_data/*, POST\np, cathy, /cathy_data, (GET)|(POST)\np, cathy, /cathy_data, (GET)|(POST)\n", NULL,
    "alice, /alice_data/resource1, GET", "[\"alice\",\"/alice_data/resource1\",\"GET\"]" },
  { "Deny-override (6 rules)", NULL,
    "p, alice, data1, read, allow\np, bob, data2, write, allow\np, data2_admin, data2, read, allow\n"
    "p, data2_admin, data2, write, allow\np, alice, data2, write, deny\ng, alice, data2_admin\n", NULL,
    "alice, data1, read", "[\"alice\",\"data1\",\"read\"]" },
  { "Priority (9 rules)", NULL,
    "p, alice, data1, read, allow\np, data1_deny_group, data1, read, deny\np, data1_deny_group, data1, write, deny\n"
    "p, alice, data1, write, allow\ng, alice, data1_deny_group\np, data2_allow_group, data2, read, allow\n"
    "p, bob, data2, read, deny\np, bob, data2, write, deny\ng, bob, data2_allow_group\n", NULL,
    "alice, data1, read", "[\"alice\",\"data1\",\"read\"]" },
};

static const char *
shape_model (guint i)
{
  static const char **models[] = {
    &basic_model, &rbac_model, &rbac_model, &rbac_model, &rbac_model, &rbac_model, &abac_model, &keymatch_model,
    &deny_model, &priority_model,
  };
  return *models[i];
}

static double
now_ns (void)
{
  return g_get_monotonic_time () * 1000.0;
}

/* Times decisions until @seconds have passed; returns ns per decision. */
static double
time_decisions (PhEnforcer    *enforcer,
                const PhValue *values,
                guint          n_values,
                double         seconds)
{
  double start = now_ns (), elapsed;
  guint64 n = 0;
  gboolean allowed;

  do
    {
      for (int i = 0; i < 1000; i++)
        ph_enforcer_enforce (enforcer, 0, values, n_values, &allowed, NULL, NULL);
      n += 1000;
      elapsed = now_ns () - start;
    }
  while (elapsed < seconds * 1e9);
  return elapsed / n;
}

static gboolean
run_node (const char *model_path,
          const char *policy_path,
          const char *request,
          double     *load_ms,
          double     *ns)
{
  g_autoptr(GSubprocess) child = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *script = g_build_filename (g_getenv ("PH_BENCH_DIR"), "casbin-bench.js", NULL);

  child = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, "node", script, model_path, policy_path,
                            "1.0", request, NULL);
  if (child == NULL || !g_subprocess_communicate_utf8 (child, NULL, NULL, &out, NULL, &error) ||
      !g_subprocess_get_successful (child))
    return FALSE;
  return sscanf (out, "%lf %lf", load_ms, ns) == 2;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *dir = g_dir_make_tmp ("ph-bench-policy-XXXXXX", NULL);
  gboolean have_node = g_find_program_in_path ("node") != NULL && g_getenv ("NODE_PATH") != NULL;

  printf ("%-28s %12s %12s %14s %12s %12s %9s\n", "shape", "uncached ns", "cached ns", "node-casbin ns",
          "load ms", "node load ms", "speed-up");
  for (guint i = 0; i < G_N_ELEMENTS (shapes); i++)
    {
      const Shape *shape = &shapes[i];
      g_autoptr(GString) policy = g_string_new (shape->policy ? shape->policy : "");
      g_autofree char *model_path = g_build_filename (dir, "model.conf", NULL);
      g_autofree char *policy_path = g_build_filename (dir, "policy.csv", NULL);
      g_autoptr(PhEnforcer) enforcer = NULL;
      g_autoptr(PhPolicyRequest) req = ph_policy_request_new ();
      g_autoptr(GError) error = NULL;
      double t0, load_ms, uncached, cached, node_ns = 0, node_load = 0;
      gboolean allowed = FALSE;

      if (shape->generate)
        shape->generate (policy);
      g_file_set_contents (model_path, shape_model (i), -1, NULL);
      g_file_set_contents (policy_path, policy->str, policy->len, NULL);

      t0 = now_ns ();
      enforcer = ph_enforcer_new_for_files (model_path, policy_path, &error);
      load_ms = (now_ns () - t0) / 1e6;
      g_assert_no_error (error);
      ph_policy_request_parse (req, shape->request, 1, &error);
      g_assert_no_error (error);
      ph_enforcer_enforce (enforcer, 0, ph_policy_request_get_values (req), ph_policy_request_get_n_values (req),
                           &allowed, NULL, &error);
      g_assert_no_error (error);

      ph_enforcer_set_cache_enabled (enforcer, FALSE);
      uncached = time_decisions (enforcer, ph_policy_request_get_values (req), ph_policy_request_get_n_values (req), 0.3);
      ph_enforcer_set_cache_enabled (enforcer, TRUE);
      cached = time_decisions (enforcer, ph_policy_request_get_values (req), ph_policy_request_get_n_values (req), 0.3);

      if (have_node && !run_node (model_path, policy_path, shape->node_request, &node_load, &node_ns))
        g_printerr ("node-casbin failed on %s\n", shape->name);

      printf ("%-28s %12.1f %12.1f %14.0f %12.1f %12.1f %8.0fx   (%s)\n", shape->name, uncached, cached, node_ns,
              load_ms, node_load, node_ns > 0 ? node_ns / uncached : 0.0, allowed ? "allow" : "deny");
      fflush (stdout);
      g_unlink (model_path);
      g_unlink (policy_path);
    }
  g_rmdir (dir);
  if (!have_node)
    printf ("(node-casbin not found: run through build-aux/dev bench for the side-by-side numbers)\n");
  return 0;
}
