/* ph-cli.h: shared state and helpers of perihelion-cli's commands.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-broker.h"
#include "ph-git-credential.h"
#include "ph-vault.h"

G_BEGIN_DECLS

/* Exit codes; documented in --help and perihelion-cli(1). */
typedef enum
{
  PH_EXIT_OK        = 0,
  PH_EXIT_FAILURE   = 1,
  PH_EXIT_USAGE     = 2,
  PH_EXIT_AUTH      = 3,
  PH_EXIT_NOT_FOUND = 4,
  PH_EXIT_DAMAGED   = 5,
  PH_EXIT_IO        = 6,
  PH_EXIT_DENIED    = 7,
} PhExitCode;

typedef struct
{
  char    *vault_path;
  int      password_fd;
  gboolean vault_given;   /* --vault or $PERIHELION_VAULT: direct mode even with an agent running */
  gboolean security_key;  /* --security-key: open the vault with its quick-unlock key */
} PhCli;

typedef int (*PhCliCommand) (PhCli *cli, int argc, char **argv);

int       ph_cli_fail          (GError        *error);
gboolean  ph_cli_parse_options (int           *argc,
                                char        ***argv,
                                const char    *parameter,
                                GOptionEntry  *entries,
                                GError       **error);
int       ph_cli_usage         (const char    *format,
                                ...) G_GNUC_PRINTF (1, 2);
PhVault  *ph_cli_open_vault    (PhCli         *cli,
                                GError       **error);
PhSecret *ph_cli_read_password (PhCli         *cli,
                                const char    *prompt,
                                GError       **error);
PhSecret *ph_cli_prompt_secret (const char    *prompt,
                                GError       **error);
gboolean  ph_cli_save          (PhVault       *vault,
                                GError       **error);
PhBroker       *ph_cli_get_broker  (void);
const PhSubject *ph_cli_get_subject (void);
gboolean  ph_cli_authorize     (PhAction       action,
                                PhEntry       *entry,
                                GError       **error);

int ph_cli_cmd_init           (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_add            (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_get            (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_totp           (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_list           (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_search         (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_edit           (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_rm             (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_generate       (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_passwd         (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_recovery_key   (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_remember       (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_forget         (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_import         (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_export         (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_git_credential (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_policy         (PhCli *cli, int argc, char **argv);
int ph_cli_agent_run          (PhCli *cli, const char *command, int argc, char **argv);
int ph_cli_agent_oauth_token  (PhCli *cli, const char *account);
int ph_cli_agent_totp         (PhCli *cli, const char *entry);
int ph_cli_agent_git_credential (PhCli *cli, PhGitCredential *request);
int ph_cli_cmd_audit          (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_oauth          (PhCli *cli, int argc, char **argv);
int ph_cli_cmd_mfa            (PhCli *cli, int argc, char **argv);

G_END_DECLS
