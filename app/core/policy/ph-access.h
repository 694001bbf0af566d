/* ph-access.h: what an access request is made of: who asks, for what, on which object, when.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-entry.h"

G_BEGIN_DECLS

typedef enum
{
  PH_SUBJECT_GUI,       /* the user's own Perihelion window */
  PH_SUBJECT_CLI,       /* perihelion-cli (and git-credential-perihelion) */
  PH_SUBJECT_PROCESS,   /* another local program: a Secret Service or D-Bus caller */
  PH_SUBJECT_AGENT,     /* an AI agent, by name */
  PH_SUBJECT_CI,        /* a CI job, by name */
} PhSubjectKind;

typedef struct
{
  PhSubjectKind kind;
  char *name;           /* agent name, CI job, command; may be NULL */
  gint64 pid;           /* 0: unknown */
  gint64 uid;           /* -1: unknown */
  char *exe;            /* the executable's path, or NULL */
  char *exe_sha256;     /* hex, or NULL */
  char *app_id;         /* Flatpak app id, or NULL */
  char *purpose;        /* why the subject says it asks (an AI agent's reason), or NULL: shown to
                         * the person who approves and audited, never decided on */
  char *origin;         /* what started it, as its declaration says (an AI agent: "MCP client X,
                         * started by /usr/bin/node"), or NULL: shown and audited */
  char *command;        /* the program (absolute, symlinks resolved) the subject will hand the
                         * secret to, or NULL: the policy's r.ctx.Command */
} PhSubject;

typedef enum
{
  PH_ACTION_LIST,
  PH_ACTION_READ_METADATA,
  PH_ACTION_REVEAL,     /* show a secret */
  PH_ACTION_COPY,       /* put a secret on the clipboard */
  PH_ACTION_USE,        /* inject a secret without showing it */
  PH_ACTION_WRITE,
  PH_ACTION_DELETE,
  PH_ACTION_ADMIN_POLICY,
  PH_ACTION_EXPORT,
} PhAction;

/* The request's context, filled by the broker (the policy information point). */
typedef struct
{
  gint64 now;            /* µs since the epoch */
  gint64 session_start;  /* when the vault was unlocked (µs), 0: unknown */
  gint64 last_reauth;    /* when the master password was last entered (µs), 0: never */
  gint64 last_mfa;       /* when a second factor was last verified (µs), 0: never */
  int risk;              /* 0 to 100 */
  gboolean present;      /* a person is at the machine */
  const char *command;   /* the program a secret is handed to (an AI agent's run_command), or NULL */
} PhAccessContext;

typedef struct
{
  const PhSubject *subject;
  PhAction action;
  PhEntry *entry;          /* the entry, or NULL for a vault-wide object */
  const char *object_id;   /* when entry is NULL: "vault", "policy", "audit" */
  PhAccessContext context;
} PhAccessRequest;

/* A decision, with the obligations that come with an allow. */
typedef struct
{
  gboolean allowed;
  int reauth_within;     /* seconds: the master password must have been entered this recently; -1: no */
  int mfa_within;        /* seconds: a second factor must have been verified this recently; -1: no */
  gboolean approve;      /* a person must approve */
  int ttl;               /* seconds the released secret may live; -1: no limit */
  char *rule;            /* the rule that decided, as text; NULL if none did */
} PhDecision;

/* "reauth=0" means now; a password entered this recently still counts as now. */
#define PH_REAUTH_NOW_SECONDS 10

PhSubject  *ph_subject_new                (PhSubjectKind     kind,
                                           const char       *name);
PhSubject  *ph_subject_new_for_self       (PhSubjectKind     kind,
                                           const char       *name);
PhSubject  *ph_subject_new_from_spec      (const char       *spec,
                                           GError          **error);
PhSubject  *ph_subject_new_for_process    (gint64            pid,
                                           gint64            uid);
void        ph_subject_free               (PhSubject        *subject);
char       *ph_subject_dup_id             (const PhSubject  *subject);
char       *ph_subject_dup_description    (const PhSubject  *subject);
const char *ph_subject_kind_to_string     (PhSubjectKind     kind);
const char *ph_action_to_string           (PhAction          action);
gboolean    ph_action_from_string         (const char       *text,
                                           PhAction         *action);
gboolean    ph_obligations_parse          (const char       *text,
                                           PhDecision       *decision,
                                           GError          **error);
char       *ph_decision_dup_obligations   (const PhDecision *decision);
void        ph_decision_clear             (PhDecision       *decision);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhSubject, ph_subject_free)

G_END_DECLS
