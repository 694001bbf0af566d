/* ph-test-util.h: helpers shared by the core tests.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib/gstdio.h>

#include "ph-vault.h"
/* Tests check sealed fields directly; only the broker may do so in the application. */
#include "ph-vault-private.h"
#include "ph-broker.h"

/* The cheapest Argon2id cost libsodium allows: the tests are about the format, not the KDF. */
static const PhKdfParams ph_test_kdf = { 1, 64 * 1024 };

static inline char *
ph_test_make_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("perihelion-test-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static inline void
ph_test_remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

static inline PhVault *
ph_test_new_vault (const char  *path,
                   const char  *password,
                   PhSecret   **out_recovery)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) secret = ph_secret_new_from_text (password);
  PhVault *vault = ph_vault_new (path, secret, &ph_test_kdf, out_recovery, &error);

  g_assert_no_error (error);
  g_assert_nonnull (vault);
  return vault;
}

static inline PhVault *
ph_test_open_vault (const char *path,
                    const char *password)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) secret = ph_secret_new_from_text (password);
  PhVault *vault = ph_vault_load (path, &error);

  g_assert_no_error (error);
  ph_vault_unlock_with_password (vault, secret, &error);
  g_assert_no_error (error);
  return vault;
}

static inline PhEntry *
ph_test_add_entry (PhVault    *vault,
                   const char *title,
                   const char *username,
                   const char *url,
                   const char *password)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhEntry) entry = ph_entry_new (title);

  if (username)
    ph_entry_set_username (entry, username);
  if (url)
    ph_entry_set_urls (entry, (const char *[]) { url, NULL });
  if (password)
    {
      g_autoptr(PhSecret) secret = ph_secret_new_from_text (password);
      ph_vault_set_secret (vault, entry, PH_FIELD_PASSWORD, secret, &error);
      g_assert_no_error (error);
    }
  ph_vault_add (vault, entry, &error);
  g_assert_no_error (error);
  return g_steal_pointer (&entry);
}

static inline void
ph_test_assert_secret (PhVault    *vault,
                       PhEntry    *entry,
                       const char *field,
                       const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) secret = ph_vault_unseal (vault, entry, field, &error);

  g_assert_no_error (error);
  g_assert_cmpstr (ph_secret_get_text (secret), ==, expected);
}

static inline void
ph_test_put_entry (PhVault    *vault,
                   const char *title,
                   const char *username,
                   const char *url,
                   const char *password)
{
  g_object_unref (ph_test_add_entry (vault, title, username, url, password));
}

static inline void
ph_test_set_secret (PhVault    *vault,
                    PhEntry    *entry,
                    const char *field,
                    const char *value)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) secret = ph_secret_new_from_text (value);

  ph_vault_set_secret (vault, entry, field, secret, &error);
  g_assert_no_error (error);
}

#define ph_test_set_password(vault, entry, value) \
  ph_test_set_secret ((vault), (entry), PH_FIELD_PASSWORD, (value))

/* A broker with the default policy, no audit log and nobody to ask; the master password counts
 * as just entered. */
static inline PhBroker *
ph_test_new_broker (PhVault *vault)
{
  g_autoptr(PhPdp) pdp = ph_pdp_new_default ();
  PhBroker *broker = ph_broker_new (vault, pdp, NULL, NULL);

  ph_broker_set_session (broker, g_get_real_time (), g_get_real_time ());
  return broker;
}
