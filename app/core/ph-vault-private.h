/* ph-vault-private.h: PhVault's state, shared by the class and its file format code.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-entry-private.h"
#include "ph-search-index.h"
#include "ph-vault.h"

G_BEGIN_DECLS

#define PH_VAULT_MAGIC          "\x89PHV\r\n\x1a\n"
#define PH_VAULT_MAGIC_LEN      8
#define PH_VAULT_VERSION        1
#define PH_VAULT_ID_BYTES       16
#define PH_VAULT_CHECKSUM_BYTES 16
#define PH_VAULT_FIXED_HEADER   49

/* Records of the decrypted payload. */
enum
{
  PH_RECORD_ENTRY      = 1,
  PH_RECORD_TOMBSTONE  = 2,
  PH_RECORD_POLICY     = 3,   /* u64 modified (µs), u32 + model text, u32 + policy text */
  PH_RECORD_AUDIT_HEAD = 4,   /* u64 sequence number, 32-byte MAC of the last audit record */
  PH_RECORD_SECOND_FACTORS = 5, /* u64 modified (µs), the second-factor state sealed with subkey 4 */
};

typedef struct
{
  guint8  type;
  GBytes *body;
} PhKeySlot;

typedef struct
{
  gint64 deleted;
  /* The entry's modification time when it was deleted: a later edit elsewhere outranks it. */
  gint64 base_modified;
} PhTombstone;

/* What a file holds before it is decrypted. */
typedef struct
{
  GBytes    *contents;
  gsize      header_len;
  guint8     vault_id[PH_VAULT_ID_BYTES];
  guint64    generation;
  gint64     saved_at;
  GPtrArray *slots;     /* PhKeySlot */
} PhVaultFile;

struct _PhVault
{
  GObject       parent_instance;

  char         *path;
  guint8        vault_id[PH_VAULT_ID_BYTES];
  guint64       generation;

  PhVaultFile  *file;          /* while locked: the file read by ph_vault_load() */
  GBytes       *disk_stamp;    /* header and payload nonce of the file as last read or written */
  gboolean      slots_changed; /* key slots changed here since the last save */

  PhSecret     *vault_key;
  PhSecret     *payload_key;
  PhSecret     *field_key;

  GPtrArray    *slots;         /* PhKeySlot */
  GPtrArray    *entries;       /* PhEntry, in vault order */
  GHashTable   *by_id;         /* id -> PhEntry (borrowed from entries) */
  GHashTable   *tombstones;    /* id -> PhTombstone */
  GPtrArray    *extra_records; /* GBytes: records of a newer version, kept verbatim */

  PhSearchIndex *index;        /* built on the first search after a change */
  guint          n_conflicts;
};

/* Opening sealed fields is the broker's alone (ph-broker.c): every other path to a secret asks
 * it, so policy and audit see every access. tests/broker checks that nothing else calls these. */
PhSecret    *ph_vault_unseal         (PhVault          *self,
                                      PhEntry          *entry,
                                      const char       *field,
                                      GError          **error);
PhSecret    *ph_vault_unseal_history (PhVault          *self,
                                      PhEntry          *entry,
                                      guint             index,
                                      GError          **error);

void         ph_key_slot_free        (gpointer          data);
void         ph_vault_file_free      (PhVaultFile      *file);
PhVaultFile *ph_vault_file_parse     (const char       *path,
                                      GBytes           *contents,
                                      GError          **error);
GBytes      *ph_vault_file_stamp     (PhVaultFile      *file);
GBytes      *ph_vault_serialize      (PhVault          *self);
gboolean     ph_vault_parse_payload  (PhVault          *self,
                                      PhVaultFile      *file,
                                      GPtrArray       **out_entries,
                                      GHashTable      **out_by_id,
                                      GHashTable      **out_tombstones,
                                      GPtrArray       **out_extra,
                                      GError          **error);
void         ph_vault_slot_ad        (const guint8     *vault_id,
                                      guint8            type,
                                      guint8           *out_ad);
#define PH_VAULT_SLOT_AD_BYTES (PH_VAULT_MAGIC_LEN + 2 + PH_VAULT_ID_BYTES + 1)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhVaultFile, ph_vault_file_free)

G_END_DECLS
