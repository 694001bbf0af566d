/* test-git-credential.c: parsing git's requests and choosing the right login.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include "ph-git-credential.h"
#include "ph-test-util.h"

static PhGitCredential *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  PhGitCredential *request = ph_git_credential_parse (text, strlen (text), &error);

  g_assert_no_error (error);
  return request;
}

static void
test_parse (void)
{
  g_autoptr(PhGitCredential) a = parse ("protocol=https\nhost=GitHub.com\npath=o/r.git\nusername=al\npassword=x=y\n\nignored=1\n");
  g_autoptr(PhGitCredential) b = parse ("url=https://bob@git.example:8443/group/repo.git\n");
  g_autoptr(GError) error = NULL;

  g_assert_cmpstr (a->protocol, ==, "https");
  g_assert_cmpstr (a->host, ==, "github.com");
  g_assert_cmpstr (a->path, ==, "o/r.git");
  g_assert_cmpstr (ph_secret_get_text (a->password), ==, "x=y");
  g_assert_cmpstr (b->host, ==, "git.example:8443");
  g_assert_cmpstr (b->username, ==, "bob");
  g_assert_cmpstr (b->path, ==, "group/repo.git");

  g_assert_null (ph_git_credential_parse ("nonsense\n", 9, &error));
  g_assert_error (error, PH_GIT_CREDENTIAL_ERROR, PH_GIT_CREDENTIAL_ERROR_SYNTAX);
  g_clear_error (&error);
  g_assert_null (ph_git_credential_parse ("path=x\n", 7, &error));
  g_assert_error (error, PH_GIT_CREDENTIAL_ERROR, PH_GIT_CREDENTIAL_ERROR_SYNTAX);
}

static void
test_match (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v", NULL);
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(PhEntry) host_wide = ph_test_add_entry (vault, "gh", "alice", "https://github.com", "a");
  g_autoptr(PhEntry) work = ph_test_add_entry (vault, "gh work", "alice-work", "https://github.com/acme", "w");
  g_autoptr(PhEntry) other_port = ph_test_add_entry (vault, "lab", "x", "https://git.example:8443/", "p");
  g_autoptr(PhGitCredential) r1 = parse ("protocol=https\nhost=github.com\n");
  g_autoptr(PhGitCredential) r2 = parse ("protocol=https\nhost=github.com\npath=acme/tools.git\n");
  g_autoptr(PhGitCredential) r3 = parse ("protocol=https\nhost=github.com\npath=acmexyz/a.git\n");
  g_autoptr(PhGitCredential) r4 = parse ("protocol=http\nhost=github.com\n");
  g_autoptr(PhGitCredential) r5 = parse ("protocol=https\nhost=git.example\n");
  g_autoptr(PhGitCredential) r6 = parse ("protocol=https\nhost=git.example:8443\n");
  g_autoptr(PhGitCredential) r7 = parse ("protocol=https\nhost=github.com\nusername=alice-work\npath=acme/x\n");

  g_assert_true (ph_git_credential_match (vault, r1) == host_wide);
  g_assert_true (ph_git_credential_match (vault, r2) == work);
  g_assert_true (ph_git_credential_match (vault, r3) == host_wide);
  g_assert_null (ph_git_credential_match (vault, r4));
  g_assert_null (ph_git_credential_match (vault, r5));
  g_assert_true (ph_git_credential_match (vault, r6) == other_port);
  g_assert_true (ph_git_credential_match (vault, r7) == work);

  ph_test_remove_dir (dir);
}

static void
test_store_and_erase (void)
{
  g_autofree char *dir = ph_test_make_dir ();
  g_autofree char *path = g_build_filename (dir, "v", NULL);
  g_autoptr(PhVault) vault = ph_test_new_vault (path, "pw", NULL);
  g_autoptr(PhGitCredential) store = parse ("protocol=https\nhost=gitea.local\nusername=u\npassword=one\n");
  g_autoptr(PhGitCredential) update = parse ("protocol=https\nhost=gitea.local\nusername=u\npassword=two\n");
  g_autoptr(PhGitCredential) stale = parse ("protocol=https\nhost=gitea.local\nusername=u\npassword=one\n");
  g_autoptr(GError) error = NULL;
  PhEntry *entry;

  entry = ph_git_credential_store (vault, store, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (ph_entry_get_title (entry), ==, "gitea.local");
  g_assert_true (ph_git_credential_store (vault, update, &error) == entry);
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (vault)), ==, 1);
  ph_test_assert_secret (vault, entry, PH_FIELD_PASSWORD, "two");

  /* git rejecting the old password does not delete the newer one. */
  {
    g_autoptr(PhBroker) broker = ph_test_new_broker (vault);
    g_autoptr(PhSubject) cli = ph_subject_new (PH_SUBJECT_CLI, "git-credential");

    g_assert_true (ph_git_credential_erase (broker, cli, stale, &error));
    g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (vault)), ==, 1);
    g_assert_true (ph_git_credential_erase (broker, cli, update, &error));
  }
  g_assert_cmpuint (g_list_model_get_n_items (G_LIST_MODEL (vault)), ==, 0);

  ph_test_remove_dir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/git-credential/parse", test_parse);
  g_test_add_func ("/git-credential/match", test_match);
  g_test_add_func ("/git-credential/store-and-erase", test_store_and_erase);

  return g_test_run ();
}
