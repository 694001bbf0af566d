/* test-crash-consistency.c: SIGKILL a writer at random moments during hundreds of saves; the
 * vault must always open, to a committed generation, with every committed entry in it.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ph-test-util.h"

static const char *writer_path;

static void
test_sigkill_during_saves (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v.phvault", NULL);
  g_autoptr(GError) error = NULL;
  GRand *rand = g_rand_new ();
  int committed = -1;
  guint total_saves = 0;

  {
    g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
    ph_vault_save (vault, &error);
    g_assert_no_error (error);
  }

  /* Forty kills at least, and as many more as a slow (sanitized, loaded) machine needs for a
   * hundred committed saves to have been interrupted among. */
  for (int round = 0; round < 40 || (total_saves < 100 && round < 400); round++)
    {
      g_autofree char *start = g_strdup_printf ("%d", committed + 1);
      const char *argv[] = { writer_path, path, start, NULL };
      g_autoptr(GSubprocess) writer = NULL;
      g_autoptr(PhVault) vault = NULL;
      GInputStream *out;
      g_autoptr(GDataInputStream) lines = NULL;
      gint64 deadline;
      char *line;

      writer = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
      g_assert_no_error (error);
      out = g_subprocess_get_stdout_pipe (writer);
      lines = g_data_input_stream_new (out);

      /* Let it run for a random while, reading what it committed, then kill it mid-flight. */
      deadline = g_get_monotonic_time () + g_rand_int_range (rand, 2000, 40000);
      while (g_get_monotonic_time () < deadline &&
             (line = g_data_input_stream_read_line (lines, NULL, NULL, NULL)) != NULL)
        {
          committed = atoi (line);
          total_saves++;
          g_free (line);
        }
      kill (atoi (g_subprocess_get_identifier (writer)), SIGKILL);
      g_subprocess_wait (writer, NULL, NULL);
      /* Lines already in the pipe were committed before the kill. */
      while ((line = g_data_input_stream_read_line (lines, NULL, NULL, NULL)) != NULL)
        {
          committed = atoi (line);
          total_saves++;
          g_free (line);
        }

      vault = ph_test_open_vault (path, "pw");
      for (int i = 0; i <= committed; i++)
        {
          g_autofree char *title = g_strdup_printf ("entry %d", i);
          PhEntry *entry = ph_vault_find (vault, title, &error);

          g_assert_no_error (error);
          if (i == committed)
            ph_test_assert_secret (vault, entry, PH_FIELD_PASSWORD, title);
        }
      /* At most the one save in flight may have landed beyond what was reported. */
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (vault)), <=, committed + 2);
      committed = g_list_model_get_n_items (G_LIST_MODEL (vault)) - 1;
    }

  g_test_message ("%u committed saves across the kills", total_saves);
  g_assert_cmpuint (total_saves, >=, 100);
  g_rand_free (rand);
  ph_test_remove_dir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_assert_cmpint (argc, ==, 2);
  writer_path = argv[1];

  g_test_add_func ("/crash/sigkill-during-saves", test_sigkill_during_saves);

  return g_test_run ();
}
