/* ph-risk.c: a risk score for each request, from documented signals.
 *
 * The monitor remembers when each subject made requests (seeded from the tail of the audit
 * log, so a fresh process knows the history) and when unlocks failed. The score is the sum of
 * the weights in ph-risk.h; docs/policy.md describes the signals for policy authors.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-policy"

#include "config.h"

#include <string.h>

#include "ph-risk.h"

#define MINUTE (60 * G_USEC_PER_SEC)
#define BURST_MIN_REQUESTS 30
#define BURST_FACTOR 5
#define HOUR_MIN_HISTORY 100

typedef struct
{
  GArray *times;   /* gint64 µs, ascending */
} History;

struct _PhRiskMonitor
{
  GHashTable *subjects;      /* id -> History */
  guint hours[24];           /* requests per local hour of day, all subjects */
  guint total;
  GArray *failed_unlocks;    /* gint64 µs */
};

static void
history_free (gpointer data)
{
  History *h = data;

  g_array_unref (h->times);
  g_free (h);
}

PhRiskMonitor *
ph_risk_monitor_new (void)
{
  PhRiskMonitor *monitor = g_new0 (PhRiskMonitor, 1);

  monitor->subjects = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, history_free);
  monitor->failed_unlocks = g_array_new (FALSE, FALSE, sizeof (gint64));
  return monitor;
}

void
ph_risk_monitor_free (PhRiskMonitor *monitor)
{
  if (monitor == NULL)
    return;
  g_hash_table_unref (monitor->subjects);
  g_array_unref (monitor->failed_unlocks);
  g_free (monitor);
}

static int
local_hour (gint64 time)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_local (time / G_USEC_PER_SEC);

  return dt ? g_date_time_get_hour (dt) : 12;
}

void
ph_risk_monitor_observe (PhRiskMonitor *monitor,
                         const char    *subject_id,
                         gint64         time)
{
  History *h = g_hash_table_lookup (monitor->subjects, subject_id);

  if (h == NULL)
    {
      h = g_new0 (History, 1);
      h->times = g_array_new (FALSE, FALSE, sizeof (gint64));
      g_hash_table_insert (monitor->subjects, g_strdup (subject_id), h);
    }
  g_array_append_val (h->times, time);
  monitor->hours[local_hour (time)]++;
  monitor->total++;
}

void
ph_risk_monitor_note_failed_unlock (PhRiskMonitor *monitor,
                                    gint64         time)
{
  g_array_append_val (monitor->failed_unlocks, time);
}

/* Reads "time" and "subject" of this vault's last records, without a full JSON parse. */
void
ph_risk_monitor_load_audit_history (PhRiskMonitor *monitor,
                                    const char    *audit_path,
                                    const char    *vault_id,
                                    guint          max_records)
{
  g_autoptr(GMappedFile) mapped = g_mapped_file_new (audit_path, FALSE, NULL);
  g_autofree char *vault_key = g_strdup_printf ("\"vault\":\"%s\"", vault_id);
  g_autoptr(GPtrArray) lines = g_ptr_array_new ();
  const char *data, *end;
  gsize size;

  if (mapped == NULL || (size = g_mapped_file_get_length (mapped)) == 0)
    return;
  data = g_mapped_file_get_contents (mapped);
  end = data + size;

  /* Walk back to the last max_records lines of this vault. */
  for (const char *p = end; p > data && lines->len < max_records;)
    {
      const char *line_end = p;
      const char *start = p;

      while (start > data && start[-1] != '\n')
        start--;
      if (line_end - start > 80 && g_strstr_len (start, MIN (line_end - start, 120), vault_key))
        g_ptr_array_add (lines, (gpointer) start);
      p = start > data ? start - 1 : data;
    }

  for (guint i = lines->len; i-- > 0;)
    {
      const char *line = g_ptr_array_index (lines, i);
      const char *nl = memchr (line, '\n', end - line);
      gsize len = (nl ? nl : end) - line;
      const char *t = g_strstr_len (line, len, "\"time\":\"");
      const char *s = g_strstr_len (line, len, "\"subject\":\"");
      g_autofree char *stamp = NULL;
      g_autofree char *subject = NULL;
      g_autoptr(GDateTime) dt = NULL;
      const char *q;

      if (t == NULL || s == NULL)
        continue;
      t += 8;
      s += 11;
      if (!(q = memchr (t, '"', line + len - t)))
        continue;
      stamp = g_strndup (t, q - t);
      if (!(q = memchr (s, '"', line + len - s)))
        continue;
      subject = g_strndup (s, q - s);
      if ((dt = g_date_time_new_from_iso8601 (stamp, NULL)))
        ph_risk_monitor_observe (monitor, subject, g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt));
    }
}

/**
 * ph_risk_monitor_score:
 *
 * The risk of a request by @subject_id now, 0 to 100, and which signals raised it. Call it
 * before ph_risk_monitor_observe() for the same request.
 */
int
ph_risk_monitor_score (PhRiskMonitor *monitor,
                       const char    *subject_id,
                       gint64         now,
                       gboolean       present,
                       PhRiskSignals *signals)
{
  PhRiskSignals local = { 0 };
  History *h = g_hash_table_lookup (monitor->subjects, subject_id);
  int score = 0;

  if (signals == NULL)
    signals = &local;
  memset (signals, 0, sizeof *signals);

  if (h == NULL || h->times->len == 0)
    {
      signals->new_caller = TRUE;
      score += PH_RISK_NEW_CALLER;
    }
  else
    {
      /* Requests in the last minute against the subject's usual rate per minute. */
      guint recent = 0, n = h->times->len;
      gint64 first = g_array_index (h->times, gint64, 0);
      double minutes = MAX (1.0, (double) (now - first) / MINUTE);
      double usual;

      for (guint i = n; i-- > 0 && g_array_index (h->times, gint64, i) > now - MINUTE;)
        recent++;
      usual = (n - recent) / minutes;
      if (recent >= BURST_MIN_REQUESTS && recent > BURST_FACTOR * usual)
        {
          signals->burst = TRUE;
          score += PH_RISK_BURST;
        }
    }

  if (monitor->total >= HOUR_MIN_HISTORY && monitor->hours[local_hour (now)] * 50 < monitor->total)
    {
      signals->unusual_hour = TRUE;
      score += PH_RISK_UNUSUAL_HOUR;
    }

  for (guint i = 0; i < monitor->failed_unlocks->len; i++)
    if (g_array_index (monitor->failed_unlocks, gint64, i) > now - 15 * MINUTE)
      signals->failed_unlocks++;
  if (signals->failed_unlocks >= 3)
    score += PH_RISK_FAILED_UNLOCKS;
  else if (signals->failed_unlocks > 0)
    score += PH_RISK_FAILED_UNLOCK;

  if (!present)
    {
      signals->nobody_present = TRUE;
      score += PH_RISK_NOBODY_PRESENT;
    }
  return MIN (score, 100);
}

char *
ph_risk_signals_describe (const PhRiskSignals *signals)
{
  GString *s = g_string_new (NULL);

  if (signals->new_caller)
    g_string_append (s, "new-caller ");
  if (signals->burst)
    g_string_append (s, "burst ");
  if (signals->unusual_hour)
    g_string_append (s, "unusual-hour ");
  if (signals->failed_unlocks)
    g_string_append_printf (s, "failed-unlocks=%u ", signals->failed_unlocks);
  if (signals->nobody_present)
    g_string_append (s, "nobody-present ");
  if (s->len)
    g_string_truncate (s, s->len - 1);
  return g_string_free (s, FALSE);
}
