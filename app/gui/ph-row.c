/* ph-row.c: one row of a list view, showing whichever entry is at its position.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ph-row.h"

struct _PhRow
{
  GObject parent_instance;

  PhEntry *entry;
};

G_DEFINE_FINAL_TYPE (PhRow, ph_row, G_TYPE_OBJECT)

enum
{
  PROP_0,
  PROP_ENTRY,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
ph_row_get_property (GObject    *object,
                     guint       prop_id,
                     GValue     *value,
                     GParamSpec *pspec)
{
  switch (prop_id)
    {
    case PROP_ENTRY:
      g_value_set_object (value, PH_ROW (object)->entry);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
ph_row_finalize (GObject *object)
{
  g_clear_object (&PH_ROW (object)->entry);
  G_OBJECT_CLASS (ph_row_parent_class)->finalize (object);
}

static void
ph_row_class_init (PhRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->get_property = ph_row_get_property;
  object_class->finalize = ph_row_finalize;

  properties[PROP_ENTRY] =
    g_param_spec_object ("entry", NULL, NULL, PH_TYPE_ENTRY, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
ph_row_init (PhRow *self)
{
}

PhRow *
ph_row_new (PhEntry *entry)
{
  PhRow *self = g_object_new (PH_TYPE_ROW, NULL);

  self->entry = g_object_ref (entry);
  return self;
}

PhEntry *
ph_row_get_entry (PhRow *self)
{
  g_return_val_if_fail (PH_IS_ROW (self), NULL);

  return self->entry;
}

void
ph_row_set_entry (PhRow   *self,
                  PhEntry *entry)
{
  g_return_if_fail (PH_IS_ROW (self));

  if (g_set_object (&self->entry, entry))
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ENTRY]);
}
