/* ph-secret-service.h: the freedesktop Secret Service (org.freedesktop.secrets), backed by the
 * vault and gated by the policy.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "ph-agent.h"

G_BEGIN_DECLS

#define PH_SECRET_SERVICE_NAME "org.freedesktop.secrets"

#define PH_TYPE_SECRET_SERVICE (ph_secret_service_get_type ())

G_DECLARE_FINAL_TYPE (PhSecretService, ph_secret_service, PH, SECRET_SERVICE, GObject)

PhSecretService *ph_secret_service_new    (PhAgent          *agent);
gboolean         ph_secret_service_export (PhSecretService  *self,
                                           GDBusConnection  *connection,
                                           GError          **error);

G_END_DECLS
