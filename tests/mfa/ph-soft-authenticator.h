/* ph-soft-authenticator.h: a FIDO2 authenticator in software, for the tests: libfido2's real
 * client code talks to it through fido_dev_set_io_functions(), in HID reports.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <fido.h>
#include <glib.h>

G_BEGIN_DECLS

typedef struct _PhSoftAuthenticator PhSoftAuthenticator;

PhSoftAuthenticator *ph_soft_authenticator_new          (void);
void                 ph_soft_authenticator_free         (PhSoftAuthenticator *self);
/* A device to hand to libfido2 (opened; free with fido_dev_close + fido_dev_free). */
fido_dev_t          *ph_soft_authenticator_open         (PhSoftAuthenticator *self);
/* Misbehaviours, for the tests of what a client must refuse. */
void                 ph_soft_authenticator_set_uv       (PhSoftAuthenticator *self,
                                                         gboolean             report_uv);
void                 ph_soft_authenticator_set_counter  (PhSoftAuthenticator *self,
                                                         guint32              counter);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhSoftAuthenticator, ph_soft_authenticator_free)

G_END_DECLS
