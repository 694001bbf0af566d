/* ph-cli-mfa.c: perihelion-cli mfa status|totp-enroll|totp-remove|recovery-codes: the vault's own
 * second factors, which the access policy's mfa obligation asks for.
 *
 * Each change is an admin-policy request to the gate. `totp-enroll` prints a new key (as a QR
 * code on a terminal, and as text) on stderr and reads a code from the authenticator on stdin;
 * only a right code turns it on. `recovery-codes` prints ten new one-time codes on stdout, once.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <unistd.h>
#include <json-glib/json-glib.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "ph-cli.h"
#include "ph-otp.h"
#include "ph-qr.h"
#include "ph-quick-unlock.h"
#include "ph-second-factors.h"

/* A QR code in text, two modules a line, as `qrencode -t UTF8` draws it: light modules are
 * blocks, for the light-on-dark terminals most people use. */
static void
print_qr (const char *text)
{
  g_autoptr(GError) error = NULL;
  guint width = 0;
  g_autoptr(PhSecret) modules = ph_qr_encode (text, &width, &error);
  const int quiet = 2;

  if (modules == NULL)
    return;
  for (int y = -quiet; y < (int) width + quiet; y += 2)
    {
      for (int x = -quiet; x < (int) width + quiet; x++)
        {
#define DARK(yy) ((yy) >= 0 && (yy) < (int) width && x >= 0 && x < (int) width && \
                  ph_secret_get_data (modules)[(yy) * width + x])
          gboolean top = !DARK (y), bottom = !DARK (y + 1);
#undef DARK
          g_printerr ("%s", top && bottom ? "█" : top ? "▀" : bottom ? "▄" : " ");
        }
      g_printerr ("\n");
    }
}

static int
cmd_status (PhCli  *cli,
            int     argc,
            char  **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, N_("Print JSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  PhSecondFactorInfo info;

  if (!ph_cli_parse_options (&argc, &argv, "", entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (!(vault = ph_cli_open_vault (cli, &error)) || !ph_second_factors_get_info (vault, &info, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (json)
    g_print ("{\"totp\": %s, \"totp_enrolled_at\": %" G_GINT64_FORMAT ", \"recovery_codes\": %u, "
             "\"security_keys\": %u}\n",
             info.totp ? "true" : "false", info.totp_enrolled_at, info.recovery_codes, info.security_keys);
  else
    {
      g_print (_("Authenticator app: %s\n"), info.totp ? _("on") : _("off"));
      g_print (_("Recovery codes left: %u\n"), info.recovery_codes);
      g_print (_("Security keys: %u\n"), info.security_keys);
    }
  return PH_EXIT_OK;
}

static int
cmd_totp_enroll (PhCli  *cli,
                 int     argc,
                 char  **argv)
{
  g_autofree char *account = NULL;
  GOptionEntry entries[] = {
    { "account", 0, 0, G_OPTION_ARG_STRING, &account, N_("The name the authenticator shows"), "NAME" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(PhSecret) uri = NULL;
  g_autoptr(PhSecret) code = NULL;
  g_autoptr(PhOtp) otp = NULL;
  g_autoptr(PhSecret) key_text = NULL;

  if (!ph_cli_parse_options (&argc, &argv, "", entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (!(vault = ph_cli_open_vault (cli, &error)) || !ph_cli_authorize (PH_ACTION_ADMIN_POLICY, NULL, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  uri = ph_second_factors_new_totp_uri (account);
  otp = ph_otp_new_from_uri (ph_secret_get_text (uri), NULL);
  key_text = ph_base32_encode (ph_secret_get_data (otp->key), ph_secret_get_length (otp->key));
  g_printerr (_("Add this key to your authenticator app (scan the code, or type the key):\n"));
  if (isatty (STDERR_FILENO))
    print_qr (ph_secret_get_text (uri));
  g_printerr ("%s\n%s\n", ph_secret_get_text (key_text), ph_secret_get_text (uri));
  g_printerr (_("Code from the app: "));
  if (!(code = ph_secret_read_line (STDIN_FILENO, FALSE, &error)) ||
      !ph_second_factors_enroll_totp (vault, ph_secret_get_text (uri), ph_secret_get_text (code),
                                      g_get_real_time () / G_USEC_PER_SEC, &error) ||
      !ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  g_printerr (_("The authenticator app is on: the access policy can now ask for its codes\n"));
  return PH_EXIT_OK;
}

static int
cmd_totp_remove (PhCli  *cli,
                 int     argc,
                 char  **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;

  if (!ph_cli_parse_options (&argc, &argv, "", entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (!(vault = ph_cli_open_vault (cli, &error)) || !ph_cli_authorize (PH_ACTION_ADMIN_POLICY, NULL, &error) ||
      !ph_second_factors_remove_totp (vault, &error) || !ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  g_printerr (_("The authenticator app is off\n"));
  return PH_EXIT_OK;
}

static int
cmd_recovery_codes (PhCli  *cli,
                    int     argc,
                    char  **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_auto(GStrv) codes = NULL;

  if (!ph_cli_parse_options (&argc, &argv, "", entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (!(vault = ph_cli_open_vault (cli, &error)) || !ph_cli_authorize (PH_ACTION_ADMIN_POLICY, NULL, &error) ||
      !(codes = ph_second_factors_new_recovery_codes (vault, &error)) || !ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  for (guint i = 0; codes[i]; i++)
    {
      g_print ("%s\n", codes[i]);
      sodium_memzero (codes[i], strlen (codes[i]));
    }
  g_printerr (_("Keep these codes somewhere safe: each works once, and they replace any earlier ones\n"));
  return PH_EXIT_OK;
}

static int
cmd_key_add (PhCli  *cli,
             int     argc,
             char  **argv)
{
  g_autofree char *name = NULL;
  gboolean no_uv = FALSE, resident = FALSE;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("What to call the key"), "NAME" },
    { "no-user-verification", 0, 0, G_OPTION_ARG_NONE, &no_uv, N_("A touch only, even if the key has a PIN"), NULL },
    { "resident", 0, 0, G_OPTION_ARG_NONE, &resident, N_("Keep the credential on the key (discoverable)"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(PhFido2Credential) credential = NULL;
  fido_dev_t *dev;

  if (!ph_cli_parse_options (&argc, &argv, "", entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (!(vault = ph_cli_open_vault (cli, &error)) || !ph_cli_authorize (PH_ACTION_ADMIN_POLICY, NULL, &error) ||
      !(dev = ph_fido2_open_device (&error)))
    return ph_cli_fail (g_steal_pointer (&error));
  g_printerr (_("Touch your security key…\n"));
  credential = ph_fido2_register_full (dev, PH_FIDO2_RP_ID, name ? name : g_get_user_name (), !no_uv, resident, FALSE,
                                       &error);
  ph_fido2_close_device (dev);
  if (credential == NULL ||
      !ph_second_factors_add_key (vault, credential, credential->user_verification, name, &error) ||
      !ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  g_printerr (_("Registered (%s%s)\n"), credential->attestation,
              credential->user_verification ? _(", with user verification") : "");
  return PH_EXIT_OK;
}

static int
cmd_key_list (PhCli  *cli,
              int     argc,
              char  **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(GPtrArray) keys = NULL;

  if (!ph_cli_parse_options (&argc, &argv, "", entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (!(vault = ph_cli_open_vault (cli, &error)) || !(keys = ph_second_factors_list_keys (vault, &error)))
    return ph_cli_fail (g_steal_pointer (&error));
  for (guint i = 0; i < keys->len; i++)
    {
      PhSecurityKey *key = g_ptr_array_index (keys, i);

      g_print ("%s\t%s\t%s\t%u\n", key->id, key->name, key->user_verification ? "uv" : "-", key->counter);
    }
  return PH_EXIT_OK;
}

static int
cmd_key_rename (PhCli  *cli,
                int     argc,
                char  **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;

  if (!ph_cli_parse_options (&argc, &argv, _("ID NAME"), entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc != 3)
    return ph_cli_usage (_("mfa key-rename takes an ID (see mfa key-list) and a NAME"));
  if (!(vault = ph_cli_open_vault (cli, &error)) || !ph_cli_authorize (PH_ACTION_ADMIN_POLICY, NULL, &error) ||
      !ph_second_factors_rename_key (vault, argv[1], argv[2], &error) || !ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  return PH_EXIT_OK;
}

static int
cmd_key_remove (PhCli  *cli,
                int     argc,
                char  **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;

  if (!ph_cli_parse_options (&argc, &argv, _("ID"), entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (argc != 2)
    return ph_cli_usage (_("mfa key-remove takes one ID (see mfa key-list)"));
  if (!(vault = ph_cli_open_vault (cli, &error)) || !ph_cli_authorize (PH_ACTION_ADMIN_POLICY, NULL, &error) ||
      !ph_second_factors_remove_key (vault, argv[1], &error) || !ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  return PH_EXIT_OK;
}

static int
cmd_quick_unlock_enable (PhCli  *cli,
                         int     argc,
                         char  **argv)
{
  g_autofree char *name = NULL;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, N_("What to call the key"), "NAME" },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;
  fido_dev_t *dev;
  gboolean enrolled;

  if (!ph_cli_parse_options (&argc, &argv, "", entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (!(vault = ph_cli_open_vault (cli, &error)) || !ph_cli_authorize (PH_ACTION_ADMIN_POLICY, NULL, &error) ||
      !(dev = ph_fido2_open_device (&error)))
    return ph_cli_fail (g_steal_pointer (&error));
  g_printerr (_("Touch your security key (twice)…\n"));
  enrolled = ph_quick_unlock_enroll (vault, dev, name, &error);
  ph_fido2_close_device (dev);
  if (!enrolled || !ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  g_printerr (_("Quick unlock is on: perihelion-cli --security-key, or the app's unlock page\n"));
  return PH_EXIT_OK;
}

static int
cmd_quick_unlock_disable (PhCli  *cli,
                          int     argc,
                          char  **argv)
{
  GOptionEntry entries[] = { { NULL } };
  g_autoptr(GError) error = NULL;
  g_autoptr(PhVault) vault = NULL;

  if (!ph_cli_parse_options (&argc, &argv, "", entries, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  if (!(vault = ph_cli_open_vault (cli, &error)) || !ph_cli_authorize (PH_ACTION_ADMIN_POLICY, NULL, &error) ||
      !ph_vault_remove_security_key_slot (vault, &error) || !ph_cli_save (vault, &error))
    return ph_cli_fail (g_steal_pointer (&error));
  return PH_EXIT_OK;
}

int
ph_cli_cmd_mfa (PhCli  *cli,
                int     argc,
                char  **argv)
{
  static const struct
  {
    const char *name;
    int (*run) (PhCli *cli, int argc, char **argv);
  } subcommands[] = {
    { "status", cmd_status },
    { "totp-enroll", cmd_totp_enroll },
    { "totp-remove", cmd_totp_remove },
    { "recovery-codes", cmd_recovery_codes },
    { "key-add", cmd_key_add },
    { "key-list", cmd_key_list },
    { "key-rename", cmd_key_rename },
    { "key-remove", cmd_key_remove },
    { "quick-unlock-enable", cmd_quick_unlock_enable },
    { "quick-unlock-disable", cmd_quick_unlock_disable },
  };

  for (guint i = 0; argc >= 2 && i < G_N_ELEMENTS (subcommands); i++)
    if (strcmp (argv[1], subcommands[i].name) == 0)
      return subcommands[i].run (cli, argc - 1, argv + 1);
  return ph_cli_usage (_("mfa takes status, totp-enroll, totp-remove, recovery-codes, key-add, key-list, key-rename, key-remove, "
                         "quick-unlock-enable or quick-unlock-disable"));
}
