/* ph-password-quality.c: how strong a master password is, through libpwquality.
 *
 * libpwquality is what GNOME's own password fields use (gnome-control-center, GNOME Initial
 * Setup): a 0–100 score, and for a password it refuses, a reason in the user's language
 * (too short, a dictionary word, too few character classes, …).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#ifdef HAVE_PWQUALITY
#include <pwquality.h>
#endif

#include "ph-password-quality.h"

/**
 * ph_password_quality:
 * @password: the candidate
 * @out_feedback: (out) (optional): a sentence for the user: why it is weak, or how strong
 *
 * Returns: a score from 0 (refused) to 100.
 */
int
ph_password_quality (const char  *password,
                     char       **out_feedback)
{
  int score = 0;
  const char *feedback;

#ifdef HAVE_PWQUALITY
  static gsize settings;
  void *auxerror = NULL;
  char buffer[PWQ_MAX_ERROR_MESSAGE_LEN];

  if (g_once_init_enter (&settings))
    {
      pwquality_settings_t *defaults = pwquality_default_settings ();

      pwquality_read_config (defaults, NULL, NULL);
      /* Without cracklib's dictionary every password would fail "the dictionary check". */
      if (!g_file_test ("/var/cache/cracklib/cracklib_dict.pwd", G_FILE_TEST_EXISTS))
        pwquality_set_int_value (defaults, PWQ_SETTING_DICT_CHECK, 0);
      g_once_init_leave (&settings, (gsize) defaults);
    }
  score = pwquality_check ((pwquality_settings_t *) settings, password, NULL, NULL, &auxerror);
  if (score < 0)
    {
      if (out_feedback)
        *out_feedback = g_strdup (pwquality_strerror (buffer, sizeof buffer, score, auxerror));
      else
        pwquality_strerror (buffer, sizeof buffer, score, auxerror);  /* frees auxerror */
      return 0;
    }
#else
  /* Without libpwquality: length and character classes, roughly as it scores them. */
  gboolean classes[4] = { FALSE };
  guint n_classes = 0;
  glong length = g_utf8_strlen (password, -1);

  for (const char *p = password; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      classes[g_unichar_islower (c) ? 0 : g_unichar_isupper (c) ? 1 : g_unichar_isdigit (c) ? 2 : 3] = TRUE;
    }
  for (guint i = 0; i < 4; i++)
    n_classes += classes[i];
  if (length < 8)
    {
      if (out_feedback)
        *out_feedback = g_strdup (_("The password is shorter than 8 characters"));
      return 0;
    }
  score = CLAMP ((int) (length * 4 + n_classes * 8), 0, 100);
#endif

  feedback = score < PH_PASSWORD_QUALITY_ACCEPTABLE ? _("Weak: add more words or characters")
           : score < 60 ? _("Fair: a longer password is safer")
           : score < 85 ? _("Good")
           : _("Strong");
  if (out_feedback)
    *out_feedback = g_strdup (feedback);
  return score;
}
