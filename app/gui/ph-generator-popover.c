/* ph-generator-popover.c: a password or passphrase, generated, with its entropy.
 *
 * The generator is core's (rejection sampling, no modulo bias; the EFF word list); this popover
 * only chooses its options and shows the result. "Use" emits ::use with the text.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <sodium.h>
#include <glib/gi18n.h>

#include "ph-generator.h"
#include "ph-generator-popover.h"
#include "ph-secret.h"

struct _PhGeneratorPopover
{
  GtkPopover parent_instance;

  PhSecret *current;

  GtkLabel *preview_label;
  GtkLevelBar *entropy_bar;
  GtkLabel *entropy_label;
  GtkStack *mode_stack;
  GtkSpinButton *length_spin;
  GtkCheckButton *lower_check;
  GtkCheckButton *upper_check;
  GtkCheckButton *digits_check;
  GtkCheckButton *symbols_check;
  GtkSpinButton *words_spin;
  GtkButton *use_button;
};

G_DEFINE_FINAL_TYPE (PhGeneratorPopover, ph_generator_popover, GTK_TYPE_POPOVER)

enum
{
  USE,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

static void
regenerate (PhGeneratorPopover *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *entropy = NULL;
  double bits = 0;

  g_clear_pointer (&self->current, ph_secret_unref);
  if (g_strcmp0 (gtk_stack_get_visible_child_name (self->mode_stack), "passphrase") == 0)
    self->current = ph_generate_passphrase (gtk_spin_button_get_value_as_int (self->words_spin), "-", &bits, &error);
  else
    {
      PhPasswordOptions options;

      ph_password_options_init (&options);
      options.length = gtk_spin_button_get_value_as_int (self->length_spin);
      options.classes = (gtk_check_button_get_active (self->lower_check) ? PH_CHARS_LOWER : 0) |
                        (gtk_check_button_get_active (self->upper_check) ? PH_CHARS_UPPER : 0) |
                        (gtk_check_button_get_active (self->digits_check) ? PH_CHARS_DIGITS : 0) |
                        (gtk_check_button_get_active (self->symbols_check) ? PH_CHARS_SYMBOLS : 0);
      if (options.classes == 0)
        {
          gtk_label_set_text (self->preview_label, "");
          gtk_label_set_text (self->entropy_label, _("Choose at least one kind of character"));
          gtk_level_bar_set_value (self->entropy_bar, 0);
          gtk_widget_set_sensitive (GTK_WIDGET (self->use_button), FALSE);
          return;
        }
      self->current = ph_generate_password (&options, &bits, &error);
    }
  if (self->current == NULL)
    {
      gtk_label_set_text (self->entropy_label, error->message);
      gtk_widget_set_sensitive (GTK_WIDGET (self->use_button), FALSE);
      return;
    }
  text = g_strndup ((const char *) ph_secret_get_data (self->current), ph_secret_get_length (self->current));
  gtk_label_set_text (self->preview_label, text);
  sodium_memzero (text, strlen (text));
  /* TRANSLATORS: %.0f is a number of bits */
  entropy = g_strdup_printf (_("%.0f bits of entropy: %s"), bits,
                             bits < 60 ? _("weak") : bits < 80 ? _("fair") : bits < 100 ? _("strong") : _("very strong"));
  gtk_label_set_text (self->entropy_label, entropy);
  gtk_level_bar_set_value (self->entropy_bar, MIN (bits, 128));
  gtk_widget_set_sensitive (GTK_WIDGET (self->use_button), TRUE);
}

static void
on_use_clicked (PhGeneratorPopover *self)
{
  g_autofree char *text = NULL;

  if (self->current == NULL)
    return;
  text = g_strndup ((const char *) ph_secret_get_data (self->current), ph_secret_get_length (self->current));
  g_signal_emit (self, signals[USE], 0, text);
  sodium_memzero (text, strlen (text));
  gtk_popover_popdown (GTK_POPOVER (self));
}

static void
ph_generator_popover_show (GtkWidget *widget)
{
  GTK_WIDGET_CLASS (ph_generator_popover_parent_class)->show (widget);
  regenerate (PH_GENERATOR_POPOVER (widget));
}

static void
ph_generator_popover_dispose (GObject *object)
{
  PhGeneratorPopover *self = PH_GENERATOR_POPOVER (object);

  g_clear_pointer (&self->current, ph_secret_unref);
  G_OBJECT_CLASS (ph_generator_popover_parent_class)->dispose (object);
}

static void
ph_generator_popover_class_init (PhGeneratorPopoverClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = ph_generator_popover_dispose;
  widget_class->show = ph_generator_popover_show;

  signals[USE] = g_signal_new ("use", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                               G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/perihelion/AuthManager/ph-generator-popover.ui");
  gtk_widget_class_bind_template_child (widget_class, PhGeneratorPopover, preview_label);
  gtk_widget_class_bind_template_child (widget_class, PhGeneratorPopover, entropy_bar);
  gtk_widget_class_bind_template_child (widget_class, PhGeneratorPopover, entropy_label);
  gtk_widget_class_bind_template_child (widget_class, PhGeneratorPopover, mode_stack);
  gtk_widget_class_bind_template_child (widget_class, PhGeneratorPopover, length_spin);
  gtk_widget_class_bind_template_child (widget_class, PhGeneratorPopover, lower_check);
  gtk_widget_class_bind_template_child (widget_class, PhGeneratorPopover, upper_check);
  gtk_widget_class_bind_template_child (widget_class, PhGeneratorPopover, digits_check);
  gtk_widget_class_bind_template_child (widget_class, PhGeneratorPopover, symbols_check);
  gtk_widget_class_bind_template_child (widget_class, PhGeneratorPopover, words_spin);
  gtk_widget_class_bind_template_child (widget_class, PhGeneratorPopover, use_button);
  gtk_widget_class_bind_template_callback (widget_class, regenerate);
  gtk_widget_class_bind_template_callback (widget_class, on_use_clicked);
}

static void
ph_generator_popover_init (PhGeneratorPopover *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
ph_generator_popover_new (void)
{
  return g_object_new (PH_TYPE_GENERATOR_POPOVER, NULL);
}
