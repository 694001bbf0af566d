/* ph-git-credential.c: git's credential helper protocol, answered from vault entries.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#define G_LOG_DOMAIN "ph-git"

#include "config.h"

#include <sodium.h>
#include <glib/gi18n-lib.h>

#include "ph-git-credential.h"

G_DEFINE_QUARK (ph-git-credential-error-quark, ph_git_credential_error)

void
ph_git_credential_free (PhGitCredential *self)
{
  g_free (self->protocol);
  g_free (self->host);
  g_free (self->path);
  g_free (self->username);
  g_clear_pointer (&self->password, ph_secret_unref);
  g_free (self);
}

/**
 * ph_git_credential_parse:
 *
 * Reads git's `key=value` lines (gitcredentials(7)). A `url=` line is split into its parts as
 * git does; attributes this helper does not use are ignored. The password goes straight into
 * guarded memory.
 */
PhGitCredential *
ph_git_credential_parse (const char *input,
                         gsize       length,
                         GError    **error)
{
  g_autoptr(PhGitCredential) self = g_new0 (PhGitCredential, 1);
  const char *p = input, *end = input + length;
  guint line = 0;

  while (p < end)
    {
      const char *eol = memchr (p, '\n', end - p);
      const char *eq;
      gsize len;
      g_autofree char *key = NULL;

      eol = eol ? eol : end;
      len = eol - p;
      if (len > 0 && p[len - 1] == '\r')
        len--;
      line++;
      if (len == 0)
        break;

      eq = memchr (p, '=', len);
      if (eq == NULL)
        {
          g_set_error (error, PH_GIT_CREDENTIAL_ERROR, PH_GIT_CREDENTIAL_ERROR_SYNTAX,
                       _("Line %u of the credential request has no “=”"), line);
          return NULL;
        }
      key = g_strndup (p, eq - p);
      eq++;
      len -= eq - p;

      if (strcmp (key, "password") == 0)
        {
          g_clear_pointer (&self->password, ph_secret_unref);
          self->password = ph_secret_new_from_data (eq, len);
        }
      else if (!g_utf8_validate (eq, len, NULL))
        {
          g_set_error (error, PH_GIT_CREDENTIAL_ERROR, PH_GIT_CREDENTIAL_ERROR_SYNTAX,
                       _("Line %u of the credential request is not valid UTF-8"), line);
          return NULL;
        }
      else if (strcmp (key, "protocol") == 0)
        g_free (self->protocol), self->protocol = g_strndup (eq, len);
      else if (strcmp (key, "host") == 0)
        g_free (self->host), self->host = g_ascii_strdown (eq, len);
      else if (strcmp (key, "path") == 0)
        g_free (self->path), self->path = g_strndup (eq, len);
      else if (strcmp (key, "username") == 0)
        g_free (self->username), self->username = g_strndup (eq, len);
      else if (strcmp (key, "url") == 0)
        {
          g_autofree char *url = g_strndup (eq, len);
          g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED, NULL);

          if (uri != NULL)
            {
              g_free (self->protocol);
              self->protocol = g_strdup (g_uri_get_scheme (uri));
              g_free (self->host);
              self->host = g_uri_get_port (uri) > 0
                ? g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri))
                : g_ascii_strdown (g_uri_get_host (uri) ? g_uri_get_host (uri) : "", -1);
              if (*g_uri_get_path (uri))
                g_free (self->path), self->path = g_strdup (g_uri_get_path (uri) + (*g_uri_get_path (uri) == '/'));
              if (g_uri_get_user (uri))
                g_free (self->username), self->username = g_strdup (g_uri_get_user (uri));
            }
        }
      p = eol + (eol < end);
    }

  if (self->protocol == NULL || self->host == NULL)
    {
      g_set_error (error, PH_GIT_CREDENTIAL_ERROR, PH_GIT_CREDENTIAL_ERROR_SYNTAX,
                   _("The credential request names no protocol and host"));
      return NULL;
    }
  return g_steal_pointer (&self);
}

/* How well an entry URL serves the request: -1 not at all, higher is more specific. */
static int
url_score (const char      *url,
           PhGitCredential *request)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, NULL);
  g_autofree char *host = NULL;
  const char *path;
  const char *want = request->path ? request->path : "";
  gsize path_len;

  if (uri == NULL || g_uri_get_host (uri) == NULL || g_uri_get_scheme (uri) == NULL)
    return -1;
  if (g_ascii_strcasecmp (g_uri_get_scheme (uri), request->protocol) != 0)
    return -1;
  host = g_uri_get_port (uri) > 0
    ? g_strdup_printf ("%s:%d", g_uri_get_host (uri), g_uri_get_port (uri))
    : g_strdup (g_uri_get_host (uri));
  if (g_ascii_strcasecmp (host, request->host) != 0)
    return -1;

  path = g_uri_get_path (uri);
  while (*path == '/')
    path++;
  path_len = strlen (path);
  while (path_len > 0 && path[path_len - 1] == '/')
    path_len--;
  if (path_len == 0)
    return 0;
  /* An entry for a path serves that repository and what is below it, and only when git
   * sends paths (credential.useHttpPath). */
  if (strncmp (want, path, path_len) == 0 && (want[path_len] == '\0' || want[path_len] == '/'))
    return 1 + (int) path_len;
  return -1;
}

/**
 * ph_git_credential_match:
 *
 * Finds the login for a request: the entry whose URL has the same protocol and host (and
 * port), the most specific path prefix, and the requested username if one was given; the most
 * recently used or changed among equals.
 *
 * Returns: (transfer none) (nullable): the entry
 */
PhEntry *
ph_git_credential_match (PhVault         *vault,
                         PhGitCredential *request)
{
  guint n = g_list_model_get_n_items (G_LIST_MODEL (vault));
  PhEntry *best = NULL;
  int best_score = -1;
  gint64 best_time = 0;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(PhEntry) entry = g_list_model_get_item (G_LIST_MODEL (vault), i);
      const char * const *urls = ph_entry_get_urls (entry);
      int score = -1;
      gint64 when;

      if (request->username && g_strcmp0 (ph_entry_get_username (entry), request->username) != 0)
        continue;
      for (guint u = 0; urls[u]; u++)
        score = MAX (score, url_score (urls[u], request));
      if (score < 0)
        continue;

      when = MAX (ph_entry_get_last_used (entry), ph_entry_get_modified (entry));
      if (score > best_score || (score == best_score && when > best_time))
        {
          best = entry;
          best_score = score;
          best_time = when;
        }
    }
  return best;
}

static char *
request_url (PhGitCredential *request)
{
  return g_strdup_printf ("%s://%s/%s", request->protocol, request->host,
                          request->path ? request->path : "");
}

/**
 * ph_git_credential_store:
 *
 * Saves what git approved: updates the password of the login that matches exactly
 * (protocol, host, path and username), or adds a new entry titled after the host.
 *
 * Returns: (transfer none): the entry stored
 */
PhEntry *
ph_git_credential_store (PhVault         *vault,
                         PhGitCredential *request,
                         GError         **error)
{
  PhEntry *entry;

  if (request->username == NULL || request->password == NULL)
    {
      g_set_error (error, PH_GIT_CREDENTIAL_ERROR, PH_GIT_CREDENTIAL_ERROR_SYNTAX,
                   _("git asked to store a credential without a username and password"));
      return NULL;
    }

  entry = ph_git_credential_match (vault, request);
  if (entry == NULL)
    {
      g_autoptr(PhEntry) created = ph_entry_new (request->host);
      g_autofree char *url = request_url (request);
      const char *urls[] = { url, NULL };
      const char *tags[] = { "git", NULL };

      ph_entry_set_username (created, request->username);
      ph_entry_set_urls (created, urls);
      ph_entry_set_tags (created, tags);
      if (!ph_vault_add (vault, created, error))
        return NULL;
      entry = created;
    }

  if (!ph_vault_set_secret (vault, entry, PH_FIELD_PASSWORD, request->password, error))
    return NULL;
  return entry;
}

/**
 * ph_git_credential_erase:
 *
 * Removes the login git rejected. When git names the rejected password, an entry whose
 * password has changed since is kept: it is not the credential that failed.
 */
gboolean
ph_git_credential_erase (PhBroker        *broker,
                         const PhSubject *subject,
                         PhGitCredential *request,
                         GError         **error)
{
  PhVault *vault = ph_broker_get_vault (broker);
  PhEntry *entry = ph_git_credential_match (vault, request);

  if (entry == NULL)
    return TRUE;

  if (request->password != NULL)
    {
      /* Compared, never shown: a "use" of the secret. */
      g_autoptr(PhSecret) stored = ph_broker_open (broker, subject, PH_ACTION_USE, entry, PH_FIELD_PASSWORD, error);

      if (stored == NULL)
        return FALSE;
      if (!ph_secret_equal (stored, request->password))
        return TRUE;
    }
  if (!ph_broker_authorize (broker, subject, PH_ACTION_DELETE, entry, NULL, error))
    return FALSE;
  ph_vault_remove (vault, entry);
  return TRUE;
}
