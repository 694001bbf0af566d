/* ph-audit-log.h: the tamper-evident audit log: append-only JSON lines in a keyed hash chain.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib-object.h>

#include "ph-secret.h"

G_BEGIN_DECLS

#define PH_AUDIT_ERROR (ph_audit_error_quark ())

typedef enum
{
  PH_AUDIT_ERROR_IO = 1,
  PH_AUDIT_ERROR_FORMAT,
} PhAuditError;

#define PH_AUDIT_MAC_BYTES 32
#define PH_AUDIT_KEY_ID    3
#define PH_AUDIT_KEY_CONTEXT "PHVAUDIT"

/* One access, as recorded. Never a secret: only who, what, which entry and the decision. */
typedef struct
{
  gint64              time;            /* µs since the epoch; 0: now */
  const char         *subject;         /* the subject id the policy saw ("cli", "agent:claude") */
  const char         *subject_detail;  /* executable, pid, app id */
  const char         *action;
  const char         *object_id;
  const char         *object_title;
  const char         *decision;        /* "allow" or "deny" */
  const char         *reason;          /* the deciding rule, or why not */
  const char * const *obligations;     /* obligations met */
} PhAuditRecord;

typedef enum
{
  PH_AUDIT_INTACT,
  PH_AUDIT_MALFORMED,    /* a line is not an audit record */
  PH_AUDIT_MODIFIED,     /* a record's MAC does not verify: changed, or forged */
  PH_AUDIT_DELETED,      /* records are missing from the middle */
  PH_AUDIT_REORDERED,    /* a valid record is out of its place (moved or duplicated) */
  PH_AUDIT_TRUNCATED,    /* the log ends before the last record the vault knows of */
} PhAuditProblem;

typedef struct
{
  PhAuditProblem problem;
  guint64 n_records;     /* records of this vault checked (before the problem, if any) */
  guint64 line;          /* where the problem is (1-based), or 0 */
  guint64 seq;           /* the record number concerned, or 0 */
  char *message;         /* a sentence for people */
} PhAuditVerifyResult;

#define PH_TYPE_AUDIT_LOG (ph_audit_log_get_type ())

G_DECLARE_FINAL_TYPE (PhAuditLog, ph_audit_log, PH, AUDIT_LOG, GObject)

GQuark      ph_audit_error_quark           (void);
char       *ph_audit_log_dup_default_path  (void);
PhAuditLog *ph_audit_log_new               (const char           *path,
                                            const char           *vault_id,
                                            const PhSecret       *key);
const char *ph_audit_log_get_path          (PhAuditLog           *self);
void        ph_audit_log_set_floor         (PhAuditLog           *self,
                                            guint64               seq,
                                            const guint8          mac[PH_AUDIT_MAC_BYTES]);
void        ph_audit_log_set_journal       (PhAuditLog           *self,
                                            gboolean              enabled);
void        ph_audit_log_append            (PhAuditLog           *self,
                                            const PhAuditRecord  *record);
gboolean    ph_audit_log_flush             (PhAuditLog           *self,
                                            GError              **error);
gboolean    ph_audit_log_get_head          (PhAuditLog           *self,
                                            guint64              *seq,
                                            guint8                mac[PH_AUDIT_MAC_BYTES]);
gboolean    ph_audit_log_verify            (const char           *path,
                                            const char           *vault_id,
                                            const PhSecret       *key,
                                            guint64               head_seq,
                                            const guint8         *head_mac,
                                            PhAuditVerifyResult  *result,
                                            GError              **error);
void        ph_audit_verify_result_clear   (PhAuditVerifyResult  *result);

G_END_DECLS
