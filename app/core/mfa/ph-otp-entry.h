/* ph-otp-entry.h: an entry's one-time code, read through the gate.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-broker.h"
#include "ph-otp.h"

G_BEGIN_DECLS

PhSecret *ph_otp_entry_code        (PhBroker         *broker,
                                    const PhSubject  *subject,
                                    PhAction          action,
                                    PhEntry          *entry,
                                    gint64            unix_time,
                                    guint            *out_period,
                                    gint64           *out_valid_until,
                                    gboolean         *out_changed,
                                    GError          **error);
PhSecret *ph_otp_normalize_uri     (const char       *uri_or_secret,
                                    const char       *issuer,
                                    const char       *account,
                                    GError          **error);

G_END_DECLS
