/* ph-agent.h: perihelion-agent's service: the vault's one key holder, on D-Bus.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>

#include "ph-prompter.h"
#include "ph-secret.h"
#include "ph-vault.h"

G_BEGIN_DECLS

#define PH_AGENT_DBUS_NAME "org.perihelion.Agent"
#define PH_AGENT_DBUS_PATH "/org/perihelion/Agent"

#define PH_TYPE_AGENT (ph_agent_get_type ())

G_DECLARE_FINAL_TYPE (PhAgent, ph_agent, PH, AGENT, GObject)

PhAgent  *ph_agent_new               (const char       *vault_path);
gboolean  ph_agent_export            (PhAgent          *self,
                                      GDBusConnection  *connection,
                                      GError          **error);
void      ph_agent_unexport          (PhAgent          *self);
gboolean  ph_agent_unlock            (PhAgent          *self,
                                      const PhSecret   *password,
                                      GError          **error);
gboolean  ph_agent_check_unlock_allowed (PhAgent       *self,
                                      GError          **error);
guint     ph_agent_note_wrong_password (PhAgent        *self);
guint     ph_agent_get_unlock_wait_ms (PhAgent         *self);
gboolean  ph_agent_adopt_vault       (PhAgent          *self,
                                      PhVault          *vault,
                                      GError          **error);
const char *ph_agent_get_vault_path  (PhAgent          *self);
gboolean  ph_agent_request_unlock    (PhAgent          *self,
                                      const char       *reason);
gboolean  ph_agent_can_prompt        (PhAgent          *self);
void      ph_agent_set_prompter      (PhAgent          *self,
                                      PhPrompter       *prompter,
                                      gboolean        (*unlock_ui) (PhAgent *agent, const char *reason, gpointer data),
                                      gpointer          data);
void      ph_agent_lock              (PhAgent          *self);
gboolean  ph_agent_get_locked        (PhAgent          *self);
void      ph_agent_set_idle_timeout  (PhAgent          *self,
                                      guint             seconds);
void      ph_agent_add_trusted_client (PhAgent         *self,
                                      const char       *exe_path);
void      ph_agent_add_trusted_mcp   (PhAgent          *self,
                                      const char       *exe);
void      ph_agent_add_trusted_gui   (PhAgent          *self,
                                      const char       *exe_path);
void      ph_agent_watch_session     (PhAgent          *self,
                                      GDBusConnection  *connection);

G_END_DECLS
