/* ph-csv.c: RFC 4180 CSV, and importing and exporting vault entries as CSV.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-csv"

#include "config.h"

#include <errno.h>
#include <sodium.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>

#include "ph-csv.h"
#include "ph-entry-private.h"

G_DEFINE_QUARK (ph-csv-error-quark, ph_csv_error)

static void
free_row (gpointer data)
{
  char **row = data;

  /* Rows may hold passwords: wipe them before they go back to the allocator. */
  for (guint i = 0; row[i]; i++)
    sodium_memzero (row[i], strlen (row[i]));
  g_strfreev (row);
}

/**
 * ph_csv_parse:
 *
 * Parses CSV as RFC 4180 and spreadsheet exporters write it: comma-separated, fields in double
 * quotes may hold commas, line breaks and doubled quotes; CRLF or LF line ends; a UTF-8 byte
 * order mark is skipped. Blank lines are skipped. Errors name the line and column.
 *
 * Returns: (transfer full) (element-type GStrv): the rows
 */
GPtrArray *
ph_csv_parse (const char *data,
              gsize       length,
              GError    **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (free_row);
  g_autoptr(GPtrArray) fields = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) field = g_string_new (NULL);
  const char *p = data, *end = data + length;
  guint line = 1, column = 1;
  gboolean row_has_content = FALSE;

  if (length >= 3 && memcmp (data, "\xef\xbb\xbf", 3) == 0)
    p += 3;

  if (!g_utf8_validate (p, end - p, NULL))
    {
      const char *bad;

      g_utf8_validate (p, end - p, &bad);
      for (const char *q = p; q < bad; q++)
        line += *q == '\n';
      g_set_error (error, PH_CSV_ERROR, PH_CSV_ERROR_ENCODING,
                   _("Line %u: the file is not valid UTF-8 text"), line);
      return NULL;
    }

  while (p < end)
    {
      if (*p == '"' && field->len == 0)
        {
          guint start_line = line, start_column = column;

          p++, column++;
          for (;;)
            {
              if (p >= end)
                {
                  g_set_error (error, PH_CSV_ERROR, PH_CSV_ERROR_SYNTAX,
                               _("Line %u, column %u: a quoted field is never closed"),
                               start_line, start_column);
                  return NULL;
                }
              if (*p == '"' && p + 1 < end && p[1] == '"')
                {
                  g_string_append_c (field, '"');
                  p += 2, column += 2;
                }
              else if (*p == '"')
                {
                  p++, column++;
                  break;
                }
              else
                {
                  if (*p == '\n')
                    line++, column = 0;
                  g_string_append_c (field, *p);
                  p++, column++;
                }
            }
          row_has_content = TRUE;
          if (p < end && *p != ',' && *p != '\n' && *p != '\r')
            {
              g_set_error (error, PH_CSV_ERROR, PH_CSV_ERROR_SYNTAX,
                           _("Line %u, column %u: unexpected text after a closing quote"),
                           line, column);
              return NULL;
            }
          continue;
        }

      if (*p == ',')
        {
          g_ptr_array_add (fields, g_strndup (field->str, field->len));
          sodium_memzero (field->str, field->len);
          g_string_truncate (field, 0);
          row_has_content = TRUE;
          p++, column++;
        }
      else if (*p == '\n' || *p == '\r')
        {
          if (*p == '\r' && p + 1 < end && p[1] == '\n')
            p++;
          p++;
          if (row_has_content || field->len > 0)
            {
              g_ptr_array_add (fields, g_strndup (field->str, field->len));
              g_ptr_array_add (fields, NULL);
              g_ptr_array_add (rows, g_ptr_array_steal (fields, NULL));
            }
          sodium_memzero (field->str, field->len);
          g_string_truncate (field, 0);
          row_has_content = FALSE;
          line++, column = 1;
        }
      else if (*p == '"')
        {
          g_set_error (error, PH_CSV_ERROR, PH_CSV_ERROR_SYNTAX,
                       _("Line %u, column %u: a quote inside an unquoted field"), line, column);
          return NULL;
        }
      else
        {
          g_string_append_c (field, *p);
          p++, column++;
        }
    }

  if (row_has_content || field->len > 0)
    {
      g_ptr_array_add (fields, g_strndup (field->str, field->len));
      g_ptr_array_add (fields, NULL);
      g_ptr_array_add (rows, g_ptr_array_steal (fields, NULL));
    }
  sodium_memzero (field->str, field->len);
  return g_steal_pointer (&rows);
}

void
ph_csv_append_row (GString            *out,
                   const char * const *fields)
{
  for (guint i = 0; fields[i]; i++)
    {
      const char *f = fields[i];

      if (i > 0)
        g_string_append_c (out, ',');
      if (strpbrk (f, ",\"\r\n") != NULL || (*f == ' ' || (*f && f[strlen (f) - 1] == ' ')))
        {
          g_string_append_c (out, '"');
          for (; *f; f++)
            {
              if (*f == '"')
                g_string_append_c (out, '"');
              g_string_append_c (out, *f);
            }
          g_string_append_c (out, '"');
        }
      else
        g_string_append (out, f);
    }
  g_string_append (out, "\r\n");
}

typedef enum
{
  COL_IGNORE,
  COL_TITLE,
  COL_USERNAME,
  COL_PASSWORD,
  COL_URL,
  COL_NOTES,
  COL_FOLDER,
  COL_TAGS,
  COL_OTP,
  COL_FAVORITE,
  COL_CUSTOM,
} Column;

/* Header names of Perihelion, KeePassXC, Bitwarden, 1Password, Chrome and Firefox exports. */
static const struct { const char *name; Column column; } known_columns[] = {
  { "title", COL_TITLE }, { "name", COL_TITLE }, { "account", COL_TITLE },
  { "username", COL_USERNAME }, { "login_username", COL_USERNAME }, { "user name", COL_USERNAME },
  { "login", COL_USERNAME }, { "email", COL_USERNAME },
  { "password", COL_PASSWORD }, { "login_password", COL_PASSWORD },
  { "url", COL_URL }, { "login_uri", COL_URL }, { "website", COL_URL }, { "web site", COL_URL },
  { "notes", COL_NOTES }, { "note", COL_NOTES }, { "extra", COL_NOTES },
  { "folder", COL_FOLDER }, { "group", COL_FOLDER }, { "grouping", COL_FOLDER },
  { "tags", COL_TAGS },
  { "otp", COL_OTP }, { "totp", COL_OTP }, { "login_totp", COL_OTP },
  { "favorite", COL_FAVORITE },
  /* Columns that describe the export itself, not the credential. */
  { "type", COL_IGNORE }, { "reprompt", COL_IGNORE }, { "fields", COL_IGNORE },
  { "icon", COL_IGNORE }, { "last modified", COL_IGNORE }, { "created", COL_IGNORE },
  { "httprealm", COL_IGNORE }, { "formactionorigin", COL_IGNORE }, { "guid", COL_IGNORE },
  { "timecreated", COL_IGNORE }, { "timelastused", COL_IGNORE },
  { "timepasswordchanged", COL_IGNORE }, { "usernamefield", COL_IGNORE },
  { "passwordfield", COL_IGNORE },
};

static Column
column_for (const char *header)
{
  g_autofree char *name = g_utf8_strdown (header, -1);

  g_strstrip (name);
  for (guint i = 0; i < G_N_ELEMENTS (known_columns); i++)
    if (strcmp (name, known_columns[i].name) == 0)
      return known_columns[i].column;
  return COL_CUSTOM;
}

static GStrv
split_list (const char *text,
            const char *separators)
{
  g_auto(GStrv) parts = g_strsplit_set (text, separators, -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; parts[i]; i++)
    {
      g_strstrip (parts[i]);
      if (*parts[i])
        g_strv_builder_add (builder, parts[i]);
    }
  return g_strv_builder_end (builder);
}

/**
 * ph_csv_import:
 *
 * Adds one entry per data row. The header row decides which column is what; unknown columns
 * become custom fields. Nothing is added unless every row is valid.
 */
gboolean
ph_csv_import (PhVault    *vault,
               const char *data,
               gsize       length,
               guint      *out_count,
               GError    **error)
{
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func (g_object_unref);
  g_autofree Column *columns = NULL;
  char **header;
  guint n_columns;
  gboolean has_title = FALSE, has_secret = FALSE;

  g_return_val_if_fail (PH_IS_VAULT (vault), FALSE);

  if ((rows = ph_csv_parse (data, length, error)) == NULL)
    return FALSE;
  if (rows->len == 0)
    {
      g_set_error (error, PH_CSV_ERROR, PH_CSV_ERROR_HEADER, _("The file is empty"));
      return FALSE;
    }

  header = g_ptr_array_index (rows, 0);
  n_columns = g_strv_length (header);
  columns = g_new (Column, n_columns);
  for (guint c = 0; c < n_columns; c++)
    {
      columns[c] = column_for (header[c]);
      has_title |= columns[c] == COL_TITLE || columns[c] == COL_URL;
      has_secret |= columns[c] == COL_PASSWORD || columns[c] == COL_USERNAME;
    }
  if (!has_title || !has_secret)
    {
      g_set_error (error, PH_CSV_ERROR, PH_CSV_ERROR_HEADER,
                   _("Line 1: the header row needs a title (or URL) column and a username or "
                     "password column"));
      return FALSE;
    }

  for (guint r = 1; r < rows->len; r++)
    {
      char **row = g_ptr_array_index (rows, r);
      g_autoptr(PhEntry) entry = ph_entry_new ("");
      guint n = g_strv_length (row);

      if (n != n_columns)
        {
          g_set_error (error, PH_CSV_ERROR, PH_CSV_ERROR_SYNTAX,
                       _("Row %u has %u fields; the header has %u"), r + 1, n, n_columns);
          return FALSE;
        }

      for (guint c = 0; c < n_columns; c++)
        {
          const char *value = row[c];

          if (*value == '\0')
            continue;
          switch (columns[c])
            {
            case COL_TITLE:
              g_free (entry->title);
              entry->title = g_strdup (value);
              break;
            case COL_USERNAME:
              g_free (entry->username);
              entry->username = g_strdup (value);
              break;
            case COL_URL:
              g_strfreev (entry->urls);
              entry->urls = split_list (value, "\n");
              break;
            case COL_NOTES:
              g_free (entry->notes);
              entry->notes = g_strdup (value);
              break;
            case COL_FOLDER:
              /* KeePassXC writes the group path from its root group. */
              g_free (entry->folder);
              entry->folder = g_strdup (g_str_has_prefix (value, "Root/") ? value + 5
                                        : strcmp (value, "Root") == 0 ? "" : value);
              break;
            case COL_TAGS:
              g_strfreev (entry->tags);
              entry->tags = split_list (value, ",;");
              break;
            case COL_FAVORITE:
              entry->favorite = strcmp (value, "1") == 0 || g_ascii_strcasecmp (value, "true") == 0;
              break;
            case COL_PASSWORD:
            case COL_OTP:
              {
                g_autoptr(PhSecret) secret = ph_secret_new_from_text (value);

                if (!ph_vault_set_secret (vault, entry,
                                          columns[c] == COL_PASSWORD ? PH_FIELD_PASSWORD : PH_FIELD_OTP,
                                          secret, error))
                  return FALSE;
              }
              break;
            case COL_CUSTOM:
              ph_entry_add_field (entry, header[c], value, NULL);
              break;
            case COL_IGNORE:
            default:
              break;
            }
        }

      if (entry->title == NULL || *entry->title == '\0')
        {
          g_free (entry->title);
          entry->title = ph_entry_dup_primary_host (entry);
          if (entry->title == NULL)
            entry->title = g_strdup (_("Untitled"));
        }
      if (entry->folder && *entry->folder == '\0')
        g_clear_pointer (&entry->folder, g_free);
      g_ptr_array_add (entries, g_steal_pointer (&entry));
    }

  for (guint i = 0; i < entries->len; i++)
    if (!ph_vault_add (vault, g_ptr_array_index (entries, i), error))
      {
        for (guint j = 0; j < i; j++)
          ph_vault_remove (vault, g_ptr_array_index (entries, j));
        return FALSE;
      }

  if (out_count)
    *out_count = entries->len;
  return TRUE;
}

static gboolean
write_wiped (int       fd,
             GString  *row,
             GError  **error)
{
  gsize done = 0;
  gboolean ok = TRUE;

  while (done < row->len)
    {
      ssize_t w = write (fd, row->str + done, row->len - done);

      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0)
        {
          int saved_errno = errno;
          g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                       _("Could not write the export: %s"), g_strerror (saved_errno));
          ok = FALSE;
          break;
        }
      done += w;
    }
  sodium_memzero (row->str, row->len);
  g_string_truncate (row, 0);
  return ok;
}

/**
 * ph_csv_export:
 *
 * Writes every entry with its password and OTP in plain text to @fd, in the column layout
 * ph_csv_import() reads back (and KeePassXC and Bitwarden recognize by name). Each row is
 * wiped from memory once written.
 */
gboolean
ph_csv_export (PhBroker        *broker,
               const PhSubject *subject,
               int              fd,
               guint           *out_count,
               GError         **error)
{
  PhVault *vault = ph_broker_get_vault (broker);
  static const char * const header[] = {
    "title", "username", "password", "url", "notes", "folder", "tags", "otp", NULL
  };
  g_autoptr(GString) row = g_string_sized_new (4096);
  guint n = g_list_model_get_n_items (G_LIST_MODEL (vault));

  ph_csv_append_row (row, header);
  if (!write_wiped (fd, row, error))
    return FALSE;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PhEntry) entry = g_list_model_get_item (G_LIST_MODEL (vault), i);
      g_autoptr(PhSecret) password = NULL;
      g_autoptr(PhSecret) otp = NULL;
      g_autofree char *urls = g_strjoinv ("\n", (char **) ph_entry_get_urls (entry));
      g_autofree char *tags = g_strjoinv (",", (char **) ph_entry_get_tags (entry));
      const char *fields[9];

      if (ph_entry_has_password (entry) &&
          !(password = ph_broker_open (broker, subject, PH_ACTION_EXPORT, entry, PH_FIELD_PASSWORD, error)))
        return FALSE;
      if (ph_entry_has_otp (entry) &&
          !(otp = ph_broker_open (broker, subject, PH_ACTION_EXPORT, entry, PH_FIELD_OTP, error)))
        return FALSE;

      fields[0] = ph_entry_get_title (entry);
      fields[1] = ph_entry_get_username (entry);
      fields[2] = password ? ph_secret_get_text (password) : "";
      fields[3] = urls;
      fields[4] = ph_entry_get_notes (entry);
      fields[5] = ph_entry_get_folder (entry);
      fields[6] = tags;
      fields[7] = otp ? ph_secret_get_text (otp) : "";
      fields[8] = NULL;
      ph_csv_append_row (row, fields);
      if (!write_wiped (fd, row, error))
        return FALSE;
    }

  if (out_count)
    *out_count = n;
  return TRUE;
}
