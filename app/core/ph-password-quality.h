/* ph-password-quality.h: how strong a master password is, through libpwquality.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* A master password scoring below this is refused when a vault is created. */
#define PH_PASSWORD_QUALITY_ACCEPTABLE 30

int ph_password_quality (const char  *password,
                         char       **out_feedback);

G_END_DECLS
