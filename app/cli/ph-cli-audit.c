/* ph-cli-audit.c: perihelion-cli's audit commands: verify the log's chain, show its records.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "perihelion-cli"

#include "config.h"

#include <stdio.h>
#include <string.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "ph-cli.h"

static gboolean
open_for_audit (PhCli     *cli,
                PhVault  **out_vault,
                GError   **error)
{
  g_autoptr(PhVault) vault = ph_cli_open_vault (cli, error);

  if (vault == NULL ||
      !ph_broker_authorize (ph_cli_get_broker (), ph_cli_get_subject (), PH_ACTION_READ_METADATA, NULL, "audit",
                            error))
    return FALSE;
  *out_vault = g_steal_pointer (&vault);
  return TRUE;
}

static int
cmd_audit_verify (PhCli  *cli,
                  int     argc,
                  char  **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(PhSecret) key = NULL;
  g_autofree char *vault_id = NULL;
  PhAuditLog *log;
  PhAuditVerifyResult result;
  guint8 head_mac[PH_AUDIT_MAC_BYTES];
  guint64 head_seq = 0;
  gboolean have_head;
  int status;

  if (!ph_cli_parse_options (&argc, &argv, "verify", (GOptionEntry[]) { { NULL } }, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc != 1)
    return ph_cli_usage (_("audit verify takes no arguments"));
  if (!open_for_audit (cli, &vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));

  /* The head the vault saved, not one this run just wrote: that is what truncation is judged by. */
  have_head = ph_vault_get_audit_head (vault, &head_seq, head_mac);
  log = ph_broker_get_audit_log (ph_cli_get_broker ());
  vault_id = ph_vault_dup_id (vault);
  key = ph_vault_derive_key (vault, PH_AUDIT_KEY_ID, PH_AUDIT_KEY_CONTEXT);
  if (!ph_broker_finish (ph_cli_get_broker (), &error) ||
      !ph_audit_log_verify (ph_audit_log_get_path (log), vault_id, key, have_head ? head_seq : 0,
                            have_head ? head_mac : NULL, &result, &error))
    return ph_cli_fail (g_steal_pointer (&error));

  if (result.problem == PH_AUDIT_INTACT)
    {
      g_print (_("OK: %s (%s)\n"), result.message, ph_audit_log_get_path (log));
      status = PH_EXIT_OK;
    }
  else
    {
      g_print (_("DAMAGED: %s (%s)\n"), result.message, ph_audit_log_get_path (log));
      status = PH_EXIT_DAMAGED;
    }
  ph_audit_verify_result_clear (&result);
  return status;
}

/* "2026-12-01", an ISO 8601 time, or a span back from now: "30m", "12h", "7d". */
static gboolean
parse_since (const char *text,
             gint64     *out,
             GError    **error)
{
  g_autoptr(GDateTime) dt = NULL;
  char *end = NULL;
  gint64 n = g_ascii_strtoll (text, &end, 10);

  if (end != text && n >= 0 && end[0] && !end[1] && strchr ("smhd", end[0]))
    {
      gint64 unit = end[0] == 's' ? 1 : end[0] == 'm' ? 60 : end[0] == 'h' ? 3600 : 86400;

      *out = g_get_real_time () - n * unit * G_USEC_PER_SEC;
      return TRUE;
    }
  if (strlen (text) == 10)
    {
      g_autofree char *midnight = g_strconcat (text, "T00:00:00", NULL);
      g_autoptr(GTimeZone) local = g_time_zone_new_local ();

      dt = g_date_time_new_from_iso8601 (midnight, local);
    }
  else
    {
      g_autoptr(GTimeZone) local = g_time_zone_new_local ();

      dt = g_date_time_new_from_iso8601 (text, local);
    }
  if (dt == NULL)
    {
      g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                   _("--since takes a date (2026-12-01), a time (2026-12-01T09:00:00) or a span (30m, 12h, 7d)"));
      return FALSE;
    }
  *out = g_date_time_to_unix (dt) * G_USEC_PER_SEC;
  return TRUE;
}

static int
cmd_audit_show (PhCli  *cli,
                int     argc,
                char  **argv)
{
  gboolean json = FALSE;
  g_autofree char *since = NULL;
  g_autofree char *entry = NULL;
  g_autofree char *subject = NULL;
  g_autofree char *decision = NULL;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("The records as JSON lines"), NULL },
    { "since", 0, 0, G_OPTION_ARG_STRING, &since, N_("Records from this date, time or span back (7d)"), "WHEN" },
    { "entry", 0, 0, G_OPTION_ARG_STRING, &entry, N_("Records about this entry (id or part of the title)"), "ENTRY" },
    { "subject", 0, 0, G_OPTION_ARG_STRING, &subject, N_("Records of this subject (cli, gui, agent:NAME ...)"), "WHO" },
    { "decision", 0, 0, G_OPTION_ARG_STRING, &decision, N_("allow or deny"), "DECISION" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autofree char *vault_id = NULL;
  g_autofree char *entry_folded = NULL;
  gint64 since_time = 0;
  const char *data, *end;
  guint shown = 0;

  if (!ph_cli_parse_options (&argc, &argv, "show", entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc != 1)
    return ph_cli_usage (_("audit show takes no arguments"));
  if (since && !parse_since (since, &since_time, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (!open_for_audit (cli, &vault, &error) || !ph_broker_finish (ph_cli_get_broker (), &error))
    return ph_cli_fail (g_steal_pointer (&error));

  vault_id = ph_vault_dup_id (vault);
  entry_folded = entry ? g_utf8_casefold (entry, -1) : NULL;
  mapped = g_mapped_file_new (ph_audit_log_get_path (ph_broker_get_audit_log (ph_cli_get_broker ())), FALSE, NULL);
  if (mapped == NULL || g_mapped_file_get_length (mapped) == 0)
    return PH_EXIT_OK;
  data = g_mapped_file_get_contents (mapped);
  end = data + g_mapped_file_get_length (mapped);

  if (!json)
    g_print ("%-26s %-16s %-13s %-28s %-8s %s\n", _("TIME"), _("SUBJECT"), _("ACTION"), _("OBJECT"),
             _("DECISION"), _("REASON"));
  for (const char *p = data; p < end;)
    {
      const char *nl = memchr (p, '\n', end - p);
      gsize len = (nl ? nl : end) - p;
      const char *line = p;
      JsonObject *record, *object;
      const char *title, *id, *stamp;
      g_autoptr(GDateTime) dt = NULL;

      p = nl ? nl + 1 : end;
      if (len == 0 || !json_parser_load_from_data (parser, line, len, NULL) ||
          !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        continue;
      record = json_node_get_object (json_parser_get_root (parser));
      if (g_strcmp0 (json_object_get_string_member_with_default (record, "vault", ""), vault_id) != 0)
        continue;
      object = json_object_get_object_member (record, "object");
      title = object ? json_object_get_string_member_with_default (object, "title", "") : "";
      id = object ? json_object_get_string_member_with_default (object, "id", "") : "";
      stamp = json_object_get_string_member_with_default (record, "time", "");

      if (since_time && (!(dt = g_date_time_new_from_iso8601 (stamp, NULL)) ||
                         g_date_time_to_unix (dt) * G_USEC_PER_SEC < since_time))
        continue;
      if (subject && g_strcmp0 (json_object_get_string_member_with_default (record, "subject", ""), subject) != 0)
        continue;
      if (decision && g_strcmp0 (json_object_get_string_member_with_default (record, "decision", ""), decision) != 0)
        continue;
      if (entry_folded)
        {
          g_autofree char *folded = g_utf8_casefold (title, -1);

          if (strcmp (id, entry) != 0 && !strstr (folded, entry_folded))
            continue;
        }

      if (json)
        fwrite (line, 1, len, stdout), fputc ('\n', stdout);
      else
        g_print ("%-26.26s %-16s %-13s %-28s %-8s %s\n", stamp,
                 json_object_get_string_member_with_default (record, "subject", ""),
                 json_object_get_string_member_with_default (record, "action", ""),
                 *title ? title : id, json_object_get_string_member_with_default (record, "decision", ""),
                 json_object_get_string_member_with_default (record, "reason", ""));
      shown++;
    }
  return fflush (stdout) == 0 ? PH_EXIT_OK : PH_EXIT_IO;
}

int
ph_cli_cmd_audit (PhCli *cli,
                  int    argc,
                  char **argv)
{
  if (argc >= 2 && strcmp (argv[1], "verify") == 0)
    return cmd_audit_verify (cli, argc - 1, argv + 1);
  if (argc >= 2 && strcmp (argv[1], "show") == 0)
    return cmd_audit_show (cli, argc - 1, argv + 1);
  return ph_cli_usage (_("audit takes verify or show"));
}
