/* ph-loopback-listener.h: the loopback redirect endpoint of RFC 8252 §7.3, for a sign-in in the
 * system browser.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PH_TYPE_LOOPBACK_LISTENER (ph_loopback_listener_get_type ())

G_DECLARE_FINAL_TYPE (PhLoopbackListener, ph_loopback_listener, PH, LOOPBACK_LISTENER, GObject)

PhLoopbackListener *ph_loopback_listener_new              (GError              **error);
const char         *ph_loopback_listener_get_redirect_uri (PhLoopbackListener   *self);
void                ph_loopback_listener_wait_async       (PhLoopbackListener   *self,
                                                           GCancellable         *cancellable,
                                                           GAsyncReadyCallback   callback,
                                                           gpointer              user_data);
char               *ph_loopback_listener_wait_finish      (PhLoopbackListener   *self,
                                                           GAsyncResult         *result,
                                                           GError              **error);

G_END_DECLS
