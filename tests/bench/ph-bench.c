/* ph-bench.c: the numbers behind Perihelion's performance targets.
 *
 * On a generated 100k-entry vault: open with the KDF excluded (cheapest Argon2id) and included
 * (the default 64 MiB cost), search per query, save, memory per entry. Then side by side with
 * keepassxc-cli on the same 1k and 10k entries: open+list and search, each also with the time
 * of an empty database subtracted so two different KDFs do not decide the comparison.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>
#include <sys/resource.h>
#include <glib/gstdio.h>

#include "ph-entry-private.h"
#include "ph-vault.h"

static const char *words[] = {
  "github", "gitlab", "mail", "bank", "cloud", "aws", "azure", "forge", "jira", "wiki",
  "vpn", "router", "shop", "travel", "music", "video", "news", "chat", "db", "ci",
};

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1000.0;
}

static long
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) ||
      !(line = strstr (status, "VmRSS:")))
    return 0;
  return atol (line + 6);
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
median (double *values,
        guint   n)
{
  qsort (values, n, sizeof *values, compare_double);
  return values[n / 2];
}

static void
fill (PhVault *vault,
      guint    n)
{
  GRand *rand = g_rand_new_with_seed (7);
  g_autoptr(PhSecret) password = ph_secret_new_from_text ("Correct-Horse-Battery-Staple-42");

  for (guint i = 0; i < n; i++)
    {
      const char *w1 = words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))];
      const char *w2 = words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))];
      g_autofree char *title = g_strdup_printf ("%s %s %u", w1, w2, i);
      g_autofree char *user = g_strdup_printf ("user%u@%s.example", i, w2);
      g_autofree char *url = g_strdup_printf ("https://%s%u.%s.example/login", w1, i % 977, w2);
      g_autoptr(PhEntry) entry = ph_entry_new (title);

      ph_entry_set_username (entry, user);
      ph_entry_set_urls (entry, (const char *[]) { url, NULL });
      ph_entry_set_tags (entry, (const char *[]) { w2, NULL });
      ph_entry_set_folder (entry, w1);
      ph_vault_set_secret (vault, entry, PH_FIELD_PASSWORD, password, NULL);
      ph_vault_add (vault, entry, NULL);
    }
  g_rand_free (rand);
}

static void
bench_100k (const char *dir)
{
  const guint n = 100000;
  const PhKdfParams cheap = { 1, 8 * 1024 };
  const PhKdfParams standard = { 2, 64 * 1024 * 1024 };
  g_autofree char *path = g_build_filename (dir, "100k.phvault", NULL);
  g_autoptr(PhSecret) password = ph_secret_new_from_text ("bench");
  g_autoptr(GError) error = NULL;
  const char *queries[] = { "github", "mail bank", "user4242", "ci", "azure9", "example", "zzz", "wiki 77" };
  double save[5], open[5], kdf[3];
  double build_ms, t;
  g_autofree double *per_query = NULL;
  guint n_query_runs = 0;
  guint hits[8] = { 0 };
  long rss_before, rss_after;
  gsize file_size;

  {
    g_autoptr(PhVault) vault = ph_vault_new (path, password, &cheap, NULL, &error);
    g_assert_no_error (error);
    fill (vault, n);
    for (guint i = 0; i < G_N_ELEMENTS (save); i++)
      {
        ph_entry_set_notes (g_list_model_get_item (G_LIST_MODEL (vault), i), "touched");
        t = now_ms ();
        ph_vault_save (vault, &error);
        save[i] = now_ms () - t;
        g_assert_no_error (error);
      }
  }
  {
    g_autofree char *contents = NULL;
    g_file_get_contents (path, &contents, &file_size, NULL);
  }

  rss_before = rss_kib ();
  for (guint i = 0; i < G_N_ELEMENTS (open); i++)
    {
      g_autoptr(PhVault) vault = NULL;

      t = now_ms ();
      vault = ph_vault_load (path, &error);
      ph_vault_unlock_with_password (vault, password, &error);
      open[i] = now_ms () - t;
      g_assert_no_error (error);
      g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (vault)), ==, n);

      if (i == G_N_ELEMENTS (open) - 1)
        {
          rss_after = rss_kib ();
          t = now_ms ();
          g_ptr_array_unref (ph_vault_search (vault, "warm"));
          build_ms = now_ms () - t;

          per_query = g_new0 (double, G_N_ELEMENTS (queries) * 20);
          for (guint round = 0; round < 20; round++)
            for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
              {
                GPtrArray *found;

                t = now_ms ();
                found = ph_vault_search (vault, queries[q]);
                per_query[n_query_runs++] = now_ms () - t;
                hits[q] = found->len;
                g_ptr_array_unref (found);
              }
        }
    }

  for (guint i = 0; i < G_N_ELEMENTS (kdf); i++)
    {
      guint8 salt[PH_SALT_BYTES] = { 0 };
      g_autoptr(PhSecret) key = NULL;

      t = now_ms ();
      key = ph_kdf_derive (password, salt, &standard, NULL);
      kdf[i] = now_ms () - t;
    }

  printf ("100k entries (vault file %.1f MiB)\n", file_size / 1048576.0);
  printf ("  save                         median %7.1f ms   (target <= 150 ms)\n", median (save, 5));
  printf ("  open, KDF excluded           median %7.1f ms   (target <= KDF + 100 ms)\n", median (open, 5));
  printf ("  Argon2id 2 passes, 64 MiB    median %7.1f ms\n", median (kdf, 3));
  printf ("  open, KDF included                  %7.1f ms\n", median (open, 5) + median (kdf, 3));
  printf ("  first search (builds index)         %7.2f ms\n", build_ms);
  for (guint q = 0; q < G_N_ELEMENTS (queries); q++)
    {
      double runs[20];

      for (guint round = 0; round < 20; round++)
        runs[round] = per_query[round * G_N_ELEMENTS (queries) + q];
      printf ("    %-10s median %7.3f ms, %6u results\n", queries[q], median (runs, 20), hits[q]);
    }
  {
    double max = 0;
    for (guint i = 0; i < n_query_runs; i++)
      max = MAX (max, per_query[i]);
    printf ("  search per query             median %7.3f ms, max %.3f ms over %u queries (target <= 5 ms)\n",
            median (per_query, n_query_runs), max, n_query_runs);
  }
  printf ("  memory per open entry               %7.0f bytes (RSS growth / entries)\n",
          (rss_after - rss_before) * 1024.0 / n);
}

static double
time_command (const char *const *argv,
              const char        *input)
{
  g_autoptr(GSubprocess) p = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) in = g_bytes_new (input, strlen (input));
  double t = now_ms ();

  p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
                         G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  g_assert_no_error (error);
  g_subprocess_communicate (p, in, NULL, NULL, NULL, &error);
  g_assert_no_error (error);
  /* A search without results exits non-zero in both tools: only the time matters here. */
  return now_ms () - t;
}

static double
median_of_runs (const char *const *argv,
                const char        *input)
{
  double runs[5];

  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    runs[i] = time_command (argv, input);
  return median (runs, G_N_ELEMENTS (runs));
}

static char *
make_keepass (const char *dir,
              guint       n)
{
  g_autofree char *xml_path = g_strdup_printf ("%s/kp%u.xml", dir, n);
  char *db_path = g_strdup_printf ("%s/kp%u.kdbx", dir, n);
  GString *xml = g_string_new ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<KeePassFile><Root><Group><Name>Root</Name>\n");
  GRand *rand = g_rand_new_with_seed (7);
  const char *argv[] = { "keepassxc-cli", "import", "-p", xml_path, db_path, NULL };

  for (guint i = 0; i < n; i++)
    {
      const char *w1 = words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))];
      const char *w2 = words[g_rand_int_range (rand, 0, G_N_ELEMENTS (words))];

      g_string_append_printf (xml, "<Entry><String><Key>Title</Key><Value>%s %s %u</Value></String>"
                              "<String><Key>UserName</Key><Value>user%u@%s.example</Value></String>"
                              "<String><Key>Password</Key><Value>Correct-Horse-Battery-Staple-42</Value></String>"
                              "<String><Key>URL</Key><Value>https://%s%u.%s.example/login</Value></String></Entry>\n",
                              w1, w2, i, i, w2, w1, i % 977, w2);
    }
  g_string_append (xml, "</Group></Root></KeePassFile>\n");
  g_file_set_contents (xml_path, xml->str, xml->len, NULL);
  g_string_free (xml, TRUE);
  g_rand_free (rand);
  g_unlink (db_path);
  time_command (argv, "bench\nbench\n");
  return db_path;
}

static char *
make_ours (const char *dir,
           guint       n)
{
  /* The same Argon2id cost perihelion-cli init picks by default at its floor. */
  const PhKdfParams params = { 2, 64 * 1024 * 1024 };
  g_autoptr(PhSecret) password = ph_secret_new_from_text ("bench");
  g_autoptr(PhVault) vault = NULL;
  g_autoptr(GError) error = NULL;
  char *path = g_strdup_printf ("%s/ph%u.phvault", dir, n);

  g_unlink (path);
  vault = ph_vault_new (path, password, &params, NULL, &error);
  fill (vault, n);
  ph_vault_save (vault, &error);
  g_assert_no_error (error);
  return path;
}

static void
bench_keepassxc (const char *dir,
                 const char *cli)
{
  g_autofree char *kp_empty = NULL;
  g_autofree char *ph_empty = NULL;
  g_autofree char *pw_file = g_build_filename (dir, "pw", NULL);
  double kp_base_ls, kp_base_search, ph_base_ls, ph_base_search;
  guint sizes[] = { 1000, 10000 };

  if (g_find_program_in_path ("keepassxc-cli") == NULL)
    {
      printf ("keepassxc-cli not installed: side-by-side skipped (build-aux/dev bench installs it)\n");
      return;
    }
  g_file_set_contents (pw_file, "bench\n", -1, NULL);
  kp_empty = make_keepass (dir, 0);
  ph_empty = make_ours (dir, 0);

#define KP_LS(db)       (const char *[]) { "keepassxc-cli", "ls", "-q", "-R", "-f", db, NULL }
#define KP_SEARCH(db)   (const char *[]) { "keepassxc-cli", "search", "-q", db, "user4242", NULL }
#define PH_LS(db)       (const char *[]) { "sh", "-c", "exec \"$0\" --vault \"$1\" --password-fd 3 list 3<\"$2\"", cli, db, pw_file, NULL }
#define PH_SEARCH(db)   (const char *[]) { "sh", "-c", "exec \"$0\" --vault \"$1\" --password-fd 3 search user4242 3<\"$2\"", cli, db, pw_file, NULL }

  kp_base_ls = median_of_runs (KP_LS (kp_empty), "bench\n");
  kp_base_search = median_of_runs ((const char *[]) { "keepassxc-cli", "search", "-q", kp_empty, "x", NULL }, "bench\n");
  ph_base_ls = median_of_runs (PH_LS (ph_empty), "");
  ph_base_search = median_of_runs ((const char *[]) { "sh", "-c", "exec \"$0\" --vault \"$1\" --password-fd 3 search --json x 3<\"$2\"", cli, ph_empty, pw_file, NULL }, "");

  printf ("\nSide by side, one process per command, median of 5 (empty-database time in brackets;\n"
          "KeePassXC's import uses AES-KDF 1M rounds, ours Argon2id 2 passes 64 MiB):\n");
  printf ("  %-8s %-22s %12s %12s %14s %14s\n", "entries", "command", "keepassxc", "perihelion",
          "kp - empty", "ph - empty");
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree char *kp = make_keepass (dir, sizes[i]);
      g_autofree char *ph = make_ours (dir, sizes[i]);
      double kp_ls = median_of_runs (KP_LS (kp), "bench\n");
      double ph_ls = median_of_runs (PH_LS (ph), "");
      double kp_s = median_of_runs (KP_SEARCH (kp), "bench\n");
      double ph_s = median_of_runs (PH_SEARCH (ph), "");

      printf ("  %-8u %-22s %9.1f ms %9.1f ms %11.1f ms %11.1f ms\n", sizes[i], "open + list",
              kp_ls, ph_ls, kp_ls - kp_base_ls, ph_ls - ph_base_ls);
      printf ("  %-8u %-22s %9.1f ms %9.1f ms %11.1f ms %11.1f ms\n", sizes[i], "open + search",
              kp_s, ph_s, kp_s - kp_base_search, ph_s - ph_base_search);
    }
  printf ("  (empty database: keepassxc %.1f / %.1f ms, perihelion %.1f / %.1f ms)\n",
          kp_base_ls, kp_base_search, ph_base_ls, ph_base_search);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *dir = g_dir_make_tmp ("perihelion-bench-XXXXXX", NULL);
  g_autofree char *cmd = NULL;

  setvbuf (stdout, NULL, _IOLBF, 0);
  bench_100k (dir);
  if (argc > 1)
    bench_keepassxc (dir, argv[1]);

  cmd = g_strdup_printf ("rm -rf '%s'", dir);
  return system (cmd) == 0 ? 0 : 1;
}
