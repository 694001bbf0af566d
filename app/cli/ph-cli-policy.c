/* ph-cli-policy.c: perihelion-cli's policy commands.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "perihelion-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "ph-cli.h"
#include "ph-enforcer.h"
#include "ph-pdp.h"
#include "ph-policy-model.h"

static int
cmd_policy_enforce (int    argc,
                    char **argv)
{
  g_autofree char *model = NULL;
  g_autofree char *policy = NULL;
  int context = 1;
  gboolean explain = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model, N_("The Casbin model (.conf)"), "FILE" },
    { "policy", 'p', 0, G_OPTION_ARG_FILENAME, &policy, N_("The Casbin policy (.csv)"), "FILE" },
    { "context", 0, 0, G_OPTION_ARG_INT, &context,
      N_("Use r N, p N, e N and m N of the model (default 1)"), "N" },
    { "explain", 0, 0, G_OPTION_ARG_NONE, &explain,
      N_("After each answer, print the rule that decided it"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhEnforcer) enforcer = NULL;
  g_autoptr(GIOChannel) in = NULL;
  g_autoptr(PhPolicyRequest) req = ph_policy_request_new ();
  guint line_number = 0;
  int status = PH_EXIT_OK;
  char *line = NULL;
  gsize terminator;
  GIOStatus io;

  if (!ph_cli_parse_options (&argc, &argv, _("enforce --model M.conf [--policy P.csv]"), entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (model == NULL || argc != 1)
    return ph_cli_usage (_("policy enforce takes --model FILE and, usually, --policy FILE; requests come on stdin"));
  if (context < 1)
    return ph_cli_usage (_("--context counts from 1"));
  if (!(enforcer = ph_enforcer_new_for_files (model, policy, &error)))
    return ph_cli_fail (g_steal_pointer (&error));

  in = g_io_channel_unix_new (0);
  g_io_channel_set_encoding (in, NULL, NULL);
  while ((io = g_io_channel_read_line (in, &line, NULL, &terminator, &error)) == G_IO_STATUS_NORMAL)
    {
      g_autofree char *owned = line;
      const char * const *rule = NULL;
      gboolean allowed = FALSE;

      line_number++;
      owned[terminator] = '\0';
      g_strstrip (owned);
      if (*owned == '\0' || *owned == '#')
        continue;

      if (!ph_policy_request_parse (req, owned, line_number, &error))
        {
          status = ph_cli_fail (g_steal_pointer (&error));
          break;
        }
      if (!ph_enforcer_enforce (enforcer, context - 1, ph_policy_request_get_values (req),
                                ph_policy_request_get_n_values (req),
                                &allowed, &rule, &error))
        {
          g_printerr (_("Line %u: %s\n"), line_number, error->message);
          g_clear_error (&error);
          status = PH_EXIT_FAILURE;
        }
      fputs (allowed ? "true" : "false", stdout);
      if (explain && rule)
        {
          g_autofree char *joined = g_strjoinv (", ", (char **) rule);

          fprintf (stdout, "\t%s", joined);
        }
      fputc ('\n', stdout);
    }
  if (io == G_IO_STATUS_ERROR)
    status = ph_cli_fail (g_steal_pointer (&error));

  if (fflush (stdout) != 0)
    status = PH_EXIT_IO;
  return status;
}

static gboolean
open_for_policy (PhCli     *cli,
                 PhAction   action,
                 PhVault  **out_vault,
                 GError   **error)
{
  g_autoptr(PhVault) vault = ph_cli_open_vault (cli, error);

  if (vault == NULL ||
      !ph_broker_authorize (ph_cli_get_broker (), ph_cli_get_subject (), action, NULL, "policy", error))
    return FALSE;
  *out_vault = g_steal_pointer (&vault);
  return TRUE;
}

static int
cmd_policy_show (PhCli  *cli,
                 int     argc,
                 char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autofree char *policy = NULL;
  PhPdp *pdp;

  if (!ph_cli_parse_options (&argc, &argv, "show", (GOptionEntry[]) { { NULL } }, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc != 1)
    return ph_cli_usage (_("policy show takes no arguments"));
  if (!open_for_policy (cli, PH_ACTION_READ_METADATA, &vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));

  pdp = ph_broker_get_pdp (ph_cli_get_broker ());
  policy = ph_pdp_dup_policy (pdp);
  g_print ("# %s\n", ph_vault_get_policy (vault, NULL, NULL, NULL) ? _("The vault's access policy")
                                                                   : _("The built-in default access policy"));
  g_print ("# --- model ---\n%s", ph_pdp_get_model (pdp));
  g_print ("# --- policy ---\n%s", policy);
  return PH_EXIT_OK;
}

static gboolean
write_file_or_stdout (const char  *path,
                      const char  *text,
                      GError     **error)
{
  if (path == NULL || strcmp (path, "-") == 0)
    {
      fputs (text, stdout);
      return fflush (stdout) == 0;
    }
  return g_file_set_contents (path, text, -1, error);
}

static int
cmd_policy_export (PhCli  *cli,
                   int     argc,
                   char  **argv)
{
  g_autofree char *model_path = NULL;
  g_autofree char *policy_path = NULL;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, N_("Write the model (.conf) here"), "FILE" },
    { "policy", 'p', 0, G_OPTION_ARG_FILENAME, &policy_path, N_("Write the policy (.csv) here"), "FILE" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autofree char *policy = NULL;
  PhPdp *pdp;

  if (!ph_cli_parse_options (&argc, &argv, "export --model M.conf --policy P.csv", entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc != 1 || model_path == NULL || policy_path == NULL)
    return ph_cli_usage (_("policy export takes --model FILE and --policy FILE"));
  if (!open_for_policy (cli, PH_ACTION_READ_METADATA, &vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));

  pdp = ph_broker_get_pdp (ph_cli_get_broker ());
  policy = ph_pdp_dup_policy (pdp);
  if (!write_file_or_stdout (model_path, ph_pdp_get_model (pdp), &error) ||
      !write_file_or_stdout (policy_path, policy, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  return PH_EXIT_OK;
}

static int
cmd_policy_import (PhCli  *cli,
                   int     argc,
                   char  **argv)
{
  g_autofree char *model_path = NULL;
  g_autofree char *policy_path = NULL;
  gboolean use_default = FALSE;
  GOptionEntry entries[] = {
    { "model", 'm', 0, G_OPTION_ARG_FILENAME, &model_path, N_("The model (.conf)"), "FILE" },
    { "policy", 'p', 0, G_OPTION_ARG_FILENAME, &policy_path, N_("The policy (.csv)"), "FILE" },
    { "default", 0, 0, G_OPTION_ARG_NONE, &use_default, N_("Go back to the built-in default policy"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autofree char *model = NULL;
  g_autofree char *policy = NULL;

  if (!ph_cli_parse_options (&argc, &argv, "import --model M.conf --policy P.csv | --default", entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc != 1 || (use_default == (model_path != NULL || policy_path != NULL)) ||
      (!use_default && (model_path == NULL || policy_path == NULL)))
    return ph_cli_usage (_("policy import takes --model FILE and --policy FILE, or --default"));
  if (use_default)
    {
      model = g_strdup (ph_pdp_get_default_model ());
      policy = g_strdup (ph_pdp_get_default_policy ());
    }
  else if (!g_file_get_contents (model_path, &model, NULL, &error) ||
           !g_file_get_contents (policy_path, &policy, NULL, &error))
    return ph_cli_fail (g_steal_pointer (&error));

  if (!(vault = ph_cli_open_vault (cli, &error)) ||
      !ph_broker_set_policy (ph_cli_get_broker (), ph_cli_get_subject (), model, policy, &error) ||
      !ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  g_printerr ("%s\n", _("The access policy was replaced"));
  return PH_EXIT_OK;
}

static int
cmd_policy_test (PhCli  *cli,
                 int     argc,
                 char  **argv)
{
  int risk = 0;
  int since_reauth = -1;
  gboolean absent = FALSE;
  GOptionEntry entries[] = {
    { "risk", 0, 0, G_OPTION_ARG_INT, &risk, N_("The risk score to assume (0-100)"), "N" },
    { "since-reauth", 0, 0, G_OPTION_ARG_INT, &since_reauth,
      N_("Seconds since the master password was entered (default: never)"), "SECONDS" },
    { "absent", 0, 0, G_OPTION_ARG_NONE, &absent, N_("Assume nobody is at the machine"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(PhSubject) subject = NULL;
  g_autofree char *obligations = NULL;
  PhDecision decision = { 0 };
  PhAccessRequest request = { 0 };
  PhAction action;

  if (!ph_cli_parse_options (&argc, &argv, "test SUBJECT ACTION [TITLE|ID]", entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc < 3 || argc > 4)
    return ph_cli_usage (_("policy test takes SUBJECT ACTION and an optional TITLE or ID"));
  if (!ph_action_from_string (argv[2], &action))
    return ph_cli_usage (_("Unknown action “%s” (list, read-metadata, reveal, copy, use, write, delete, "
                           "admin-policy, export)"), argv[2]);
  if (!(subject = ph_subject_new_from_spec (argv[1], &error)) ||
      !open_for_policy (cli, PH_ACTION_READ_METADATA, &vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));

  request.subject = subject;
  request.action = action;
  if (argc == 4)
    {
      if (!(request.entry = ph_vault_find (vault, argv[3], &error)))
        return ph_cli_fail (g_steal_pointer (&error));
    }
  else
    request.object_id = action == PH_ACTION_ADMIN_POLICY ? "policy" : "vault";
  request.context.now = g_get_real_time ();
  request.context.session_start = request.context.now;
  request.context.last_reauth = since_reauth >= 0 ? request.context.now - (gint64) since_reauth * G_USEC_PER_SEC : 0;
  request.context.risk = CLAMP (risk, 0, 100);
  request.context.present = !absent;

  /* A dry run: decided, shown, neither fulfilled nor audited. */
  if (!ph_pdp_decide (ph_broker_get_pdp (ph_cli_get_broker ()), &request, &decision, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  obligations = ph_decision_dup_obligations (&decision);
  g_print ("%s\n", decision.allowed ? "allow" : "deny");
  g_print (_("rule: %s\n"), decision.rule ? decision.rule : _("(none matched)"));
  if (decision.allowed && *obligations)
    g_print (_("obligations: %s\n"), obligations);
  ph_decision_clear (&decision);
  return PH_EXIT_OK;
}

int
ph_cli_cmd_policy (PhCli *cli,
                   int    argc,
                   char **argv)
{
  static const struct
  {
    const char *name;
    int (*run) (PhCli *cli, int argc, char **argv);
  } subcommands[] = {
    { "show", cmd_policy_show },
    { "export", cmd_policy_export },
    { "import", cmd_policy_import },
    { "test", cmd_policy_test },
  };

  if (argc >= 2 && strcmp (argv[1], "enforce") == 0)
    return cmd_policy_enforce (argc - 1, argv + 1);
  for (guint i = 0; argc >= 2 && i < G_N_ELEMENTS (subcommands); i++)
    if (strcmp (argv[1], subcommands[i].name) == 0)
      return subcommands[i].run (cli, argc - 1, argv + 1);
  return ph_cli_usage (_("policy takes enforce, show, import, export or test"));
}
