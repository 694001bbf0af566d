/* ph-row-model.c: a list of entries as rows that stay put while their contents change.
 *
 * Each keystroke in the search field replaces most of the entry list. Told so directly, GTK
 * 4.8's list view destroys the rows on screen and builds new ones, which at 100,000 entries
 * cost more than the search. This model sits between: position N is always the same PhRow
 * object, and a change below re-points the rows that exist (the few on screen) at their new
 * entries; only a change of length is announced, at the end. The row widgets stay and just
 * update their labels.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ph-row-model.h"

struct _PhRowModel
{
  GObject parent_instance;

  GListModel *entries;
  GPtrArray *rows;      /* PhRow or NULL, by position: rows are made when asked for */
  guint n_items;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (PhRowModel, ph_row_model, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

static GType
get_item_type (GListModel *model)
{
  return PH_TYPE_ROW;
}

static guint
get_n_items (GListModel *model)
{
  return PH_ROW_MODEL (model)->n_items;
}

static gpointer
get_item (GListModel *model,
          guint       position)
{
  PhRowModel *self = PH_ROW_MODEL (model);
  g_autoptr(PhEntry) entry = NULL;

  if (position >= self->n_items)
    return NULL;
  if (position >= self->rows->len)
    g_ptr_array_set_size (self->rows, position + 1);
  if (self->rows->pdata[position] == NULL)
    {
      entry = g_list_model_get_item (self->entries, position);
      self->rows->pdata[position] = ph_row_new (entry);
    }
  return g_object_ref (self->rows->pdata[position]);
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = get_item_type;
  iface->get_n_items = get_n_items;
  iface->get_item = get_item;
}

static void
on_items_changed (PhRowModel *self,
                  guint       position,
                  guint       removed,
                  guint       added)
{
  guint old_n = self->n_items;
  guint new_n = g_list_model_get_n_items (self->entries);
  guint common = MIN (old_n, new_n);

  /* Rows past the new end go; the rows that remain from @position on show their new entry. */
  if (self->rows->len > new_n)
    g_ptr_array_set_size (self->rows, new_n);
  self->n_items = new_n;
  for (guint i = position; i < self->rows->len; i++)
    if (self->rows->pdata[i])
      {
        g_autoptr(PhEntry) entry = g_list_model_get_item (self->entries, i);

        ph_row_set_entry (self->rows->pdata[i], entry);
      }
  if (old_n != new_n)
    g_list_model_items_changed (G_LIST_MODEL (self), common, old_n - common, new_n - common);
}

static void
ph_row_model_dispose (GObject *object)
{
  PhRowModel *self = PH_ROW_MODEL (object);

  if (self->entries)
    g_signal_handlers_disconnect_by_data (self->entries, self);
  g_clear_object (&self->entries);
  G_OBJECT_CLASS (ph_row_model_parent_class)->dispose (object);
}

static void
ph_row_model_finalize (GObject *object)
{
  g_ptr_array_unref (PH_ROW_MODEL (object)->rows);
  G_OBJECT_CLASS (ph_row_model_parent_class)->finalize (object);
}

static void
ph_row_model_class_init (PhRowModelClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = ph_row_model_dispose;
  G_OBJECT_CLASS (klass)->finalize = ph_row_model_finalize;
}

static void
row_free (gpointer row)
{
  if (row)
    g_object_unref (row);
}

static void
ph_row_model_init (PhRowModel *self)
{
  self->rows = g_ptr_array_new_with_free_func (row_free);
}

PhRowModel *
ph_row_model_new (GListModel *entries)
{
  PhRowModel *self = g_object_new (PH_TYPE_ROW_MODEL, NULL);

  self->entries = g_object_ref (entries);
  self->n_items = g_list_model_get_n_items (entries);
  g_signal_connect_swapped (entries, "items-changed", G_CALLBACK (on_items_changed), self);
  return self;
}
