/* ph-cli-commands.c: the commands of perihelion-cli.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "perihelion-cli"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <unistd.h>
#include <json-glib/json-glib.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "ph-cli.h"
#include "ph-otp-entry.h"
#include "ph-csv.h"
#include "ph-entry-private.h"
#include "ph-generator.h"
#include "ph-git-credential.h"
#include "ph-oauth-account.h"

/* Parses a command's options; leaves positional arguments in argv. */
gboolean
ph_cli_parse_options (int          *argc,
                      char       ***argv,
                      const char   *parameter,
                      GOptionEntry *entries,
                      GError      **error)
{
  g_autoptr(GOptionContext) context = g_option_context_new (parameter);

  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);
  g_option_context_set_strict_posix (context, FALSE);
  return g_option_context_parse (context, argc, argv, error);
}

static gboolean
parse_kdf_options (gint64       ops,
                   gint64       mem_mib,
                   PhKdfParams *params,
                   gboolean    *calibrated)
{
  *calibrated = FALSE;
  if (ops > 0 && mem_mib > 0)
    {
      params->opslimit = ops;
      params->memlimit = (guint64) mem_mib * 1024 * 1024;
      return TRUE;
    }

  if (isatty (STDERR_FILENO))
    g_printerr ("%s", _("Measuring this machine for the key derivation cost…\n"));
  ph_kdf_calibrate (1.0, mem_mib > 0 ? (guint64) mem_mib * 1024 * 1024 : PH_KDF_MIN_MEMLIMIT,
                    params, NULL);
  if (ops > 0)
    params->opslimit = ops;
  *calibrated = TRUE;
  return TRUE;
}

static PhSecret *
read_new_password (PhCli   *cli,
                   int      fd,
                   GError **error)
{
  g_autoptr(PhSecret) first = NULL;
  g_autoptr(PhSecret) second = NULL;

  if (fd >= 0)
    first = ph_secret_read_line (fd, TRUE, error);
  else if (cli->password_fd >= 0 && fd == -2)
    first = ph_secret_read_line (cli->password_fd, TRUE, error);
  else
    {
      first = ph_cli_prompt_secret (_("New master password: "), error);
      if (first == NULL)
        return NULL;
      second = ph_cli_prompt_secret (_("Repeat the new master password: "), error);
      if (second == NULL)
        return NULL;
      if (!ph_secret_equal (first, second))
        {
          g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_INVALID,
                       _("The passwords do not match"));
          return NULL;
        }
    }
  if (first == NULL)
    return NULL;
  if (ph_secret_get_length (first) == 0 || !ph_secret_is_utf8 (first))
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_INVALID,
                   ph_secret_get_length (first) == 0
                   ? _("The master password must not be empty")
                   : _("The master password must be valid UTF-8"));
      return NULL;
    }
  return g_steal_pointer (&first);
}

static void
print_recovery_key (PhSecret *key)
{
  g_printerr ("%s", _("Recovery key (write it down and keep it apart from this device; it is shown "
                      "only this once and opens the vault if you forget the password):\n"));
  ph_secret_write_to_fd (key, STDOUT_FILENO, TRUE, NULL);
}

int
ph_cli_cmd_init (PhCli *cli,
                 int    argc,
                 char **argv)
{
  gint64 ops = 0, mem = 0;
  gboolean force = FALSE, remember = FALSE, calibrated;
  GOptionEntry entries[] = {
    { "kdf-ops", 0, 0, G_OPTION_ARG_INT64, &ops, N_("Argon2id passes"), "N" },
    { "kdf-mem", 0, 0, G_OPTION_ARG_INT64, &mem, N_("Argon2id memory in MiB"), "MIB" },
    { "force", 0, 0, G_OPTION_ARG_NONE, &force, N_("Replace an existing vault"), NULL },
    { "remember", 0, 0, G_OPTION_ARG_NONE, &remember, N_("Remember the vault key on this device"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) password = NULL;
  g_autoptr(PhSecret) recovery = NULL;
  g_autoptr(PhVault) vault = NULL;
  PhKdfParams params;

  if (!ph_cli_parse_options (&argc, &argv, NULL, entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc > 1)
    return ph_cli_usage (_("init takes no arguments"));
  if (ops < 0 || mem < 0)
    return ph_cli_usage (_("--kdf-ops and --kdf-mem must be positive"));
  if (!force && g_file_test (cli->vault_path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *name = g_filename_display_name (cli->vault_path);
      return ph_cli_usage (_("%s already exists (use --force to replace it)"), name);
    }

  if (!(password = read_new_password (cli, -2, &error)))
    return ph_cli_fail (g_steal_pointer (&error));

  parse_kdf_options (ops, mem, &params, &calibrated);
  if (!ph_kdf_params_validate (&params, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (params.memlimit < PH_KDF_MIN_MEMLIMIT)
    g_printerr (_("perihelion-cli: warning: %" G_GUINT64_FORMAT " MiB of Argon2id memory is weak; "
                  "64 MiB or more is recommended\n"), params.memlimit / (1024 * 1024));

  vault = ph_vault_new (cli->vault_path, password, &params, &recovery, &error);
  if (vault == NULL)
    return ph_cli_fail (g_steal_pointer (&error));
  if (remember)
    {
      g_autoptr(PhKeystore) keystore = ph_keystore_new_default ();

      if (keystore == NULL || !ph_vault_remember_on_device (vault, keystore, &error))
        {
          if (error == NULL)
            g_set_error (&error, PH_KEYSTORE_ERROR, PH_KEYSTORE_ERROR_UNAVAILABLE,
                         _("This build has no keyring support"));
          return ph_cli_fail (g_steal_pointer (&error));
        }
    }
  if (force)
    {
      g_autofree char *backup = g_strconcat (cli->vault_path, ".bak", NULL);
      g_unlink (cli->vault_path);
      g_unlink (backup);
    }
  if (!ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));

  g_printerr (_("Created %s (Argon2id: %" G_GUINT64_FORMAT " passes, %" G_GUINT64_FORMAT " MiB%s)\n"),
              cli->vault_path, params.opslimit, params.memlimit / (1024 * 1024),
              calibrated ? _(", measured for about 1 s here") : "");
  print_recovery_key (recovery);
  return PH_EXIT_OK;
}

/* Reads a secret from stdin: the whole input without its final line end, or a prompt on a
 * terminal. */
static PhSecret *
read_secret_stdin (const char *prompt,
                   GError    **error)
{
  g_autoptr(PhSecret) buffer = NULL;
  gsize len = 0, cap = 4096;

  if (isatty (STDIN_FILENO))
    return ph_cli_prompt_secret (prompt, error);

  buffer = ph_secret_new (cap);
  for (;;)
    {
      ssize_t r = read (STDIN_FILENO, ph_secret_get_mutable (buffer) + len, cap - len);

      if (r < 0)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("Could not read the secret from stdin"));
          return NULL;
        }
      if (r == 0)
        break;
      len += r;
      if (len == cap)
        {
          g_autoptr(PhSecret) bigger = NULL;

          if (cap >= 1024 * 1024)
            {
              g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_INVALID,
                           _("The secret on stdin is larger than 1 MiB"));
              return NULL;
            }
          bigger = ph_secret_new (cap * 2);
          memcpy (ph_secret_get_mutable (bigger), ph_secret_get_data (buffer), len);
          g_clear_pointer (&buffer, ph_secret_unref);
          buffer = g_steal_pointer (&bigger);
          cap *= 2;
        }
    }
  if (len > 0 && ph_secret_get_data (buffer)[len - 1] == '\n')
    len--;
  if (len > 0 && ph_secret_get_data (buffer)[len - 1] == '\r')
    len--;
  ph_secret_truncate (buffer, len);
  return g_steal_pointer (&buffer);
}

static gboolean
check_utf8 (const char *what,
            const char *value,
            GError    **error)
{
  if (value == NULL || g_utf8_validate (value, -1, NULL))
    return TRUE;
  g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_INVALID, _("The %s is not valid UTF-8"), what);
  return FALSE;
}

static gboolean
check_strv_utf8 (const char *what,
                 char      **values,
                 GError    **error)
{
  for (guint i = 0; values && values[i]; i++)
    if (!check_utf8 (what, values[i], error))
      return FALSE;
  return TRUE;
}

static gboolean
parse_date (const char *text,
            gint64     *out,
            GError    **error)
{
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *full = NULL;

  if (*text == '\0')
    {
      *out = 0;
      return TRUE;
    }
  full = strchr (text, 'T') ? g_strdup (text) : g_strconcat (text, "T00:00:00Z", NULL);
  dt = g_date_time_new_from_iso8601 (full, utc);
  if (dt == NULL)
    {
      g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_INVALID,
                   _("“%s” is not a date (use YYYY-MM-DD)"), text);
      return FALSE;
    }
  *out = g_date_time_to_unix (dt) * G_USEC_PER_SEC;
  return TRUE;
}

/* Options shared by add and edit. */
typedef struct
{
  char    *title;
  char    *username;
  char   **urls;
  char   **tags;
  char    *folder;
  char    *notes;
  char    *otp;
  char    *sensitivity;
  char   **fields;
  char   **remove_fields;
  char    *favorite;
  char    *rotation_due;
  gboolean read_password;
  gboolean no_password;
  int      generate;
} EntryOptions;

static void
entry_options_clear (EntryOptions *o)
{
  g_free (o->title);
  g_free (o->username);
  g_strfreev (o->urls);
  g_strfreev (o->tags);
  g_free (o->folder);
  g_free (o->notes);
  g_free (o->otp);
  g_free (o->sensitivity);
  g_strfreev (o->fields);
  g_strfreev (o->remove_fields);
  g_free (o->favorite);
  g_free (o->rotation_due);
}

/* Applies options to @entry (which may not be in the vault yet). */
static gboolean
apply_entry_options (PhVault      *vault,
                     PhEntry      *entry,
                     EntryOptions *o,
                     GError      **error)
{
  PhSensitivity sensitivity;

  if (!check_utf8 (_("title"), o->title, error) || !check_utf8 (_("username"), o->username, error) ||
      !check_utf8 (_("folder"), o->folder, error) || !check_utf8 (_("notes"), o->notes, error) ||
      !check_strv_utf8 (_("URL"), o->urls, error) || !check_strv_utf8 (_("tag"), o->tags, error) ||
      !check_strv_utf8 (_("field"), o->fields, error))
    return FALSE;

  if (o->title)
    {
      if (*o->title == '\0')
        {
          g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_INVALID, _("An entry needs a title"));
          return FALSE;
        }
      ph_entry_set_title (entry, o->title);
    }
  if (o->username)
    ph_entry_set_username (entry, o->username);
  if (o->urls)
    ph_entry_set_urls (entry, (const char * const *) o->urls);
  if (o->tags)
    ph_entry_set_tags (entry, (const char * const *) o->tags);
  if (o->folder)
    ph_entry_set_folder (entry, o->folder);
  if (o->notes)
    ph_entry_set_notes (entry, o->notes);
  if (o->sensitivity)
    {
      if (!ph_sensitivity_from_string (o->sensitivity, &sensitivity))
        {
          g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_INVALID,
                       _("Sensitivity must be low, normal, high or critical"));
          return FALSE;
        }
      ph_entry_set_sensitivity (entry, sensitivity);
    }
  if (o->favorite)
    ph_entry_set_favorite (entry, g_ascii_strcasecmp (o->favorite, "yes") == 0 ||
                                  g_ascii_strcasecmp (o->favorite, "true") == 0 ||
                                  strcmp (o->favorite, "1") == 0);
  if (o->rotation_due)
    {
      gint64 due;

      if (!parse_date (o->rotation_due, &due, error))
        return FALSE;
      ph_entry_set_rotation_due (entry, due);
    }
  for (guint i = 0; o->fields && o->fields[i]; i++)
    {
      g_auto(GStrv) kv = g_strsplit (o->fields[i], "=", 2);

      if (kv[1] == NULL || *kv[0] == '\0')
        {
          g_set_error (error, PH_VAULT_ERROR, PH_VAULT_ERROR_INVALID,
                       _("--field takes NAME=VALUE"));
          return FALSE;
        }
      ph_entry_set_field (entry, kv[0], kv[1]);
    }
  for (guint i = 0; o->remove_fields && o->remove_fields[i]; i++)
    if (!ph_entry_remove_field (entry, o->remove_fields[i]) && ph_entry_field_is_protected (entry, o->remove_fields[i]))
      ph_vault_set_secret (vault, entry, o->remove_fields[i], NULL, NULL);

  if (o->otp)
    {
      /* A Key URI, or a bare Base32 secret (then the entry's title is the issuer): checked, and
       * stored in the canonical form. */
      g_autoptr(PhSecret) otp = ph_otp_normalize_uri (o->otp, ph_entry_get_title (entry),
                                                      ph_entry_get_username (entry), error);

      sodium_memzero (o->otp, strlen (o->otp));
      if (otp == NULL || !ph_vault_set_secret (vault, entry, PH_FIELD_OTP, otp, error))
        return FALSE;
    }

  if (o->generate > 0 || o->read_password)
    {
      g_autoptr(PhSecret) secret = NULL;

      if (o->generate > 0)
        {
          PhPasswordOptions options;

          ph_password_options_init (&options);
          options.length = o->generate;
          secret = ph_generate_password (&options, NULL, error);
        }
      else
        secret = read_secret_stdin (_("Password for the entry: "), error);
      if (secret == NULL || !ph_vault_set_secret (vault, entry, PH_FIELD_PASSWORD, secret, error))
        return FALSE;
    }
  return TRUE;
}

#define ENTRY_OPTION_ENTRIES(o) \
  { "username", 'u', 0, G_OPTION_ARG_STRING, &(o).username, N_("User name"), "U" }, \
  { "url", 0, 0, G_OPTION_ARG_STRING_ARRAY, &(o).urls, N_("URL (repeatable)"), "URL" }, \
  { "tag", 't', 0, G_OPTION_ARG_STRING_ARRAY, &(o).tags, N_("Tag (repeatable)"), "T" }, \
  { "folder", 0, 0, G_OPTION_ARG_STRING, &(o).folder, N_("Folder"), "F" }, \
  { "notes", 0, 0, G_OPTION_ARG_STRING, &(o).notes, N_("Notes"), "TEXT" }, \
  { "otp", 0, 0, G_OPTION_ARG_STRING, &(o).otp, N_("TOTP secret as an otpauth:// URI"), "URI" }, \
  { "sensitivity", 0, 0, G_OPTION_ARG_STRING, &(o).sensitivity, N_("low, normal, high or critical"), "S" }, \
  { "field", 0, 0, G_OPTION_ARG_STRING_ARRAY, &(o).fields, N_("Custom field (repeatable)"), "NAME=VALUE" }, \
  { "favorite", 0, 0, G_OPTION_ARG_STRING, &(o).favorite, N_("Mark as favorite"), "yes|no" }, \
  { "rotation-due", 0, 0, G_OPTION_ARG_STRING, &(o).rotation_due, N_("When to change the password"), "YYYY-MM-DD" }, \
  { "generate", 'g', 0, G_OPTION_ARG_INT, &(o).generate, N_("Generate a password of N characters"), "N" }

int
ph_cli_cmd_add (PhCli *cli,
                int    argc,
                char **argv)
{
  EntryOptions o = { 0 };
  GOptionEntry entries[] = {
    ENTRY_OPTION_ENTRIES (o),
    { "no-password", 0, 0, G_OPTION_ARG_NONE, &o.no_password, N_("Store no password"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(PhEntry) entry = NULL;
  int status = PH_EXIT_OK;

  if (!ph_cli_parse_options (&argc, &argv, _("TITLE"), entries, &error))
    status = ph_cli_fail (g_steal_pointer (&error));
  else if (argc != 2)
    status = ph_cli_usage (_("add takes one TITLE"));
  else if (!check_utf8 (_("title"), argv[1], &error) ||
           !(vault = ph_cli_open_vault (cli, &error)) ||
           !ph_cli_authorize (PH_ACTION_WRITE, NULL, &error))
    status = ph_cli_fail (g_steal_pointer (&error));
  else
    {
      entry = ph_entry_new (argv[1]);
      o.read_password = !o.no_password && o.generate <= 0;
      if (!apply_entry_options (vault, entry, &o, &error) ||
          !ph_vault_add (vault, entry, &error) || !ph_cli_save (vault, &error))
        status = ph_cli_fail (g_steal_pointer (&error));
      else
        g_print ("%s\n", ph_entry_get_id (entry));
    }
  entry_options_clear (&o);
  return status;
}

int
ph_cli_cmd_edit (PhCli *cli,
                 int    argc,
                 char **argv)
{
  EntryOptions o = { 0 };
  GOptionEntry entries[] = {
    { "title", 0, 0, G_OPTION_ARG_STRING, &o.title, N_("New title"), "T" },
    ENTRY_OPTION_ENTRIES (o),
    { "password", 'p', 0, G_OPTION_ARG_NONE, &o.read_password, N_("Read a new password from stdin"), NULL },
    { "remove-field", 0, 0, G_OPTION_ARG_STRING_ARRAY, &o.remove_fields, N_("Remove a custom field"), "NAME" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  PhEntry *entry;
  int status = PH_EXIT_OK;

  if (!ph_cli_parse_options (&argc, &argv, _("TITLE|ID"), entries, &error))
    status = ph_cli_fail (g_steal_pointer (&error));
  else if (argc != 2)
    status = ph_cli_usage (_("edit takes one TITLE or ID"));
  else if (!(vault = ph_cli_open_vault (cli, &error)) ||
           !(entry = ph_vault_find (vault, argv[1], &error)) ||
           !ph_cli_authorize (PH_ACTION_WRITE, entry, &error) ||
           !apply_entry_options (vault, entry, &o, &error))
    status = ph_cli_fail (g_steal_pointer (&error));
  else
    {
      ph_vault_entry_changed (vault, entry);
      if (!ph_cli_save (vault, &error))
        status = ph_cli_fail (g_steal_pointer (&error));
    }
  entry_options_clear (&o);
  return status;
}

static char *
format_time (gint64 usec)
{
  g_autoptr(GDateTime) dt = NULL;

  if (usec == 0)
    return NULL;
  dt = g_date_time_new_from_unix_utc (usec / G_USEC_PER_SEC);
  return dt ? g_date_time_format_iso8601 (dt) : NULL;
}

/**
 * ph_cli_cmd_totp:
 *
 * The entry's current one-time code: a "reveal" of its otp field, computed here; only the code
 * is printed (with how long it stays valid on stderr when that is a terminal).
 */
int
ph_cli_cmd_totp (PhCli *cli,
                 int    argc,
                 char **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(PhSecret) code = NULL;
  PhEntry *entry;
  guint period;
  gint64 valid_until;
  gboolean changed;

  if (!ph_cli_parse_options (&argc, &argv, _("TITLE|ID"), entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc != 2)
    return ph_cli_usage (_("totp takes one TITLE or ID"));
  if (!(vault = ph_cli_open_vault (cli, &error)) || !(entry = ph_vault_find (vault, argv[1], &error)) ||
      !(code = ph_otp_entry_code (ph_cli_get_broker (), ph_cli_get_subject (), PH_ACTION_REVEAL, entry,
                                  g_get_real_time () / G_USEC_PER_SEC, &period, &valid_until, &changed, &error)) ||
      (changed && !ph_cli_save (vault, &error)) || !ph_secret_write_to_fd (code, STDOUT_FILENO, TRUE, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (valid_until && isatty (STDERR_FILENO))
    g_printerr (_("(valid for %d more seconds)\n"), (int) (valid_until - g_get_real_time () / G_USEC_PER_SEC));
  return PH_EXIT_OK;
}

int
ph_cli_cmd_get (PhCli *cli,
                int    argc,
                char **argv)
{
  g_autofree char *field = NULL;
  GOptionEntry entries[] = {
    { "field", 'f', 0, G_OPTION_ARG_STRING, &field,
      N_("password (default), username, url, notes, title, id, folder, tags, otp, or a custom field"),
      "NAME" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(PhSecret) secret = NULL;
  PhEntry *entry;
  const char *name;

  if (!ph_cli_parse_options (&argc, &argv, _("TITLE|ID"), entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc != 2)
    return ph_cli_usage (_("get takes one TITLE or ID"));
  if (!(vault = ph_cli_open_vault (cli, &error)) ||
      !(entry = ph_vault_find (vault, argv[1], &error)))
    return ph_cli_fail (g_steal_pointer (&error));

  name = field ? field : PH_FIELD_PASSWORD;
  if (g_strv_contains ((const char * const[]) { "username", "title", "id", "notes", "folder", "url", "urls", "tags", NULL },
                       name) &&
      !ph_cli_authorize (PH_ACTION_READ_METADATA, entry, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (strcmp (name, "username") == 0)
    g_print ("%s\n", ph_entry_get_username (entry));
  else if (strcmp (name, "title") == 0)
    g_print ("%s\n", ph_entry_get_title (entry));
  else if (strcmp (name, "id") == 0)
    g_print ("%s\n", ph_entry_get_id (entry));
  else if (strcmp (name, "notes") == 0)
    g_print ("%s\n", ph_entry_get_notes (entry));
  else if (strcmp (name, "folder") == 0)
    g_print ("%s\n", ph_entry_get_folder (entry));
  else if (strcmp (name, "url") == 0 || strcmp (name, "urls") == 0)
    for (const char * const *u = ph_entry_get_urls (entry); *u; u++)
      g_print ("%s\n", *u);
  else if (strcmp (name, "tags") == 0)
    for (const char * const *t = ph_entry_get_tags (entry); *t; t++)
      g_print ("%s\n", *t);
  else
    {
      secret = ph_broker_open (ph_cli_get_broker (), ph_cli_get_subject (), PH_ACTION_REVEAL, entry, name, &error);
      if (secret == NULL || !ph_secret_write_to_fd (secret, STDOUT_FILENO, TRUE, &error))
        return ph_cli_fail (g_steal_pointer (&error));
    }
  return PH_EXIT_OK;
}

static void
add_strv_member (JsonBuilder        *builder,
                 const char         *name,
                 const char * const *values)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; values[i]; i++)
    json_builder_add_string_value (builder, values[i]);
  json_builder_end_array (builder);
}

static void
add_time_member (JsonBuilder *builder,
                 const char  *name,
                 gint64       usec)
{
  g_autofree char *text = format_time (usec);

  json_builder_set_member_name (builder, name);
  if (text)
    json_builder_add_string_value (builder, text);
  else
    json_builder_add_null_value (builder);
}

/* Metadata only: --json output never holds a secret. */
static void
print_entries (GPtrArray *entries,
               gboolean   json)
{
  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonGenerator) generator = json_generator_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *text = NULL;

      json_builder_begin_array (builder);
      for (guint i = 0; i < entries->len; i++)
        {
          PhEntry *e = g_ptr_array_index (entries, i);
          g_auto(GStrv) field_names = ph_entry_dup_field_names (e);

          json_builder_begin_object (builder);
          json_builder_set_member_name (builder, "id");
          json_builder_add_string_value (builder, ph_entry_get_id (e));
          json_builder_set_member_name (builder, "title");
          json_builder_add_string_value (builder, ph_entry_get_title (e));
          json_builder_set_member_name (builder, "username");
          json_builder_add_string_value (builder, ph_entry_get_username (e));
          add_strv_member (builder, "urls", ph_entry_get_urls (e));
          json_builder_set_member_name (builder, "folder");
          json_builder_add_string_value (builder, ph_entry_get_folder (e));
          add_strv_member (builder, "tags", ph_entry_get_tags (e));
          json_builder_set_member_name (builder, "sensitivity");
          json_builder_add_string_value (builder, ph_sensitivity_to_string (ph_entry_get_sensitivity (e)));
          json_builder_set_member_name (builder, "favorite");
          json_builder_add_boolean_value (builder, ph_entry_get_favorite (e));
          json_builder_set_member_name (builder, "has_password");
          json_builder_add_boolean_value (builder, ph_entry_has_password (e));
          json_builder_set_member_name (builder, "has_otp");
          json_builder_add_boolean_value (builder, ph_entry_has_otp (e));
          add_strv_member (builder, "fields", (const char * const *) field_names);
          add_time_member (builder, "created", ph_entry_get_created (e));
          add_time_member (builder, "modified", ph_entry_get_modified (e));
          add_time_member (builder, "last_used", ph_entry_get_last_used (e));
          add_time_member (builder, "rotation_due", ph_entry_get_rotation_due (e));
          json_builder_set_member_name (builder, "history");
          json_builder_add_int_value (builder, ph_entry_get_n_history (e));
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);
      root = json_builder_get_root (builder);
      json_generator_set_root (generator, root);
      json_generator_set_pretty (generator, TRUE);
      text = json_generator_to_data (generator, NULL);
      g_print ("%s\n", text);
      return;
    }

  for (guint i = 0; i < entries->len; i++)
    {
      PhEntry *e = g_ptr_array_index (entries, i);
      const char * const *urls = ph_entry_get_urls (e);

      g_print ("%s\t%s\t%s\t%s\n", ph_entry_get_id (e), ph_entry_get_title (e),
               ph_entry_get_username (e), urls[0] ? urls[0] : "");
    }
}

int
ph_cli_cmd_list (PhCli *cli,
                 int    argc,
                 char **argv)
{
  gboolean json = FALSE;
  g_autofree char *folder = NULL;
  g_autofree char *tag = NULL;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { "folder", 0, 0, G_OPTION_ARG_STRING, &folder, N_("Only this folder"), "F" },
    { "tag", 0, 0, G_OPTION_ARG_STRING, &tag, N_("Only entries with this tag"), "T" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func (g_object_unref);
  guint n;

  if (!ph_cli_parse_options (&argc, &argv, NULL, entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc > 1)
    return ph_cli_usage (_("list takes no arguments"));
  if (!(vault = ph_cli_open_vault (cli, &error)) || !ph_cli_authorize (PH_ACTION_LIST, NULL, &error))
    return ph_cli_fail (g_steal_pointer (&error));

  n = g_list_model_get_n_items (G_LIST_MODEL (vault));
  for (guint i = 0; i < n; i++)
    {
      PhEntry *e = g_list_model_get_item (G_LIST_MODEL (vault), i);

      if ((folder && g_strcmp0 (ph_entry_get_folder (e), folder) != 0) ||
          (tag && !ph_entry_has_tag (e, tag)))
        g_object_unref (e);
      else
        g_ptr_array_add (list, e);
    }
  print_entries (list, json);
  return PH_EXIT_OK;
}

int
ph_cli_cmd_search (PhCli *cli,
                   int    argc,
                   char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(GPtrArray) found = NULL;
  g_autofree char *query = NULL;

  if (!ph_cli_parse_options (&argc, &argv, _("QUERY"), entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc < 2)
    return ph_cli_usage (_("search takes a QUERY"));
  query = g_strjoinv (" ", argv + 1);
  if (!check_utf8 (_("query"), query, &error) || !(vault = ph_cli_open_vault (cli, &error)) ||
      !ph_cli_authorize (PH_ACTION_LIST, NULL, &error))
    return ph_cli_fail (g_steal_pointer (&error));

  found = ph_vault_search (vault, query);
  print_entries (found, json);
  return found->len > 0 || json ? PH_EXIT_OK : PH_EXIT_NOT_FOUND;
}

int
ph_cli_cmd_rm (PhCli *cli,
               int    argc,
               char **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  PhEntry *entry;

  if (!ph_cli_parse_options (&argc, &argv, _("TITLE|ID"), entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc != 2)
    return ph_cli_usage (_("rm takes one TITLE or ID"));
  if (!(vault = ph_cli_open_vault (cli, &error)) ||
      !(entry = ph_vault_find (vault, argv[1], &error)) ||
      !ph_cli_authorize (PH_ACTION_DELETE, entry, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  ph_vault_remove (vault, entry);
  if (!ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  return PH_EXIT_OK;
}

int
ph_cli_cmd_generate (PhCli *cli,
                     int    argc,
                     char **argv)
{
  int length = 20, words = 0;
  gboolean no_lower = FALSE, no_upper = FALSE, no_digits = FALSE, no_symbols = FALSE;
  gboolean no_ambiguous = FALSE, entropy = FALSE;
  g_autofree char *exclude = NULL;
  g_autofree char *separator = NULL;
  GOptionEntry entries[] = {
    { "length", 'l', 0, G_OPTION_ARG_INT, &length, N_("Characters (default 20)"), "N" },
    { "words", 'w', 0, G_OPTION_ARG_INT, &words, N_("A passphrase of N words instead"), "N" },
    { "separator", 0, 0, G_OPTION_ARG_STRING, &separator, N_("Between words (default -)"), "S" },
    { "no-lower", 0, 0, G_OPTION_ARG_NONE, &no_lower, N_("No lowercase letters"), NULL },
    { "no-upper", 0, 0, G_OPTION_ARG_NONE, &no_upper, N_("No uppercase letters"), NULL },
    { "no-digits", 0, 0, G_OPTION_ARG_NONE, &no_digits, N_("No digits"), NULL },
    { "no-symbols", 0, 0, G_OPTION_ARG_NONE, &no_symbols, N_("No symbols"), NULL },
    { "exclude-ambiguous", 0, 0, G_OPTION_ARG_NONE, &no_ambiguous, N_("No 0 O o 1 l I | ` ' \""), NULL },
    { "exclude", 0, 0, G_OPTION_ARG_STRING, &exclude, N_("Never use these characters"), "CHARS" },
    { "entropy", 0, 0, G_OPTION_ARG_NONE, &entropy, N_("Print the entropy in bits on stderr"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) secret = NULL;
  double bits = 0;

  if (!ph_cli_parse_options (&argc, &argv, NULL, entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc > 1)
    return ph_cli_usage (_("generate takes no arguments"));

  if (words > 0)
    secret = ph_generate_passphrase (words, separator, &bits, &error);
  else
    {
      PhPasswordOptions options;

      ph_password_options_init (&options);
      if (length <= 0)
        return ph_cli_usage (_("--length must be positive"));
      options.length = length;
      options.classes = (no_lower ? 0 : PH_CHARS_LOWER) | (no_upper ? 0 : PH_CHARS_UPPER) |
                        (no_digits ? 0 : PH_CHARS_DIGITS) | (no_symbols ? 0 : PH_CHARS_SYMBOLS);
      options.exclude_ambiguous = no_ambiguous;
      options.exclude = exclude;
      secret = ph_generate_password (&options, &bits, &error);
    }
  if (secret == NULL || !ph_secret_write_to_fd (secret, STDOUT_FILENO, TRUE, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (entropy)
    g_printerr (_("%.1f bits of entropy\n"), bits);
  return PH_EXIT_OK;
}

int
ph_cli_cmd_passwd (PhCli *cli,
                   int    argc,
                   char **argv)
{
  int new_fd = -1;
  gint64 ops = 0, mem = 0;
  gboolean with_recovery = FALSE;
  GOptionEntry entries[] = {
    { "new-password-fd", 0, 0, G_OPTION_ARG_INT, &new_fd, N_("Read the new password from file descriptor N"), "N" },
    { "with-recovery-key", 0, 0, G_OPTION_ARG_NONE, &with_recovery, N_("Unlock with the recovery key instead of the password"), NULL },
    { "kdf-ops", 0, 0, G_OPTION_ARG_INT64, &ops, N_("New Argon2id passes"), "N" },
    { "kdf-mem", 0, 0, G_OPTION_ARG_INT64, &mem, N_("New Argon2id memory in MiB"), "MIB" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(PhSecret) password = NULL;
  PhKdfParams params;
  gboolean new_params = ops > 0 || mem > 0;

  if (!ph_cli_parse_options (&argc, &argv, NULL, entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc > 1)
    return ph_cli_usage (_("passwd takes no arguments"));

  if (with_recovery)
    {
      g_autoptr(PhSecret) key = ph_cli_read_password (cli, _("Recovery key: "), &error);

      if (key == NULL || !(vault = ph_vault_load (cli->vault_path, &error)) ||
          !ph_vault_unlock_with_recovery_key (vault, ph_secret_get_text (key), &error))
        return ph_cli_fail (g_steal_pointer (&error));
    }
  else if (!(vault = ph_cli_open_vault (cli, &error)))
    return ph_cli_fail (g_steal_pointer (&error));

  if (new_fd < 0 && cli->password_fd >= 0)
    return ph_cli_usage (_("With --password-fd, give the new password with --new-password-fd"));
  if (!(password = read_new_password (cli, new_fd, &error)))
    return ph_cli_fail (g_steal_pointer (&error));

  new_params = ops > 0 || mem > 0;
  if (new_params)
    {
      PhKdfParams current;

      if (!ph_vault_get_kdf_params (vault, &current))
        current = (PhKdfParams) { PH_KDF_MIN_OPSLIMIT, PH_KDF_MIN_MEMLIMIT };
      params.opslimit = ops > 0 ? (guint64) ops : current.opslimit;
      params.memlimit = mem > 0 ? (guint64) mem * 1024 * 1024 : current.memlimit;
    }
  if (!ph_vault_set_password (vault, password, new_params ? &params : NULL, &error) ||
      !ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  g_printerr ("%s\n", _("The master password was changed"));
  return PH_EXIT_OK;
}

int
ph_cli_cmd_recovery_key (PhCli *cli,
                         int    argc,
                         char **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(PhSecret) key = NULL;

  if (!ph_cli_parse_options (&argc, &argv, NULL, entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (!(vault = ph_cli_open_vault (cli, &error)) ||
      !(key = ph_vault_rotate_recovery_key (vault, &error)) || !ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  g_printerr ("%s\n", _("The old recovery key no longer opens the vault."));
  print_recovery_key (key);
  return PH_EXIT_OK;
}

static int
remember_or_forget (PhCli   *cli,
                    gboolean remember)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(PhKeystore) keystore = ph_keystore_new_default ();

  if (keystore == NULL)
    return ph_cli_usage (_("This build has no keyring support"));
  if (!(vault = ph_cli_open_vault (cli, &error)))
    return ph_cli_fail (g_steal_pointer (&error));
  if (!(remember ? ph_vault_remember_on_device (vault, keystore, &error)
                 : ph_vault_forget_on_device (vault, keystore, &error)) ||
      !ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  return PH_EXIT_OK;
}

int
ph_cli_cmd_remember (PhCli *cli,
                     int    argc,
                     char **argv)
{
  return remember_or_forget (cli, TRUE);
}

int
ph_cli_cmd_forget (PhCli *cli,
                   int    argc,
                   char **argv)
{
  return remember_or_forget (cli, FALSE);
}

int
ph_cli_cmd_import (PhCli *cli,
                   int    argc,
                   char **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autofree char *contents = NULL;
  gsize len = 0;
  guint count = 0;
  gboolean ok;

  if (!ph_cli_parse_options (&argc, &argv, _("FORMAT FILE"), entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc != 3)
    return ph_cli_usage (_("import takes a FORMAT and a FILE"));
  if (strcmp (argv[1], "csv") != 0)
    return ph_cli_usage (_("Unknown import format “%s” (supported: csv)"), argv[1]);
  if (!g_file_get_contents (argv[2], &contents, &len, &error) ||
      !(vault = ph_cli_open_vault (cli, &error)) || !ph_cli_authorize (PH_ACTION_WRITE, NULL, &error))
    {
      if (contents)
        sodium_memzero (contents, len);
      return ph_cli_fail (g_steal_pointer (&error));
    }

  ok = ph_csv_import (vault, contents, len, &count, &error) && ph_cli_save (vault, &error);
  sodium_memzero (contents, len);
  if (!ok)
    return ph_cli_fail (g_steal_pointer (&error));
  g_printerr (g_dngettext (GETTEXT_PACKAGE, "Imported %u entry\n", "Imported %u entries\n", count),
              count);
  return PH_EXIT_OK;
}

int
ph_cli_cmd_export (PhCli *cli,
                   int    argc,
                   char **argv)
{
  gboolean plaintext = FALSE;
  GOptionEntry entries[] = {
    { "plaintext", 0, 0, G_OPTION_ARG_NONE, &plaintext,
      N_("Confirm that the export holds every secret unencrypted"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  const char *target;
  guint count = 0;
  int fd = STDOUT_FILENO;

  if (!ph_cli_parse_options (&argc, &argv, _("FORMAT [FILE]"), entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc < 2 || argc > 3)
    return ph_cli_usage (_("export takes a FORMAT and an optional FILE"));
  if (strcmp (argv[1], "csv") != 0)
    return ph_cli_usage (_("Unknown export format “%s” (supported: csv)"), argv[1]);
  if (!plaintext)
    return ph_cli_usage (_("The export holds every password unencrypted: confirm with --plaintext"));
  if (!(vault = ph_cli_open_vault (cli, &error)))
    return ph_cli_fail (g_steal_pointer (&error));

  target = argc == 3 ? argv[2] : "-";
  if (strcmp (target, "-") != 0)
    {
      fd = g_open (target, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0)
        {
          g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno),
                       _("Could not write %s: %s"), target, g_strerror (errno));
          return ph_cli_fail (g_steal_pointer (&error));
        }
    }
  if (!ph_csv_export (ph_cli_get_broker (), ph_cli_get_subject (), fd, &count, &error))
    {
      if (fd != STDOUT_FILENO)
        close (fd);
      return ph_cli_fail (g_steal_pointer (&error));
    }
  if (fd != STDOUT_FILENO && close (fd) != 0)
    {
      g_set_error (&error, G_IO_ERROR, g_io_error_from_errno (errno),
                   _("Could not write %s: %s"), target, g_strerror (errno));
      return ph_cli_fail (g_steal_pointer (&error));
    }
  g_printerr (g_dngettext (GETTEXT_PACKAGE, "Exported %u entry\n", "Exported %u entries\n", count),
              count);
  return PH_EXIT_OK;
}

static char *
read_all_stdin (gsize *out_len)
{
  GString *in = g_string_new (NULL);
  char buf[4096];
  ssize_t r;

  while ((r = read (STDIN_FILENO, buf, sizeof buf)) > 0 || (r < 0 && errno == EINTR))
    if (r > 0)
      g_string_append_len (in, buf, r);
  sodium_memzero (buf, sizeof buf);
  *out_len = in->len;
  return g_string_free (in, FALSE);
}

/**
 * ph_cli_cmd_git_credential:
 *
 * git's helper protocol (gitcredentials(7)): `get` answers username and password of the best
 * matching login, or nothing; `store` saves an approved login; `erase` removes a rejected one.
 */
int
ph_cli_cmd_git_credential (PhCli *cli,
                           int    argc,
                           char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(PhGitCredential) request = NULL;
  g_autofree char *input = NULL;
  gsize len;
  const char *op;

  if (argc != 2)
    return ph_cli_usage (_("git-credential takes get, store or erase"));
  op = argv[1];
  if (strcmp (op, "get") != 0 && strcmp (op, "store") != 0 && strcmp (op, "erase") != 0)
    return PH_EXIT_OK;   /* git asks helpers to ignore operations they do not know */

  input = read_all_stdin (&len);
  request = ph_git_credential_parse (input, len, &error);
  sodium_memzero (input, len);
  if (request == NULL)
    return ph_cli_fail (g_steal_pointer (&error));
  /* With an agent running (and no --vault of its own), it answers: no unlock here. */
  if (strcmp (op, "get") == 0 && !cli->vault_given)
    {
      int status = ph_cli_agent_git_credential (cli, request);

      if (status >= 0)
        return status;
    }
  if (!(vault = ph_cli_open_vault (cli, &error)))
    return ph_cli_fail (g_steal_pointer (&error));

  if (strcmp (op, "get") == 0)
    {
      g_autoptr(PhOAuthCatalog) catalog = ph_oauth_catalog_load_default (NULL);
      g_autofree char *oauth_username = NULL;
      PhEntry *account = NULL;
      PhEntry *entry = NULL;
      g_autoptr(PhSecret) password = NULL;
      gboolean refreshed = FALSE;

      /* An OAuth account for the host first (a fresh token), else a stored login. */
      if (catalog && g_strcmp0 (request->protocol, "https") == 0 && request->host)
        account = ph_oauth_account_for_git (vault, catalog, request->host, request->path, request->username,
                                             &oauth_username);
      if (account)
        {
          password = ph_oauth_account_fresh_token (ph_cli_get_broker (), ph_cli_get_subject (), account, catalog,
                                                   &refreshed, &error);
          if (password == NULL || (refreshed && !ph_cli_save (vault, &error)))
            return ph_cli_fail (g_steal_pointer (&error));
        }
      else if ((entry = ph_git_credential_match (vault, request)))
        {
          /* git gets the password to use it, not to show it. */
          password = ph_broker_open (ph_cli_get_broker (), ph_cli_get_subject (), PH_ACTION_USE, entry,
                                     PH_FIELD_PASSWORD, &error);
          if (password == NULL)
            return ph_cli_fail (g_steal_pointer (&error));
        }
      else
        return PH_EXIT_OK;
      g_print ("username=%s\n", account ? oauth_username : ph_entry_get_username (entry));
      fflush (stdout);
      if (write (STDOUT_FILENO, "password=", 9) != 9 ||
          !ph_secret_write_to_fd (password, STDOUT_FILENO, TRUE, &error))
        return ph_cli_fail (error ? g_steal_pointer (&error)
                                  : g_error_new_literal (G_IO_ERROR, G_IO_ERROR_FAILED,
                                                         _("Could not write the answer")));
      return PH_EXIT_OK;
    }

  if (strcmp (op, "store") == 0 ? !ph_cli_authorize (PH_ACTION_WRITE, NULL, &error) ||
                                    ph_git_credential_store (vault, request, &error) == NULL
                                : !ph_git_credential_erase (ph_cli_get_broker (), ph_cli_get_subject (), request,
                                                            &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (!ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  return PH_EXIT_OK;
}
