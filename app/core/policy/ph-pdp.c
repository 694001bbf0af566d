/* ph-pdp.c: Perihelion's policy decision point: access requests in, decisions with obligations out.
 *
 * The policy is a Casbin model and policy (ph-enforcer.c does the deciding). A request's
 * subject, object and context reach the model as attribute objects when the model or policy
 * reads their attributes (`r.sub.Kind`, `r.obj.Sensitivity`, `r.ctx.Risk`), and as plain ids
 * otherwise, so a standard Casbin ACL or RBAC model works unchanged. Obligations come from a
 * policy column named `obligations`, read from the rule that decided (docs/policy.md).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-policy"

#include "config.h"

#include <string.h>
#include <glib/gi18n-lib.h>
#include <json-glib/json-glib.h>

#include "ph-pdp.h"
#include "ph-policy-model.h"

static const char default_model[] =
  "# Perihelion's default access model.\n"
  "# r.sub: who asks (Id, Kind, Name, Exe, ExeSha256, AppId, Pid, Uid)\n"
  "# r.obj: the entry (Id, Title, Folder, Tags, Sensitivity, Kind) or \"vault\", \"policy\", \"audit\"\n"
  "# r.act: list, read-metadata, reveal, copy, use, write, delete, admin-policy, export\n"
  "# r.ctx: Hour, Weekday, SessionAge, SinceReauth, SinceMfa (seconds; -1: never), Risk (0-100),\n"
  "# Present, Command (the program a secret is handed to, or \"\")\n"
  "# Rules are tried in order and the first that matches decides; its obligations column\n"
  "# (reauth=DURATION, mfa=DURATION, approve, ttl=DURATION) says what must happen before access.\n"
  "[request_definition]\n"
  "r = sub, obj, act, ctx\n"
  "\n"
  "[policy_definition]\n"
  "p = sub, obj, act, cond, eft, obligations\n"
  "\n"
  "[role_definition]\n"
  "g = _, _\n"
  "\n"
  "[policy_effect]\n"
  "e = priority(p.eft) || deny\n"
  "\n"
  "[matchers]\n"
  "m = (p.sub == \"*\" || g(r.sub.Id, p.sub)) && \\\n"
  "    (p.obj == \"*\" || p.obj == r.obj.Id || p.obj == \"folder:\" + r.obj.Folder || \\\n"
  "     p.obj == \"sensitivity:\" + r.obj.Sensitivity) && \\\n"
  "    (p.act == \"*\" || p.act == r.act) && eval(p.cond)\n";

static const char default_policy[] =
  "# Perihelion's default policy: the user's own GUI and CLI may read; critical entries and\n"
  "# risky moments need the master password again; any other program asks once.\n"
  "g, gui, owner\n"
  "g, cli, owner\n"
  "\n"
  "# Changing this policy: the owner, with the master password entered in the last 5 minutes.\n"
  "p, owner, *, admin-policy, true, allow, reauth=5m\n"
  "p, *, *, admin-policy, true, deny, \n"
  "# Exporting every secret: the owner, with the master password now.\n"
  "p, owner, *, export, true, allow, reauth=0\n"
  "p, *, *, export, true, deny, \n"
  "# Risky moments (an unknown caller in a burst, failed unlocks): the password and a second\n"
  "# factor now (while no second factor is set up, the password stands in for it).\n"
  "p, owner, *, *, r.ctx.Risk >= 60, allow, reauth=0 mfa=0\n"
  "# Critical entries: the password in the last 15 minutes and a second factor every time;\n"
  "# high ones a second factor in the last 5 minutes.\n"
  "p, owner, sensitivity:critical, *, true, allow, reauth=15m mfa=0\n"
  "p, owner, sensitivity:high, reveal, true, allow, mfa=5m\n"
  "p, owner, sensitivity:high, copy, true, allow, mfa=5m\n"
  "p, owner, *, *, true, allow, \n"
  "# Any other program may list and read titles, and asks once for anything more.\n"
  "p, *, *, list, true, allow, \n"
  "p, *, *, read-metadata, true, allow, \n"
  "p, *, *, *, true, allow, approve\n";

struct _PhPdp
{
  GObject parent_instance;

  char *model;
  PhEnforcer *enforcer;
  GStrv tokens;           /* the request tokens, "r_sub" ... */
  int slot[4];            /* request index of sub, obj, act, ctx; -1: not in the model */
  gboolean attributes[4]; /* pass sub, obj, ctx as attribute objects */
  int obligations_index;  /* policy column "obligations", or -1 */
};

G_DEFINE_FINAL_TYPE (PhPdp, ph_pdp, G_TYPE_OBJECT)

enum { SLOT_SUB, SLOT_OBJ, SLOT_ACT, SLOT_CTX };
static const char * const slot_names[] = { "sub", "obj", "act", "ctx" };

static void
ph_pdp_finalize (GObject *object)
{
  PhPdp *self = PH_PDP (object);

  g_free (self->model);
  g_clear_object (&self->enforcer);
  g_strfreev (self->tokens);

  G_OBJECT_CLASS (ph_pdp_parent_class)->finalize (object);
}

static void
ph_pdp_class_init (PhPdpClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ph_pdp_finalize;
}

static void
ph_pdp_init (PhPdp *self)
{
}

const char *
ph_pdp_get_default_model (void)
{
  return default_model;
}

const char *
ph_pdp_get_default_policy (void)
{
  return default_policy;
}

static gboolean
reads_attributes (const char *model,
                  const char *policy,
                  const char *name)
{
  g_autofree char *dotted = g_strdup_printf ("r.%s.", name);
  g_autofree char *escaped = g_strdup_printf ("r_%s.", name);

  return strstr (model, dotted) || strstr (model, escaped) || (policy && (strstr (policy, dotted) ||
                                                                          strstr (policy, escaped)));
}

/* Every rule's obligations must parse: a typo must not silently drop a re-authentication. */
static gboolean
check_obligations (PhPdp   *self,
                   GError **error)
{
  g_autofree char *dump = NULL;
  g_auto(GStrv) lines = NULL;

  if (self->obligations_index < 0)
    return TRUE;
  dump = ph_enforcer_dump_policy (self->enforcer);
  lines = g_strsplit (dump, "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      g_auto(GStrv) fields = NULL;
      PhDecision decision = { 0 };

      if (!g_str_has_prefix (lines[i], "p, ") || !(fields = ph_policy_parse_csv_line (lines[i], i + 1, NULL)))
        continue;
      if (g_strv_length (fields) > (guint) self->obligations_index + 1 &&
          !ph_obligations_parse (fields[self->obligations_index + 1], &decision, error))
        {
          g_prefix_error (error, _("Rule “%s”: "), lines[i]);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * ph_pdp_new:
 *
 * A decision point for a Casbin @model and @policy. The model's request definition names
 * some of sub, obj, act and ctx, in any order.
 */
PhPdp *
ph_pdp_new (const char *model,
            const char *policy,
            GError    **error)
{
  g_autoptr(PhPdp) self = g_object_new (PH_TYPE_PDP, NULL);
  const char * const *tokens, * const *p_tokens;

  if (!(self->enforcer = ph_enforcer_new (model, error)))
    return NULL;
  if (!ph_enforcer_load_policy (self->enforcer, policy, strlen (policy), error))
    return NULL;
  self->model = g_strdup (model);

  tokens = ph_enforcer_get_request_tokens (self->enforcer, 0);
  self->tokens = g_strdupv ((char **) tokens);
  for (guint s = 0; s < 4; s++)
    self->slot[s] = -1;
  for (guint i = 0; tokens[i]; i++)
    {
      gboolean known = FALSE;

      for (guint s = 0; s < 4; s++)
        if (strcmp (tokens[i] + 2, slot_names[s]) == 0)
          {
            self->slot[s] = i;
            known = TRUE;
          }
      if (!known)
        {
          g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_MODEL,
                       _("The request definition may name sub, obj, act and ctx, not “%s”"), tokens[i] + 2);
          return NULL;
        }
    }
  for (guint s = 0; s < 4; s++)
    self->attributes[s] = s != SLOT_ACT && reads_attributes (model, policy, slot_names[s]);

  self->obligations_index = -1;
  p_tokens = ph_enforcer_get_policy_tokens (self->enforcer, 0);
  for (guint i = 0; p_tokens[i]; i++)
    if (strcmp (p_tokens[i] + 2, "obligations") == 0)
      self->obligations_index = i;
  if (!check_obligations (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

PhPdp *
ph_pdp_new_default (void)
{
  g_autoptr(GError) error = NULL;
  PhPdp *self = ph_pdp_new (default_model, default_policy, &error);

  g_assert_no_error (error);
  return self;
}

const char *
ph_pdp_get_model (PhPdp *self)
{
  return self->model;
}

char *
ph_pdp_dup_policy (PhPdp *self)
{
  return ph_enforcer_dump_policy (self->enforcer);
}

PhEnforcer *
ph_pdp_get_enforcer (PhPdp *self)
{
  return self->enforcer;
}

static const char *
object_id (const PhAccessRequest *request)
{
  if (request->entry)
    return ph_entry_get_id (request->entry);
  return request->object_id ? request->object_id : "vault";
}

static JsonNode *
subject_node (const PhSubject *subject,
              const char      *id)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "Id");
  json_builder_add_string_value (b, id);
  json_builder_set_member_name (b, "Kind");
  json_builder_add_string_value (b, ph_subject_kind_to_string (subject->kind));
  json_builder_set_member_name (b, "Name");
  json_builder_add_string_value (b, subject->name ? subject->name : "");
  json_builder_set_member_name (b, "Exe");
  json_builder_add_string_value (b, subject->exe ? subject->exe : "");
  json_builder_set_member_name (b, "ExeSha256");
  json_builder_add_string_value (b, subject->exe_sha256 ? subject->exe_sha256 : "");
  json_builder_set_member_name (b, "AppId");
  json_builder_add_string_value (b, subject->app_id ? subject->app_id : "");
  json_builder_set_member_name (b, "Pid");
  json_builder_add_int_value (b, subject->pid);
  json_builder_set_member_name (b, "Uid");
  json_builder_add_int_value (b, subject->uid);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonNode *
object_node (const PhAccessRequest *request)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  PhEntry *entry = request->entry;

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "Id");
  json_builder_add_string_value (b, object_id (request));
  json_builder_set_member_name (b, "Kind");
  json_builder_add_string_value (b, entry ? "entry" : object_id (request));
  json_builder_set_member_name (b, "Title");
  json_builder_add_string_value (b, entry ? ph_entry_get_title (entry) : "");
  json_builder_set_member_name (b, "Folder");
  json_builder_add_string_value (b, entry && ph_entry_get_folder (entry) ? ph_entry_get_folder (entry) : "");
  json_builder_set_member_name (b, "Sensitivity");
  json_builder_add_string_value (b, entry ? ph_sensitivity_to_string (ph_entry_get_sensitivity (entry)) : "normal");
  json_builder_set_member_name (b, "Tags");
  json_builder_begin_array (b);
  for (const char * const *t = entry ? ph_entry_get_tags (entry) : NULL; t && *t; t++)
    json_builder_add_string_value (b, *t);
  json_builder_end_array (b);
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

static JsonNode *
context_node (const PhAccessContext *ctx)
{
  g_autoptr(JsonBuilder) b = json_builder_new ();
  g_autoptr(GDateTime) now = g_date_time_new_from_unix_local (ctx->now / G_USEC_PER_SEC);

  json_builder_begin_object (b);
  json_builder_set_member_name (b, "Hour");
  json_builder_add_int_value (b, now ? g_date_time_get_hour (now) : 0);
  json_builder_set_member_name (b, "Weekday");
  json_builder_add_int_value (b, now ? g_date_time_get_day_of_week (now) : 0);
  json_builder_set_member_name (b, "SessionAge");
  json_builder_add_int_value (b, ctx->session_start ? (ctx->now - ctx->session_start) / G_USEC_PER_SEC : -1);
  json_builder_set_member_name (b, "SinceReauth");
  json_builder_add_int_value (b, ctx->last_reauth ? (ctx->now - ctx->last_reauth) / G_USEC_PER_SEC : -1);
  json_builder_set_member_name (b, "SinceMfa");
  json_builder_add_int_value (b, ctx->last_mfa ? (ctx->now - ctx->last_mfa) / G_USEC_PER_SEC : -1);
  json_builder_set_member_name (b, "Risk");
  json_builder_add_int_value (b, ctx->risk);
  json_builder_set_member_name (b, "Present");
  json_builder_add_boolean_value (b, ctx->present);
  json_builder_set_member_name (b, "Command");
  json_builder_add_string_value (b, ctx->command ? ctx->command : "");
  json_builder_end_object (b);
  return json_builder_get_root (b);
}

/**
 * ph_pdp_decide:
 *
 * Decides @request. On allow, @decision carries the deciding rule's obligations.
 *
 * Returns: %FALSE if the policy could not be evaluated (which denies)
 */
gboolean
ph_pdp_decide (PhPdp                 *self,
               const PhAccessRequest *request,
               PhDecision            *decision,
               GError               **error)
{
  g_autofree char *sub_id = ph_subject_dup_id (request->subject);
  JsonNode *nodes[4] = { NULL };
  PhValue values[4];
  gboolean ok;
  const char * const *rule = NULL;
  guint n = g_strv_length (self->tokens);
  gboolean allowed = FALSE;

  g_return_val_if_fail (PH_IS_PDP (self), FALSE);

  memset (decision, 0, sizeof *decision);
  decision->reauth_within = -1;
  decision->mfa_within = -1;
  decision->ttl = -1;

  for (guint s = 0; s < 4; s++)
    {
      int i = self->slot[s];

      if (i < 0)
        continue;
      if (!self->attributes[s])
        {
          values[i] = ph_value_string (s == SLOT_SUB ? sub_id : s == SLOT_OBJ ? object_id (request)
                                       : s == SLOT_ACT ? ph_action_to_string (request->action) : "");
          continue;
        }
      nodes[s] = s == SLOT_SUB ? subject_node (request->subject, sub_id)
               : s == SLOT_OBJ ? object_node (request) : context_node (&request->context);
      values[i].type = PH_VALUE_JSON;
      values[i].json = nodes[s];
    }

  ok = ph_enforcer_enforce (self->enforcer, 0, values, n, &allowed, &rule, error);
  for (guint s = 0; s < 4; s++)
    g_clear_pointer (&nodes[s], json_node_unref);
  if (!ok)
    return FALSE;

  decision->allowed = allowed;
  if (rule)
    {
      g_autofree char *joined = g_strjoinv (", ", (char **) rule);

      decision->rule = g_strconcat ("p, ", joined, NULL);
      if (allowed && self->obligations_index >= 0 &&
          !ph_obligations_parse (rule[self->obligations_index], decision, error))
        {
          decision->allowed = FALSE;
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * ph_pdp_prepend_rule:
 *
 * Puts a rule before all others (a remembered "always allow" answer): with the priority
 * effect, it then decides first.
 */
gboolean
ph_pdp_prepend_rule (PhPdp      *self,
                     const char *rule_line,
                     GError    **error)
{
  g_autofree char *policy = ph_enforcer_dump_policy (self->enforcer);
  g_autofree char *combined = g_strconcat (rule_line, "\n", policy, NULL);

  return ph_enforcer_load_policy (self->enforcer, combined, strlen (combined), error);
}
