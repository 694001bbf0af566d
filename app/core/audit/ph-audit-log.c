/* ph-audit-log.c: the tamper-evident audit log: append-only JSON lines in a keyed hash chain.
 *
 * Each line is one JSON object whose first members are the record number and the vault's id and
 * whose last members are the MAC of the previous record of the same vault ("prev") and this
 * record's own MAC ("mac"): keyed BLAKE2b-256 over every byte of the line before `,"mac"`, with
 * a key derived from the vault key. So changing, inserting, deleting or reordering records
 * breaks the chain, and nobody without the vault key can mend it; the vault stores the last
 * (number, MAC) on every save, so cutting records off the end is caught too.
 *
 * Several vaults may share the log (one chain each). Appends are buffered and written by
 * ph_audit_log_flush() under an exclusive lock, with one fsync per batch.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-audit"

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ph-audit-log.h"

#define HEX_MAC      (2 * PH_AUDIT_MAC_BYTES)
#define VAULT_ID_HEX 32
/* `,"prev":"` + 64 hex + `","mac":"` + 64 hex + `"}` */
#define TAIL_LEN     (9 + HEX_MAC + 9 + HEX_MAC + 2)
#define MAC_TAIL_LEN (8 + HEX_MAC + 2)   /* `,"mac":"` + 64 hex + `"}` */

G_DEFINE_QUARK (ph-audit-error-quark, ph_audit_error)

struct _PhAuditLog
{
  GObject parent_instance;

  char *path;
  char vault_id[VAULT_ID_HEX + 1];
  PhSecret *key;
  gboolean journal;

  GString *pending;           /* record bodies without seq, vault, prev and mac; one per line */
  guint n_pending;

  gint64 stamp_second;        /* the second last formatted, and its text */
  char stamp[32];

  guint64 floor_seq;          /* the vault's saved head: the chain never restarts below it */
  guint8 floor_mac[PH_AUDIT_MAC_BYTES];

  gboolean have_head;
  guint64 head_seq;
  guint8 head_mac[PH_AUDIT_MAC_BYTES];
};

G_DEFINE_FINAL_TYPE (PhAuditLog, ph_audit_log, G_TYPE_OBJECT)

static void
ph_audit_log_finalize (GObject *object)
{
  PhAuditLog *self = PH_AUDIT_LOG (object);

  if (self->n_pending)
    g_warning ("%u audit records were not flushed", self->n_pending);
  g_free (self->path);
  g_clear_pointer (&self->key, ph_secret_unref);
  g_string_free (self->pending, TRUE);

  G_OBJECT_CLASS (ph_audit_log_parent_class)->finalize (object);
}

static void
ph_audit_log_class_init (PhAuditLogClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = ph_audit_log_finalize;
}

static void
ph_audit_log_init (PhAuditLog *self)
{
  self->pending = g_string_new (NULL);
  self->journal = TRUE;
}

/**
 * ph_audit_log_dup_default_path:
 *
 * Returns: `$XDG_STATE_HOME/perihelion/audit.log`, or `$PERIHELION_AUDIT_LOG` when set
 */
char *
ph_audit_log_dup_default_path (void)
{
  const char *override = g_getenv ("PERIHELION_AUDIT_LOG");

  if (override && *override)
    return g_strdup (override);
  return g_build_filename (g_get_user_state_dir (), "perihelion", "audit.log", NULL);
}

/**
 * ph_audit_log_new:
 * @vault_id: the vault's id (32 hex digits)
 * @key: the audit key, derived from the vault key (ph_vault_derive_key())
 */
PhAuditLog *
ph_audit_log_new (const char     *path,
                  const char     *vault_id,
                  const PhSecret *key)
{
  PhAuditLog *self;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (vault_id != NULL && strlen (vault_id) == VAULT_ID_HEX, NULL);
  g_return_val_if_fail (key != NULL && ph_secret_get_length (key) == 32, NULL);

  self = g_object_new (PH_TYPE_AUDIT_LOG, NULL);
  self->path = g_strdup (path);
  memcpy (self->vault_id, vault_id, VAULT_ID_HEX + 1);
  self->key = ph_secret_ref ((PhSecret *) key);
  return self;
}

/**
 * ph_audit_log_set_floor:
 *
 * The last record the vault knows of (its saved head): new records are numbered after it even
 * if the file was cut short, so the cut stays detectable.
 */
void
ph_audit_log_set_floor (PhAuditLog   *self,
                        guint64       seq,
                        const guint8  mac[PH_AUDIT_MAC_BYTES])
{
  self->floor_seq = seq;
  memcpy (self->floor_mac, mac, PH_AUDIT_MAC_BYTES);
}

const char *
ph_audit_log_get_path (PhAuditLog *self)
{
  return self->path;
}

void
ph_audit_log_set_journal (PhAuditLog *self,
                          gboolean    enabled)
{
  self->journal = enabled;
}

/* JSON string content: quotes, backslashes and control characters escaped; invalid UTF-8
 * replaced, so every line is valid JSON whatever a title holds. */
static void
append_json_string (GString    *out,
                    const char *text)
{
  g_autofree char *valid = NULL;
  const char *run;

  if (text == NULL)
    text = "";
  if (!g_utf8_validate (text, -1, NULL))
    text = valid = g_utf8_make_valid (text, -1);
  g_string_append_c (out, '"');
  run = text;
  for (const char *c = text;; c++)
    {
      guchar ch = *c;

      if (ch >= 0x20 && ch != '"' && ch != '\\')
        continue;
      g_string_append_len (out, run, c - run);
      if (ch == '\0')
        break;
      switch (ch)
        {
        case '"': g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default: g_string_append_printf (out, "\\u%04x", ch); break;
        }
      run = c + 1;
    }
  g_string_append_c (out, '"');
}

/* MACs are public values: plain table hex, faster than libsodium's constant-time coder. */
static void
hex_encode (const guint8 *bin,
            char          out[HEX_MAC])
{
  static const char digits[] = "0123456789abcdef";

  for (guint i = 0; i < PH_AUDIT_MAC_BYTES; i++)
    {
      out[2 * i] = digits[bin[i] >> 4];
      out[2 * i + 1] = digits[bin[i] & 15];
    }
}

static gboolean
hex_decode (const char *hex,
            guint8      out[PH_AUDIT_MAC_BYTES])
{
  static gint8 values[256];
  guint bad = 0;

  if (values['1'] == 0)
    {
      for (guint c = 0; c < 256; c++)
        values[c] = g_ascii_isxdigit (c) ? g_ascii_xdigit_value (c) : -1;
    }
  for (guint i = 0; i < PH_AUDIT_MAC_BYTES; i++)
    {
      gint8 hi = values[(guchar) hex[2 * i]], lo = values[(guchar) hex[2 * i + 1]];

      bad |= (hi | lo) < 0;
      out[i] = (guint8) (hi << 4 | lo);
    }
  return !bad;
}

static void
send_to_journal (const PhAuditRecord *record,
                 const char          *vault_id)
{
  g_autofree char *message = g_strdup_printf ("%s %s %s: %s", record->subject, record->action,
                                              record->object_title && *record->object_title
                                                ? record->object_title : record->object_id,
                                              record->decision);
  const GLogField fields[] = {
    { "MESSAGE", message, -1 },
    { "PRIORITY", strcmp (record->decision, "allow") == 0 ? "6" : "5", -1 },
    { "SYSLOG_IDENTIFIER", "perihelion", -1 },
    { "PERIHELION_VAULT", vault_id, -1 },
    { "PERIHELION_SUBJECT", record->subject, -1 },
    { "PERIHELION_ACTION", record->action, -1 },
    { "PERIHELION_OBJECT_ID", record->object_id ? record->object_id : "", -1 },
    { "PERIHELION_DECISION", record->decision, -1 },
    { "PERIHELION_REASON", record->reason ? record->reason : "", -1 },
  };

  /* Does nothing where there is no journal. */
  g_log_writer_journald (G_LOG_LEVEL_INFO, fields, G_N_ELEMENTS (fields), NULL);
}

/**
 * ph_audit_log_append:
 *
 * Queues one record; ph_audit_log_flush() numbers, chains and writes the queue.
 */
void
ph_audit_log_append (PhAuditLog          *self,
                     const PhAuditRecord *record)
{
  GString *out = self->pending;
  gint64 time = record->time ? record->time : g_get_real_time ();
  gint64 second = time / G_USEC_PER_SEC;

  g_return_if_fail (PH_IS_AUDIT_LOG (self));
  g_return_if_fail (record->subject && record->action && record->decision);

  if (second != self->stamp_second || self->stamp[0] == '\0')
    {
      g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (second);
      g_autofree char *text = dt ? g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S") : g_strdup ("1970-01-01T00:00:00");

      g_strlcpy (self->stamp, text, sizeof self->stamp);
      self->stamp_second = second;
    }
  g_string_append (out, ",\"time\":\"");
  g_string_append (out, self->stamp);
  g_string_append_printf (out, ".%06dZ\"", (int) (time % G_USEC_PER_SEC));
  g_string_append (out, ",\"subject\":");
  append_json_string (out, record->subject);
  g_string_append (out, ",\"subject_detail\":");
  append_json_string (out, record->subject_detail);
  g_string_append (out, ",\"action\":");
  append_json_string (out, record->action);
  g_string_append (out, ",\"object\":{\"id\":");
  append_json_string (out, record->object_id);
  g_string_append (out, ",\"title\":");
  append_json_string (out, record->object_title);
  g_string_append (out, "},\"decision\":");
  append_json_string (out, record->decision);
  g_string_append (out, ",\"reason\":");
  append_json_string (out, record->reason);
  g_string_append (out, ",\"obligations\":[");
  for (guint i = 0; record->obligations && record->obligations[i]; i++)
    {
      if (i)
        g_string_append_c (out, ',');
      append_json_string (out, record->obligations[i]);
    }
  g_string_append (out, "]\n");
  self->n_pending++;

  if (self->journal)
    send_to_journal (record, self->vault_id);
}

/* Keyed BLAKE2b-256. The keyed state is made once and copied per record: the key block is
 * compressed once, not once per record. */
typedef struct
{
  crypto_generichash_state keyed;
} MacContext;

static void
mac_init (MacContext     *ctx,
          const PhSecret *key)
{
  crypto_generichash_init (&ctx->keyed, ph_secret_get_data (key), ph_secret_get_length (key),
                           PH_AUDIT_MAC_BYTES);
}

static void
mac_of (const MacContext *ctx,
        const char       *data,
        gsize             len,
        guint8            out[PH_AUDIT_MAC_BYTES])
{
  crypto_generichash_state state = ctx->keyed;

  crypto_generichash_update (&state, (const guint8 *) data, len);
  crypto_generichash_final (&state, out, PH_AUDIT_MAC_BYTES);
  sodium_memzero (&state, sizeof state);
}

/* Reads `{"seq":N,"vault":"<id>"` at the start of a line. */
static gboolean
parse_prefix (const char *line,
              gsize       len,
              guint64    *seq,
              const char **vault)
{
  const char *p = line, *end = line + len;
  guint64 n = 0;

  if (len < 8 || memcmp (p, "{\"seq\":", 7) != 0)
    return FALSE;
  p += 7;
  if (p >= end || !g_ascii_isdigit (*p))
    return FALSE;
  while (p < end && g_ascii_isdigit (*p))
    {
      if (n > G_MAXUINT64 / 10 - 10)
        return FALSE;
      n = n * 10 + (*p++ - '0');
    }
  if ((gsize) (end - p) < 10 + VAULT_ID_HEX + 1 || memcmp (p, ",\"vault\":\"", 10) != 0 ||
      p[10 + VAULT_ID_HEX] != '"')
    return FALSE;
  *seq = n;
  *vault = p + 10;
  return TRUE;
}

/* Checks the tail layout; points at the hex of prev and mac. */
static gboolean
parse_tail (const char  *line,
            gsize        len,
            const char **prev_hex,
            const char **mac_hex)
{
  const char *tail;

  if (len < TAIL_LEN + 20)
    return FALSE;
  tail = line + len - TAIL_LEN;
  if (memcmp (tail, ",\"prev\":\"", 9) != 0 || memcmp (tail + 9 + HEX_MAC, "\",\"mac\":\"", 9) != 0 ||
      memcmp (line + len - 2, "\"}", 2) != 0)
    return FALSE;
  *prev_hex = tail + 9;
  *mac_hex = line + len - 2 - HEX_MAC;
  return TRUE;
}

static gboolean
hex_to_mac (const char *hex,
            guint8      out[PH_AUDIT_MAC_BYTES])
{
  return hex_decode (hex, out);
}

/* The last record of our vault: scanning back from the end of the file, a block at a time. */
static gboolean
find_chain_end (PhAuditLog *self,
                int         fd,
                guint64    *seq,
                guint8      mac[PH_AUDIT_MAC_BYTES],
                gboolean   *ends_with_newline,
                GError    **error)
{
  goffset size = lseek (fd, 0, SEEK_END);
  goffset end = size;
  g_autoptr(GString) carry = g_string_new (NULL);   /* a line cut at a block boundary */
  gsize block_size = 64 * 1024;
  g_autofree char *block = g_malloc (block_size);

  *seq = 0;
  memset (mac, 0, PH_AUDIT_MAC_BYTES);
  *ends_with_newline = TRUE;
  if (size <= 0)
    return TRUE;

  {
    char last;

    if (pread (fd, &last, 1, size - 1) != 1)
      goto io_error;
    *ends_with_newline = last == '\n';
  }

  while (end > 0)
    {
      goffset start = MAX (0, end - (goffset) block_size);
      gsize n = end - start;
      g_autoptr(GString) text = NULL;
      ssize_t got = pread (fd, block, n, start);
      char *line_end;

      if (got != (ssize_t) n)
        goto io_error;
      text = g_string_new_len (block, n);
      g_string_append_len (text, carry->str, carry->len);
      line_end = text->str + text->len;
      for (char *p = line_end; p >= text->str; p--)
        {
          if (p == text->str && start > 0)
            break;   /* may be the middle of a line: carry it into the next block */
          if (p == text->str || p[-1] == '\n')
            {
              gsize len = line_end - p;
              const char *vault, *prev_hex, *mac_hex;
              guint64 n_seq;

              while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
                len--;
              if (len && parse_prefix (p, len, &n_seq, &vault) &&
                  memcmp (vault, self->vault_id, VAULT_ID_HEX) == 0 &&
                  parse_tail (p, len, &prev_hex, &mac_hex) && hex_to_mac (mac_hex, mac))
                {
                  *seq = n_seq;
                  return TRUE;
                }
              line_end = p;
            }
        }
      g_string_assign (carry, "");
      g_string_append_len (carry, text->str, line_end - text->str);
      end = start;
      if (carry->len > 16 * 1024 * 1024)
        break;   /* no line is this long: the file is not an audit log */
    }
  return TRUE;

io_error:
  g_set_error (error, PH_AUDIT_ERROR, PH_AUDIT_ERROR_IO, _("Could not read the audit log %s: %s"),
               self->path, g_strerror (errno));
  return FALSE;
}

static gboolean
write_all (int         fd,
           const char *data,
           gsize       len)
{
  while (len > 0)
    {
      ssize_t n = write (fd, data, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      data += n;
      len -= n;
    }
  return TRUE;
}

/**
 * ph_audit_log_flush:
 *
 * Numbers the queued records after the last record of this vault in the file, chains and MACs
 * them, and appends them with one write and one fsync, under an exclusive lock so concurrent
 * writers keep one chain.
 */
gboolean
ph_audit_log_flush (PhAuditLog *self,
                    GError    **error)
{
  g_autofree char *dir = NULL;
  g_autoptr(GString) out = NULL;
  guint8 mac[PH_AUDIT_MAC_BYTES];
  guint64 seq;
  gboolean ends_with_newline;
  MacContext mac_ctx;
  int fd;
  gboolean ok = FALSE;

  g_return_val_if_fail (PH_IS_AUDIT_LOG (self), FALSE);

  if (self->n_pending == 0)
    return TRUE;

  dir = g_path_get_dirname (self->path);
  if (g_mkdir_with_parents (dir, 0700) != 0 ||
      (fd = g_open (self->path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0)
    {
      g_set_error (error, PH_AUDIT_ERROR, PH_AUDIT_ERROR_IO, _("Could not open the audit log %s: %s"),
                   self->path, g_strerror (errno));
      return FALSE;
    }
  if (flock (fd, LOCK_EX) != 0)
    {
      g_set_error (error, PH_AUDIT_ERROR, PH_AUDIT_ERROR_IO, _("Could not lock the audit log %s: %s"),
                   self->path, g_strerror (errno));
      close (fd);
      return FALSE;
    }
  if (!find_chain_end (self, fd, &seq, mac, &ends_with_newline, error))
    goto out;
  /* Records the vault saw are missing from the file: continue after them anyway, so the gap
   * stays visible to verify instead of a fresh chain covering it up. */
  if (seq < self->floor_seq)
    {
      seq = self->floor_seq;
      memcpy (mac, self->floor_mac, PH_AUDIT_MAC_BYTES);
    }

  mac_init (&mac_ctx, self->key);
  out = g_string_sized_new (self->pending->len + self->n_pending * (TAIL_LEN + 64) + 1);
  /* A line cut short by a crash stays as it is (verify reports it); ours start on a new line. */
  if (!ends_with_newline)
    g_string_append_c (out, '\n');
  for (const char *body = self->pending->str; *body;)
    {
      const char *nl = strchr (body, '\n');
      char hex[HEX_MAC + 1];
      gsize line_start = out->len;

      g_string_append_printf (out, "{\"seq\":%" G_GUINT64_FORMAT ",\"vault\":\"%s\"", ++seq, self->vault_id);
      g_string_append_len (out, body, nl - body);
      hex_encode (mac, hex);
      g_string_append (out, ",\"prev\":\"");
      g_string_append_len (out, hex, HEX_MAC);
      g_string_append_c (out, '"');
      mac_of (&mac_ctx, out->str + line_start, out->len - line_start, mac);
      hex_encode (mac, hex);
      g_string_append (out, ",\"mac\":\"");
      g_string_append_len (out, hex, HEX_MAC);
      g_string_append (out, "\"}\n");
      body = nl + 1;
    }

  if (!write_all (fd, out->str, out->len) || fsync (fd) != 0)
    {
      g_set_error (error, PH_AUDIT_ERROR, PH_AUDIT_ERROR_IO, _("Could not write the audit log %s: %s"),
                   self->path, g_strerror (errno));
      goto out;
    }
  g_string_truncate (self->pending, 0);
  self->n_pending = 0;
  self->have_head = TRUE;
  self->head_seq = seq;
  memcpy (self->head_mac, mac, PH_AUDIT_MAC_BYTES);
  ok = TRUE;

out:
  flock (fd, LOCK_UN);
  close (fd);
  return ok;
}

/**
 * ph_audit_log_get_head:
 *
 * The number and MAC of the last record this object wrote, for the vault to keep.
 */
gboolean
ph_audit_log_get_head (PhAuditLog *self,
                       guint64    *seq,
                       guint8      mac[PH_AUDIT_MAC_BYTES])
{
  if (!self->have_head)
    return FALSE;
  *seq = self->head_seq;
  memcpy (mac, self->head_mac, PH_AUDIT_MAC_BYTES);
  return TRUE;
}

void
ph_audit_verify_result_clear (PhAuditVerifyResult *result)
{
  g_clear_pointer (&result->message, g_free);
}

static gboolean
verdict (PhAuditVerifyResult *result,
         PhAuditProblem       problem,
         guint64              line,
         guint64              seq,
         char                *message)
{
  result->problem = problem;
  result->line = line;
  result->seq = seq;
  result->message = message;
  return TRUE;
}

/* Is there a record of our vault numbered @want at or after @from? (Tells a moved record from a
 * deleted one.) */
static gboolean
seq_appears_later (const char *from,
                   const char *end,
                   const char *vault_id,
                   guint64     want)
{
  for (const char *p = from; p < end;)
    {
      const char *nl = memchr (p, '\n', end - p);
      gsize len = (nl ? nl : end) - p;
      const char *vault;
      guint64 seq;

      if (parse_prefix (p, len, &seq, &vault) && memcmp (vault, vault_id, VAULT_ID_HEX) == 0 && seq == want)
        return TRUE;
      p = nl ? nl + 1 : end;
    }
  return FALSE;
}

/* MACs are independent of each other, so they are checked in parallel chunks; the ordered checks
 * (numbers, links, the head) then run once over the file without hashing. */
typedef struct
{
  const MacContext *mac_ctx;
  const char *vault_id;
  const char *start;
  const char *end;
  const char *first_bad;   /* the first record line in the chunk whose MAC fails, or NULL */
} MacChunk;

static gpointer
check_macs (gpointer data)
{
  MacChunk *chunk = data;

  for (const char *p = chunk->start; p < chunk->end;)
    {
      const char *nl = memchr (p, '\n', chunk->end - p);
      gsize len = (nl ? nl : chunk->end) - p;
      const char *vault, *prev_hex, *mac_hex;
      guint8 mac[PH_AUDIT_MAC_BYTES], stored[PH_AUDIT_MAC_BYTES];
      guint64 seq;

      if (len && parse_prefix (p, len, &seq, &vault) && memcmp (vault, chunk->vault_id, VAULT_ID_HEX) == 0 &&
          parse_tail (p, len, &prev_hex, &mac_hex) && hex_decode (mac_hex, stored))
        {
          mac_of (chunk->mac_ctx, p, len - MAC_TAIL_LEN, mac);
          if (sodium_memcmp (mac, stored, PH_AUDIT_MAC_BYTES) != 0)
            {
              chunk->first_bad = p;
              return NULL;
            }
        }
      p = nl ? nl + 1 : chunk->end;
    }
  return NULL;
}

static gboolean verify_chain (const char          *path,
                              const char          *vault_id,
                              const MacContext    *mac_ctx,
                              guint64              head_seq,
                              const guint8        *head_mac,
                              PhAuditVerifyResult *result,
                              GError             **error);

/**
 * ph_audit_log_verify:
 * @head_seq: the last record number the vault stored (0 if none)
 * @head_mac: (nullable): its MAC
 *
 * Checks this vault's chain in the log and reports the first problem: a malformed line, a
 * modified or forged record, deleted, moved or duplicated records, a log cut short.
 *
 * Returns: %FALSE only if the log cannot be read
 */
gboolean
ph_audit_log_verify (const char          *path,
                     const char          *vault_id,
                     const PhSecret      *key,
                     guint64              head_seq,
                     const guint8        *head_mac,
                     PhAuditVerifyResult *result,
                     GError             **error)
{
  MacContext mac_ctx;
  gboolean ok;

  memset (result, 0, sizeof *result);
  mac_init (&mac_ctx, key);
  ok = verify_chain (path, vault_id, &mac_ctx, head_seq, head_mac, result, error);
  sodium_memzero (&mac_ctx, sizeof mac_ctx);
  return ok;
}

static gboolean
verify_chain (const char          *path,
              const char          *vault_id,
              const MacContext    *mac_ctx,
              guint64              head_seq,
              const guint8        *head_mac,
              PhAuditVerifyResult *result,
              GError             **error)
{
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *data = "", *end, *p;
  guint8 prev[PH_AUDIT_MAC_BYTES] = { 0 };
  guint64 expected = 1, line_no = 0;
  gboolean head_seen = FALSE;
  const char *bad_mac = NULL;   /* the first record whose MAC fails */
  gsize size = 0;

  mapped = g_mapped_file_new (path, FALSE, &local_error);
  if (mapped)
    {
      size = g_mapped_file_get_length (mapped);
      if (size)
        data = g_mapped_file_get_contents (mapped);
    }
  else if (!g_error_matches (local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
    {
      g_set_error (error, PH_AUDIT_ERROR, PH_AUDIT_ERROR_IO, "%s", local_error->message);
      return FALSE;
    }
  end = data + size;

  {
    guint n_chunks = CLAMP (g_get_num_processors (), 1, 8);
    MacChunk chunks[8];
    GThread *threads[8] = { NULL };
    const char *chunk_start = data;

    if (size < 1024 * 1024)
      n_chunks = 1;
    for (guint i = 0; i < n_chunks; i++)
      {
        const char *chunk_end = i + 1 == n_chunks ? end : data + size / n_chunks * (i + 1);

        if (chunk_end < chunk_start)
          chunk_end = chunk_start;
        if (chunk_end < end)
          {
            const char *nl = memchr (chunk_end, '\n', end - chunk_end);

            chunk_end = nl ? nl + 1 : end;
          }
        chunks[i] = (MacChunk) { mac_ctx, vault_id, chunk_start, chunk_end, NULL };
        chunk_start = chunk_end;
      }
    for (guint i = 1; i < n_chunks; i++)
      threads[i] = g_thread_new ("ph-audit-verify", check_macs, &chunks[i]);
    check_macs (&chunks[0]);
    for (guint i = 1; i < n_chunks; i++)
      g_thread_join (threads[i]);
    for (guint i = 0; i < n_chunks && bad_mac == NULL; i++)
      bad_mac = chunks[i].first_bad;
  }

  for (p = data; p < end;)
    {
      const char *nl = memchr (p, '\n', end - p);
      const char *line = p;
      gsize len = (nl ? nl : end) - p;
      const char *vault, *prev_hex, *mac_hex;
      guint8 stored_mac[PH_AUDIT_MAC_BYTES], stored_prev[PH_AUDIT_MAC_BYTES];
      guint64 seq;

      p = nl ? nl + 1 : end;
      line_no++;
      if (len == 0)
        continue;
      if (!parse_prefix (line, len, &seq, &vault))
        return verdict (result, PH_AUDIT_MALFORMED, line_no, 0,
                        g_strdup_printf (_("Line %" G_GUINT64_FORMAT " is not an audit record"), line_no));
      if (memcmp (vault, vault_id, VAULT_ID_HEX) != 0)
        continue;   /* another vault's chain */
      if (!parse_tail (line, len, &prev_hex, &mac_hex) || !hex_decode (prev_hex, stored_prev) ||
          !hex_decode (mac_hex, stored_mac))
        return verdict (result, PH_AUDIT_MALFORMED, line_no, seq,
                        g_strdup_printf (_("Line %" G_GUINT64_FORMAT " (record %" G_GUINT64_FORMAT ") is incomplete or malformed"),
                                         line_no, seq));

      if (line == bad_mac)
        return verdict (result, PH_AUDIT_MODIFIED, line_no, seq,
                        g_strdup_printf (_("Record %" G_GUINT64_FORMAT " (line %" G_GUINT64_FORMAT ") was modified or forged: its MAC does not verify"),
                                         seq, line_no));
      if (seq > expected)
        {
          if (seq_appears_later (p, end, vault_id, expected))
            return verdict (result, PH_AUDIT_REORDERED, line_no, seq,
                            g_strdup_printf (_("Record %" G_GUINT64_FORMAT " (line %" G_GUINT64_FORMAT ") is out of order: record %" G_GUINT64_FORMAT " comes later"),
                                             seq, line_no, expected));
          return verdict (result, PH_AUDIT_DELETED, line_no, seq,
                          seq == expected + 1
                            ? g_strdup_printf (_("Record %" G_GUINT64_FORMAT " was deleted (before line %" G_GUINT64_FORMAT ")"),
                                               expected, line_no)
                            : g_strdup_printf (_("Records %" G_GUINT64_FORMAT " to %" G_GUINT64_FORMAT " were deleted (before line %" G_GUINT64_FORMAT ")"),
                                               expected, seq - 1, line_no));
        }
      if (seq < expected)
        return verdict (result, PH_AUDIT_REORDERED, line_no, seq,
                        g_strdup_printf (_("Record %" G_GUINT64_FORMAT " (line %" G_GUINT64_FORMAT ") appears again or out of order"),
                                         seq, line_no));
      if (memcmp (prev, stored_prev, PH_AUDIT_MAC_BYTES) != 0)
        return verdict (result, PH_AUDIT_REORDERED, line_no, seq,
                        g_strdup_printf (_("Record %" G_GUINT64_FORMAT " (line %" G_GUINT64_FORMAT ") does not follow the record before it"),
                                         seq, line_no));
      if (seq == head_seq && head_mac)
        {
          if (sodium_memcmp (stored_mac, head_mac, PH_AUDIT_MAC_BYTES) != 0)
            return verdict (result, PH_AUDIT_MODIFIED, line_no, seq,
                            g_strdup_printf (_("Record %" G_GUINT64_FORMAT " (line %" G_GUINT64_FORMAT ") is not the record the vault saw last: the log was rewritten"),
                                             seq, line_no));
          head_seen = TRUE;
        }
      memcpy (prev, stored_mac, PH_AUDIT_MAC_BYTES);
      expected++;
      result->n_records++;
    }

  if (head_seq > 0 && !head_seen)
    return verdict (result, PH_AUDIT_TRUNCATED, line_no, expected,
                    result->n_records == 0
                      ? g_strdup_printf (_("The log holds none of this vault's records, but the vault saw %" G_GUINT64_FORMAT ": it was emptied or replaced"),
                                         head_seq)
                      : g_strdup_printf (_("The log ends at record %" G_GUINT64_FORMAT ", but the vault saw record %" G_GUINT64_FORMAT ": it was cut short"),
                                         expected - 1, head_seq));

  result->problem = PH_AUDIT_INTACT;
  result->message = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%" G_GUINT64_FORMAT " record verified",
                                                  "%" G_GUINT64_FORMAT " records verified", result->n_records),
                                     result->n_records);
  return TRUE;
}
