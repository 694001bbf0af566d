/* ph-search-index.c: ranked substring and token search over an entry list.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-search"

#include "config.h"

#include <string.h>

#include "ph-entry-private.h"
#include "ph-search-index.h"

/* All searchable text lives in one folded buffer, one segment per entry, its fields separated
 * by FIELD_SEP and segments ended by NUL. memmem() over one contiguous buffer scans 100k entries
 * in about a millisecond, and a query token never contains the separators, so a match never
 * spans two fields. The fields of a segment, in order: */
enum { FIELD_TITLE, FIELD_USERNAME, FIELD_HOSTS, FIELD_TAGS, FIELD_FOLDER, N_FIELDS };

#define FIELD_SEP '\x1f'
#define MAX_SCORE 1023

static const int field_weight[N_FIELDS] = { 100, 40, 60, 30, 20 };

struct _PhSearchIndex
{
  GPtrArray *entries;   /* borrowed PhEntry, in vault order */
  char      *text;
  gsize      text_len;
  guint32   *starts;    /* segment start of each entry, plus one past the end */
  guint32   *fields;    /* per entry, N_FIELDS + 1 offsets: where each field starts, and the end */
};

/* Case-insensitive comparison form; a cheap path for ASCII, which most credentials are. */
char *
ph_search_fold (const char *text)
{
  gsize len = strlen (text);
  char *out;

  for (gsize i = 0; i < len; i++)
    if ((guchar) text[i] >= 0x80)
      return g_utf8_casefold (text, len);

  out = g_malloc (len + 1);
  for (gsize i = 0; i <= len; i++)
    out[i] = g_ascii_tolower (text[i]);
  return out;
}

static void
append_folded (GString    *out,
               const char *text)
{
  gsize start = out->len;

  if (text == NULL)
    return;

  for (const char *p = text; *p; p++)
    {
      if ((guchar) *p >= 0x80)
        {
          g_autofree char *folded = g_utf8_casefold (text, -1);

          g_string_truncate (out, start);
          g_string_append (out, folded);
          break;
        }
      g_string_append_c (out, g_ascii_tolower (*p));
    }

  /* Control characters would let a query match across a field boundary. */
  for (gsize i = start; i < out->len; i++)
    if ((guchar) out->str[i] < 0x20)
      out->str[i] = ' ';
}

static void
append_host (GString    *out,
             const char *url)
{
  const char *host = strstr (url, "://");
  const char *end;

  host = host ? host + 3 : url;
  end = host + strcspn (host, "/?#");
  if (memchr (host, '@', end - host))
    host = (const char *) memchr (host, '@', end - host) + 1;
  for (const char *p = host; p < end; p++)
    g_string_append_c (out, (guchar) *p < 0x20 ? ' ' : g_ascii_tolower (*p));
}

PhSearchIndex *
ph_search_index_new (GPtrArray *entries)
{
  PhSearchIndex *self = g_new0 (PhSearchIndex, 1);
  GString *text = g_string_sized_new (entries->len * 64 + 1);

  self->entries = g_ptr_array_ref (entries);
  self->starts = g_new (guint32, entries->len + 1);
  self->fields = g_new (guint32, (gsize) entries->len * (N_FIELDS + 1) + 1);

  for (guint i = 0; i < entries->len; i++)
    {
      PhEntry *entry = g_ptr_array_index (entries, i);

      guint32 *fields = self->fields + (gsize) i * (N_FIELDS + 1);

      self->starts[i] = text->len;
      fields[FIELD_TITLE] = text->len;
      append_folded (text, entry->title);
      g_string_append_c (text, FIELD_SEP);
      fields[FIELD_USERNAME] = text->len;
      append_folded (text, entry->username);
      g_string_append_c (text, FIELD_SEP);
      fields[FIELD_HOSTS] = text->len;
      for (guint j = 0; entry->urls && entry->urls[j]; j++)
        {
          if (j > 0)
            g_string_append_c (text, ' ');
          append_host (text, entry->urls[j]);
        }
      g_string_append_c (text, FIELD_SEP);
      fields[FIELD_TAGS] = text->len;
      for (guint j = 0; entry->tags && entry->tags[j]; j++)
        {
          if (j > 0)
            g_string_append_c (text, ' ');
          append_folded (text, entry->tags[j]);
        }
      g_string_append_c (text, FIELD_SEP);
      fields[FIELD_FOLDER] = text->len;
      append_folded (text, entry->folder);
      fields[N_FIELDS] = text->len;
      g_string_append_c (text, '\0');
    }
  self->starts[entries->len] = text->len;
  self->text_len = text->len;
  self->text = g_string_free (text, FALSE);
  return self;
}

void
ph_search_index_free (PhSearchIndex *self)
{
  g_ptr_array_unref (self->entries);
  g_free (self->text);
  g_free (self->starts);
  g_free (self->fields);
  g_free (self);
}

static gboolean
is_word_start (const char *field,
               const char *match)
{
  return match == field || !g_ascii_isalnum (match[-1]);
}

/* Scores one token against one entry, 0 when it is nowhere in it. The entry's field offsets are
 * known, so there is no scan for separators, and a token absent from the whole entry is
 * rejected by one memmem(). */
static int
score_token_in_fields (const char    *text,
                       const guint32 *fields,
                       const char    *token,
                       gsize          token_len)
{
  int best = 0;

  if (memmem (text + fields[0], fields[N_FIELDS] - fields[0], token, token_len) == NULL)
    return 0;
  for (int f = 0; f < N_FIELDS; f++)
    {
      const char *field = text + fields[f];
      const char *end = text + fields[f + 1] - (f + 1 < N_FIELDS ? 1 : 0);
      const char *match = memmem (field, end - field, token, token_len);

      if (match != NULL)
        {
          int score = field_weight[f];

          if (match == field && (gsize) (end - field) == token_len)
            score *= 4;            /* the whole field */
          else if (match == field)
            score *= 3;            /* a prefix */
          else if (is_word_start (field, match))
            score *= 2;            /* the start of a word */
          best = MAX (best, score);
        }
    }
  return best;
}

/* The sum of every token's score for entry @index, or 0 when one of them is not in it. */
static int
score_all (PhSearchIndex *self,
           guint          index,
           GStrv          tokens,
           const gsize   *lengths)
{
  const guint32 *fields = self->fields + (gsize) index * (N_FIELDS + 1);
  int total = 0;

  for (guint i = 0; tokens[i]; i++)
    {
      int score;

      if (lengths[i] == 0)
        continue;
      score = score_token_in_fields (self->text, fields, tokens[i], lengths[i]);
      if (score == 0)
        return 0;
      total += score;
    }
  return total;
}

/**
 * ph_search_index_query_within:
 * @query: words to look for; every word must occur (as a substring, case-insensitively) in
 *   the title, username, URL hosts, tags or folder
 * @within: (nullable) (element-type guint): only these entries (indices into the index's
 *   entries, ascending); %NULL for all
 * @out_matched: (out) (optional) (element-type guint): the matching entries' indices,
 *   ascending: the @within of a narrower query
 *
 * Ranks whole-field matches over prefixes over word starts over inner substrings, and title
 * over host over username over tags over folder; ties keep vault order.
 *
 * A query that extends the previous one (one more letter, one more word) can only match what
 * the previous one matched, so a search field passes the previous matches as @within: typing
 * then costs what the remaining matches cost, not a scan of the whole vault.
 *
 * Returns: (transfer container): matching entries, best first
 */
GPtrArray *
ph_search_index_query_within (PhSearchIndex *self,
                              const char    *query,
                              GArray        *within,
                              GArray       **out_matched)
{
  g_autofree char *folded = ph_search_fold (query);
  g_auto(GStrv) tokens = g_strsplit_set (g_strstrip (folded), " \t\n\r\x1f", -1);
  g_autofree int *scores = NULL;
  g_autofree guint *bucket_count = NULL;
  g_autofree guint *matched = NULL;
  const char *driver = NULL;
  gsize driver_len = 0;
  guint n_matched = 0;
  GPtrArray *result;
  const char *p, *end;
  guint cursor = 0;

  g_autofree gsize *lengths = g_new0 (gsize, g_strv_length (tokens) + 1);

  /* The longest token has the fewest matches: scan for it, then check the rest per entry. */
  for (guint i = 0; tokens[i]; i++)
    {
      lengths[i] = strlen (tokens[i]);
      if (lengths[i] > driver_len)
        driver = tokens[i], driver_len = lengths[i];
    }

  if (driver == NULL)
    {
      GPtrArray *all = g_ptr_array_new_full (self->entries->len, g_object_unref);

      for (guint i = 0; i < self->entries->len; i++)
        g_ptr_array_add (all, g_object_ref (g_ptr_array_index (self->entries, i)));
      if (out_matched)
        {
          *out_matched = g_array_sized_new (FALSE, FALSE, sizeof (guint), self->entries->len);
          for (guint i = 0; i < self->entries->len; i++)
            g_array_append_val (*out_matched, i);
        }
      return all;
    }

  result = g_ptr_array_new_with_free_func (g_object_unref);
  matched = g_new (guint, self->entries->len);
  scores = g_new (int, self->entries->len);

  if (within)
    {
      for (guint k = 0; k < within->len; k++)
        {
          guint index = g_array_index (within, guint, k);
          int total = score_all (self, index, tokens, lengths);

          if (total > 0)
            {
              matched[n_matched] = index;
              scores[n_matched] = MIN (total, MAX_SCORE);
              n_matched++;
            }
        }
    }
  else
    {
      p = self->text;
      end = self->text + self->text_len;
      while (p < end && (p = memmem (p, end - p, driver, driver_len)) != NULL)
        {
          guint32 offset = p - self->text;
          int total;

          /* Matches come in increasing order, so the owning entry is found by walking forward. */
          while (self->starts[cursor + 1] <= offset)
            cursor++;
          total = score_all (self, cursor, tokens, lengths);
          if (total > 0)
            {
              matched[n_matched] = cursor;
              scores[n_matched] = MIN (total, MAX_SCORE);
              n_matched++;
            }
          p = self->text + self->starts[cursor + 1];
        }
    }

  if (out_matched)
    {
      *out_matched = g_array_sized_new (FALSE, FALSE, sizeof (guint), n_matched);
      g_array_append_vals (*out_matched, matched, n_matched);
    }

  /* Scores are small integers: a counting sort ranks in linear time and keeps ties stable. */
  bucket_count = g_new0 (guint, MAX_SCORE + 2);
  for (guint i = 0; i < n_matched; i++)
    bucket_count[MAX_SCORE - scores[i] + 1]++;
  for (guint s = 1; s <= MAX_SCORE + 1; s++)
    bucket_count[s] += bucket_count[s - 1];

  g_ptr_array_set_size (result, n_matched);
  for (guint i = 0; i < n_matched; i++)
    {
      guint slot = bucket_count[MAX_SCORE - scores[i]]++;
      result->pdata[slot] = g_object_ref (g_ptr_array_index (self->entries, matched[i]));
    }
  return result;
}

/**
 * ph_search_index_query:
 *
 * ph_search_index_query_within() over every entry.
 *
 * Returns: (transfer container): matching entries, best first
 */
GPtrArray *
ph_search_index_query (PhSearchIndex *self,
                       const char    *query)
{
  return ph_search_index_query_within (self, query, NULL, NULL);
}
