/* ph-cli-prompter.c: the broker's questions, asked on the terminal.
 *
 * Questions go to /dev/tty, so they work while stdin and stdout carry data, and fail cleanly
 * (no terminal: nobody to ask) in scripts and CI, where the policy's obligations then deny.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "perihelion-cli"

#include "config.h"

#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <glib/gi18n.h>

#include "ph-cli.h"
#include "ph-cli-prompter.h"

struct _PhCliPrompter
{
  GObject parent_instance;
};

static void ph_cli_prompter_iface_init (PhPrompterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PhCliPrompter, ph_cli_prompter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (PH_TYPE_PROMPTER, ph_cli_prompter_iface_init))

static PhSecret *
ask_password (PhPrompter  *prompter,
              const char  *message,
              GError     **error)
{
  g_autofree char *prompt = g_strdup_printf ("%s: ", message);

  return ph_cli_prompt_secret (prompt, error);
}

static PhSecret *
ask_code (PhPrompter  *prompter,
          const char  *message,
          GError     **error)
{
  g_autofree char *prompt = g_strdup_printf ("%s: ", message);

  return ph_cli_prompt_secret (prompt, error);
}

static PhApproval
ask_approval (PhPrompter            *prompter,
              const PhAccessRequest *request,
              const char            *message)
{
  g_autofree char *question = g_strdup_printf (_("%s.\nAllow? [y] once, [t] for 10 minutes, [a] always, [N] no: "),
                                               message);
  char answer[16] = { 0 };
  int fd = open ("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
  ssize_t n;

  if (fd < 0)
    return PH_APPROVAL_DENY;
  if (write (fd, question, strlen (question)) < 0)
    {
      close (fd);
      return PH_APPROVAL_DENY;
    }
  n = read (fd, answer, sizeof answer - 1);
  close (fd);
  if (n <= 0)
    return PH_APPROVAL_DENY;
  switch (g_ascii_tolower (answer[0]))
    {
    case 'y': return PH_APPROVAL_ONCE;
    case 't': return PH_APPROVAL_TEN_MINUTES;
    case 'a': return PH_APPROVAL_ALWAYS;
    default: return PH_APPROVAL_DENY;
    }
}

static void
ph_cli_prompter_iface_init (PhPrompterInterface *iface)
{
  iface->ask_password = ask_password;
  iface->ask_approval = ask_approval;
  iface->ask_code = ask_code;
}

static void
ph_cli_prompter_class_init (PhCliPrompterClass *klass)
{
}

static void
ph_cli_prompter_init (PhCliPrompter *self)
{
}

PhPrompter *
ph_cli_prompter_new (void)
{
  return g_object_new (PH_TYPE_CLI_PROMPTER, NULL);
}
