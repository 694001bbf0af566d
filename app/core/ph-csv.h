/* ph-csv.h: RFC 4180 CSV, and importing and exporting vault entries as CSV.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include "ph-broker.h"
#include "ph-vault.h"

G_BEGIN_DECLS

#define PH_CSV_ERROR (ph_csv_error_quark ())

typedef enum
{
  PH_CSV_ERROR_SYNTAX = 1,
  PH_CSV_ERROR_HEADER,
  PH_CSV_ERROR_ENCODING,
} PhCsvError;

GQuark     ph_csv_error_quark   (void);
GPtrArray *ph_csv_parse         (const char          *data,
                                 gsize                length,
                                 GError             **error);
void       ph_csv_append_row    (GString             *out,
                                 const char * const  *fields);
gboolean   ph_csv_import        (PhVault             *vault,
                                 const char          *data,
                                 gsize                length,
                                 guint               *out_count,
                                 GError             **error);
gboolean   ph_csv_export        (PhBroker            *broker,
                                 const PhSubject     *subject,
                                 int                  fd,
                                 guint               *out_count,
                                 GError             **error);

G_END_DECLS
