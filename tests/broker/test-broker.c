/* test-broker.c: the gate. No other code path opens a sealed field; every action is decided,
 * its obligations fulfilled through the prompter, and its outcome audited without a secret.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <sodium.h>
#include <string.h>
#include <unistd.h>

#include "ph-broker.h"
#include "ph-csv.h"
#include "ph-otp.h"
#include "ph-second-factors.h"
#include "ph-soft-authenticator.h"
#include "ph-test-util.h"

#define CANARY "canary-7f3a9c-SECRET"

/* A prompter that answers as the test scripted it, and counts the questions. */
#define TEST_TYPE_PROMPTER (test_prompter_get_type ())
G_DECLARE_FINAL_TYPE (TestPrompter, test_prompter, TEST, PROMPTER, GObject)

struct _TestPrompter
{
  GObject parent_instance;
  char *password;          /* NULL: decline */
  PhApproval approval;
  char *code;
  guint n_code;
  guint n_password;
  guint n_approval;
};

static void test_prompter_iface_init (PhPrompterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (TestPrompter, test_prompter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (PH_TYPE_PROMPTER, test_prompter_iface_init))

static PhSecret *
test_ask_password (PhPrompter *prompter, const char *message, GError **error)
{
  TestPrompter *self = TEST_PROMPTER (prompter);

  self->n_password++;
  if (self->password == NULL)
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "declined");
      return NULL;
    }
  return ph_secret_new_from_text (self->password);
}

static PhSecret *
test_ask_code (PhPrompter *prompter, const char *message, GError **error)
{
  TestPrompter *self = TEST_PROMPTER (prompter);

  self->n_code++;
  if (self->code == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "declined");
      return NULL;
    }
  return ph_secret_new_from_text (self->code);
}

static PhApproval
test_ask_approval (PhPrompter *prompter, const PhAccessRequest *request, const char *message)
{
  TestPrompter *self = TEST_PROMPTER (prompter);

  self->n_approval++;
  return self->approval;
}

static void
test_prompter_iface_init (PhPrompterInterface *iface)
{
  iface->ask_password = test_ask_password;
  iface->ask_approval = test_ask_approval;
  iface->ask_code = test_ask_code;
}

static void
test_prompter_finalize (GObject *object)
{
  g_free (TEST_PROMPTER (object)->password);
  g_free (TEST_PROMPTER (object)->code);
  G_OBJECT_CLASS (test_prompter_parent_class)->finalize (object);
}

static void
test_prompter_class_init (TestPrompterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_prompter_finalize;
}

static void
test_prompter_init (TestPrompter *self)
{
}

typedef struct
{
  char *dir;
  char *vault_path;
  char *log_path;
  PhVault *vault;
  PhEntry *normal;
  PhEntry *critical;
  TestPrompter *prompter;
  PhBroker *broker;
  PhSubject *cli;
  PhSubject *agent;
} Fixture;

static PhBroker *
new_broker (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  PhBroker *broker = ph_broker_new_for_vault (f->vault, PH_PROMPTER (f->prompter), &error);

  g_assert_no_error (error);
  ph_broker_set_session (broker, g_get_real_time (), 0);   /* unlocked by keyring: no fresh password */
  return broker;
}

static void
fixture_set_up (Fixture      *f,
                gconstpointer data)
{
  g_autoptr(GError) error = NULL;

  f->dir = ph_test_make_dir ();
  f->vault_path = g_build_filename (f->dir, "v.phvault", NULL);
  f->log_path = g_build_filename (f->dir, "audit.log", NULL);
  g_setenv ("PERIHELION_AUDIT_LOG", f->log_path, TRUE);
  f->vault = ph_test_new_vault (f->vault_path, "master", NULL);
  f->normal = ph_test_add_entry (f->vault, "GitHub", "me", "https://github.com", NULL);
  ph_test_set_secret (f->vault, f->normal, PH_FIELD_PASSWORD, CANARY);
  f->critical = ph_test_add_entry (f->vault, "Bank", "me", "https://bank.example", NULL);
  ph_entry_set_sensitivity (f->critical, PH_SENSITIVITY_CRITICAL);
  ph_test_set_secret (f->vault, f->critical, PH_FIELD_PASSWORD, CANARY "-bank");
  f->prompter = g_object_new (TEST_TYPE_PROMPTER, NULL);
  f->broker = new_broker (f);
  f->cli = ph_subject_new_for_self (PH_SUBJECT_CLI, "get");
  f->agent = ph_subject_new (PH_SUBJECT_AGENT, "claude");
}

static void
fixture_tear_down (Fixture      *f,
                   gconstpointer data)
{
  g_clear_object (&f->broker);
  g_clear_object (&f->prompter);
  g_clear_object (&f->normal);
  g_clear_object (&f->critical);
  g_clear_object (&f->vault);
  ph_subject_free (f->cli);
  ph_subject_free (f->agent);
  ph_test_remove_dir (f->dir);
  g_free (f->dir);
  g_free (f->vault_path);
  g_free (f->log_path);
  g_unsetenv ("PERIHELION_AUDIT_LOG");
}

static char *
read_log (Fixture *f)
{
  g_autofree char *text = NULL;

  ph_broker_finish (f->broker, NULL);
  g_file_get_contents (f->log_path, &text, NULL, NULL);
  return g_steal_pointer (&text);
}

static guint
count (const char *haystack,
       const char *needle)
{
  guint n = 0;

  for (const char *p = haystack; p && (p = strstr (p, needle)); p++)
    n++;
  return n;
}

/* The gate has no side door: in the application, only the broker opens sealed fields, and
 * only the vault and the broker see the vault's private header. */
static void
test_no_other_path (void)
{
  g_autofree char *app = g_build_filename (g_getenv ("PH_SOURCE_ROOT"), "app", NULL);
  g_autoptr(GPtrArray) stack = g_ptr_array_new_with_free_func (g_free);
  guint checked = 0;

  g_ptr_array_add (stack, g_strdup (app));
  while (stack->len > 0)
    {
      g_autofree char *dir = g_ptr_array_steal_index (stack, stack->len - 1);
      g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
      const char *name;

      g_assert_nonnull (d);
      while ((name = g_dir_read_name (d)))
        {
          g_autofree char *path = g_build_filename (dir, name, NULL);
          g_autofree char *text = NULL;
          g_autofree char *relative = NULL;
          gboolean vault_file, broker_file;

          if (g_file_test (path, G_FILE_TEST_IS_DIR))
            {
              g_ptr_array_add (stack, g_steal_pointer (&path));
              continue;
            }
          if (!g_str_has_suffix (name, ".c") && !g_str_has_suffix (name, ".h") && !g_str_has_suffix (name, ".cc"))
            continue;
          g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
          relative = g_strdup (path + strlen (app) + 1);
          vault_file = g_str_has_prefix (relative, "core/ph-vault");
          broker_file = strcmp (relative, "core/broker/ph-broker.c") == 0;
          checked++;
          if (!vault_file && !broker_file && strstr (text, "ph_vault_unseal"))
            g_error ("%s opens sealed fields outside the broker", relative);
          /* The AEAD primitive itself: only the vault (and its definition) may use it. */
          if (!vault_file && !g_str_has_prefix (relative, "core/ph-crypto.") && strstr (text, "ph_crypto_open"))
            g_error ("%s decrypts outside the vault", relative);
          if (!vault_file && !broker_file && strstr (text, "ph-vault-private.h"))
            g_error ("%s reaches into the vault's private header", relative);
        }
    }
  g_assert_cmpuint (checked, >, 40);
}

static void
test_reveal_allowed_and_audited (Fixture      *f,
                                 gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) secret = ph_broker_open (f->broker, f->cli, PH_ACTION_REVEAL, f->normal, PH_FIELD_PASSWORD, &error);
  g_autofree char *log = NULL;

  g_assert_no_error (error);
  g_assert_cmpstr (ph_secret_get_text (secret), ==, CANARY);
  g_assert_cmpuint (f->prompter->n_password + f->prompter->n_approval, ==, 0);
  log = read_log (f);
  g_assert_cmpuint (count (log, "\"action\":\"reveal\""), ==, 1);
  g_assert_cmpuint (count (log, "\"decision\":\"allow\""), ==, 1);
  g_assert_nonnull (strstr (log, "\"title\":\"GitHub\""));
  g_assert_null (strstr (log, CANARY));
}

/* Every action reaches the policy and the audit log under its own name. */
static void
test_each_action (Fixture      *f,
                  gconstpointer data)
{
  static const char model[] =
    "[request_definition]\nr = sub, obj, act\n[policy_definition]\np = sub, obj, act, eft\n"
    "[policy_effect]\ne = priority(p.eft) || deny\n[matchers]\nm = r.sub == p.sub && (p.obj == \"*\" || "
    "r.obj == p.obj) && r.act == p.act\n";
  /* A standard Casbin model: subjects and objects arrive as plain ids. */
  g_autofree char *policy = NULL;
  g_autofree char *log = NULL;

  policy = g_strdup_printf ("p, cli, *, admin-policy, allow\n"
                            "p, agent:claude, %s, list, deny\n"
                            "p, agent:claude, vault, list, allow\n"
                            "p, agent:claude, %s, read-metadata, allow\n"
                            "p, agent:claude, %s, use, allow\n"
                            "p, agent:claude, %s, copy, allow\n",
                            ph_entry_get_id (f->normal), ph_entry_get_id (f->normal), ph_entry_get_id (f->normal),
                            ph_entry_get_id (f->normal));
  f->prompter->password = g_strdup ("master");
  g_assert_true (ph_broker_set_policy (f->broker, f->cli, model, policy, NULL));

  {
    static const struct
    {
      PhAction action;
      gboolean entry;
      gboolean allowed;
    } cases[] = {
      { PH_ACTION_LIST, FALSE, TRUE },
      { PH_ACTION_LIST, TRUE, FALSE },
      { PH_ACTION_READ_METADATA, TRUE, TRUE },
      { PH_ACTION_REVEAL, TRUE, FALSE },
      { PH_ACTION_COPY, TRUE, TRUE },
      { PH_ACTION_USE, TRUE, TRUE },
      { PH_ACTION_WRITE, TRUE, FALSE },
      { PH_ACTION_DELETE, TRUE, FALSE },
      { PH_ACTION_ADMIN_POLICY, FALSE, FALSE },
      { PH_ACTION_EXPORT, FALSE, FALSE },
    };

    for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
      {
        g_autoptr(GError) error = NULL;
        gboolean allowed = ph_broker_authorize (f->broker, f->agent, cases[i].action,
                                                cases[i].entry ? f->normal : NULL, NULL, &error);

        if (allowed != cases[i].allowed)
          g_error ("case %u (%s): allowed %d", i, ph_action_to_string (cases[i].action), allowed);
        if (!allowed)
          g_assert_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_DENIED);
      }
  }
  /* Opening a secret: allowed actions open it, the others do not. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(PhSecret) used = ph_broker_open (f->broker, f->agent, PH_ACTION_USE, f->normal, PH_FIELD_PASSWORD, NULL);
    g_autoptr(PhSecret) revealed = ph_broker_open (f->broker, f->agent, PH_ACTION_REVEAL, f->normal, PH_FIELD_PASSWORD,
                                                   &error);

    g_assert_nonnull (used);
    g_assert_null (revealed);
    g_assert_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_DENIED);
    g_assert_null (strstr (error->message, CANARY));
  }

  log = read_log (f);
  for (PhAction a = PH_ACTION_LIST; a <= PH_ACTION_EXPORT; a++)
    {
      g_autofree char *needle = g_strdup_printf ("\"subject\":\"agent:claude\",\"subject_detail\":\"agent claude\",\"action\":\"%s\"",
                                                 ph_action_to_string (a));

      if (!strstr (log, needle))
        g_error ("no audit record for %s", ph_action_to_string (a));
    }
  g_assert_null (strstr (log, CANARY));
}

/* Critical entries want the master password: asked, checked, and remembered for a while. */
static void
test_reauth (Fixture      *f,
             gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) secret = NULL;
  g_autofree char *log = NULL;

  f->prompter->password = g_strdup ("wrong");
  secret = ph_broker_open (f->broker, f->cli, PH_ACTION_REVEAL, f->critical, PH_FIELD_PASSWORD, &error);
  g_assert_null (secret);
  g_assert_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_REAUTH);
  g_assert_cmpuint (f->prompter->n_password, ==, 1);
  g_clear_error (&error);

  g_free (f->prompter->password);
  f->prompter->password = g_strdup ("master");
  secret = ph_broker_open (f->broker, f->cli, PH_ACTION_REVEAL, f->critical, PH_FIELD_PASSWORD, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ph_secret_get_text (secret), ==, CANARY "-bank");
  g_assert_cmpuint (f->prompter->n_password, ==, 2);
  g_clear_pointer (&secret, ph_secret_unref);

  /* Within 15 minutes: not asked again. */
  secret = ph_broker_open (f->broker, f->cli, PH_ACTION_REVEAL, f->critical, PH_FIELD_PASSWORD, &error);
  g_assert_nonnull (secret);
  g_assert_cmpuint (f->prompter->n_password, ==, 2);

  /* Nobody to ask: denied, not opened. */
  {
    g_autoptr(PhPdp) pdp = ph_pdp_new_default ();
    g_autoptr(PhBroker) headless = ph_broker_new (f->vault, pdp, NULL, NULL);
    g_autoptr(PhSecret) none = ph_broker_open (headless, f->cli, PH_ACTION_REVEAL, f->critical, PH_FIELD_PASSWORD,
                                               &error);

    g_assert_null (none);
    g_assert_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_REAUTH);
  }

  log = read_log (f);
  g_assert_cmpuint (count (log, "\"decision\":\"deny\""), ==, 1);
  g_assert_nonnull (strstr (log, "Re-authentication failed"));
  /* Critical entries want a second factor every time; with none set up, the password just
   * entered stands in. */
  g_assert_cmpuint (count (log, "\"obligations\":[\"reauth\",\"second factor: password (recent)\"]"), ==, 1);
  g_assert_cmpuint (count (log, "\"obligations\":[\"reauth (recent)\",\"second factor: password (recent)\"]"), ==, 1);
  g_assert_null (strstr (log, CANARY));
  g_assert_null (strstr (log, "master"));
}

/* Step-up to the authenticator app: normal entries need nothing, high ones a second factor in
 * the last 5 minutes, critical ones every time, and so does a risky moment; a code is good
 * once; a recovery code stands in once; five wrong codes and the gate stops taking codes. */
static void
test_step_up (Fixture      *f,
              gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) uri = ph_second_factors_new_totp_uri ("me");
  g_autoptr(PhOtp) otp = ph_otp_new_from_uri (ph_secret_get_text (uri), &error);
  g_autoptr(PhEntry) high = ph_test_add_entry (f->vault, "Mail", "me", "https://mail.example", NULL);
  g_auto(GStrv) recovery = NULL;
  g_autofree char *log = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *enrol_code = ph_otp_code_at (otp, now - 30);

  g_assert_no_error (error);
  ph_entry_set_sensitivity (high, PH_SENSITIVITY_HIGH);
  ph_test_set_secret (f->vault, high, PH_FIELD_PASSWORD, CANARY "-mail");
  /* Enrolled with the previous step's code, so the current one is still unused. */
  g_assert_true (ph_second_factors_enroll_totp (f->vault, ph_secret_get_text (uri), enrol_code, now, &error));
  g_assert_no_error (error);
  f->prompter->password = g_strdup ("master");

#define OPEN(entry) ph_broker_open (f->broker, f->cli, PH_ACTION_REVEAL, (entry), PH_FIELD_PASSWORD, &error)
  /* Normal: nothing asked. */
  {
    g_autoptr(PhSecret) s = OPEN (f->normal);

    g_assert_nonnull (s);
    g_assert_cmpuint (f->prompter->n_code, ==, 0);
  }
  /* High: a code; a wrong one is refused (and counted). */
  {
    g_autofree char *current = ph_otp_code_at (otp, now);

    f->prompter->code = g_strdup_printf ("%06d", (atoi (current) + 1) % 1000000);
  }
  {
    g_autoptr(PhSecret) s = OPEN (high);

    g_assert_null (s);
    g_assert_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_REAUTH);
    g_assert_nonnull (strstr (error->message, "Wrong code"));
    g_clear_error (&error);
  }
  g_free (f->prompter->code);
  f->prompter->code = ph_otp_code_at (otp, now);
  {
    g_autoptr(PhSecret) s = OPEN (high);

    g_assert_no_error (error);
    g_assert_cmpstr (ph_secret_get_text (s), ==, CANARY "-mail");
    g_assert_cmpuint (f->prompter->n_code, ==, 2);
  }
  /* Within five minutes: not asked again for high; critical wants one "now" (ten seconds), which
   * the code just given still is; a new session (a later unlock) asks again. */
  {
    g_autoptr(PhSecret) again = OPEN (high);
    g_autoptr(PhSecret) critical = NULL;

    g_assert_nonnull (again);
    ph_broker_set_session (f->broker, g_get_real_time (), g_get_real_time ());
    critical = OPEN (f->critical);
    g_assert_no_error (error);
    g_assert_nonnull (critical);
    g_assert_cmpuint (f->prompter->n_code, ==, 2);
  }
  /* A recovery code stands in, once. */
  recovery = ph_second_factors_new_recovery_codes (f->vault, &error);
  g_assert_no_error (error);
  g_free (f->prompter->code);
  f->prompter->code = g_strdup (recovery[0]);
  {
    g_autoptr(PhBroker) later = new_broker (f);
    g_autoptr(PhSecret) s = NULL;

    ph_broker_set_session (later, g_get_real_time (), g_get_real_time ());
    s = ph_broker_open (later, f->cli, PH_ACTION_REVEAL, f->critical, PH_FIELD_PASSWORD, &error);
    g_assert_no_error (error);
    g_assert_cmpstr (ph_secret_get_text (s), ==, CANARY "-bank");
  }
  {
    g_autoptr(PhBroker) later = new_broker (f);
    g_autoptr(PhSecret) s = NULL;

    ph_broker_set_session (later, g_get_real_time (), g_get_real_time ());
    s = ph_broker_open (later, f->cli, PH_ACTION_REVEAL, f->critical, PH_FIELD_PASSWORD, &error);
    g_assert_null (s);
    g_assert_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_REAUTH);
    g_clear_error (&error);
  }
  /* Five wrong codes: the gate stops asking for a while. */
  {
    g_autoptr(PhBroker) later = new_broker (f);

    g_free (f->prompter->code);
    f->prompter->code = g_strdup ("ZZZZ-ZZZZ-ZZZZ-ZZZZ");
    for (int i = 0; i < 6; i++)
      {
        g_autoptr(PhSecret) s = NULL;

        ph_broker_set_session (later, g_get_real_time (), g_get_real_time ());
        s = ph_broker_open (later, f->cli, PH_ACTION_REVEAL, f->critical, PH_FIELD_PASSWORD, &error);
        g_assert_null (s);
        if (i < 5)
          g_assert_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_REAUTH);
        else
          g_assert_error (error, G_IO_ERROR, G_IO_ERROR_BUSY);
        g_clear_error (&error);
      }
  }
#undef OPEN

  log = read_log (f);
  g_assert_nonnull (strstr (log, "second factor: authenticator"));
  g_assert_nonnull (strstr (log, "second factor: recovery code"));
  g_assert_nonnull (strstr (log, "Second factor failed"));
  g_assert_null (strstr (log, CANARY));
  g_assert_null (strstr (log, recovery[0]));
}

/* The tests' "USB port": the software authenticator when plugged in (@data), none otherwise. */
static fido_dev_t *
open_soft_key (gpointer  data,
               GError  **error)
{
  if (data == NULL)
    {
      g_set_error (error, PH_FIDO2_ERROR, PH_FIDO2_ERROR_NO_DEVICE, "No security key is plugged in");
      return NULL;
    }
  return ph_soft_authenticator_open (data);
}

/* Step-up to a security key, the strongest factor: a touch (and user verification for high and
 * critical entries) instead of a code; a cloned key and a missing verification refused; no key
 * plugged in, and the authenticator app's code does. */
static void
test_step_up_security_key (Fixture      *f,
                           gconstpointer data)
{
  g_autoptr(PhSoftAuthenticator) authenticator = ph_soft_authenticator_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(PhEntry) high = ph_test_add_entry (f->vault, "Mail", "me", "https://mail.example", NULL);
  g_autoptr(PhFido2Credential) credential = NULL;
  g_autoptr(PhSecret) uri = ph_second_factors_new_totp_uri ("me");
  g_autoptr(PhOtp) otp = ph_otp_new_from_uri (ph_secret_get_text (uri), NULL);
  g_autofree char *log = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *enrol_code = ph_otp_code_at (otp, now - 30);
  fido_dev_t *dev;

  ph_entry_set_sensitivity (high, PH_SENSITIVITY_HIGH);
  ph_test_set_secret (f->vault, high, PH_FIELD_PASSWORD, CANARY "-mail");
  g_assert_true (ph_second_factors_enroll_totp (f->vault, ph_secret_get_text (uri), enrol_code, now, &error));
  ph_fido2_set_device_opener (open_soft_key, authenticator);
  dev = ph_fido2_open_device (&error);
  g_assert_no_error (error);
  credential = ph_fido2_register (dev, PH_FIDO2_RP_ID, "me", TRUE, &error);
  g_assert_no_error (error);
  ph_fido2_close_device (dev);
  g_assert_true (credential->user_verification);
  g_assert_true (ph_second_factors_add_key (f->vault, credential, credential->user_verification, "Test key", &error));
  f->prompter->password = g_strdup ("master");

#define OPEN_WITH(broker, entry) ph_broker_open ((broker), f->cli, PH_ACTION_REVEAL, (entry), PH_FIELD_PASSWORD, &error)
  /* A touch with user verification: no code asked. */
  {
    g_autoptr(PhSecret) s = OPEN_WITH (f->broker, high);

    g_assert_no_error (error);
    g_assert_cmpstr (ph_secret_get_text (s), ==, CANARY "-mail");
    g_assert_cmpuint (f->prompter->n_code, ==, 0);
  }
  /* No key plugged in: the authenticator app's code. */
  ph_fido2_set_device_opener (open_soft_key, NULL);
  f->prompter->code = ph_otp_code_at (otp, now);
  {
    g_autoptr(PhBroker) later = new_broker (f);
    g_autoptr(PhSecret) s = OPEN_WITH (later, high);

    g_assert_no_error (error);
    g_assert_nonnull (s);
    g_assert_cmpuint (f->prompter->n_code, ==, 1);
  }
  /* A counter that went back: a clone, refused. */
  ph_fido2_set_device_opener (open_soft_key, authenticator);
  ph_soft_authenticator_set_counter (authenticator, 0);
  {
    g_autoptr(PhBroker) later = new_broker (f);
    g_autoptr(PhSecret) s = OPEN_WITH (later, high);

    g_assert_null (s);
    g_assert_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_REAUTH);
    g_assert_nonnull (strstr (error->message, "cloned"));
    g_clear_error (&error);
  }
  /* No user verification for a critical entry: refused. */
  ph_soft_authenticator_set_counter (authenticator, 1000);
  ph_soft_authenticator_set_uv (authenticator, FALSE);
  {
    g_autoptr(PhBroker) later = new_broker (f);
    g_autoptr(PhSecret) s = NULL;

    ph_broker_set_session (later, g_get_real_time (), g_get_real_time ());
    s = OPEN_WITH (later, f->critical);
    g_assert_null (s);
    g_assert_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_REAUTH);
    g_assert_nonnull (strstr (error->message, "did not verify the person"));
    g_clear_error (&error);
  }
#undef OPEN_WITH
  ph_fido2_set_device_opener (NULL, NULL);

  log = read_log (f);
  g_assert_nonnull (strstr (log, "second factor: security key with user verification"));
  g_assert_nonnull (strstr (log, "second factor: authenticator"));
  g_assert_null (strstr (log, CANARY));
}

/* Other programs ask once: deny, once, for ten minutes, always (a rule, kept in the vault). */
static void
test_approval (Fixture      *f,
               gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *model = NULL;
  g_autofree char *policy = NULL;

  f->prompter->approval = PH_APPROVAL_DENY;
  g_assert_false (ph_broker_authorize (f->broker, f->agent, PH_ACTION_REVEAL, f->normal, NULL, &error));
  g_assert_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_NOT_APPROVED);
  g_clear_error (&error);

  f->prompter->approval = PH_APPROVAL_ONCE;
  g_assert_true (ph_broker_authorize (f->broker, f->agent, PH_ACTION_REVEAL, f->normal, NULL, NULL));
  g_assert_true (ph_broker_authorize (f->broker, f->agent, PH_ACTION_REVEAL, f->normal, NULL, NULL));
  g_assert_cmpuint (f->prompter->n_approval, ==, 3);

  f->prompter->approval = PH_APPROVAL_TEN_MINUTES;
  g_assert_true (ph_broker_authorize (f->broker, f->agent, PH_ACTION_USE, f->normal, NULL, NULL));
  g_assert_true (ph_broker_authorize (f->broker, f->agent, PH_ACTION_USE, f->normal, NULL, NULL));
  g_assert_cmpuint (f->prompter->n_approval, ==, 4);

  f->prompter->approval = PH_APPROVAL_ALWAYS;
  g_assert_true (ph_broker_authorize (f->broker, f->agent, PH_ACTION_COPY, f->normal, NULL, NULL));
  g_assert_cmpuint (f->prompter->n_approval, ==, 5);
  g_assert_true (ph_vault_get_policy (f->vault, &model, &policy, NULL));
  g_assert_nonnull (strstr (policy, "p, agent:claude, "));
  g_assert_true (ph_vault_save (f->vault, NULL));

  /* A new broker (a new session) reads the remembered rule from the vault: no question. */
  g_clear_object (&f->broker);
  f->broker = new_broker (f);
  g_assert_true (ph_broker_authorize (f->broker, f->agent, PH_ACTION_COPY, f->normal, NULL, NULL));
  g_assert_cmpuint (f->prompter->n_approval, ==, 5);
  /* ... and only for that entry and action. */
  f->prompter->approval = PH_APPROVAL_DENY;
  g_assert_false (ph_broker_authorize (f->broker, f->agent, PH_ACTION_COPY, f->critical, NULL, NULL));
}

/* A policy that would lock its editor out is refused; a malformed one too; nothing changes. */
static void
test_policy_changes (Fixture      *f,
                     gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *locked = g_strdup (ph_pdp_get_default_policy ());
  g_autofree char *model = NULL;
  char *admin = strstr (locked, "p, owner, *, admin-policy, true, allow, reauth=5m");

  f->prompter->password = g_strdup ("master");
  g_assert_nonnull (admin);
  memcpy (admin + strlen ("p, owner, *, admin-policy, true, "), "deny ", 5);
  g_assert_false (ph_broker_set_policy (f->broker, f->cli, ph_pdp_get_default_model (), locked, &error));
  g_assert_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_DENIED);
  g_assert_nonnull (strstr (error->message, "would not let cli change it again"));
  g_assert_false (ph_vault_get_policy (f->vault, NULL, NULL, NULL));
  g_clear_error (&error);

  g_assert_false (ph_broker_set_policy (f->broker, f->cli, ph_pdp_get_default_model (),
                                        "p, owner, *, *, true, allow, reauth=soon\n", &error));
  g_assert_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_POLICY);
  g_assert_nonnull (strstr (error->message, "Unknown obligation"));
  g_clear_error (&error);

  /* Changing the policy is itself an admin-policy request: the agent may not. */
  g_assert_false (ph_broker_set_policy (f->broker, f->agent, ph_pdp_get_default_model (),
                                        "p, *, *, *, true, allow, \n", &error));
  g_assert_error (error, PH_BROKER_ERROR, PH_BROKER_ERROR_DENIED);
  g_clear_error (&error);

  /* The owner may, with the password (asked now: a keyring session has none). */
  g_assert_true (ph_broker_set_policy (f->broker, f->cli, ph_pdp_get_default_model (),
                                       "g, cli, owner\np, owner, *, *, true, allow, \n", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (f->prompter->n_password, ==, 1);
  g_assert_true (ph_vault_get_policy (f->vault, &model, NULL, NULL));
}

/* Risky moments raise the bar: failed unlocks push the default policy to ask for the password. */
static void
test_risk (Fixture      *f,
           gconstpointer data)
{
  g_autoptr(PhRiskMonitor) monitor = ph_risk_monitor_new ();
  PhRiskSignals signals;
  gint64 now = g_get_real_time ();
  int score;

  score = ph_risk_monitor_score (monitor, "cli", now, TRUE, &signals);
  g_assert_true (signals.new_caller);
  g_assert_cmpint (score, ==, PH_RISK_NEW_CALLER);
  for (int i = 0; i < 200; i++)
    ph_risk_monitor_observe (monitor, "cli", now - (gint64) (200 - i) * 3600 * G_USEC_PER_SEC / 10);
  score = ph_risk_monitor_score (monitor, "cli", now, FALSE, &signals);
  g_assert_false (signals.new_caller);
  g_assert_true (signals.nobody_present);
  for (int i = 0; i < 40; i++)
    ph_risk_monitor_observe (monitor, "cli", now - i * G_USEC_PER_SEC);
  ph_risk_monitor_note_failed_unlock (monitor, now);
  ph_risk_monitor_note_failed_unlock (monitor, now);
  ph_risk_monitor_note_failed_unlock (monitor, now);
  score = ph_risk_monitor_score (monitor, "cli", now, TRUE, &signals);
  g_assert_true (signals.burst);
  g_assert_cmpuint (signals.failed_unlocks, ==, 3);
  g_assert_cmpint (score, >=, PH_RISK_BURST + PH_RISK_FAILED_UNLOCKS);

  /* Through the broker: after three failed unlocks, even a normal entry needs the password. */
  f->prompter->password = g_strdup ("master");
  ph_broker_note_failed_unlock (f->broker);
  ph_broker_note_failed_unlock (f->broker);
  ph_broker_note_failed_unlock (f->broker);
  g_assert_true (ph_broker_authorize (f->broker, f->cli, PH_ACTION_REVEAL, f->normal, NULL, NULL));
  g_assert_cmpuint (f->prompter->n_password, ==, 1);

  /* With an authenticator app set up, the risky moment wants its code too. */
  {
    g_autoptr(PhSecret) uri = ph_second_factors_new_totp_uri ("me");
    g_autoptr(PhOtp) otp = ph_otp_new_from_uri (ph_secret_get_text (uri), NULL);
    gint64 seconds = g_get_real_time () / G_USEC_PER_SEC;
    g_autofree char *enrol_code = ph_otp_code_at (otp, seconds - 30);
    g_autoptr(PhBroker) risky = new_broker (f);

    g_assert_true (ph_second_factors_enroll_totp (f->vault, ph_secret_get_text (uri), enrol_code, seconds, NULL));
    f->prompter->code = ph_otp_code_at (otp, seconds);
    ph_broker_note_failed_unlock (risky);
    ph_broker_note_failed_unlock (risky);
    ph_broker_note_failed_unlock (risky);
    g_assert_true (ph_broker_authorize (risky, f->cli, PH_ACTION_REVEAL, f->normal, NULL, NULL));
    g_assert_cmpuint (f->prompter->n_code, ==, 1);
    /* The normal risk of a known caller: nothing asked. */
    {
      g_autoptr(PhBroker) calm = new_broker (f);

      ph_broker_set_session (calm, g_get_real_time (), g_get_real_time ());
      g_assert_true (ph_broker_authorize (calm, f->cli, PH_ACTION_REVEAL, f->normal, NULL, NULL));
      g_assert_cmpuint (f->prompter->n_code, ==, 1);
    }
  }
}

/* Export: one decision for the whole vault (the password now), then each entry opens. */
static void
test_export (Fixture      *f,
             gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *log = NULL;
  int fd = g_open ("/dev/null", O_WRONLY, 0);
  guint n = 0;

  f->prompter->password = g_strdup ("master");
  g_assert_true (ph_csv_export (f->broker, f->cli, fd, &n, &error));
  g_assert_no_error (error);
  close (fd);
  g_assert_cmpuint (n, ==, 2);
  g_assert_cmpuint (f->prompter->n_password, ==, 1);
  log = read_log (f);
  g_assert_cmpuint (count (log, "\"action\":\"export\""), ==, 1);
  g_assert_null (strstr (log, CANARY));
}

/* The chain head goes into the vault, so a log cut short after a save is caught. */
static void
test_head_in_vault (Fixture      *f,
                    gconstpointer data)
{
  g_autoptr(PhSecret) key = ph_vault_derive_key (f->vault, PH_AUDIT_KEY_ID, PH_AUDIT_KEY_CONTEXT);
  g_autofree char *vault_id = ph_vault_dup_id (f->vault);
  g_autofree char *text = NULL;
  PhAuditVerifyResult result;
  guint8 mac[32];
  guint64 seq;

  for (int i = 0; i < 5; i++)
    g_assert_true (ph_broker_authorize (f->broker, f->cli, PH_ACTION_LIST, NULL, NULL, NULL));
  g_assert_true (ph_broker_finish (f->broker, NULL));
  g_assert_true (ph_vault_save (f->vault, NULL));
  g_assert_true (ph_vault_get_audit_head (f->vault, &seq, mac));
  g_assert_cmpuint (seq, ==, 5);

  g_file_get_contents (f->log_path, &text, NULL, NULL);
  *strrchr (text, '\n') = '\0';
  *(strrchr (text, '\n') + 1) = '\0';   /* drop the last record */
  g_file_set_contents (f->log_path, text, -1, NULL);
  g_assert_true (ph_audit_log_verify (f->log_path, vault_id, key, seq, mac, &result, NULL));
  g_assert_cmpint (result.problem, ==, PH_AUDIT_TRUNCATED);
  ph_audit_verify_result_clear (&result);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (sodium_init (), >=, 0);

  g_test_add_func ("/broker/no-other-path", test_no_other_path);
#define ADD(name, func) g_test_add ("/broker/" name, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("reveal-allowed-and-audited", test_reveal_allowed_and_audited);
  ADD ("each-action", test_each_action);
  ADD ("reauth", test_reauth);
  ADD ("step-up", test_step_up);
  ADD ("step-up-security-key", test_step_up_security_key);
  ADD ("approval", test_approval);
  ADD ("policy-changes", test_policy_changes);
  ADD ("risk", test_risk);
  ADD ("export", test_export);
  ADD ("head-in-vault", test_head_in_vault);

  return g_test_run ();
}
