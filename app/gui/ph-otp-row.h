/* ph-otp-row.h: an entry's one-time code: shown with a countdown ring, copied, or its setup key
 * shown as a QR code.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "ph-agent-dbus.h"

G_BEGIN_DECLS

#define PH_TYPE_OTP_ROW (ph_otp_row_get_type ())

G_DECLARE_FINAL_TYPE (PhOtpRow, ph_otp_row, PH, OTP_ROW, AdwActionRow)

GtkWidget  *ph_otp_row_new        (PhDBusAgent1 *agent,
                                   const char   *entry_id);
const char *ph_otp_row_get_code   (PhOtpRow     *self);
void        ph_otp_row_reveal     (PhOtpRow     *self);
void        ph_otp_row_copy       (PhOtpRow     *self);
void        ph_otp_row_show_qr    (PhOtpRow     *self);

G_END_DECLS
