/* test-prompts.c: the agent's windows under Xvfb, clicked as a person would: the approval
 * prompt with each of its answers, the password prompt, and the unlock window with a wrong and
 * then the right password (the wait after the wrong one included).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "ph-agent-private.h"
#include "ph-approval-window.h"
#include "ph-gtk-prompter.h"
#include "ph-password-window.h"
#include "ph-otp.h"
#include "ph-second-factors.h"
#include "ph-test-util.h"

/* A script runs from a timeout while the prompt's nested loop waits for an answer. */
typedef gboolean (*Step) (gpointer data);

static GtkWindow *
find_window (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* owned by GTK */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_mapped (GTK_WIDGET (window)) &&
          gtk_widget_get_width (GTK_WIDGET (window)) > 0)
        return window;
    }
  return NULL;
}

static GtkWidget *
find_widget (GtkWidget  *root,
             GType       type,
             const char *label)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type) &&
      (label == NULL || (GTK_IS_BUTTON (root) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (root)), label) == 0) ||
       (GTK_IS_LABEL (root) && strstr (gtk_label_get_text (GTK_LABEL (root)), label))))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type, label);

      if (found)
        return found;
    }
  return NULL;
}

typedef struct
{
  const char *button;        /* the answer to click */
  gboolean close;            /* or close the window */
  gboolean saw_request;
  guint source;              /* 0 once the script has removed itself */
} ApprovalScript;

static gboolean
answer_approval (gpointer data)
{
  ApprovalScript *script = data;
  GtkWindow *window = find_window (PH_TYPE_APPROVAL_WINDOW);
  GtkWidget *button;

  if (window == NULL)
    return G_SOURCE_CONTINUE;
  script->saw_request = find_widget (GTK_WIDGET (window), GTK_TYPE_LABEL, "“GitHub”") != NULL &&
                        find_widget (GTK_WIDGET (window), GTK_TYPE_LABEL, "claude") != NULL;
  script->source = 0;
  if (script->close)
    {
      gtk_window_close (window);
      return G_SOURCE_REMOVE;
    }
  button = find_widget (GTK_WIDGET (window), GTK_TYPE_BUTTON, script->button);
  g_assert_nonnull (button);
  g_assert_true (gtk_widget_get_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
  return G_SOURCE_REMOVE;
}

static void
test_approval (void)
{
  static const struct
  {
    const char *button;
    gboolean close;
    PhApproval expected;
  } cases[] = {
    { "Allow _Once", FALSE, PH_APPROVAL_ONCE },
    { "Allow for _10 Minutes", FALSE, PH_APPROVAL_TEN_MINUTES },
    { "_Always Allow This App for This Entry", FALSE, PH_APPROVAL_ALWAYS },
    { "_Deny", FALSE, PH_APPROVAL_DENY },
    { NULL, TRUE, PH_APPROVAL_DENY },
  };
  g_autoptr(PhPrompter) prompter = ph_gtk_prompter_new ();
  g_autoptr(PhEntry) entry = ph_entry_new ("GitHub");
  g_autoptr(PhSubject) subject = ph_subject_new_for_self (PH_SUBJECT_AGENT, "claude");
  PhAccessRequest request = { .subject = subject, .action = PH_ACTION_REVEAL, .entry = entry };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      ApprovalScript script = { cases[i].button, cases[i].close, FALSE, 0 };
      PhApproval answer;

      script.source = g_timeout_add (20, answer_approval, &script);
      answer = ph_prompter_ask_approval (prompter, &request, "test");
      g_clear_handle_id (&script.source, g_source_remove);
      g_assert_cmpint (answer, ==, cases[i].expected);
      g_assert_true (script.saw_request);
    }
}

typedef struct
{
  const char *password;
  int clicks;
  guint source;
} PasswordScript;

static gboolean
type_password (gpointer data)
{
  PasswordScript *script = data;
  GtkWindow *window = find_window (PH_TYPE_PASSWORD_WINDOW);
  GtkWidget *entry, *unlock;

  if (window == NULL)
    return G_SOURCE_CONTINUE;
  entry = find_widget (GTK_WIDGET (window), GTK_TYPE_PASSWORD_ENTRY, NULL);
  unlock = find_widget (GTK_WIDGET (window), GTK_TYPE_BUTTON, "_Unlock");
  if (!gtk_widget_get_sensitive (unlock) || !gtk_editable_get_editable (GTK_EDITABLE (entry)))
    return G_SOURCE_CONTINUE;   /* deriving the key, or waiting after a wrong password */
  gtk_editable_set_text (GTK_EDITABLE (entry), script->password);
  script->source = 0;
  g_signal_emit_by_name (unlock, "clicked");
  script->clicks++;
  return G_SOURCE_REMOVE;
}

static void
test_password (void)
{
  g_autoptr(PhPrompter) prompter = ph_gtk_prompter_new ();
  g_autoptr(PhSecret) password = NULL;
  g_autoptr(GError) error = NULL;
  PasswordScript script = { "correct horse", 0, 0 };

  script.source = g_timeout_add (20, type_password, &script);
  password = ph_prompter_ask_password (prompter, "Enter the master password to reveal “Bank”", &error);
  g_clear_handle_id (&script.source, g_source_remove);
  g_assert_no_error (error);
  g_assert_cmpstr (ph_secret_get_text (password), ==, "correct horse");
}

typedef struct
{
  guint step;
  gboolean saw_error;
  gboolean saw_wait;
  guint source;
  gint64 deadline;
} UnlockScript;

static gboolean
drive_unlock (gpointer data)
{
  UnlockScript *script = data;
  GtkWindow *window = find_window (PH_TYPE_PASSWORD_WINDOW);
  GtkWidget *entry, *unlock, *error;

  if (g_get_monotonic_time () > script->deadline)
    {
      GListModel *toplevels = gtk_window_get_toplevels ();

      g_printerr ("stuck: step %u, saw_error %d, saw_wait %d, window %p, %u toplevels\n", script->step,
                  script->saw_error, script->saw_wait, (void *) window, g_list_model_get_n_items (toplevels));
      for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
        {
          g_autoptr(GtkWidget) w = g_list_model_get_item (toplevels, i);

          g_printerr ("  %s mapped %d width %d\n", G_OBJECT_TYPE_NAME (w), gtk_widget_get_mapped (w),
                      gtk_widget_get_width (w));
          if (PH_IS_PASSWORD_WINDOW (w))
            {
              GtkWidget *b = find_widget (w, GTK_TYPE_BUTTON, "_Unlock");
              GtkWidget *e = find_widget (w, GTK_TYPE_PASSWORD_ENTRY, NULL);
              GtkWidget *l = find_widget (w, GTK_TYPE_LABEL, "Wrong");

              g_printerr ("  unlock sensitive %d, entry editable %d, error %s\n", gtk_widget_get_sensitive (b),
                          gtk_editable_get_editable (GTK_EDITABLE (e)), l ? gtk_label_get_text (GTK_LABEL (l)) : "-");
            }
        }
      g_error ("the unlock window did not get through its script");
    }
  if (window == NULL)
    return G_SOURCE_CONTINUE;
  entry = find_widget (GTK_WIDGET (window), GTK_TYPE_PASSWORD_ENTRY, NULL);
  unlock = find_widget (GTK_WIDGET (window), GTK_TYPE_BUTTON, "_Unlock");
  error = find_widget (GTK_WIDGET (window), GTK_TYPE_LABEL, "Wrong password");
  if (script->step == 1 && error && gtk_widget_get_visible (error))
    {
      script->saw_error = TRUE;
      /* The wait after a wrong password: Unlock is off for a second. */
      if (!gtk_widget_get_sensitive (unlock))
        script->saw_wait = TRUE;
    }
  if (!gtk_widget_get_sensitive (unlock) || !gtk_editable_get_editable (GTK_EDITABLE (entry)))
    return G_SOURCE_CONTINUE;
  if (script->step == 0)
    gtk_editable_set_text (GTK_EDITABLE (entry), "wrong");
  else if (script->step == 1 && script->saw_error)
    gtk_editable_set_text (GTK_EDITABLE (entry), "master");
  else
    return G_SOURCE_CONTINUE;
  script->step++;
  g_signal_emit_by_name (unlock, "clicked");
  /* Kept until the prompt returns: if it ever stalls, the watchdog above says where. */
  return G_SOURCE_CONTINUE;
}

static char *dir;

static void
test_unlock_window (void)
{
  g_autofree char *vault_path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(PhAgent) agent = NULL;
  UnlockScript script = { 0 };
  gboolean unlocked;

  {
    g_autoptr(PhVault) vault = ph_test_new_vault (vault_path, "master", NULL);

    g_assert_true (ph_vault_save (vault, NULL));
  }
  agent = ph_agent_new (vault_path);
  script.deadline = g_get_monotonic_time () + 15 * G_USEC_PER_SEC;
  script.source = g_timeout_add (20, drive_unlock, &script);
  unlocked = ph_gtk_prompter_unlock (agent, "process:/usr/bin/example needs the vault", NULL);
  g_clear_handle_id (&script.source, g_source_remove);
  g_assert_true (unlocked);
  g_assert_true (script.saw_error);
  g_assert_true (script.saw_wait);
  g_assert_false (ph_agent_get_locked (agent));
  ph_agent_lock (agent);
  g_assert_true (ph_agent_get_locked (agent));
  g_clear_object (&agent);
}

/* The whole way in the agent: a request whose policy asks for approval reaches the window through
 * the broker; "Always allow" becomes a rule in the vault's policy, and the next request passes
 * without a question. */
static void
test_always_becomes_rule (void)
{
  g_autofree char *vault_path = g_build_filename (dir, "always.phvault", NULL);
  g_autoptr(PhAgent) agent = NULL;
  g_autoptr(PhPrompter) prompter = ph_gtk_prompter_new ();
  g_autoptr(PhSubject) subject = ph_subject_new (PH_SUBJECT_AGENT, "claude");
  g_autoptr(PhSecret) password = ph_secret_new_from_text ("master");
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) secret = NULL;
  g_autofree char *policy = NULL;
  ApprovalScript script = { "_Always Allow This App for This Entry", FALSE, FALSE, 0 };
  PhEntry *entry;

  {
    g_autoptr(PhVault) vault = ph_test_new_vault (vault_path, "master", NULL);

    g_object_unref (ph_test_add_entry (vault, "GitHub", "me", "https://github.com", "s3cr3t"));
    g_assert_true (ph_vault_save (vault, NULL));
  }
  agent = ph_agent_new (vault_path);
  ph_agent_set_prompter (agent, prompter, ph_gtk_prompter_unlock, NULL);
  g_assert_true (ph_agent_unlock (agent, password, &error));
  entry = ph_vault_find (ph_agent_get_vault (agent), "GitHub", NULL);

  script.source = g_timeout_add (20, answer_approval, &script);
  secret = ph_broker_open (ph_agent_get_broker (agent), subject, PH_ACTION_REVEAL, entry, PH_FIELD_PASSWORD, &error);
  g_clear_handle_id (&script.source, g_source_remove);
  g_assert_no_error (error);
  g_assert_cmpstr (ph_secret_get_text (secret), ==, "s3cr3t");
  g_assert_true (script.saw_request);

  g_assert_true (ph_vault_get_policy (ph_agent_get_vault (agent), NULL, &policy, NULL));
  g_assert_true (g_str_has_prefix (policy, "p, agent:claude, "));
  /* Asked once: this time no window (a window would wait forever: no script answers it). */
  g_clear_pointer (&secret, ph_secret_unref);
  secret = ph_broker_open (ph_agent_get_broker (agent), subject, PH_ACTION_REVEAL, entry, PH_FIELD_PASSWORD, &error);
  g_assert_no_error (error);
  ph_agent_lock (agent);
}

/* A critical entry with an authenticator app set up: the agent's window asks for the code (not
 * the password), and the right one releases the secret. */
typedef struct
{
  char *code;
  gboolean asked_for_code;
  guint source;
} CodeScript;

static gboolean
type_code (gpointer data)
{
  CodeScript *script = data;
  GtkWindow *window = find_window (PH_TYPE_PASSWORD_WINDOW);
  GtkWidget *entry, *verify;

  if (window == NULL)
    return G_SOURCE_CONTINUE;
  entry = find_widget (GTK_WIDGET (window), GTK_TYPE_PASSWORD_ENTRY, NULL);
  verify = find_widget (GTK_WIDGET (window), GTK_TYPE_BUTTON, "_Verify");
  if (verify == NULL || !gtk_widget_get_sensitive (verify))
    return G_SOURCE_CONTINUE;
  script->asked_for_code = g_str_equal (gtk_window_get_title (window), "Second Factor");
  gtk_editable_set_text (GTK_EDITABLE (entry), script->code);
  script->source = 0;
  g_signal_emit_by_name (verify, "clicked");
  return G_SOURCE_REMOVE;
}

static void
test_second_factor_window (void)
{
  g_autofree char *vault_path = g_build_filename (dir, "mfa.phvault", NULL);
  g_autoptr(PhPrompter) prompter = ph_gtk_prompter_new ();
  g_autoptr(PhSubject) subject = ph_subject_new (PH_SUBJECT_GUI, NULL);
  g_autoptr(PhSecret) password = ph_secret_new_from_text ("master");
  g_autoptr(PhAgent) agent = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PhSecret) secret = NULL;
  g_autoptr(PhSecret) uri = ph_second_factors_new_totp_uri ("me");
  g_autoptr(PhOtp) otp = ph_otp_new_from_uri (ph_secret_get_text (uri), NULL);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *enrol_code = ph_otp_code_at (otp, now - 30);
  CodeScript script = { ph_otp_code_at (otp, now), FALSE, 0 };
  PhEntry *entry;

  {
    g_autoptr(PhVault) vault = ph_test_new_vault (vault_path, "master", NULL);
    g_autoptr(PhEntry) bank = ph_test_add_entry (vault, "Bank", "me", "https://bank.example", "b4nk");

    ph_entry_set_sensitivity (bank, PH_SENSITIVITY_CRITICAL);
    g_assert_true (ph_second_factors_enroll_totp (vault, ph_secret_get_text (uri), enrol_code, now, &error));
    g_assert_true (ph_vault_save (vault, NULL));
  }
  agent = ph_agent_new (vault_path);
  ph_agent_set_prompter (agent, prompter, ph_gtk_prompter_unlock, NULL);
  g_assert_true (ph_agent_unlock (agent, password, &error));
  entry = ph_vault_find (ph_agent_get_vault (agent), "Bank", NULL);

  script.source = g_timeout_add (20, type_code, &script);
  secret = ph_broker_open (ph_agent_get_broker (agent), subject, PH_ACTION_REVEAL, entry, PH_FIELD_PASSWORD, &error);
  g_clear_handle_id (&script.source, g_source_remove);
  g_assert_no_error (error);
  g_assert_cmpstr (ph_secret_get_text (secret), ==, "b4nk");
  g_assert_true (script.asked_for_code);
  g_free (script.code);
  ph_agent_lock (agent);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *log = NULL;
  int status;

  /* The environment is set before GTK starts threads: setenv() is not thread-safe. */
  dir = ph_test_make_dir ();
  log = g_build_filename (dir, "audit.log", NULL);
  g_setenv ("PERIHELION_AUDIT_LOG", log, TRUE);

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();

  g_test_add_func ("/prompts/approval", test_approval);
  g_test_add_func ("/prompts/password", test_password);
  g_test_add_func ("/prompts/unlock-window", test_unlock_window);
  g_test_add_func ("/prompts/always-becomes-rule", test_always_becomes_rule);
  g_test_add_func ("/prompts/second-factor-window", test_second_factor_window);
  status = g_test_run ();
  ph_test_remove_dir (dir);
  g_free (dir);
  return status;
}
