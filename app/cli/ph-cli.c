/* ph-cli.c: perihelion-cli: entry point, global options, unlocking, exit codes.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "perihelion-cli"

#include "config.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <termios.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "ph-cli.h"
#include "ph-cli-prompter.h"
#include "ph-enforcer.h"
#include "ph-csv.h"
#include "ph-generator.h"
#include "ph-git-credential.h"
#include "ph-quick-unlock.h"

static const struct
{
  const char   *name;
  PhCliCommand  run;
  const char   *synopsis;
} commands[] = {
  { "init", ph_cli_cmd_init, N_("[--kdf-ops N] [--kdf-mem MIB] [--force]  create a vault") },
  { "add", ph_cli_cmd_add, N_("TITLE [--username U] [--url URL]... [--tag T]... [--folder F] [--otp URI|SECRET]  secret on stdin") },
  { "get", ph_cli_cmd_get, N_("TITLE|ID [--field NAME]  print one field (default: the password)") },
  { "totp", ph_cli_cmd_totp, N_("TITLE|ID  the entry's current one-time code") },
  { "list", ph_cli_cmd_list, N_("[--json] [--folder F] [--tag T]  list entries") },
  { "search", ph_cli_cmd_search, N_("QUERY [--json]  ranked search") },
  { "edit", ph_cli_cmd_edit, N_("TITLE|ID [--title T] [--username U] [--password] ...  change an entry") },
  { "rm", ph_cli_cmd_rm, N_("TITLE|ID  delete an entry") },
  { "generate", ph_cli_cmd_generate, N_("[--length N] [--words N] ...  a random password or passphrase") },
  { "passwd", ph_cli_cmd_passwd, N_("[--new-password-fd N] [--with-recovery-key]  change the master password") },
  { "recovery-key", ph_cli_cmd_recovery_key, N_("replace the recovery key and print the new one") },
  { "remember", ph_cli_cmd_remember, N_("remember the vault key in this device's keyring") },
  { "forget", ph_cli_cmd_forget, N_("forget the vault key in this device's keyring") },
  { "import", ph_cli_cmd_import, N_("csv FILE  import entries") },
  { "export", ph_cli_cmd_export, N_("csv --plaintext [FILE]  export entries with their secrets") },
  { "git-credential", ph_cli_cmd_git_credential, N_("get|store|erase  git credential helper") },
  { "policy", ph_cli_cmd_policy, N_("enforce|show|import|export|test  the access policy") },
  { "audit", ph_cli_cmd_audit, N_("verify|show [--json] [--since WHEN] [--entry E]  the audit log") },
  { "mfa", ph_cli_cmd_mfa, N_("status [--json] | totp-enroll | totp-remove | recovery-codes | key-add [--name N] | key-list | key-remove ID  second factors") },
  { "oauth", ph_cli_cmd_oauth, N_("login PROVIDER|--issuer URL --client-id ID --device | list [--json] | token ACCOUNT | logout ACCOUNT") },
};

static void
print_help (FILE *out)
{
  fprintf (out, _("Usage: perihelion-cli [--vault FILE] [--password-fd N] COMMAND [ARGS...]\n\n"));
  fprintf (out, _("Commands:\n"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-15s %s\n", commands[i].name, _(commands[i].synopsis));
  fprintf (out, _("\nOptions:\n"
                  "  --vault FILE      the vault (default: $PERIHELION_VAULT, else\n"
                  "                    $XDG_DATA_HOME/perihelion/default.phvault)\n"
                  "  --password-fd N   read the master password from file descriptor N (first line)\n"
                  "  --security-key    open the vault with its quick-unlock security key (a touch)\n"
                  "  --help, --version\n"
                  "\nWithout --password-fd, the vault is opened with the key remembered in this\n"
                  "device's keyring if there is one, else the password is asked on the terminal.\n"
                  "\"COMMAND --help\" describes each command's options.\n"
                  "\nExit status:\n"
                  "  0  success\n"
                  "  1  failure\n"
                  "  2  invalid usage or input\n"
                  "  3  wrong password or recovery key\n"
                  "  4  no such entry, or several match\n"
                  "  5  the vault is damaged or of an unsupported version\n"
                  "  6  a file could not be read or written\n"
                  "  7  the access policy denied it (or its re-authentication or approval failed)\n"
                  "\nInvoked as git-credential-perihelion, it is git's credential helper:\n"
                  "  git config credential.helper 'perihelion --vault FILE'\n"));
}

/* Prints a one-line message for @error and picks the exit code. Messages never hold secrets:
 * no code path puts one in a GError. */
int
ph_cli_fail (GError *error)
{
  int code = PH_EXIT_FAILURE;

  g_printerr ("perihelion-cli: %s\n", error->message);

  if (error->domain == PH_VAULT_ERROR)
    {
      switch (error->code)
        {
        case PH_VAULT_ERROR_WRONG_PASSWORD:
          code = PH_EXIT_AUTH;
          break;
        case PH_VAULT_ERROR_NOT_FOUND:
        case PH_VAULT_ERROR_AMBIGUOUS:
          code = PH_EXIT_NOT_FOUND;
          break;
        case PH_VAULT_ERROR_NOT_A_VAULT:
        case PH_VAULT_ERROR_UNSUPPORTED_VERSION:
        case PH_VAULT_ERROR_CORRUPT:
          code = PH_EXIT_DAMAGED;
          break;
        case PH_VAULT_ERROR_INVALID:
          code = PH_EXIT_USAGE;
          break;
        default:
          break;
        }
    }
  else if (error->domain == PH_CRYPTO_ERROR && error->code == PH_CRYPTO_ERROR_RECOVERY_KEY)
    code = PH_EXIT_AUTH;
  else if (error->domain == PH_BROKER_ERROR)
    code = PH_EXIT_DENIED;
  else if (error->domain == PH_CSV_ERROR || error->domain == PH_GIT_CREDENTIAL_ERROR ||
           error->domain == PH_POLICY_ERROR ||
           (error->domain == G_IO_ERROR && error->code == G_IO_ERROR_INVALID_DATA) ||
           error->domain == PH_GENERATOR_ERROR || error->domain == G_OPTION_ERROR ||
           (error->domain == PH_CRYPTO_ERROR && error->code == PH_CRYPTO_ERROR_KDF_PARAMS))
    code = PH_EXIT_USAGE;
  else if (error->domain == G_IO_ERROR || error->domain == G_FILE_ERROR)
    code = PH_EXIT_IO;

  g_error_free (error);
  return code;
}

int
ph_cli_usage (const char *format,
              ...)
{
  va_list args;
  g_autofree char *message = NULL;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("perihelion-cli: %s\n", message);
  return PH_EXIT_USAGE;
}

/* Asks on the controlling terminal with echo off; stdin stays free for data. */
PhSecret *
ph_cli_prompt_secret (const char *prompt,
                      GError    **error)
{
  struct termios saved, quiet;
  PhSecret *secret;
  int fd = open ("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);

  if (fd < 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   _("No terminal to ask for the password: use --password-fd N"));
      return NULL;
    }
  if (write (fd, prompt, strlen (prompt)) < 0)
    { /* the prompt is a courtesy; reading still works */ }
  tcgetattr (fd, &saved);
  quiet = saved;
  quiet.c_lflag &= ~(ECHO | ECHONL);
  tcsetattr (fd, TCSAFLUSH, &quiet);
  secret = ph_secret_read_line (fd, FALSE, error);
  tcsetattr (fd, TCSAFLUSH, &saved);
  if (write (fd, "\n", 1) < 0)
    { /* as above */ }
  close (fd);
  return secret;
}

PhSecret *
ph_cli_read_password (PhCli      *cli,
                      const char *prompt,
                      GError    **error)
{
  if (cli->password_fd >= 0)
    return ph_secret_read_line (cli->password_fd, TRUE, error);
  return ph_cli_prompt_secret (prompt, error);
}

static void
announce_kdf (void)
{
  if (isatty (STDERR_FILENO))
    g_printerr ("%s", _("Deriving the key…\r"));
}

/* One vault per run: its broker and the subject this process is to the policy. */
static PhBroker *cli_broker;
static PhSubject *cli_subject;

PhBroker *
ph_cli_get_broker (void)
{
  g_assert (cli_broker != NULL);
  return cli_broker;
}

const PhSubject *
ph_cli_get_subject (void)
{
  return cli_subject;
}

/* A shorthand for the commands: authorize @action on @entry (or the whole vault). */
gboolean
ph_cli_authorize (PhAction  action,
                  PhEntry  *entry,
                  GError  **error)
{
  return ph_broker_authorize (ph_cli_get_broker (), cli_subject, action, entry, entry ? NULL : "vault", error);
}

static gboolean
start_broker (PhVault  *vault,
              gint64    unlocked_at,
              gboolean  with_password,
              GError  **error)
{
  g_autoptr(PhPrompter) prompter = ph_cli_prompter_new ();

  g_clear_object (&cli_broker);
  if (!(cli_broker = ph_broker_new_for_vault (vault, prompter, error)))
    return FALSE;
  /* A password given for this run counts as entered now; a keyring unlock is no password. */
  ph_broker_set_session (cli_broker, unlocked_at, with_password ? unlocked_at : 0);
  ph_broker_set_present (cli_broker, isatty (STDIN_FILENO) || isatty (STDERR_FILENO));
  return TRUE;
}

/**
 * ph_cli_open_vault:
 *
 * Opens and unlocks the vault: with the password from --password-fd, else with the key this
 * device remembers, else with a password asked on the terminal.
 */
PhVault *
ph_cli_open_vault (PhCli   *cli,
                   GError **error)
{
  g_autoptr(PhVault) vault = ph_vault_load (cli->vault_path, error);
  g_autoptr(PhSecret) password = NULL;

  if (vault == NULL)
    return NULL;

  if (cli->security_key)
    {
      fido_dev_t *dev = ph_fido2_open_device (error);
      gboolean opened;

      if (dev == NULL)
        return NULL;
      g_printerr ("%s", _("Touch your security key…\n"));
      opened = ph_quick_unlock (vault, dev, error);
      ph_fido2_close_device (dev);
      /* A touch is not the master password: re-authentication is still asked where needed. */
      return opened && start_broker (vault, g_get_real_time (), FALSE, error) ? g_steal_pointer (&vault) : NULL;
    }
  if (cli->password_fd < 0 && ph_vault_has_slot (vault, PH_KEY_SLOT_KEYSTORE))
    {
      g_autoptr(PhKeystore) keystore = ph_keystore_new_default ();
      g_autoptr(GError) local_error = NULL;

      if (keystore != NULL && ph_vault_unlock_with_keystore (vault, keystore, &local_error))
        return start_broker (vault, g_get_real_time (), FALSE, error) ? g_steal_pointer (&vault) : NULL;
      g_debug ("Keyring unlock failed: %s", local_error ? local_error->message : "no keyring");
    }

  password = ph_cli_read_password (cli, _("Master password: "), error);
  if (password == NULL)
    return NULL;
  announce_kdf ();
  if (!ph_vault_unlock_with_password (vault, password, error))
    return NULL;
  if (!start_broker (vault, g_get_real_time (), TRUE, error))
    return NULL;
  return g_steal_pointer (&vault);
}

gboolean
ph_cli_save (PhVault *vault,
             GError **error)
{
  guint before = ph_vault_get_n_conflicts (vault);

  /* The audit chain's head goes into the vault with this save. */
  if (cli_broker && !ph_broker_finish (cli_broker, error))
    return FALSE;
  if (!ph_vault_save (vault, error))
    return FALSE;
  if (ph_vault_get_n_conflicts (vault) > before)
    g_printerr (_("perihelion-cli: the vault was changed elsewhere; merged, keeping %u conflicting "
                  "version(s) as copies\n"), ph_vault_get_n_conflicts (vault) - before);
  return TRUE;
}

/* Runs one command as the subject "cli" (or a CI job named by $PERIHELION_CI_JOB), and writes
 * the audit records of its accesses, allowed or not, when it ends. */
static int
run_command (PhCli        *cli,
             const char   *name,
             PhCliCommand  command,
             int           argc,
             char        **argv)
{
  const char *ci_job = g_getenv ("PERIHELION_CI_JOB");
  int status;

  cli_subject = ci_job && *ci_job ? ph_subject_new_for_self (PH_SUBJECT_CI, ci_job)
                                  : ph_subject_new_for_self (PH_SUBJECT_CLI, name);
  status = command (cli, argc, argv);
  if (cli_broker)
    {
      g_autoptr(GError) error = NULL;

      if (!ph_broker_finish (cli_broker, &error))
        status = ph_cli_fail (g_steal_pointer (&error));
      g_clear_object (&cli_broker);
    }
  g_clear_pointer (&cli_subject, ph_subject_free);
  return status;
}

static gboolean
parse_fd (const char *text,
          int        *out)
{
  guint64 value;

  if (!g_ascii_string_to_unsigned (text, 10, 0, G_MAXINT, &value, NULL))
    return FALSE;
  *out = (int) value;
  return TRUE;
}

int
main (int    argc,
      char **argv)
{
  PhCli cli = { NULL, -1 };
  g_autofree char *vault_path = NULL;
  g_autofree char *program = g_path_get_basename (argv[0]);
  gboolean as_git_helper = g_str_has_prefix (program, "git-credential-");
  struct rlimit no_core = { 0, 0 };
  int i;

  /* No core dump may hold a secret. */
  setrlimit (RLIMIT_CORE, &no_core);
  prctl (PR_SET_DUMPABLE, 0);

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  for (i = 1; i < argc; i++)
    {
      const char *arg = argv[i];

      if (strcmp (arg, "--vault") == 0 && i + 1 < argc)
        g_free (vault_path), vault_path = g_strdup (argv[++i]);
      else if (g_str_has_prefix (arg, "--vault="))
        g_free (vault_path), vault_path = g_strdup (arg + 8);
      else if (strcmp (arg, "--password-fd") == 0 && i + 1 < argc)
        {
          if (!parse_fd (argv[++i], &cli.password_fd))
            return ph_cli_usage (_("--password-fd needs a file descriptor number"));
        }
      else if (g_str_has_prefix (arg, "--password-fd="))
        {
          if (!parse_fd (arg + 14, &cli.password_fd))
            return ph_cli_usage (_("--password-fd needs a file descriptor number"));
        }
      else if (strcmp (arg, "--security-key") == 0)
        cli.security_key = TRUE;
      else if (strcmp (arg, "--help") == 0 || strcmp (arg, "-h") == 0)
        {
          print_help (stdout);
          return PH_EXIT_OK;
        }
      else if (strcmp (arg, "--version") == 0)
        {
          g_print ("perihelion-cli %s\n", PACKAGE_VERSION);
          return PH_EXIT_OK;
        }
      else if (arg[0] == '-')
        return ph_cli_usage (_("Unknown option %s (see --help)"), arg);
      else
        break;
    }

  cli.vault_given = vault_path != NULL || g_getenv ("PERIHELION_VAULT") != NULL;
  if (vault_path == NULL && g_getenv ("PERIHELION_VAULT"))
    vault_path = g_strdup (g_getenv ("PERIHELION_VAULT"));
  if (vault_path == NULL)
    vault_path = ph_vault_dup_default_path ();
  cli.vault_path = vault_path;

  if (as_git_helper)
    return run_command (&cli, "git-credential", ph_cli_cmd_git_credential, argc - i + 1, argv + i - 1);

  if (i >= argc)
    {
      print_help (stderr);
      return PH_EXIT_USAGE;
    }

  /* With an agent running, reading commands go through it (one unlock for every client). */
  if (!cli.vault_given && g_strv_contains ((const char * const[]) { "get", "list", "search", NULL }, argv[i]))
    {
      int status = ph_cli_agent_run (&cli, argv[i], argc - i, argv + i);

      if (status >= 0)
        return status;
    }

  if (!cli.vault_given && strcmp (argv[i], "totp") == 0 && i + 1 == argc - 1 && argv[i + 1][0] != '-')
    {
      int status = ph_cli_agent_totp (&cli, argv[i + 1]);

      if (status >= 0)
        return status;
    }

  if (!cli.vault_given && strcmp (argv[i], "oauth") == 0 && i + 2 == argc - 1 &&
      strcmp (argv[i + 1], "token") == 0 && argv[i + 2][0] != '-')
    {
      int status = ph_cli_agent_oauth_token (&cli, argv[i + 2]);

      if (status >= 0)
        return status;
    }

  for (guint c = 0; c < G_N_ELEMENTS (commands); c++)
    if (strcmp (argv[i], commands[c].name) == 0)
      return run_command (&cli, commands[c].name, commands[c].run, argc - i, argv + i);

  return ph_cli_usage (_("Unknown command “%s” (see --help)"), argv[i]);
}
