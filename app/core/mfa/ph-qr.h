/* ph-qr.h: QR codes: made with libqrencode, read with libzbar (for otpauth:// URIs).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

#include "ph-secret.h"

G_BEGIN_DECLS

#define PH_QR_ERROR (ph_qr_error_quark ())

typedef enum
{
  PH_QR_ERROR_ENCODE = 1,    /* the text does not fit a QR code */
  PH_QR_ERROR_NOT_FOUND,     /* no QR code in the image */
} PhQrError;

GQuark    ph_qr_error_quark (void);
PhSecret *ph_qr_encode      (const char    *text,
                             guint         *out_width,
                             GError       **error);
PhSecret *ph_qr_decode      (const guint8  *grey,
                             guint          width,
                             guint          height,
                             gsize          stride,
                             GError       **error);

G_END_DECLS
