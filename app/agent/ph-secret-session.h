/* ph-secret-session.h: Secret Service transfer sessions: "plain" and the
 * "dh-ietf1024-sha256-aes128-cbc-pkcs7" key agreement.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ph-secret.h"

G_BEGIN_DECLS

typedef struct _PhSecretSession PhSecretSession;

PhSecretSession *ph_secret_session_new     (const char       *algorithm,
                                            GVariant         *input,
                                            GVariant        **output,
                                            GError          **error);
void             ph_secret_session_free    (PhSecretSession  *session);
gboolean         ph_secret_session_encode  (PhSecretSession  *session,
                                            const PhSecret   *secret,
                                            GBytes          **parameters,
                                            GBytes          **value,
                                            GError          **error);
PhSecret        *ph_secret_session_decode  (PhSecretSession  *session,
                                            GVariant         *parameters,
                                            GVariant         *value,
                                            GError          **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhSecretSession, ph_secret_session_free)

G_END_DECLS
