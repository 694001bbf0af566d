/* ph-quick-unlock.h: unlocking the vault with a security key (FIDO2 hmac-secret).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-fido2.h"
#include "ph-vault.h"

G_BEGIN_DECLS

PhFido2Credential *ph_quick_unlock_prepare (fido_dev_t   *dev,
                                            const char   *name,
                                            guint8        salt[32],
                                            PhSecret    **out_secret,
                                            GError      **error);
gboolean ph_quick_unlock_enroll (PhVault     *vault,
                                 fido_dev_t  *dev,
                                 const char  *name,
                                 GError     **error);
gboolean ph_quick_unlock        (PhVault     *vault,
                                 fido_dev_t  *dev,
                                 GError     **error);
gboolean ph_quick_unlock_secret (PhVault     *vault,
                                 fido_dev_t  *dev,
                                 PhSecret   **out_secret,
                                 GError     **error);

G_END_DECLS
