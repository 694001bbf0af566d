/* ph-prompter.h: how the broker asks a person: for the master password, a second factor, an approval.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "ph-access.h"
#include "ph-secret.h"

G_BEGIN_DECLS

typedef enum
{
  PH_APPROVAL_DENY,
  PH_APPROVAL_ONCE,
  PH_APPROVAL_TEN_MINUTES,
  PH_APPROVAL_ALWAYS,        /* becomes a policy rule for this subject, entry and action */
} PhApproval;

#define PH_TYPE_PROMPTER (ph_prompter_get_type ())

G_DECLARE_INTERFACE (PhPrompter, ph_prompter, PH, PROMPTER, GObject)

struct _PhPrompterInterface
{
  GTypeInterface parent_iface;

  /* The master password, or NULL with an error if nobody can be asked or they declined. */
  PhSecret   *(*ask_password) (PhPrompter            *self,
                               const char            *message,
                               GError               **error);
  PhApproval  (*ask_approval) (PhPrompter            *self,
                               const PhAccessRequest *request,
                               const char            *message);
  /* A second factor: the authenticator app's code or a recovery code (optional: without it,
   * step-up to a second factor cannot be asked). */
  PhSecret   *(*ask_code)     (PhPrompter            *self,
                               const char            *message,
                               GError               **error);
};

PhSecret   *ph_prompter_ask_password (PhPrompter            *self,
                                      const char            *message,
                                      GError               **error);
PhApproval  ph_prompter_ask_approval (PhPrompter            *self,
                                      const PhAccessRequest *request,
                                      const char            *message);
PhSecret   *ph_prompter_ask_code     (PhPrompter            *self,
                                      const char            *message,
                                      GError               **error);

G_END_DECLS
