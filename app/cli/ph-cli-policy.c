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

int
ph_cli_cmd_policy (PhCli *cli,
                   int    argc,
                   char **argv)
{
  if (argc >= 2 && strcmp (argv[1], "enforce") == 0)
    return cmd_policy_enforce (argc - 1, argv + 1);
  return ph_cli_usage (_("policy takes enforce, show, import, export or test"));
}
