/* ph-keystore-secret.h: the keystore on the freedesktop Secret Service, through libsecret.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-keystore.h"

G_BEGIN_DECLS

#define PH_TYPE_KEYSTORE_SECRET (ph_keystore_secret_get_type ())

G_DECLARE_FINAL_TYPE (PhKeystoreSecret, ph_keystore_secret, PH, KEYSTORE_SECRET, GObject)

PhKeystoreSecret *ph_keystore_secret_new (void);

G_END_DECLS
