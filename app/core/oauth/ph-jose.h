/* ph-jose.h: JSON Web Keys and signed JSON Web Tokens (RFC 7515, 7517, 7518), verified through
 * OpenSSL, for OpenID Connect ID tokens.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

#define PH_JOSE_ERROR (ph_jose_error_quark ())

typedef enum
{
  PH_JOSE_ERROR_MALFORMED = 1,   /* not a compact JWS, bad base64url or JSON */
  PH_JOSE_ERROR_ALGORITHM,       /* "none", HMAC, or an algorithm we do not accept */
  PH_JOSE_ERROR_NO_KEY,          /* no key in the set fits the token's kid and alg */
  PH_JOSE_ERROR_SIGNATURE,       /* the signature does not verify */
  PH_JOSE_ERROR_KEY,             /* a key that cannot be used (bad JWK) */
} PhJoseError;

typedef struct _PhJwt PhJwt;

GQuark      ph_jose_error_quark      (void);
char       *ph_base64url_encode      (const guint8  *data,
                                      gsize          len);
GBytes     *ph_base64url_decode      (const char    *text,
                                      gssize         len,
                                      GError       **error);
PhJwt      *ph_jwt_verify            (const char    *token,
                                      JsonNode      *jwks,
                                      GError       **error);
const char *ph_jwt_get_algorithm     (PhJwt         *self);
const char *ph_jwt_get_key_id        (PhJwt         *self);
JsonObject *ph_jwt_get_claims        (PhJwt         *self);
void        ph_jwt_free              (PhJwt         *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhJwt, ph_jwt_free)

G_END_DECLS
