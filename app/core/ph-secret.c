/* ph-secret.c: secrets in libsodium guarded memory, wiped when the last reference goes.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-secret"

#include "config.h"

#include <errno.h>
#include <sodium.h>
#include <unistd.h>
#include <gio/gio.h>
#include <glib/gi18n-lib.h>

#include "ph-crypto.h"
#include "ph-secret.h"

/* Longest line ph_secret_read_line() accepts: a password or recovery key, never a file. */
#define PH_SECRET_MAX_LINE 4096

struct _PhSecret
{
  gatomicrefcount ref_count;
  gsize           length;
  gsize           capacity;
  guint8         *data;
};

G_DEFINE_BOXED_TYPE (PhSecret, ph_secret, ph_secret_ref, ph_secret_unref)

static PhSecret *
ph_secret_alloc (gsize capacity)
{
  PhSecret *self;

  ph_crypto_init ();

  self = g_new0 (PhSecret, 1);
  g_atomic_ref_count_init (&self->ref_count);
  self->capacity = capacity;
  self->data = sodium_malloc (capacity + 1);
  if (self->data == NULL)
    g_error ("Could not allocate %" G_GSIZE_FORMAT " bytes of guarded memory", capacity + 1);
  sodium_memzero (self->data, capacity + 1);
  return self;
}

/**
 * ph_secret_new:
 * @length: size in bytes
 *
 * Returns: (transfer full): a zero-filled secret of @length bytes
 */
PhSecret *
ph_secret_new (gsize length)
{
  PhSecret *self = ph_secret_alloc (length);

  self->length = length;
  return self;
}

PhSecret *
ph_secret_new_from_data (gconstpointer data,
                         gsize         length)
{
  PhSecret *self;

  g_return_val_if_fail (data != NULL || length == 0, NULL);

  self = ph_secret_new (length);
  if (length > 0)
    memcpy (self->data, data, length);
  return self;
}

PhSecret *
ph_secret_new_from_text (const char *text)
{
  g_return_val_if_fail (text != NULL, NULL);

  return ph_secret_new_from_data (text, strlen (text));
}

PhSecret *
ph_secret_new_random (gsize length)
{
  PhSecret *self = ph_secret_new (length);

  randombytes_buf (self->data, length);
  return self;
}

/**
 * ph_secret_read_line:
 * @fd: a readable file descriptor
 * @rewind: read from offset 0 when @fd is seekable, so the same descriptor can be read again
 * @error: return location for a #GError
 *
 * Reads the first line of @fd (without its line ending) straight into guarded memory, one byte
 * at a time so nothing after the line is consumed and no stdio buffer ever holds the secret.
 *
 * Returns: (transfer full): the line, or %NULL with @error set
 */
PhSecret *
ph_secret_read_line (int       fd,
                     gboolean  rewind,
                     GError  **error)
{
  g_autoptr(PhSecret) self = ph_secret_alloc (PH_SECRET_MAX_LINE);
  off_t offset = 0;
  gboolean seekable = rewind && lseek (fd, 0, SEEK_CUR) >= 0;
  gsize n = 0;

  for (;;)
    {
      guint8 c;
      ssize_t r;

      if (seekable)
        r = pread (fd, &c, 1, offset++);
      else
        r = read (fd, &c, 1);

      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int saved_errno = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Could not read from file descriptor %d: %s"), fd,
                       g_strerror (saved_errno));
          return NULL;
        }
      if (r == 0 || c == '\n')
        break;
      if (n == PH_SECRET_MAX_LINE)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("The line read from file descriptor %d is longer than %d bytes"),
                       fd, PH_SECRET_MAX_LINE);
          return NULL;
        }
      self->data[n++] = c;
    }

  if (n > 0 && self->data[n - 1] == '\r')
    n--;
  ph_secret_truncate (self, n);
  return g_steal_pointer (&self);
}

PhSecret *
ph_secret_ref (PhSecret *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
ph_secret_unref (PhSecret *self)
{
  g_return_if_fail (self != NULL);

  if (g_atomic_ref_count_dec (&self->ref_count))
    {
      /* sodium_free() zeroes the whole region before unmapping it. */
      sodium_free (self->data);
      g_free (self);
    }
}

const guint8 *
ph_secret_get_data (const PhSecret *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->data;
}

guint8 *
ph_secret_get_mutable (PhSecret *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return self->data;
}

gsize
ph_secret_get_length (const PhSecret *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->length;
}

/**
 * ph_secret_get_text:
 *
 * Returns: the secret as a NUL-terminated string, valid while @self lives; never copy it into
 *   memory that outlives its use
 */
const char *
ph_secret_get_text (const PhSecret *self)
{
  g_return_val_if_fail (self != NULL, NULL);

  return (const char *) self->data;
}

/* Shortens the secret, wiping the bytes that are cut off. */
void
ph_secret_truncate (PhSecret *self,
                    gsize     length)
{
  g_return_if_fail (self != NULL);
  g_return_if_fail (length <= self->length || length <= self->capacity);

  if (length < self->capacity)
    sodium_memzero (self->data + length, self->capacity + 1 - length);
  self->length = length;
}

/* Compares in constant time for equal lengths. */
gboolean
ph_secret_equal (const PhSecret *a,
                 const PhSecret *b)
{
  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  if (a->length != b->length)
    return FALSE;
  if (a->length == 0)
    return TRUE;
  return sodium_memcmp (a->data, b->data, a->length) == 0;
}

gboolean
ph_secret_is_utf8 (const PhSecret *self)
{
  g_return_val_if_fail (self != NULL, FALSE);

  return g_utf8_validate ((const char *) self->data, self->length, NULL);
}

/* Writes the secret with write(2), bypassing stdio so no copy lingers in a FILE buffer. */
gboolean
ph_secret_write_to_fd (const PhSecret *self,
                       int             fd,
                       gboolean        newline,
                       GError        **error)
{
  gsize done = 0;

  g_return_val_if_fail (self != NULL, FALSE);

  while (done < self->length)
    {
      ssize_t w = write (fd, self->data + done, self->length - done);

      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        {
          int saved_errno = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Could not write the secret: %s"), g_strerror (saved_errno));
          return FALSE;
        }
      done += w;
    }

  if (newline)
    {
      while (write (fd, "\n", 1) < 0)
        {
          if (errno != EINTR)
            {
              int saved_errno = errno;
              g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                           _("Could not write the secret: %s"), g_strerror (saved_errno));
              return FALSE;
            }
        }
    }

  return TRUE;
}
