/* ph-bench-oauth.c: OAuth against a real provider (npm oidc-provider on 127.0.0.1), under Xvfb
 * on a private bus with the real agent.
 *
 *  - sign-in: Sign In clicked in the accounts window to the account stored and listed, through
 *    the embedded WebKit window (two pages, login and consent, filled in the page as a person
 *    would, so the page loads and the provider's work are in the number);
 *  - git credential fill: `git credential fill` with git-credential-perihelion answering through
 *    the agent (a valid token), the whole command's wall time; and the helper alone, without
 *    git's own start-up;
 *  - perihelion-cli oauth token through the agent.
 *
 * Usage: ph-bench-oauth [ROUNDS]   (needs NODE_PATH with oidc-provider)
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>

#include "ph-accounts-test-util.h"
#include "ph-oidc-test-peer.h"

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static void
report (const char *what,
        GArray     *samples)
{
  double *v = (double *) samples->data;

  qsort (v, samples->len, sizeof (double), compare_doubles);
  printf ("%-44s median %7.1f ms   p90 %7.1f ms   min %7.1f ms   (n=%u)\n", what, v[samples->len / 2],
          v[MIN (samples->len - 1, samples->len * 9 / 10)], v[0], samples->len);
}

/* One run of a command; its wall time in ms. */
static double
run_timed (const char * const *argv,
           const char         *input,
           const char         *bindir)
{
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                               G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autofree char *path_env = g_strdup_printf ("%s:%s", bindir, g_getenv ("PATH"));
  g_autoptr(GSubprocess) process = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  gint64 start;

  g_subprocess_launcher_setenv (launcher, "PATH", path_env, TRUE);
  g_subprocess_launcher_setenv (launcher, "GIT_CONFIG_NOSYSTEM", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "GIT_TERMINAL_PROMPT", "0", TRUE);
  start = g_get_monotonic_time ();
  process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_communicate_utf8 (process, input, NULL, &out, &err, &error));
  if (!g_subprocess_get_successful (process) || *out == '\0')
    g_error ("%s failed: %s%s", argv[0], out, err);
  return (g_get_monotonic_time () - start) / 1000.0;
}

int
main (int    argc,
      char **argv)
{
  int rounds = argc > 1 ? atoi (argv[1]) : 10;
  g_autofree char *issuer = NULL;
  g_autofree char *dir = g_dir_make_tmp ("perihelion-bench-oauth-XXXXXX", NULL);
  g_autofree char *bindir = g_build_filename (dir, "bin", NULL);
  g_autofree char *helper = g_build_filename (bindir, "git-credential-perihelion", NULL);
  g_autoptr(GSubprocess) provider = NULL;
  g_autoptr(GSubprocess) agent_process = NULL;
  g_autoptr(PhDBusAgent1) agent = NULL;
  g_autoptr(GArray) sign_in = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) git = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) helper_only = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) token = g_array_new (FALSE, FALSE, sizeof (double));
  PhAccountsWindow *window;
  const char *request = "protocol=https\nhost=git.bench.test\n\n";

  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  gtk_init ();
  adw_init ();
  if (!(provider = ph_test_start_oidc_provider (&issuer)))
    {
      printf ("skipped: node and npm oidc-provider are needed (NODE_PATH)\n");
      return 0;
    }
  agent_process = start_agent (dir, &agent);
  window = ph_accounts_window_new (NULL, agent);
  gtk_window_present (GTK_WINDOW (window));

  for (int i = 0; i < rounds; i++)
    {
      g_autofree char *name = g_strdup_printf ("bench-%02d", i);
      Expect expect = { window, i + 1, "list" };
      Result result = { 0 };
      gint64 start = g_get_monotonic_time ();
      double ms;

      add_account (window, issuer, name, FALSE, NULL);
      if (i == 0)
        set_row (window, "git_host_row", "git.bench.test");
      play_embedded (window, &result);
      iterate_until (shows, &expect, "the account in the list");
      ms = (g_get_monotonic_time () - start) / 1000.0;
      g_array_append_val (sign_in, ms);
    }
  report ("sign-in: Sign In clicked -> account stored", sign_in);

  g_mkdir_with_parents (bindir, 0700);
  {
    g_autofree char *cli_dir = g_path_get_dirname (g_getenv ("PH_CLI_PATH"));
    g_autofree char *real_helper = g_build_filename (cli_dir, "git-credential-perihelion", NULL);

    g_assert_no_errno (symlink (real_helper, helper));
  }
  for (int i = 0; i < 50; i++)
    {
      const char *git_argv[] = { "git", "-c", "credential.helper=", "-c", "credential.helper=perihelion",
                                 "credential", "fill", NULL };
      const char *helper_argv[] = { helper, "get", NULL };
      const char *token_argv[] = { g_getenv ("PH_CLI_PATH"), "oauth", "token", "bench-01", NULL };
      double ms;

      ms = run_timed (git_argv, request, bindir);
      g_array_append_val (git, ms);
      ms = run_timed (helper_argv, request, bindir);
      g_array_append_val (helper_only, ms);
      ms = run_timed (token_argv, NULL, bindir);
      g_array_append_val (token, ms);
    }
  report ("git credential fill (valid token, via agent)", git);
  report ("git-credential-perihelion get alone", helper_only);
  report ("perihelion-cli oauth token (via agent)", token);

  gtk_window_destroy (GTK_WINDOW (window));
  g_subprocess_send_signal (agent_process, SIGTERM);
  g_subprocess_wait (agent_process, NULL, NULL);
  ph_test_stop_oidc_provider (g_steal_pointer (&provider));
  {
    g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", dir);

    (void) system (cmd);
  }
  return 0;
}
