/* ph-crash-writer.c: saves a vault over and over, reporting each committed save on stdout,
 * for test-crash-consistency to kill at random moments.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <stdio.h>

#include "ph-test-util.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(PhVault) vault = NULL;
  int start;

  if (argc != 3)
    return 2;
  vault = ph_test_open_vault (argv[1], "pw");
  start = atoi (argv[2]);
  for (int i = start; i < start + 1000; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *title = g_strdup_printf ("entry %d", i);

      ph_test_put_entry (vault, title, "user", "https://example.org", title);
      if (!ph_vault_save (vault, &error))
        {
          g_printerr ("%s\n", error->message);
          return 1;
        }
      /* Only now is entry i committed. */
      printf ("%d\n", i);
      fflush (stdout);
    }
  return 0;
}
