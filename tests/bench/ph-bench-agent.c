/* ph-bench-agent.c: perihelion-agent's numbers, on a private session bus:
 *  - `secret-tool lookup` wall time against the agent, and against gnome-keyring-daemon serving
 *    the same item (target: no slower);
 *  - `perihelion-cli get` through an unlocked agent (target <= 10 ms);
 *  - 50 concurrent clients x 1,000 GetSecret calls: errors, p50 and p99 latency;
 *  - the agent's resident memory, idle, with no window (target <= 25 MB).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <gio/gio.h>
#include <glib/gstdio.h>

#include "ph-broker.h"
#include "ph-vault.h"

#define CLIENTS 50
#define REQUESTS 1000
#define RUNS 30

static const PhKdfParams kdf = { 1, 64 * 1024 };
static char *dir;

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
percentile (GArray *values,
            double  p)
{
  g_array_sort (values, compare_double);
  return g_array_index (values, double, MIN (values->len - 1, (guint) (p * values->len)));
}

static int
run_quiet (const char *input,
           ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocess) child = NULL;
  const char *arg;
  va_list args;

  va_start (args, input);
  while ((arg = va_arg (args, const char *)))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (args);
  g_ptr_array_add (argv, NULL);
  child = g_subprocess_newv ((const char * const *) argv->pdata,
                             G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                             G_SUBPROCESS_FLAGS_STDERR_SILENCE, NULL);
  g_subprocess_communicate_utf8 (child, input, NULL, NULL, NULL, NULL);
  return g_subprocess_get_exit_status (child);
}

/* Median wall time of a command, in ms. */
static double
time_command (const char * const *argv,
              gboolean           *all_ok)
{
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));

  *all_ok = TRUE;
  for (int i = 0; i < RUNS; i++)
    {
      g_autoptr(GSubprocess) child = NULL;
      double t0 = now_ms (), t;

      child = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, NULL);
      g_subprocess_wait (child, NULL, NULL);
      t = now_ms () - t0;
      if (!g_subprocess_get_successful (child))
        *all_ok = FALSE;
      g_array_append_val (times, t);
    }
  return percentile (times, 0.5);
}

static GSubprocess *
start_agent (const char *vault_path)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *pw = g_build_filename (dir, "pw", NULL);
  g_autofree char *log = g_build_filename (dir, "audit.log", NULL);
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *trusted = g_strconcat (self_exe, ":", g_getenv ("PH_CLI_PATH"), NULL);
  GSubprocess *agent;

  g_file_set_contents (pw, "master\n", -1, NULL);
  g_subprocess_launcher_take_fd (launcher, g_open (pw, O_RDONLY, 0), 3);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_AUDIT_LOG", log, TRUE);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_TRUSTED_CLI", trusted, TRUE);
  agent = g_subprocess_launcher_spawn (launcher, NULL, g_getenv ("PH_AGENT_PATH"), "--vault", vault_path,
                                       "--password-fd", "3", "--secret-service", "--idle-timeout", "0", NULL);
  run_quiet (NULL, "gdbus", "wait", "--session", "--timeout", "10", "org.freedesktop.secrets", NULL);
  run_quiet (NULL, "gdbus", "wait", "--session", "--timeout", "10", "org.perihelion.Agent", NULL);
  return agent;
}

static void
stop (GSubprocess *child)
{
  g_subprocess_send_signal (child, SIGTERM);
  g_subprocess_wait (child, NULL, NULL);
}

static long
rss_kib (GSubprocess *child)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (child));
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents (path, &status, NULL, NULL) || !(line = strstr (status, "VmRSS:")))
    return 0;
  return atol (line + 6);
}

typedef struct
{
  const char *address;
  GArray *latencies;   /* ms */
  guint errors;
} Client;

static gpointer
client_thread (gpointer data)
{
  Client *client = data;
  g_autoptr(GDBusConnection) bus = g_dbus_connection_new_for_address_sync (client->address,
                                                                           G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                                           G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                                           NULL, NULL, NULL);

  for (int i = 0; i < REQUESTS; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) reply = NULL;
      double t0 = now_ms (), t;

      reply = g_dbus_connection_call_sync (bus, "org.perihelion.Agent", "/org/perihelion/Agent",
                                           "org.perihelion.Agent1", "GetSecret",
                                           g_variant_new ("(sss)", "GitHub", "password", "use"), NULL,
                                           G_DBUS_CALL_FLAGS_NONE, 60000, NULL, &error);
      t = now_ms () - t0;
      if (reply == NULL)
        client->errors++;
      g_array_append_val (client->latencies, t);
    }
  return NULL;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GTestDBus) bus = NULL;
  g_autofree char *vault_path = NULL;
  g_autofree char *home = NULL;
  g_autoptr(GSubprocess) agent = NULL;
  const char *lookup[] = { "secret-tool", "lookup", "service", "org.bench", "account", "alice", NULL };
  gboolean ok;
  double ours, keyring_time, cli_get;

  dir = g_dir_make_tmp ("ph-bench-agent-XXXXXX", NULL);
  vault_path = g_build_filename (dir, "v.phvault", NULL);
  home = g_build_filename (dir, "home", NULL);
  g_mkdir (home, 0700);
  g_setenv ("HOME", home, TRUE);
  g_setenv ("XDG_DATA_HOME", home, TRUE);
  bus = g_test_dbus_new (G_TEST_DBUS_NONE);
  g_test_dbus_up (bus);

  {
    g_autoptr(PhSecret) password = ph_secret_new_from_text ("master");
    g_autoptr(PhVault) vault = ph_vault_new (vault_path, password, &kdf, NULL, NULL);
    g_autoptr(PhEntry) entry = ph_entry_new ("GitHub");
    g_autoptr(PhSecret) secret = ph_secret_new_from_text ("bench-secret");
    g_autofree char *policy = g_strdup_printf ("p, process:/usr/bin/secret-tool, *, *, true, allow, \n%s",
                                               ph_pdp_get_default_policy ());

    ph_vault_add (vault, entry, NULL);
    ph_vault_set_secret (vault, entry, PH_FIELD_PASSWORD, secret, NULL);
    ph_vault_set_policy (vault, ph_pdp_get_default_model (), policy);
    if (!ph_vault_save (vault, NULL))
      return 1;
  }

  /* secret-tool against the agent */
  agent = start_agent (vault_path);
  run_quiet ("bench-secret", "secret-tool", "store", "--label=Bench", "service", "org.bench", "account", "alice", NULL);
  ours = time_command (lookup, &ok);
  printf ("secret-tool lookup via perihelion-agent: median %.1f ms over %d runs%s\n", ours, RUNS, ok ? "" : " (FAILURES)");

  /* perihelion-cli get through the agent */
  {
    const char *get[] = { g_getenv ("PH_CLI_PATH"), "get", "GitHub", NULL };

    g_unsetenv ("PERIHELION_VAULT");
    cli_get = time_command (get, &ok);
    printf ("perihelion-cli get via the agent: median %.1f ms over %d runs%s\n", cli_get, RUNS, ok ? "" : " (FAILURES)");
  }

  /* 50 clients x 1000 requests */
  {
    Client clients[CLIENTS];
    GThread *threads[CLIENTS];
    g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (double));
    guint errors = 0;
    double t0 = now_ms (), elapsed;

    for (int c = 0; c < CLIENTS; c++)
      {
        clients[c] = (Client) { g_test_dbus_get_bus_address (bus), g_array_new (FALSE, FALSE, sizeof (double)), 0 };
        threads[c] = g_thread_new ("client", client_thread, &clients[c]);
      }
    for (int c = 0; c < CLIENTS; c++)
      {
        g_thread_join (threads[c]);
        g_array_append_vals (all, clients[c].latencies->data, clients[c].latencies->len);
        errors += clients[c].errors;
        g_array_unref (clients[c].latencies);
      }
    elapsed = now_ms () - t0;
    printf ("%d clients x %d GetSecret: %u errors, p50 %.2f ms, p99 %.2f ms, %.0f requests/s\n", CLIENTS, REQUESTS,
            errors, percentile (all, 0.5), percentile (all, 0.99), all->len / (elapsed / 1000.0));
  }

  g_usleep (500 * 1000);
  printf ("agent RSS, unlocked and idle, no window: %.1f MB\n", rss_kib (agent) / 1024.0);
  stop (agent);

  /* gnome-keyring-daemon serving the same item, on the same bus */
  {
    g_autoptr(GSubprocess) keyring = NULL;
    g_autoptr(GError) error = NULL;

    keyring = g_subprocess_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                                G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                                "gnome-keyring-daemon", "--unlock", "--foreground", "--components=secrets", NULL);
    if (keyring == NULL)
      printf ("gnome-keyring-daemon: not available (%s)\n", error->message);
    else
      {
        GOutputStream *in = g_subprocess_get_stdin_pipe (keyring);

        g_output_stream_write_all (in, "bench", 5, NULL, NULL, NULL);
        g_output_stream_close (in, NULL, NULL);
        run_quiet (NULL, "gdbus", "wait", "--session", "--timeout", "10", "org.freedesktop.secrets", NULL);
        run_quiet ("bench-secret", "secret-tool", "store", "--label=Bench", "service", "org.bench", "account", "alice",
                   NULL);
        keyring_time = time_command (lookup, &ok);
        printf ("secret-tool lookup via gnome-keyring-daemon: median %.1f ms over %d runs%s\n", keyring_time, RUNS,
                ok ? "" : " (FAILURES)");
        printf ("perihelion-agent / gnome-keyring: %.2f\n", ours / keyring_time);
        stop (keyring);
      }
  }

  g_test_dbus_down (bus);
  return 0;
}
