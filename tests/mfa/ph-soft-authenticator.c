/* ph-soft-authenticator.c: a FIDO2 authenticator in software, for the tests.
 *
 * It speaks CTAPHID in 64-byte HID reports (INIT, CBOR, CANCEL) through libfido2's I/O hooks,
 * and CTAP2: authenticatorGetInfo, authenticatorMakeCredential (ES256 keys, "packed"
 * self-attestation) and authenticatorGetAssertion, with a signature counter, and the hmac-secret
 * extension over ClientPIN key agreement (PIN/UV protocol 1). User presence is
 * always given; user verification is reported unless turned off (to test a client that requires
 * it). Keys are OpenSSL EC P-256; CBOR is libcbor. Credentials live in memory.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <cbor.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "ph-soft-authenticator.h"

#define REPORT_LEN    64
#define CMD_INIT      0x86
#define CMD_CBOR      0x90
#define CMD_CANCEL    0x91
#define CMD_ERROR     0xbf
#define CAP_CBOR      0x04
#define CAP_NMSG      0x08

typedef struct
{
  guint8 id[32];
  guint8 rp_hash[32];
  EVP_PKEY *key;
  gboolean hmac_secret;
  guint8 cred_random[32];
} Credential;

struct _PhSoftAuthenticator
{
  GPtrArray *credentials;
  EVP_PKEY *agreement_key;   /* ClientPIN key agreement (PIN/UV protocol 1) */
  guint32 counter;
  gboolean report_uv;
  guint8 cid[4];
  /* the request being received */
  guint8 command;
  GByteArray *request;
  gsize expected;
  /* reports waiting to be read */
  GQueue replies;
};

static void
credential_free (gpointer data)
{
  Credential *credential = data;

  EVP_PKEY_free (credential->key);
  g_free (credential);
}

PhSoftAuthenticator *
ph_soft_authenticator_new (void)
{
  PhSoftAuthenticator *self = g_new0 (PhSoftAuthenticator, 1);

  self->credentials = g_ptr_array_new_with_free_func (credential_free);
  self->agreement_key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  self->report_uv = TRUE;
  self->request = g_byte_array_new ();
  memcpy (self->cid, "\x01\x02\x03\x04", 4);
  g_queue_init (&self->replies);
  return self;
}

void
ph_soft_authenticator_free (PhSoftAuthenticator *self)
{
  if (self == NULL)
    return;
  g_ptr_array_unref (self->credentials);
  EVP_PKEY_free (self->agreement_key);
  g_byte_array_unref (self->request);
  g_queue_clear_full (&self->replies, g_free);
  g_free (self);
}

void
ph_soft_authenticator_set_uv (PhSoftAuthenticator *self,
                              gboolean             report_uv)
{
  self->report_uv = report_uv;
}

void
ph_soft_authenticator_set_counter (PhSoftAuthenticator *self,
                                   guint32              counter)
{
  self->counter = counter;
}

/* CTAPHID: a message out as reports (init, then continuations). */
static void
send_message (PhSoftAuthenticator *self,
              const guint8        *cid,
              guint8               command,
              const guint8        *data,
              gsize                length)
{
  gsize sent = 0;
  guint8 seq = 0;

  do
    {
      guint8 *report = g_malloc0 (REPORT_LEN);
      gsize room, n;

      memcpy (report, cid, 4);
      if (sent == 0)
        {
          report[4] = command;
          report[5] = (length >> 8) & 0xff;
          report[6] = length & 0xff;
          room = REPORT_LEN - 7;
          n = MIN (room, length);
          memcpy (report + 7, data, n);
        }
      else
        {
          report[4] = seq++;
          room = REPORT_LEN - 5;
          n = MIN (room, length - sent);
          memcpy (report + 5, data + sent, n);
        }
      sent += n;
      g_queue_push_tail (&self->replies, report);
    }
  while (sent < length);
}

static void
reply_status (PhSoftAuthenticator *self,
              guint8               status)
{
  send_message (self, self->cid, CMD_CBOR, &status, 1);
}

static void
reply_cbor (PhSoftAuthenticator *self,
            cbor_item_t         *map)
{
  unsigned char *buffer = NULL;
  size_t size = 0, length = cbor_serialize_alloc (map, &buffer, &size);
  g_autofree guint8 *message = g_malloc (length + 1);

  message[0] = 0x00;
  memcpy (message + 1, buffer, length);
  send_message (self, self->cid, CMD_CBOR, message, length + 1);
  free (buffer);
  cbor_decref (&map);
}

static void
map_add (cbor_item_t *map,
         cbor_item_t *key,
         cbor_item_t *value)
{
  cbor_map_add (map, (struct cbor_pair) { .key = cbor_move (key), .value = cbor_move (value) });
}

static cbor_item_t *
map_get_uint (cbor_item_t *map,
              guint        key)
{
  struct cbor_pair *pairs = cbor_map_handle (map);

  for (size_t i = 0; i < cbor_map_size (map); i++)
    if (cbor_isa_uint (pairs[i].key) && cbor_get_int (pairs[i].key) == key)
      return pairs[i].value;
  return NULL;
}

static cbor_item_t *
map_get_text (cbor_item_t *map,
              const char  *key)
{
  struct cbor_pair *pairs = map && cbor_isa_map (map) ? cbor_map_handle (map) : NULL;

  for (size_t i = 0; pairs && i < cbor_map_size (map); i++)
    if (cbor_isa_string (pairs[i].key) && cbor_string_length (pairs[i].key) == strlen (key) &&
        memcmp (cbor_string_handle (pairs[i].key), key, strlen (key)) == 0)
      return pairs[i].value;
  return NULL;
}

static void
get_info (PhSoftAuthenticator *self)
{
  cbor_item_t *info = cbor_new_definite_map (6);
  cbor_item_t *versions = cbor_new_definite_array (1);
  cbor_item_t *extensions = cbor_new_definite_array (1);
  cbor_item_t *protocols = cbor_new_definite_array (1);
  cbor_item_t *options = cbor_new_definite_map (3);
  static const guint8 aaguid[16] = "perihelion-test";

  cbor_array_push (versions, cbor_move (cbor_build_string ("FIDO_2_0")));
  map_add (options, cbor_build_string ("rk"), cbor_build_bool (TRUE));
  map_add (options, cbor_build_string ("up"), cbor_build_bool (TRUE));
  map_add (options, cbor_build_string ("uv"), cbor_build_bool (TRUE));
  cbor_array_push (extensions, cbor_move (cbor_build_string ("hmac-secret")));
  cbor_array_push (protocols, cbor_move (cbor_build_uint8 (1)));
  map_add (info, cbor_build_uint8 (1), versions);
  map_add (info, cbor_build_uint8 (2), extensions);
  map_add (info, cbor_build_uint8 (3), cbor_build_bytestring (aaguid, 16));
  map_add (info, cbor_build_uint8 (4), options);
  map_add (info, cbor_build_uint8 (5), cbor_build_uint16 (1200));
  map_add (info, cbor_build_uint8 (6), protocols);
  reply_cbor (self, info);
}

/* The credential's public key as COSE (EC2, ES256, P-256, x, y). */
static cbor_item_t *
cose_key_alg (EVP_PKEY *key,
              guint8    negative_alg)
{
  cbor_item_t *cose = cbor_new_definite_map (5);
  guint8 x[32] = { 0 }, y[32] = { 0 };
  BIGNUM *bx = NULL, *by = NULL;

  EVP_PKEY_get_bn_param (key, OSSL_PKEY_PARAM_EC_PUB_X, &bx);
  EVP_PKEY_get_bn_param (key, OSSL_PKEY_PARAM_EC_PUB_Y, &by);
  BN_bn2binpad (bx, x, 32);
  BN_bn2binpad (by, y, 32);
  BN_free (bx);
  BN_free (by);
  map_add (cose, cbor_build_uint8 (1), cbor_build_uint8 (2));
  map_add (cose, cbor_build_uint8 (3), cbor_build_negint8 (negative_alg)); /* -7: ES256, -25: ECDH */
  map_add (cose, cbor_build_negint8 (0), cbor_build_uint8 (1));          /* -1: crv P-256 */
  map_add (cose, cbor_build_negint8 (1), cbor_build_bytestring (x, 32)); /* -2: x */
  map_add (cose, cbor_build_negint8 (2), cbor_build_bytestring (y, 32)); /* -3: y */
  return cose;
}

static cbor_item_t *
cose_key (EVP_PKEY *key)
{
  return cose_key_alg (key, 6);
}

static GByteArray *
auth_data (PhSoftAuthenticator *self,
           const guint8        *rp_hash,
           gboolean             uv,
           Credential          *attested,
           cbor_item_t         *extensions)
{
  GByteArray *data = g_byte_array_new ();
  guint8 flags = 0x01 | (uv && self->report_uv ? 0x04 : 0) | (attested ? 0x40 : 0) | (extensions ? 0x80 : 0);
  guint8 counter[4] = { self->counter >> 24, self->counter >> 16, self->counter >> 8, self->counter };

  g_byte_array_append (data, rp_hash, 32);
  g_byte_array_append (data, &flags, 1);
  g_byte_array_append (data, counter, 4);
  if (attested)
    {
      static const guint8 aaguid[16] = "perihelion-test";
      guint8 id_length[2] = { 0, 32 };
      cbor_item_t *cose = cose_key (attested->key);
      unsigned char *buffer = NULL;
      size_t size = 0, length = cbor_serialize_alloc (cose, &buffer, &size);

      g_byte_array_append (data, aaguid, 16);
      g_byte_array_append (data, id_length, 2);
      g_byte_array_append (data, attested->id, 32);
      g_byte_array_append (data, buffer, length);
      free (buffer);
      cbor_decref (&cose);
    }
  if (extensions)
    {
      unsigned char *buffer = NULL;
      size_t size = 0, length = cbor_serialize_alloc (extensions, &buffer, &size);

      g_byte_array_append (data, buffer, length);
      free (buffer);
      cbor_decref (&extensions);
    }
  return data;
}

/* A DER ECDSA signature over authenticator data and the client data hash. */
static cbor_item_t *
sign (EVP_PKEY     *key,
      GByteArray   *data,
      const guint8 *client_data_hash)
{
  EVP_MD_CTX *ctx = EVP_MD_CTX_new ();
  guint8 signature[80];
  size_t length = sizeof signature;
  cbor_item_t *item;

  EVP_DigestSignInit (ctx, NULL, EVP_sha256 (), NULL, key);
  EVP_DigestSignUpdate (ctx, data->data, data->len);
  EVP_DigestSignUpdate (ctx, client_data_hash, 32);
  EVP_DigestSignFinal (ctx, signature, &length);
  EVP_MD_CTX_free (ctx);
  item = cbor_build_bytestring (signature, length);
  return item;
}

static gboolean
option (cbor_item_t *options,
        const char  *name)
{
  cbor_item_t *value = map_get_text (options, name);

  return value && cbor_is_bool (value) && cbor_get_bool (value);
}

static void
make_credential (PhSoftAuthenticator *self,
                 cbor_item_t         *request)
{
  cbor_item_t *cdh = map_get_uint (request, 1), *rp = map_get_uint (request, 2), *id;
  Credential *credential;
  g_autoptr(GByteArray) data = NULL;
  cbor_item_t *response, *statement;

  if (!cdh || !cbor_isa_bytestring (cdh) || cbor_bytestring_length (cdh) != 32 || !(id = map_get_text (rp, "id")))
    {
      reply_status (self, 0x14);   /* CTAP2_ERR_MISSING_PARAMETER */
      return;
    }
  credential = g_new0 (Credential, 1);
  RAND_bytes (credential->id, 32);
  SHA256 (cbor_string_handle (id), cbor_string_length (id), credential->rp_hash);
  credential->key = EVP_PKEY_Q_keygen (NULL, NULL, "EC", "P-256");
  RAND_bytes (credential->cred_random, 32);
  {
    cbor_item_t *wanted = map_get_text (map_get_uint (request, 6), "hmac-secret");

    credential->hmac_secret = wanted && cbor_is_bool (wanted) && cbor_get_bool (wanted);
  }
  g_ptr_array_add (self->credentials, credential);
  self->counter++;
  {
    cbor_item_t *extensions = NULL;

    if (credential->hmac_secret)
      {
        extensions = cbor_new_definite_map (1);
        map_add (extensions, cbor_build_string ("hmac-secret"), cbor_build_bool (TRUE));
      }
    data = auth_data (self, credential->rp_hash, option (map_get_uint (request, 7), "uv"), credential, extensions);
  }
  statement = cbor_new_definite_map (2);
  map_add (statement, cbor_build_string ("alg"), cbor_build_negint8 (6));
  map_add (statement, cbor_build_string ("sig"), sign (credential->key, data, cbor_bytestring_handle (cdh)));
  response = cbor_new_definite_map (3);
  map_add (response, cbor_build_uint8 (1), cbor_build_string ("packed"));
  map_add (response, cbor_build_uint8 (2), cbor_build_bytestring (data->data, data->len));
  map_add (response, cbor_build_uint8 (3), statement);
  reply_cbor (self, response);
}

/* PIN/UV protocol 1: the shared secret is SHA-256 of the ECDH x coordinate. */
static gboolean
shared_secret (PhSoftAuthenticator *self,
               cbor_item_t         *platform_cose,
               guint8               secret[32])
{
  cbor_item_t *x = NULL, *y = NULL;
  struct cbor_pair *pairs = platform_cose && cbor_isa_map (platform_cose) ? cbor_map_handle (platform_cose) : NULL;
  guint8 point[65] = { 0x04 };
  guint8 z[32];
  size_t z_length = sizeof z;
  OSSL_PARAM params[] = {
    OSSL_PARAM_utf8_string (OSSL_PKEY_PARAM_GROUP_NAME, (char *) "P-256", 0),
    OSSL_PARAM_octet_string (OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point),
    OSSL_PARAM_END
  };
  EVP_PKEY_CTX *ctx;
  EVP_PKEY *peer = NULL;
  gboolean ok;

  for (size_t i = 0; pairs && i < cbor_map_size (platform_cose); i++)
    if (cbor_isa_negint (pairs[i].key) && cbor_get_int (pairs[i].key) == 1)
      x = pairs[i].value;
    else if (cbor_isa_negint (pairs[i].key) && cbor_get_int (pairs[i].key) == 2)
      y = pairs[i].value;
  if (!x || !y || cbor_bytestring_length (x) != 32 || cbor_bytestring_length (y) != 32)
    return FALSE;
  memcpy (point + 1, cbor_bytestring_handle (x), 32);
  memcpy (point + 33, cbor_bytestring_handle (y), 32);
  ctx = EVP_PKEY_CTX_new_from_name (NULL, "EC", NULL);
  ok = EVP_PKEY_fromdata_init (ctx) > 0 && EVP_PKEY_fromdata (ctx, &peer, EVP_PKEY_PUBLIC_KEY, params) > 0;
  EVP_PKEY_CTX_free (ctx);
  if (!ok)
    return FALSE;
  ctx = EVP_PKEY_CTX_new (self->agreement_key, NULL);
  ok = EVP_PKEY_derive_init (ctx) > 0 && EVP_PKEY_derive_set_peer (ctx, peer) > 0 &&
       EVP_PKEY_derive (ctx, z, &z_length) > 0;
  EVP_PKEY_CTX_free (ctx);
  EVP_PKEY_free (peer);
  if (ok)
    SHA256 (z, z_length, secret);
  return ok;
}

static gboolean
aes_cbc (const guint8 key[32],
         gboolean      encrypt,
         const guint8 *in,
         gsize         length,
         guint8       *out)
{
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new ();
  static const guint8 iv[16] = { 0 };
  int n = 0, m = 0;
  gboolean ok = EVP_CipherInit_ex (ctx, EVP_aes_256_cbc (), NULL, key, iv, encrypt) &&
                EVP_CIPHER_CTX_set_padding (ctx, 0) && EVP_CipherUpdate (ctx, out, &n, in, (int) length) &&
                EVP_CipherFinal_ex (ctx, out + n, &m);

  EVP_CIPHER_CTX_free (ctx);
  return ok;
}

static void
client_pin (PhSoftAuthenticator *self,
            cbor_item_t         *request)
{
  cbor_item_t *sub = map_get_uint (request, 2);
  cbor_item_t *response;

  if (!sub || cbor_get_int (sub) != 2)   /* getKeyAgreement only: no PIN here */
    {
      reply_status (self, 0x01);
      return;
    }
  response = cbor_new_definite_map (1);
  map_add (response, cbor_build_uint8 (1), cose_key_alg (self->agreement_key, 24));   /* -25 */
  reply_cbor (self, response);
}

/* The hmac-secret extension: HMAC-SHA-256(credRandom, salt), the salt and the answer encrypted
 * with the shared secret, the salt authenticated. */
static cbor_item_t *
hmac_secret (PhSoftAuthenticator *self,
             Credential          *credential,
             cbor_item_t         *input)
{
  cbor_item_t *salt_enc = map_get_uint (input, 2), *salt_auth = map_get_uint (input, 3);
  guint8 secret[32], mac[32], salt[64], output[64], encrypted[64];
  unsigned int mac_length = sizeof mac;
  gsize n;

  if (!salt_enc || !salt_auth || !shared_secret (self, map_get_uint (input, 1), secret))
    return NULL;
  n = cbor_bytestring_length (salt_enc);
  if ((n != 32 && n != 64) || cbor_bytestring_length (salt_auth) < 16)
    return NULL;
  HMAC (EVP_sha256 (), secret, 32, cbor_bytestring_handle (salt_enc), n, mac, &mac_length);
  if (CRYPTO_memcmp (mac, cbor_bytestring_handle (salt_auth), 16) != 0 ||
      !aes_cbc (secret, FALSE, cbor_bytestring_handle (salt_enc), n, salt))
    return NULL;
  for (gsize i = 0; i < n; i += 32)
    {
      mac_length = 32;
      HMAC (EVP_sha256 (), credential->cred_random, 32, salt + i, 32, output + i, &mac_length);
    }
  if (!aes_cbc (secret, TRUE, output, n, encrypted))
    return NULL;
  return cbor_build_bytestring (encrypted, n);
}

static void
get_assertion (PhSoftAuthenticator *self,
               cbor_item_t         *request)
{
  cbor_item_t *rp_id = map_get_uint (request, 1), *cdh = map_get_uint (request, 2);
  cbor_item_t *allow = map_get_uint (request, 3);
  guint8 rp_hash[32];
  Credential *found = NULL;
  g_autoptr(GByteArray) data = NULL;
  cbor_item_t *response, *descriptor;

  if (!rp_id || !cbor_isa_string (rp_id) || !cdh || cbor_bytestring_length (cdh) != 32)
    {
      reply_status (self, 0x14);
      return;
    }
  SHA256 (cbor_string_handle (rp_id), cbor_string_length (rp_id), rp_hash);
  for (size_t i = 0; allow && cbor_isa_array (allow) && i < cbor_array_size (allow) && !found; i++)
    {
      cbor_item_t *entry = cbor_array_handle (allow)[i];
      cbor_item_t *id = map_get_text (entry, "id");

      for (guint c = 0; id && c < self->credentials->len && !found; c++)
        {
          Credential *credential = g_ptr_array_index (self->credentials, c);

          if (cbor_bytestring_length (id) == 32 && memcmp (cbor_bytestring_handle (id), credential->id, 32) == 0 &&
              memcmp (credential->rp_hash, rp_hash, 32) == 0)
            found = credential;
        }
    }
  if (found == NULL)
    {
      reply_status (self, 0x2e);   /* CTAP2_ERR_NO_CREDENTIALS */
      return;
    }
  self->counter++;
  {
    cbor_item_t *wanted = map_get_text (map_get_uint (request, 4), "hmac-secret");
    cbor_item_t *extensions = NULL;

    if (wanted && cbor_isa_map (wanted) && found->hmac_secret)
      {
        cbor_item_t *output = hmac_secret (self, found, wanted);

        if (output == NULL)
          {
            reply_status (self, 0x33);   /* CTAP2_ERR_PIN_AUTH_INVALID */
            return;
          }
        extensions = cbor_new_definite_map (1);
        map_add (extensions, cbor_build_string ("hmac-secret"), output);
      }
    data = auth_data (self, rp_hash, option (map_get_uint (request, 5), "uv"), NULL, extensions);
  }
  descriptor = cbor_new_definite_map (2);
  map_add (descriptor, cbor_build_string ("id"), cbor_build_bytestring (found->id, 32));
  map_add (descriptor, cbor_build_string ("type"), cbor_build_string ("public-key"));
  response = cbor_new_definite_map (3);
  map_add (response, cbor_build_uint8 (1), descriptor);
  map_add (response, cbor_build_uint8 (2), cbor_build_bytestring (data->data, data->len));
  map_add (response, cbor_build_uint8 (3), sign (found->key, data, cbor_bytestring_handle (cdh)));
  reply_cbor (self, response);
}

static void
handle_message (PhSoftAuthenticator *self,
                const guint8        *cid)
{
  const guint8 *data = self->request->data;
  gsize length = self->request->len;

  if (self->command == CMD_INIT && length == 8)
    {
      guint8 reply[17];

      memcpy (reply, data, 8);               /* the nonce */
      memcpy (reply + 8, self->cid, 4);      /* the channel */
      reply[12] = 2;                         /* CTAPHID protocol */
      reply[13] = 1;
      reply[14] = 0;
      reply[15] = 0;
      reply[16] = CAP_CBOR | CAP_NMSG;
      send_message (self, cid, CMD_INIT, reply, sizeof reply);
    }
  else if (self->command == CMD_CBOR && length >= 1)
    {
      struct cbor_load_result result;
      cbor_item_t *request = length > 1 ? cbor_load (data + 1, length - 1, &result) : NULL;

      if (data[0] == 0x04)
        get_info (self);
      else if (data[0] == 0x01 && request && cbor_isa_map (request))
        make_credential (self, request);
      else if (data[0] == 0x02 && request && cbor_isa_map (request))
        get_assertion (self, request);
      else if (data[0] == 0x06 && request && cbor_isa_map (request))
        client_pin (self, request);
      else
        reply_status (self, 0x01);   /* CTAP1_ERR_INVALID_COMMAND */
      if (request)
        cbor_decref (&request);
    }
  /* CANCEL needs no answer. */
}

/* I/O hooks */

static void *
io_open (const char *path)
{
  PhSoftAuthenticator *self = NULL;

  if (sscanf (path, "soft:%p", (void **) &self) != 1)
    return NULL;
  return self;
}

static void
io_close (void *handle)
{
}

static int
io_write (void         *handle,
          const guint8 *report,
          size_t        length)
{
  PhSoftAuthenticator *self = handle;
  const guint8 *frame = report + 1;   /* the report id */

  if (length != REPORT_LEN + 1)
    return -1;
  if (frame[4] & 0x80)
    {
      self->command = frame[4];
      self->expected = ((gsize) frame[5] << 8) | frame[6];
      g_byte_array_set_size (self->request, 0);
      g_byte_array_append (self->request, frame + 7, MIN (self->expected, REPORT_LEN - 7));
    }
  else
    g_byte_array_append (self->request, frame + 5, MIN (self->expected - self->request->len, REPORT_LEN - 5));
  if (self->request->len >= self->expected)
    handle_message (self, frame);
  return (int) length;
}

static int
io_read (void    *handle,
         guint8  *buffer,
         size_t   length,
         int      ms)
{
  PhSoftAuthenticator *self = handle;
  g_autofree guint8 *report = g_queue_pop_head (&self->replies);

  if (report == NULL || length < REPORT_LEN)
    return -1;
  memcpy (buffer, report, REPORT_LEN);
  return REPORT_LEN;
}

fido_dev_t *
ph_soft_authenticator_open (PhSoftAuthenticator *self)
{
  static const fido_dev_io_t io = { io_open, io_close, io_read, io_write };
  fido_dev_t *dev = fido_dev_new ();
  g_autofree char *path = g_strdup_printf ("soft:%p", (void *) self);

  if (fido_dev_set_io_functions (dev, &io) != FIDO_OK || fido_dev_open (dev, path) != FIDO_OK)
    {
      fido_dev_free (&dev);
      return NULL;
    }
  return dev;
}
