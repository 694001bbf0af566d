/* ph-role-manager.h: Casbin's default role manager (g, g2, ... with or without domains).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _PhRoleManager PhRoleManager;

PhRoleManager *ph_role_manager_new                 (guint          max_level);
void           ph_role_manager_free                (PhRoleManager *manager);
void           ph_role_manager_clear               (PhRoleManager *manager);
void           ph_role_manager_add_link            (PhRoleManager *manager,
                                                    const char    *name,
                                                    const char    *role,
                                                    const char    *domain);
void           ph_role_manager_set_domain_key_match (PhRoleManager *manager,
                                                    gboolean       enabled);
gboolean       ph_role_manager_has_link            (PhRoleManager *manager,
                                                    const char    *name,
                                                    const char    *role,
                                                    const char    *domain);
GHashTable    *ph_role_manager_get_reachable       (PhRoleManager *manager,
                                                    const char    *name,
                                                    const char    *domain);
void           ph_role_manager_collect_reachable   (PhRoleManager *manager,
                                                    const char    *name,
                                                    const char    *domain,
                                                    GPtrArray     *out);
gboolean       ph_role_manager_check_cycles        (PhRoleManager *manager,
                                                    GError       **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PhRoleManager, ph_role_manager_free)

G_END_DECLS
