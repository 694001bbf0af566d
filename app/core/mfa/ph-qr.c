/* ph-qr.c: QR codes for otpauth:// URIs.
 *
 * A Key URI holds the seed, so both directions keep it in guarded memory: the encoded modules
 * (which spell the seed to anyone with a scanner) are a PhSecret, libqrencode's copy is wiped
 * before it is freed, and a decoded text goes straight into a PhSecret with zbar's copy wiped.
 * Images come in as 8-bit grey pixels, so this file needs no image library; the app converts
 * what a person picks (GdkTexture) and draws what it shows.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <qrencode.h>
#include <sodium.h>
#include <zbar.h>
#include <glib/gi18n.h>

#include "ph-qr.h"

G_DEFINE_QUARK (ph-qr-error-quark, ph_qr_error)

/**
 * ph_qr_encode:
 * @out_width: (out): modules per side
 *
 * Returns: (transfer full): @out_width × @out_width bytes, row by row, 1 for a dark module
 */
PhSecret *
ph_qr_encode (const char  *text,
              guint       *out_width,
              GError     **error)
{
  QRcode *code = QRcode_encodeString (text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
  g_autoptr(PhSecret) modules = NULL;
  guint8 *out;
  gsize n;

  if (code == NULL)
    {
      g_set_error (error, PH_QR_ERROR, PH_QR_ERROR_ENCODE, _("The text does not fit in a QR code"));
      return NULL;
    }
  n = (gsize) code->width * code->width;
  modules = ph_secret_new (n);
  out = ph_secret_get_mutable (modules);
  for (gsize i = 0; i < n; i++)
    out[i] = code->data[i] & 1;
  *out_width = code->width;
  sodium_memzero (code->data, n);
  QRcode_free (code);
  return g_steal_pointer (&modules);
}

/**
 * ph_qr_decode:
 * @grey: 8-bit grey pixels (0 black), @stride bytes a row
 *
 * Returns: (transfer full): the text of the first QR code found
 */
PhSecret *
ph_qr_decode (const guint8  *grey,
              guint          width,
              guint          height,
              gsize          stride,
              GError       **error)
{
  zbar_image_scanner_t *scanner = zbar_image_scanner_create ();
  zbar_image_t *image = zbar_image_create ();
  guint8 *pixels = g_malloc ((gsize) width * height);
  PhSecret *text = NULL;

  for (guint y = 0; y < height; y++)
    memcpy (pixels + (gsize) y * width, grey + y * stride, width);
  zbar_image_scanner_set_config (scanner, ZBAR_NONE, ZBAR_CFG_ENABLE, 0);
  zbar_image_scanner_set_config (scanner, ZBAR_QRCODE, ZBAR_CFG_ENABLE, 1);
  zbar_image_set_format (image, zbar_fourcc ('Y', '8', '0', '0'));
  zbar_image_set_size (image, width, height);
  zbar_image_set_data (image, pixels, (unsigned long) width * height, NULL);
  if (zbar_scan_image (scanner, image) > 0)
    {
      for (const zbar_symbol_t *symbol = zbar_image_first_symbol (image); symbol && text == NULL;
           symbol = zbar_symbol_next (symbol))
        if (zbar_symbol_get_type (symbol) == ZBAR_QRCODE)
          {
            const char *data = zbar_symbol_get_data (symbol);
            unsigned int length = zbar_symbol_get_data_length (symbol);

            text = ph_secret_new_from_data (data, length);
            sodium_memzero ((char *) data, length);
          }
    }
  zbar_image_destroy (image);
  zbar_image_scanner_destroy (scanner);
  sodium_memzero (pixels, (gsize) width * height);
  g_free (pixels);
  if (text == NULL)
    g_set_error (error, PH_QR_ERROR, PH_QR_ERROR_NOT_FOUND, _("No QR code was found in the image"));
  return text;
}
