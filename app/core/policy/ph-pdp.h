/* ph-pdp.h: Perihelion's policy decision point: access requests in, decisions with obligations out.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-access.h"
#include "ph-enforcer.h"

G_BEGIN_DECLS

#define PH_TYPE_PDP (ph_pdp_get_type ())

G_DECLARE_FINAL_TYPE (PhPdp, ph_pdp, PH, PDP, GObject)

const char *ph_pdp_get_default_model   (void);
const char *ph_pdp_get_default_policy  (void);
PhPdp      *ph_pdp_new                 (const char            *model,
                                        const char            *policy,
                                        GError               **error);
PhPdp      *ph_pdp_new_default         (void);
const char *ph_pdp_get_model           (PhPdp                 *self);
char       *ph_pdp_dup_policy          (PhPdp                 *self);
PhEnforcer *ph_pdp_get_enforcer        (PhPdp                 *self);
gboolean    ph_pdp_decide              (PhPdp                 *self,
                                        const PhAccessRequest *request,
                                        PhDecision            *decision,
                                        GError               **error);
gboolean    ph_pdp_prepend_rule        (PhPdp                 *self,
                                        const char            *rule_line,
                                        GError               **error);

G_END_DECLS
