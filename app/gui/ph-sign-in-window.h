/* ph-sign-in-window.h: an OAuth sign-in in an embedded browser that keeps nothing.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>
#include <webkit/webkit.h>

G_BEGIN_DECLS

#define PH_TYPE_SIGN_IN_WINDOW (ph_sign_in_window_get_type ())

G_DECLARE_FINAL_TYPE (PhSignInWindow, ph_sign_in_window, PH, SIGN_IN_WINDOW, AdwWindow)

PhSignInWindow *ph_sign_in_window_new          (GtkWindow      *parent,
                                                const char     *provider_name,
                                                const char     *authorization_url,
                                                const char     *redirect_uri);
WebKitWebView  *ph_sign_in_window_get_web_view (PhSignInWindow *self);
const char     *ph_sign_in_window_get_host     (PhSignInWindow *self);

G_END_DECLS
