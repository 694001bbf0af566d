/* ph-access.c: what an access request is made of: who asks, for what, on which object, when.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-policy"

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>

#include "ph-access.h"
#include "ph-policy-error.h"

static const char * const action_names[] = {
  "list", "read-metadata", "reveal", "copy", "use", "write", "delete", "admin-policy", "export",
};

static const char * const kind_names[] = { "gui", "cli", "process", "agent", "ci" };

const char *
ph_action_to_string (PhAction action)
{
  g_return_val_if_fail (action < G_N_ELEMENTS (action_names), "");
  return action_names[action];
}

gboolean
ph_action_from_string (const char *text,
                       PhAction   *action)
{
  for (guint i = 0; i < G_N_ELEMENTS (action_names); i++)
    if (g_strcmp0 (text, action_names[i]) == 0)
      {
        *action = i;
        return TRUE;
      }
  return FALSE;
}

const char *
ph_subject_kind_to_string (PhSubjectKind kind)
{
  g_return_val_if_fail (kind < G_N_ELEMENTS (kind_names), "");
  return kind_names[kind];
}

PhSubject *
ph_subject_new (PhSubjectKind  kind,
                const char    *name)
{
  PhSubject *subject = g_new0 (PhSubject, 1);

  subject->kind = kind;
  subject->name = g_strdup (name);
  subject->uid = -1;
  return subject;
}

/* SHA-256 of an executable. Hashes are remembered by device, inode, size and modification time,
 * so a program that calls often (perihelion-cli, every run a new process) is hashed once. */
static char *
hash_file (const char *path)
{
  static GMutex lock;
  static GHashTable *known;   /* "dev:ino:size:mtime" -> hex */
  g_autoptr(GMappedFile) mapped = NULL;
  g_autofree char *key = NULL;
  GStatBuf st;
  char *hash;

  if (g_stat (path, &st) != 0)
    return NULL;
  key = g_strdup_printf ("%lu:%lu:%ld:%ld.%09ld", (gulong) st.st_dev, (gulong) st.st_ino, (long) st.st_size,
                         (long) st.st_mtim.tv_sec, (long) st.st_mtim.tv_nsec);
  g_mutex_lock (&lock);
  if (known == NULL)
    known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  hash = g_strdup (g_hash_table_lookup (known, key));
  g_mutex_unlock (&lock);
  if (hash)
    return hash;

  if ((mapped = g_mapped_file_new (path, FALSE, NULL)) == NULL)
    return NULL;
  hash = g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) g_mapped_file_get_contents (mapped),
                                      g_mapped_file_get_length (mapped));
  g_mutex_lock (&lock);
  if (g_hash_table_size (known) > 1024)
    g_hash_table_remove_all (known);
  g_hash_table_insert (known, g_steal_pointer (&key), g_strdup (hash));
  g_mutex_unlock (&lock);
  return hash;
}

/* The Flatpak app id of a sandboxed process, from the /.flatpak-info its sandbox shows it. */
static char *
flatpak_app_id (gint64 pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%" G_GINT64_FORMAT "/root/.flatpak-info", pid);
  g_autoptr(GKeyFile) info = g_key_file_new ();

  if (!g_key_file_load_from_file (info, path, G_KEY_FILE_NONE, NULL))
    return NULL;
  return g_key_file_get_string (info, "Application", "name", NULL);
}

/**
 * ph_subject_new_for_process:
 *
 * A local process as the policy sees it: its pid and uid (from the bus or the kernel), the
 * executable behind the pid with its SHA-256, and its Flatpak app id when it is sandboxed.
 */
PhSubject *
ph_subject_new_for_process (gint64 pid,
                            gint64 uid)
{
  PhSubject *subject = ph_subject_new (PH_SUBJECT_PROCESS, NULL);
  g_autofree char *link = g_strdup_printf ("/proc/%" G_GINT64_FORMAT "/exe", pid);

  subject->pid = pid;
  subject->uid = uid;
  subject->exe = g_file_read_link (link, NULL);
  subject->exe_sha256 = hash_file (link);
  subject->app_id = flatpak_app_id (pid);
  if (subject->exe)
    subject->name = g_path_get_basename (subject->exe);
  return subject;
}

/* This process, as a subject of the given kind (the CLI and the GUI use it for themselves). */
PhSubject *
ph_subject_new_for_self (PhSubjectKind  kind,
                         const char    *name)
{
  PhSubject *subject = ph_subject_new_for_process (getpid (), getuid ());

  subject->kind = kind;
  g_free (subject->name);
  subject->name = g_strdup (name);
  return subject;
}

/**
 * ph_subject_new_from_spec:
 * @spec: `gui`, `cli`, `agent:NAME`, `ci:NAME`, `process:PATH` or `flatpak:APP-ID`
 *
 * A subject as a person names it, for dry runs of the policy (`policy test`, the app's
 * "try a request").
 */
PhSubject *
ph_subject_new_from_spec (const char  *spec,
                   GError     **error)
{
  if (strcmp (spec, "gui") == 0)
    return ph_subject_new (PH_SUBJECT_GUI, NULL);
  if (strcmp (spec, "cli") == 0)
    return ph_subject_new (PH_SUBJECT_CLI, NULL);
  if (g_str_has_prefix (spec, "agent:"))
    return ph_subject_new (PH_SUBJECT_AGENT, spec + 6);
  if (g_str_has_prefix (spec, "ci:"))
    return ph_subject_new (PH_SUBJECT_CI, spec + 3);
  if (g_str_has_prefix (spec, "process:"))
    {
      PhSubject *subject = ph_subject_new (PH_SUBJECT_PROCESS, NULL);

      subject->exe = g_strdup (spec + 8);
      subject->name = g_path_get_basename (subject->exe);
      return subject;
    }
  if (g_str_has_prefix (spec, "flatpak:"))
    {
      PhSubject *subject = ph_subject_new (PH_SUBJECT_PROCESS, NULL);

      subject->app_id = g_strdup (spec + 8);
      return subject;
    }
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
               _("Unknown subject “%s” (gui, cli, agent:NAME, ci:NAME, process:PATH, flatpak:APP-ID)"), spec);
  return NULL;
}

void
ph_subject_free (PhSubject *subject)
{
  if (subject == NULL)
    return;
  g_free (subject->name);
  g_free (subject->exe);
  g_free (subject->exe_sha256);
  g_free (subject->app_id);
  g_free (subject->purpose);
  g_free (subject->origin);
  g_free (subject->command);
  g_free (subject);
}

/**
 * ph_subject_dup_id:
 *
 * The name policy rules use for a subject: `gui`, `cli`, `agent:NAME`, `ci:NAME`,
 * `flatpak:APP-ID` for a sandboxed app, else `process:/path/to/executable`.
 */
char *
ph_subject_dup_id (const PhSubject *subject)
{
  switch (subject->kind)
    {
    case PH_SUBJECT_GUI:
      return g_strdup ("gui");
    case PH_SUBJECT_CLI:
      return g_strdup ("cli");
    case PH_SUBJECT_AGENT:
      return g_strconcat ("agent:", subject->name ? subject->name : "unknown", NULL);
    case PH_SUBJECT_CI:
      return g_strconcat ("ci:", subject->name ? subject->name : "unknown", NULL);
    case PH_SUBJECT_PROCESS:
    default:
      if (subject->app_id)
        return g_strconcat ("flatpak:", subject->app_id, NULL);
      return g_strconcat ("process:", subject->exe ? subject->exe : "unknown", NULL);
    }
}

char *
ph_subject_dup_description (const PhSubject *subject)
{
  GString *s = g_string_new (ph_subject_kind_to_string (subject->kind));

  if (subject->name)
    g_string_append_printf (s, " %s", subject->name);
  if (subject->exe)
    g_string_append_printf (s, " exe %s", subject->exe);
  if (subject->pid > 0)
    g_string_append_printf (s, " pid %" G_GINT64_FORMAT, subject->pid);
  if (subject->exe_sha256)
    g_string_append_printf (s, " sha256 %.16s", subject->exe_sha256);
  if (subject->app_id)
    g_string_append_printf (s, " app %s", subject->app_id);
  if (subject->origin)
    g_string_append_printf (s, " via “%s”", subject->origin);
  if (subject->command)
    g_string_append_printf (s, " command %s", subject->command);
  if (subject->purpose)
    g_string_append_printf (s, " purpose “%s”", subject->purpose);
  return g_string_free (s, FALSE);
}

static gboolean
parse_duration (const char *text,
                int        *seconds)
{
  char *end = NULL;
  gint64 n = g_ascii_strtoll (text, &end, 10);

  if (end == text || n < 0 || n > 365 * 24 * 3600)
    return FALSE;
  switch (*end)
    {
    case '\0':
    case 's':
      break;
    case 'm':
      n *= 60;
      break;
    case 'h':
      n *= 3600;
      break;
    case 'd':
      n *= 86400;
      break;
    default:
      return FALSE;
    }
  if (*end && end[1])
    return FALSE;
  *seconds = (int) n;
  return TRUE;
}

/**
 * ph_obligations_parse:
 *
 * Reads a policy rule's obligations column: words separated by spaces or `;`:
 * `reauth` or `reauth=DURATION` (the master password entered within DURATION: `15m`, `30s`,
 * `0` for now), `mfa` or `mfa=DURATION` (a second factor verified within DURATION: the
 * authenticator app or a recovery code; the master password while none is set up), `approve`
 * (a person approves), `ttl=DURATION` (how long a released secret may live, for example on the
 * clipboard). Durations take s, m, h or d.
 */
gboolean
ph_obligations_parse (const char *text,
                      PhDecision *decision,
                      GError    **error)
{
  g_auto(GStrv) words = NULL;

  decision->reauth_within = -1;
  decision->mfa_within = -1;
  decision->approve = FALSE;
  decision->ttl = -1;
  if (text == NULL)
    return TRUE;
  words = g_strsplit_set (text, " ;", -1);
  for (guint i = 0; words[i]; i++)
    {
      const char *word = words[i];
      const char *eq = strchr (word, '=');

      if (*word == '\0')
        continue;
      if (strcmp (word, "reauth") == 0)
        decision->reauth_within = 0;
      else if (g_str_has_prefix (word, "reauth=") && parse_duration (eq + 1, &decision->reauth_within))
        ;
      else if (strcmp (word, "mfa") == 0)
        decision->mfa_within = 0;
      else if (g_str_has_prefix (word, "mfa=") && parse_duration (eq + 1, &decision->mfa_within))
        ;
      else if (strcmp (word, "approve") == 0 || strcmp (word, "approve=once") == 0)
        decision->approve = TRUE;
      else if (g_str_has_prefix (word, "ttl=") && parse_duration (eq + 1, &decision->ttl))
        ;
      else
        {
          g_set_error (error, PH_POLICY_ERROR, PH_POLICY_ERROR_POLICY,
                       _("Unknown obligation “%s” (known: reauth=DURATION, mfa=DURATION, approve, ttl=DURATION)"), word);
          return FALSE;
        }
    }
  return TRUE;
}

char *
ph_decision_dup_obligations (const PhDecision *decision)
{
  GString *s = g_string_new (NULL);

  if (decision->reauth_within >= 0)
    g_string_append_printf (s, "reauth=%ds ", decision->reauth_within);
  if (decision->mfa_within >= 0)
    g_string_append_printf (s, "mfa=%ds ", decision->mfa_within);
  if (decision->approve)
    g_string_append (s, "approve ");
  if (decision->ttl >= 0)
    g_string_append_printf (s, "ttl=%ds ", decision->ttl);
  if (s->len)
    g_string_truncate (s, s->len - 1);
  return g_string_free (s, FALSE);
}

void
ph_decision_clear (PhDecision *decision)
{
  g_clear_pointer (&decision->rule, g_free);
}
