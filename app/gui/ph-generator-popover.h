/* ph-generator-popover.h: a password or passphrase, generated, with its entropy.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define PH_TYPE_GENERATOR_POPOVER (ph_generator_popover_get_type ())

G_DECLARE_FINAL_TYPE (PhGeneratorPopover, ph_generator_popover, PH, GENERATOR_POPOVER, GtkPopover)

GtkWidget *ph_generator_popover_new (void);

G_END_DECLS
