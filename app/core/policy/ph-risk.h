/* ph-risk.h: a risk score for each request, from documented signals.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The weights of the signals; the score is their sum, at most 100. */
#define PH_RISK_NEW_CALLER       30   /* the caller never made a request before */
#define PH_RISK_BURST            25   /* its requests in the last minute far above its usual rate */
#define PH_RISK_UNUSUAL_HOUR     15   /* an hour of the day at which requests are rare */
#define PH_RISK_FAILED_UNLOCK    20   /* a failed unlock in the last 15 minutes */
#define PH_RISK_FAILED_UNLOCKS   35   /* three or more */
#define PH_RISK_NOBODY_PRESENT   10   /* no person at the machine */

typedef struct
{
  gboolean new_caller;
  gboolean burst;
  gboolean unusual_hour;
  guint failed_unlocks;
  gboolean nobody_present;
} PhRiskSignals;

typedef struct _PhRiskMonitor PhRiskMonitor;

PhRiskMonitor *ph_risk_monitor_new                (void);
void           ph_risk_monitor_free               (PhRiskMonitor *monitor);
void           ph_risk_monitor_observe            (PhRiskMonitor *monitor,
                                                   const char    *subject_id,
                                                   gint64         time);
void           ph_risk_monitor_load_audit_history (PhRiskMonitor *monitor,
                                                   const char    *audit_path,
                                                   const char    *vault_id,
                                                   guint          max_records);
void           ph_risk_monitor_note_failed_unlock (PhRiskMonitor *monitor,
                                                   gint64         time);
int            ph_risk_monitor_score              (PhRiskMonitor *monitor,
                                                   const char    *subject_id,
                                                   gint64         now,
                                                   gboolean       present,
                                                   PhRiskSignals *signals);
char          *ph_risk_signals_describe           (const PhRiskSignals *signals);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhRiskMonitor, ph_risk_monitor_free)

G_END_DECLS
