/* ph-oidc-test-peer.h: the real OpenID provider of the OAuth tests (npm oidc-provider on
 * 127.0.0.1, tests/oauth/oidc-provider.js), started and stopped, and a client for it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <string.h>
#include <gio/gio.h>

#include "ph-oauth-client.h"

/* The provider, or NULL when node or npm oidc-provider is missing (the test then skips). */
static inline GSubprocess *
ph_test_start_oidc_provider (char **out_issuer)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *node = g_find_program_in_path ("node");
  g_autofree char *script = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autofree char *line = NULL;
  GSubprocess *provider;

  if (g_getenv ("NODE_PATH") == NULL || node == NULL)
    return NULL;
  script = g_build_filename (g_getenv ("PH_OAUTH_TEST_DIR"), "oidc-provider.js", NULL);
  provider = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                               "node", script, NULL);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (provider));
  /* The pipe stays open with the provider (closing it would break the provider's next write). */
  g_filter_input_stream_set_close_base_stream (G_FILTER_INPUT_STREAM (out), FALSE);
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (line && g_str_has_prefix (line, "READY "));
  *out_issuer = g_strdup_printf ("http://127.0.0.1:%s", line + strlen ("READY "));
  return provider;
}

static inline void
ph_test_stop_oidc_provider (GSubprocess *provider)
{
  g_subprocess_send_signal (provider, SIGTERM);
  g_subprocess_wait (provider, NULL, NULL);
  g_object_unref (provider);
}

/* A client of the catalog's "any OIDC provider" entry for @issuer, as the test client. */
static inline PhOAuthClient *
ph_test_oidc_client (const char *issuer)
{
  g_autoptr(PhOAuthCatalog) catalog = ph_oauth_catalog_load_default (NULL);
  g_autoptr(GHashTable) params = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GError) error = NULL;
  PhOAuthProvider *provider;

  g_hash_table_insert (params, (gpointer) "issuer", (gpointer) issuer);
  provider = ph_oauth_catalog_resolve (catalog, "oidc", params, &error);
  g_assert_no_error (error);
  return ph_oauth_client_new (provider, "perihelion");
}
