/* ph-git-credential.h: git's credential helper protocol, answered from vault entries.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-broker.h"
#include "ph-vault.h"

G_BEGIN_DECLS

#define PH_GIT_CREDENTIAL_ERROR (ph_git_credential_error_quark ())

typedef enum
{
  PH_GIT_CREDENTIAL_ERROR_SYNTAX = 1,
} PhGitCredentialError;

/* One request as git sends it: key=value lines up to a blank line. */
typedef struct
{
  char     *protocol;
  char     *host;
  char     *path;
  char     *username;
  PhSecret *password;
} PhGitCredential;

GQuark           ph_git_credential_error_quark (void);
PhGitCredential *ph_git_credential_parse       (const char      *input,
                                                gsize            length,
                                                GError         **error);
void             ph_git_credential_free        (PhGitCredential *self);
PhEntry         *ph_git_credential_match       (PhVault         *vault,
                                                PhGitCredential *request);
PhEntry         *ph_git_credential_store       (PhVault         *vault,
                                                PhGitCredential *request,
                                                GError         **error);
gboolean         ph_git_credential_erase       (PhBroker        *broker,
                                                const PhSubject *subject,
                                                PhGitCredential *request,
                                                GError         **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhGitCredential, ph_git_credential_free)

G_END_DECLS
