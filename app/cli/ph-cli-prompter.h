/* ph-cli-prompter.h: the broker's questions, asked on the terminal.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-prompter.h"

G_BEGIN_DECLS

#define PH_TYPE_CLI_PROMPTER (ph_cli_prompter_get_type ())

G_DECLARE_FINAL_TYPE (PhCliPrompter, ph_cli_prompter, PH, CLI_PROMPTER, GObject)

PhPrompter *ph_cli_prompter_new (void);

G_END_DECLS
