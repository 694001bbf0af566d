/* ph-main.c: perihelion, the GTK 4 app.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <locale.h>
#include <sys/prctl.h>
#include <glib/gi18n.h>

#include "ph-application.h"
#include "ph-crypto.h"

int
main (int    argc,
      char **argv)
{
  g_autoptr(PhApplication) app = NULL;

  /* Secrets pass through this process when a person reveals or copies one: no core dumps. */
  prctl (PR_SET_DUMPABLE, 0);
  setlocale (LC_ALL, "");
  /* An uninstalled build can point at its compiled translations. */
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("PERIHELION_LOCALEDIR") ? g_getenv ("PERIHELION_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  ph_crypto_init ();

  app = ph_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
