/* ph-quick-unlock.h: unlocking the vault with a security key (FIDO2 hmac-secret).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-fido2.h"
#include "ph-vault.h"

G_BEGIN_DECLS

gboolean ph_quick_unlock_enroll (PhVault     *vault,
                                 fido_dev_t  *dev,
                                 const char  *name,
                                 GError     **error);
gboolean ph_quick_unlock        (PhVault     *vault,
                                 fido_dev_t  *dev,
                                 GError     **error);

G_END_DECLS
