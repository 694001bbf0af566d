/* ph-gtk-prompter.h: the agent's windows: approval, re-authentication and unlock prompts.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-agent.h"
#include "ph-prompter.h"

G_BEGIN_DECLS

#define PH_TYPE_GTK_PROMPTER (ph_gtk_prompter_get_type ())

G_DECLARE_FINAL_TYPE (PhGtkPrompter, ph_gtk_prompter, PH, GTK_PROMPTER, GObject)

PhPrompter *ph_gtk_prompter_new    (void);
gboolean    ph_gtk_prompter_unlock (PhAgent    *agent,
                                    const char *reason,
                                    gpointer    data);

G_END_DECLS
