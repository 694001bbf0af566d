/* ph-bench-gui.c: the app's numbers: cold start to first frame, search keystroke to updated
 * list at 100,000 entries, and memory with them loaded.
 *
 * Run under Xvfb on a private bus (build-aux/dev bench does): the start-up time is measured by
 * spawning the real `perihelion` against a real agent until it reports its first frame; the
 * search is measured in-process on the same list model and list view the window uses, from the
 * keystroke to the end of the next painted frame.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "ph-crypto.h"
#include "ph-entry-list.h"
#include "ph-entry-pack.h"
#include "ph-agent-dbus.h"
#include "ph-gui-util.h"
#include "ph-row-model.h"

#define N_ENTRIES 100000

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
rss_mib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) || !(line = strstr (status, "VmRSS:")))
    return 0;
  return g_ascii_strtod (line + 6, NULL) / 1024.0;
}

static void
bench_first_frame (const char *app)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                      G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GArray) times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "PERIHELION_REPORT_FIRST_FRAME", "1", TRUE);
  for (int i = 0; i < 7; i++)
    {
      g_autoptr(GSubprocess) process = NULL;
      g_autofree char *out = NULL;
      gint64 start = g_get_real_time (), frame = 0;
      const char *mark;

      /* A start that never draws must not hang the benchmark. */
      process = g_subprocess_launcher_spawn (launcher, &error, "timeout", "30", app, NULL);
      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (process, NULL, NULL, &out, NULL, &error);
      g_assert_no_error (error);
      if (g_getenv ("PH_BENCH_VERBOSE"))
        g_printerr ("run %d: %s\n", i, out);
      if (out && (mark = strstr (out, "first-frame ")))
        frame = g_ascii_strtoll (mark + strlen ("first-frame "), NULL, 10);
      if (frame > 0 && i > 0)   /* the first run warms the caches */
        {
          double ms = (frame - start) / 1000.0;

          g_array_append_val (times, ms);
        }
    }
  if (times->len)
    {
      g_array_sort (times, compare_doubles);
      g_print ("cold start to first frame (unlocked vault of %u entries): median %.0f ms, min %.0f, max %.0f "
               "(%u runs; target <= 300 ms)\n", N_ENTRIES,
               g_array_index (times, double, times->len / 2), g_array_index (times, double, 0),
               g_array_index (times, double, times->len - 1), times->len);
    }
  else
    g_print ("cold start to first frame: no frame reported\n");
}

static gboolean painted;
static gint64 layout_start, paint_end;

static void
on_layout (GdkFrameClock *clock,
           gpointer       data)
{
  if (layout_start == 0)
    layout_start = g_get_monotonic_time ();
}

static void
on_after_paint (GdkFrameClock *clock,
                gpointer       data)
{
  paint_end = g_get_monotonic_time ();
  painted = TRUE;
}

static void
bench_search (PhDBusAgent1 *agent)
{
  double list_ms;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(PhEntryList) list_model = ph_entry_list_new ();
  PhEntryList *list = list_model;
  /* Typing, a letter at a time, then clearing the field: what a person does. */
  static const char *queries[] = { "g", "gi", "git", "gith", "githu", "github", "github ", "github p", "github pr", "",
                                   "a", "aw", "aws", "aws ", "aws s", "aws st", "",
                                   "b", "ba", "ban", "bank", "bank ", "bank 1", "bank 12", "",
                                   "v", "vp", "vpn", "vpn 9", "vpn 99", "" };
  g_autoptr(GArray) model_times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) frame_times = g_array_new (FALSE, FALSE, sizeof (double));
  g_autoptr(GArray) work_times = g_array_new (FALSE, FALSE, sizeof (double));
  double rss_before = rss_mib ();
  gint64 start;
  GtkWidget *window, *scrolled, *view;
  GtkSingleSelection *selection;
  GdkFrameClock *clock;

  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = NULL;
    g_autoptr(GBytes) bytes = NULL;
    g_autoptr(GPtrArray) unpacked = NULL;

    /* As the window loads them: the agent's ListPacked over the bus, then the model. */
    rss_before = rss_mib ();
    start = g_get_monotonic_time ();
    if (!ph_dbus_agent1_call_list_packed_sync (agent, "", &reply, NULL, &error))
      g_error ("ListPacked: %s", error->message);
    list_ms = (g_get_monotonic_time () - start) / 1000.0;
    bytes = g_variant_get_data_as_bytes (reply);
    unpacked = ph_entry_unpack (bytes, &error);
    g_assert_no_error (error);
    g_ptr_array_extend_and_steal (entries, g_steal_pointer (&unpacked));
    ph_entry_list_set_entries (list_model, entries);
  }
  g_print ("the window's load of %u entries: %.0f ms (ListPacked over D-Bus %.0f ms, then unpacked and sorted); "
           "RSS %.1f MiB (+%.1f MiB)\n", entries->len, (g_get_monotonic_time () - start) / 1000.0, list_ms,
           rss_mib (), rss_mib () - rss_before);

  /* The model alone, no view: the search itself. */
  for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
    {
      gint64 t0 = g_get_monotonic_time ();
      double ms;

      ph_entry_list_set_query (list, queries[q]);
      ms = (g_get_monotonic_time () - t0) / 1000.0;
      g_array_append_val (model_times, ms);
    }
  ph_entry_list_set_query (list, "");
  g_array_sort (model_times, compare_doubles);
  g_print ("search at %u entries, model alone (no view): median %.2f ms, p90 %.2f ms, max %.2f ms\n", N_ENTRIES,
           g_array_index (model_times, double, model_times->len / 2),
           g_array_index (model_times, double, model_times->len * 9 / 10),
           g_array_index (model_times, double, model_times->len - 1));
  g_array_set_size (model_times, 0);

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 400, 800);
  scrolled = gtk_scrolled_window_new ();
  /* As the window has it: rows that stay put (ph-row-model.c) over the entry list. */
  selection = gtk_single_selection_new (G_LIST_MODEL (ph_row_model_new (G_LIST_MODEL (list))));
  /* As the window has it: nothing selected until a person picks an entry. */
  gtk_single_selection_set_autoselect (selection, FALSE);
  gtk_single_selection_set_can_unselect (selection, TRUE);
  gtk_single_selection_set_selected (selection, GTK_INVALID_LIST_POSITION);
  view = gtk_list_view_new (GTK_SELECTION_MODEL (selection),
                            ph_entry_row_factory_new ());
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), view);
  gtk_window_set_child (GTK_WINDOW (window), scrolled);
  gtk_window_present (GTK_WINDOW (window));
  while (!gtk_widget_get_mapped (view) || gtk_widget_get_height (view) == 0)
    g_main_context_iteration (NULL, TRUE);
  clock = gtk_widget_get_frame_clock (window);
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), NULL);
  g_signal_connect (clock, "layout", G_CALLBACK (on_layout), NULL);
  g_print ("RSS with the list on screen: %.1f MiB\n", rss_mib ());

  for (int round = 0; round < 3; round++)
    for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
      {
        gint64 t0 = g_get_monotonic_time ();
        double ms;

        double model_ms;

        painted = FALSE;
        layout_start = 0;
        ph_entry_list_set_query (list, queries[q]);
        model_ms = ms = (g_get_monotonic_time () - t0) / 1000.0;
        g_array_append_val (model_times, ms);
        gtk_widget_queue_draw (view);
        while (!painted)
          g_main_context_iteration (NULL, TRUE);
        ms = (g_get_monotonic_time () - t0) / 1000.0;
        g_array_append_val (frame_times, ms);
        /* The work: the model, then the frame's layout and paint, without the wait for it. */
        ms = model_ms + (layout_start ? (paint_end - layout_start) / 1000.0 : 0);
        g_array_append_val (work_times, ms);
      }
  g_array_sort (model_times, compare_doubles);
  g_array_sort (frame_times, compare_doubles);
  g_array_sort (work_times, compare_doubles);
  g_print ("search at %u entries, keystroke to updated list, work only (model + layout + paint of that frame): "
           "median %.2f ms, p90 %.2f ms, max %.2f ms (target <= 16 ms)\n", N_ENTRIES,
           g_array_index (work_times, double, work_times->len / 2),
           g_array_index (work_times, double, work_times->len * 9 / 10),
           g_array_index (work_times, double, work_times->len - 1));
  g_print ("search at %u entries, keystroke to filtered model: median %.2f ms, p90 %.2f ms, max %.2f ms\n", N_ENTRIES,
           g_array_index (model_times, double, model_times->len / 2),
           g_array_index (model_times, double, model_times->len * 9 / 10),
           g_array_index (model_times, double, model_times->len - 1));
  g_print ("search at %u entries, keystroke to painted list: median %.2f ms, p90 %.2f ms, max %.2f ms "
           "(includes waiting for the next frame of the 60 Hz clock)\n", N_ENTRIES,
           g_array_index (frame_times, double, frame_times->len / 2),
           g_array_index (frame_times, double, frame_times->len * 9 / 10),
           g_array_index (frame_times, double, frame_times->len - 1));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A vault of N_ENTRIES entries, imported by the real CLI, served unlocked by the real agent. */
static GSubprocess *
start_agent (const char *agent_path,
             const char *cli,
             const char *dir)
{
  g_autofree char *vault = g_build_filename (dir, "bench.phvault", NULL);
  g_autofree char *csv_path = g_build_filename (dir, "entries.csv", NULL);
  g_autofree char *pw_path = g_build_filename (dir, "pw", NULL);
  g_autofree char *script = NULL;
  g_autoptr(GString) csv = g_string_new ("title,username,password,url,folder\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  static const char *words[] = { "github", "gitlab", "aws", "prod", "staging", "bank", "mail", "vpn", "db",
                                 "cloud", "admin", "ci", "deploy", "api", "token", "ssh", "router", "shop" };
  GSubprocess *agent;
  int status;

  for (guint i = 0; i < N_ENTRIES; i++)
    g_string_append_printf (csv, "%s %s %u,user%u@example.org,pw-%u,https://%s%u.example.com/login,%s\n",
                            words[i % G_N_ELEMENTS (words)], words[(i / 7) % G_N_ELEMENTS (words)], i, i % 5000, i,
                            words[(i / 3) % G_N_ELEMENTS (words)], i, words[i % 5]);
  g_assert_true (g_file_set_contents (csv_path, csv->str, csv->len, NULL));
  g_assert_true (g_file_set_contents (pw_path, "bench password\n", -1, NULL));
  script = g_strdup_printf ("'%s' --vault '%s' --password-fd 3 init --kdf-ops 2 --kdf-mem 64 3<'%s' >/dev/null 2>&1 && "
                            "'%s' --vault '%s' --password-fd 3 import csv '%s' 3<'%s' >/dev/null 2>&1",
                            cli, vault, pw_path, cli, vault, csv_path, pw_path);
  g_assert_true (g_spawn_command_line_sync (g_strdup_printf ("sh -c \"%s\"", script), NULL, NULL, &status, NULL));
  g_assert_cmpint (status, ==, 0);
  g_subprocess_launcher_set_stdin_file_path (launcher, pw_path);
  agent = g_subprocess_launcher_spawn (launcher, &error, agent_path, "--vault", vault, "--password-fd", "0",
                                       "--no-tray", "--idle-timeout", "0", NULL);
  g_assert_no_error (error);
  return agent;
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *dir = g_dir_make_tmp ("perihelion-bench-XXXXXX", NULL);
  g_autoptr(GSubprocess) agent_process = NULL;
  g_autoptr(PhDBusAgent1) agent = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *cleanup = g_strdup_printf ("rm -rf '%s'", dir);

  if (argc < 4)
    {
      g_printerr ("usage: ph-bench-gui PERIHELION PERIHELION-AGENT PERIHELION-CLI\n");
      return 2;
    }
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  gtk_init ();
  adw_init ();
  ph_crypto_init ();
  agent_process = start_agent (argv[2], argv[3], dir);
  agent = ph_dbus_agent1_proxy_new_for_bus_sync (G_BUS_TYPE_SESSION, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
                                                 "org.perihelion.Agent", "/org/perihelion/Agent", NULL, &error);
  g_assert_no_error (error);
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (agent), 120000);
  /* Until the agent owns its name and has unlocked the vault (the KDF and loading 100k entries). */
  for (int i = 0; i < 600; i++)
    {
      g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (agent));

      if (owner && !ph_dbus_agent1_get_locked (agent))
        break;
      g_usleep (50 * 1000);
      g_main_context_iteration (NULL, FALSE);
    }
  bench_first_frame (argv[1]);
  bench_search (agent);
  g_subprocess_send_signal (agent_process, SIGTERM);
  g_subprocess_wait (agent_process, NULL, NULL);
  (void) system (cleanup);
  return 0;
}
