/* ph-prompter.c: how the broker asks a person: for the master password, for an approval.
 *
 * The CLI implements it on the terminal; the tray agent implements it with windows.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "ph-prompter.h"

G_DEFINE_INTERFACE (PhPrompter, ph_prompter, G_TYPE_OBJECT)

static void
ph_prompter_default_init (PhPrompterInterface *iface)
{
}

PhSecret *
ph_prompter_ask_password (PhPrompter  *self,
                          const char  *message,
                          GError     **error)
{
  g_return_val_if_fail (PH_IS_PROMPTER (self), NULL);
  return PH_PROMPTER_GET_IFACE (self)->ask_password (self, message, error);
}

PhApproval
ph_prompter_ask_approval (PhPrompter            *self,
                          const PhAccessRequest *request,
                          const char            *message)
{
  g_return_val_if_fail (PH_IS_PROMPTER (self), PH_APPROVAL_DENY);
  return PH_PROMPTER_GET_IFACE (self)->ask_approval (self, request, message);
}

PhSecret *
ph_prompter_ask_code (PhPrompter  *self,
                      const char  *message,
                      GError     **error)
{
  PhPrompterInterface *iface;

  g_return_val_if_fail (PH_IS_PROMPTER (self), NULL);
  iface = PH_PROMPTER_GET_IFACE (self);
  if (iface->ask_code == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED, _("Second factors cannot be asked here"));
      return NULL;
    }
  return iface->ask_code (self, message, error);
}
