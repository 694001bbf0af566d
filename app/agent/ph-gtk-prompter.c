/* ph-gtk-prompter.c: the agent's windows: approval, re-authentication and unlock prompts.
 *
 * The broker asks synchronously, from inside a D-Bus call; the window is shown and a nested main
 * loop runs until it is answered, so the agent keeps serving other clients (and redrawing)
 * meanwhile. The unlock window derives the key in a thread, with a spinner.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "perihelion-agent"

#include "config.h"

#include <glib/gi18n.h>

#include "ph-approval-window.h"
#include "ph-gtk-prompter.h"
#include "ph-password-window.h"

struct _PhGtkPrompter
{
  GObject parent_instance;
};

static void ph_gtk_prompter_iface_init (PhPrompterInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PhGtkPrompter, ph_gtk_prompter, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (PH_TYPE_PROMPTER, ph_gtk_prompter_iface_init))

typedef struct
{
  GMainLoop *loop;
  int response;
} Wait;

static void
on_response (GtkWidget *window,
             int        response,
             Wait      *wait)
{
  wait->response = response;
  g_main_loop_quit (wait->loop);
}

/* Shows @window and waits for its "response". */
static int
run (GtkWindow *window)
{
  Wait wait = { g_main_loop_new (NULL, FALSE), -1 };
  gulong id;

  id = g_signal_connect (window, "response", G_CALLBACK (on_response), &wait);
  gtk_window_present (window);
  g_main_loop_run (wait.loop);
  g_signal_handler_disconnect (window, id);
  g_main_loop_unref (wait.loop);
  return wait.response;
}

static PhApproval
ask_approval (PhPrompter            *prompter,
              const PhAccessRequest *request,
              const char            *message)
{
  /* Our own reference: closing the window destroys it, and it must outlive the wait. */
  g_autoptr(PhApprovalWindow) window = g_object_ref (ph_approval_window_new (request));
  int response = run (GTK_WINDOW (window));

  gtk_window_destroy (GTK_WINDOW (window));
  return response < 0 ? PH_APPROVAL_DENY : (PhApproval) response;
}

static PhSecret *
ask_password (PhPrompter  *prompter,
              const char  *message,
              GError     **error)
{
  g_autoptr(PhPasswordWindow) window = g_object_ref (ph_password_window_new (message));
  PhSecret *password = NULL;

  if (run (GTK_WINDOW (window)) == TRUE)
    password = ph_password_window_take_password (window);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
  gtk_window_destroy (GTK_WINDOW (window));
  return password;
}

static PhSecret *
ask_code (PhPrompter  *prompter,
          const char  *message,
          GError     **error)
{
  g_autoptr(PhPasswordWindow) window = g_object_ref (ph_password_window_new_for_code (message));
  PhSecret *code = NULL;

  if (run (GTK_WINDOW (window)) == TRUE)
    code = ph_password_window_take_password (window);
  else
    g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, _("Cancelled"));
  gtk_window_destroy (GTK_WINDOW (window));
  return code;
}

static void
ph_gtk_prompter_iface_init (PhPrompterInterface *iface)
{
  iface->ask_approval = ask_approval;
  iface->ask_password = ask_password;
  iface->ask_code = ask_code;
}

static void
ph_gtk_prompter_class_init (PhGtkPrompterClass *klass)
{
}

static void
ph_gtk_prompter_init (PhGtkPrompter *self)
{
}

PhPrompter *
ph_gtk_prompter_new (void)
{
  return g_object_new (PH_TYPE_GTK_PROMPTER, NULL);
}

typedef struct
{
  char *path;
  PhSecret *password;
} UnlockJob;

static void
unlock_job_free (gpointer data)
{
  UnlockJob *job = data;

  g_free (job->path);
  ph_secret_unref (job->password);
  g_free (job);
}

/* In a thread: the key derivation, about a second by design. */
static void
unlock_thread (GTask        *task,
               gpointer      source,
               gpointer      data,
               GCancellable *cancellable)
{
  UnlockJob *job = data;
  g_autoptr(PhVault) vault = NULL;
  GError *error = NULL;

  if (!(vault = ph_vault_load (job->path, &error)) || !ph_vault_unlock_with_password (vault, job->password, &error))
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, g_steal_pointer (&vault), g_object_unref);
}

static void
on_unlocked (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  GMainLoop *loop = data;

  g_main_loop_quit (loop);
}

/**
 * ph_gtk_prompter_unlock:
 *
 * The unlock window, for a client that needs the locked vault. Returns whether it was unlocked.
 */
gboolean
ph_gtk_prompter_unlock (PhAgent    *agent,
                        const char *reason,
                        gpointer    data)
{
  g_autoptr(PhPasswordWindow) window = g_object_ref (ph_password_window_new (reason));
  gboolean unlocked = FALSE;

  while (!unlocked && run (GTK_WINDOW (window)) == TRUE)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GTask) task = NULL;
      g_autoptr(GMainLoop) loop = NULL;
      g_autoptr(PhVault) vault = NULL;
      UnlockJob *job;

      if (!ph_agent_check_unlock_allowed (agent, &error))
        {
          ph_password_window_set_error (window, error->message, ph_agent_get_unlock_wait_ms (agent));
          continue;
        }
      job = g_new0 (UnlockJob, 1);
      job->path = g_strdup (ph_agent_get_vault_path (agent));
      job->password = ph_password_window_take_password (window);
      ph_password_window_set_busy (window, TRUE);

      loop = g_main_loop_new (NULL, FALSE);
      task = g_task_new (NULL, NULL, on_unlocked, loop);
      g_task_set_task_data (task, job, unlock_job_free);
      g_task_run_in_thread (task, unlock_thread);
      g_main_loop_run (loop);

      vault = g_task_propagate_pointer (task, &error);
      if (vault && ph_agent_adopt_vault (agent, vault, &error))
        unlocked = TRUE;
      else if (g_error_matches (error, PH_VAULT_ERROR, PH_VAULT_ERROR_WRONG_PASSWORD))
        {
          guint wait = ph_agent_note_wrong_password (agent);
          g_autofree char *text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE,
                                                                "Wrong password. Try again in %u second.",
                                                                "Wrong password. Try again in %u seconds.", wait),
                                                   wait);

          ph_password_window_set_error (window, text, ph_agent_get_unlock_wait_ms (agent));
        }
      else
        ph_password_window_set_error (window, error->message, 0);
    }
  gtk_window_destroy (GTK_WINDOW (window));
  return unlocked;
}
