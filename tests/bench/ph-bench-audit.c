/* ph-bench-audit.c: audit log throughput: appends per second (batched, one fsync per batch)
 * and verification per second. Targets: >= 200,000 appends/s, >= 1,000,000 records verified/s.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <sodium.h>
#include <stdio.h>
#include <glib/gstdio.h>

#include "ph-audit-log.h"

#define VAULT_ID "00112233445566778899aabbccddeeff"

int
main (int    argc,
      char **argv)
{
  g_autofree char *dir = g_dir_make_tmp ("ph-bench-audit-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "audit.log", NULL);
  g_autoptr(PhSecret) key = NULL;
  g_autoptr(PhAuditLog) log = NULL;
  const guint total = 1000000, batch = 1000;
  const char *obligations[] = { "reauth", NULL };
  PhAuditVerifyResult result;
  gint64 t0, t1;
  guint8 mac[32];
  guint64 seq;
  GStatBuf st;

  if (sodium_init () < 0)
    return 1;
  key = ph_secret_new_random (32);
  log = ph_audit_log_new (path, VAULT_ID, key);
  ph_audit_log_set_journal (log, FALSE);

  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < total; i++)
    {
      char id[40];
      PhAuditRecord record = {
        .subject = "agent:claude-code",
        .subject_detail = "/usr/bin/node pid 4242 sha256 9f2c…",
        .action = "reveal",
        .object_id = id,
        .object_title = "GitHub token (work)",
        .decision = "allow",
        .reason = "p, owner, *, *, true, allow, reauth=15m",
        .obligations = obligations,
      };

      g_snprintf (id, sizeof id, "8b1f0c3e-4d2a-4f6b-9c1d-%012u", i);
      ph_audit_log_append (log, &record);
      if ((i + 1) % batch == 0 && !ph_audit_log_flush (log, NULL))
        return 1;
    }
  t1 = g_get_monotonic_time ();
  g_stat (path, &st);
  printf ("append: %u records in batches of %u: %.0f records/s (%.1f µs each, %.0f bytes/record)\n", total, batch,
          total / ((t1 - t0) / 1e6), (double) (t1 - t0) / total, (double) st.st_size / total);

  ph_audit_log_get_head (log, &seq, mac);
  t0 = g_get_monotonic_time ();
  if (!ph_audit_log_verify (path, VAULT_ID, key, seq, mac, &result, NULL) || result.problem != PH_AUDIT_INTACT)
    return 1;
  t1 = g_get_monotonic_time ();
  printf ("verify: %" G_GUINT64_FORMAT " records: %.0f records/s\n", result.n_records,
          result.n_records / ((t1 - t0) / 1e6));
  ph_audit_verify_result_clear (&result);

  g_unlink (path);
  g_rmdir (dir);
  return 0;
}
