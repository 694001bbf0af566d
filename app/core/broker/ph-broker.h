/* ph-broker.h: the policy enforcement point, the only way to a secret.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-access.h"
#include "ph-audit-log.h"
#include "ph-pdp.h"
#include "ph-prompter.h"
#include "ph-risk.h"
#include "ph-vault.h"

G_BEGIN_DECLS

#define PH_BROKER_ERROR (ph_broker_error_quark ())

typedef enum
{
  PH_BROKER_ERROR_DENIED = 1,     /* the policy denies it */
  PH_BROKER_ERROR_NOT_APPROVED,   /* a person had to approve and did not (or nobody could be asked) */
  PH_BROKER_ERROR_REAUTH,         /* the master password was needed and not given */
} PhBrokerError;

#define PH_TYPE_BROKER (ph_broker_get_type ())

G_DECLARE_FINAL_TYPE (PhBroker, ph_broker, PH, BROKER, GObject)

GQuark      ph_broker_error_quark  (void);
PhBroker   *ph_broker_new          (PhVault          *vault,
                                    PhPdp            *pdp,
                                    PhAuditLog       *audit,
                                    PhPrompter       *prompter);
PhBroker   *ph_broker_new_for_vault (PhVault         *vault,
                                    PhPrompter       *prompter,
                                    GError          **error);
PhPdp      *ph_broker_get_pdp      (PhBroker         *self);
PhVault    *ph_broker_get_vault    (PhBroker         *self);
PhAuditLog *ph_broker_get_audit_log (PhBroker        *self);
void        ph_broker_set_session  (PhBroker         *self,
                                    gint64            unlocked_at,
                                    gint64            last_reauth);
void        ph_broker_set_present  (PhBroker         *self,
                                    gboolean          present);
void        ph_broker_note_failed_unlock (PhBroker   *self);
gboolean    ph_broker_authorize    (PhBroker         *self,
                                    const PhSubject  *subject,
                                    PhAction          action,
                                    PhEntry          *entry,
                                    const char       *object_id,
                                    GError          **error);
gboolean    ph_broker_ask_person   (PhBroker         *self,
                                    const PhSubject  *subject,
                                    const char       *object_id,
                                    GError          **error);
PhSecret   *ph_broker_open         (PhBroker         *self,
                                    const PhSubject  *subject,
                                    PhAction          action,
                                    PhEntry          *entry,
                                    const char       *field,
                                    GError          **error);
PhSecret   *ph_broker_open_history (PhBroker         *self,
                                    const PhSubject  *subject,
                                    PhEntry          *entry,
                                    guint             index,
                                    GError          **error);
int         ph_broker_get_ttl      (PhBroker         *self);
gboolean    ph_broker_set_policy   (PhBroker         *self,
                                    const PhSubject  *subject,
                                    const char       *model,
                                    const char       *policy,
                                    GError          **error);
gboolean    ph_broker_finish       (PhBroker         *self,
                                    GError          **error);

G_END_DECLS
