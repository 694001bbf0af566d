/* test-gui.c: the app's window, clicked through under Xvfb against a real perihelion-agent.
 *
 * The test runs on a private session bus (dbus-run-session) with the agent as a child process
 * serving a vault in a temporary folder; this test program is named to the agent as the GUI,
 * so the gate sees the subject "gui" exactly as it sees the installed app. The steps build on
 * each other, in order: create a vault, add an entry, search, copy (and see the clipboard
 * cleared), lock and unlock, edit, delete and undo, change the policy and see a reveal denied,
 * verify the audit log. Screenshots of each main page are saved for the metainfo.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>
#include <adwaita.h>

#include "ph-agent-dbus.h"
#include "ph-audit-window.h"
#include "ph-crypto.h"
#include "ph-entry-editor.h"
#include "ph-otp.h"
#include "ph-otp-row.h"
#include "ph-qr.h"
#include "ph-entry-view.h"
#include "ph-policy-window.h"
#include "ph-preferences-window.h"
#include "ph-setup-view.h"
#include "ph-window.h"

#define PASSWORD "correct horse battery staple"
#define ENTRY_PASSWORD "s3cr3t-Pa55-word"

static struct
{
  char *dir;
  GSubprocess *agent_process;
  PhDBusAgent1 *agent;
  PhWindow *window;
  char *screenshot_dir;
} t;

/* Waiting */

typedef gboolean (*Condition) (gpointer data);

static gboolean
timed_out (gpointer data)
{
  *(gboolean *) data = TRUE;
  return G_SOURCE_REMOVE;
}

static void
wait_until_impl (Condition    condition,
                 gpointer     data,
                 const char  *what)
{
  gboolean expired = FALSE;
  guint source = g_timeout_add (15000, timed_out, &expired);

  while (!condition (data) && !expired)
    g_main_context_iteration (NULL, TRUE);
  if (expired)
    g_error ("Timed out waiting for %s", what);
  g_source_remove (source);
}

#define wait_until(condition, data) wait_until_impl ((Condition) (condition), (data), #condition)

static void
wait_ms (guint ms)
{
  gboolean expired = FALSE;

  g_timeout_add (ms, timed_out, &expired);
  while (!expired)
    g_main_context_iteration (NULL, TRUE);
}

/* Finding widgets by their id in the templates */

static GtkWidget *
find (GtkWidget  *root,
      const char *id)
{
  const char *own = GTK_IS_BUILDABLE (root) ? gtk_buildable_get_buildable_id (GTK_BUILDABLE (root)) : NULL;

  if (own && g_str_equal (own, id))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find (child, id);

      if (found)
        return found;
    }
  return NULL;
}

static GtkWidget *
need (GtkWidget  *root,
      const char *id)
{
  GtkWidget *widget = find (root, id);

  if (widget == NULL)
    g_error ("No widget “%s”", id);
  return widget;
}

#define W(id) need (GTK_WIDGET (t.window), id)

static GtkWidget *
find_type (GtkWidget *root,
           GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (root, type))
    return root;
  for (GtkWidget *child = gtk_widget_get_first_child (root); child; child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_type (child, type);

      if (found)
        return found;
    }
  return NULL;
}

/* The first-run pages are built when needed, not from the window's template. */
#define S(id) need (find_type (GTK_WIDGET (t.window), PH_TYPE_SETUP_VIEW), id)

static void
set_text (GtkWidget  *editable,
          const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (editable), text);
}

static void
click (GtkWidget *button)
{
  g_assert_true (gtk_widget_is_sensitive (button));
  g_signal_emit_by_name (button, "clicked");
}

static GtkWindow *
find_toplevel (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWindow) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return window;
    }
  return NULL;
}

static gboolean
page_is (const char *name)
{
  return g_strcmp0 (gtk_stack_get_visible_child_name (GTK_STACK (W ("stack"))), name) == 0;
}

static guint
n_listed (void)
{
  return g_list_model_get_n_items (G_LIST_MODEL (ph_window_get_entries (t.window)));
}

static gboolean
has_n_entries (gpointer n)
{
  return n_listed () == GPOINTER_TO_UINT (n);
}

static gboolean
is_mapped (GtkWidget *widget)
{
  return gtk_widget_get_mapped (widget) && gtk_widget_get_width (widget) > 0;
}

static void
screenshot (GtkWidget  *widget,
            const char *name)
{
  g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  int width, height;

  wait_until (is_mapped, widget);
  wait_ms (300);  /* transitions and the first frame */
  /* The screenshots go into the metainfo: without the toasts of the steps before. */
  {
    GtkWidget *overlay = find_type (widget, ADW_TYPE_TOAST_OVERLAY);

    for (GtkWidget *child = overlay ? gtk_widget_get_first_child (overlay) : NULL; child;
         child = gtk_widget_get_next_sibling (child))
      if (g_str_equal (G_OBJECT_TYPE_NAME (child), "AdwToastWidget"))
        gtk_widget_set_visible (child, FALSE);
    wait_ms (100);
  }
  width = gtk_widget_get_width (widget);
  height = gtk_widget_get_height (widget);
  gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (gtk_widget_get_root (widget))), node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  path = g_build_filename (t.screenshot_dir, name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

/* The steps */

static gboolean
setup_page_shown (gpointer data)
{
  return page_is ("setup");
}

static gboolean
label_has_text (GtkWidget *label)
{
  return *gtk_label_get_text (GTK_LABEL (label)) != '\0';
}

static gboolean
browser_shown (gpointer data)
{
  return page_is ("browser");
}

static void
test_create_vault (void)
{
  g_autofree char *key = NULL;
  const char *last;

  wait_until (setup_page_shown, NULL);
  screenshot (GTK_WIDGET (t.window), "welcome.png");
  click (S ("create_choice"));

  /* A weak password cannot make a vault; mismatched ones neither. */
  set_text (S ("password_row"), "abc");
  set_text (S ("confirm_row"), "abc");
  g_assert_false (gtk_widget_get_sensitive (S ("create_button")));
  set_text (S ("password_row"), PASSWORD);
  set_text (S ("confirm_row"), PASSWORD "x");
  g_assert_false (gtk_widget_get_sensitive (S ("create_button")));
  g_assert_true (gtk_widget_has_css_class (S ("confirm_row"), "error"));
  set_text (S ("confirm_row"), PASSWORD);
  g_assert_true (gtk_widget_get_sensitive (S ("create_button")));
  g_assert_cmpfloat (gtk_level_bar_get_value (GTK_LEVEL_BAR (S ("strength_bar"))), >=, 30);
  screenshot (GTK_WIDGET (t.window), "create.png");
  click (S ("create_button"));

  /* The recovery key comes back once; it must be confirmed. */
  wait_until (label_has_text, S ("recovery_label"));
  g_assert_true (page_is ("setup"));
  key = g_strdup (gtk_label_get_text (GTK_LABEL (S ("recovery_label"))));
  last = strrchr (key, '-');
  g_assert_nonnull (last);
  g_assert_false (gtk_widget_get_sensitive (S ("done_button")));
  set_text (S ("confirm_key_row"), "WRONG");
  g_assert_false (gtk_widget_get_sensitive (S ("done_button")));
  set_text (S ("confirm_key_row"), last + 1);
  g_assert_true (gtk_widget_get_sensitive (S ("done_button")));
  click (S ("done_button"));
  wait_until (browser_shown, NULL);
  g_assert_true (g_file_test (ph_dbus_agent1_get_vault_path (t.agent), G_FILE_TEST_EXISTS));
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (S ("recovery_label"))), ==, "");
}

static gboolean
editor_open (gpointer data)
{
  return find_toplevel (PH_TYPE_ENTRY_EDITOR) != NULL;
}

static gboolean
editor_closed (gpointer data)
{
  return find_toplevel (PH_TYPE_ENTRY_EDITOR) == NULL;
}

static void
add_entry (const char *title,
           const char *username,
           const char *password,
           const char *url,
           const char *folder)
{
  GtkWidget *editor;
  guint before = n_listed ();

  gtk_widget_activate_action (GTK_WIDGET (t.window), "win.new-entry", NULL);
  wait_until (editor_open, NULL);
  editor = GTK_WIDGET (find_toplevel (PH_TYPE_ENTRY_EDITOR));
  g_assert_false (gtk_widget_get_sensitive (need (editor, "save_button")));  /* no title yet */
  set_text (need (editor, "title_row"), title);
  set_text (need (editor, "username_row"), username);
  set_text (need (editor, "password_row"), password);
  set_text (need (editor, "url_row"), "not a url");
  g_assert_true (gtk_widget_has_css_class (need (editor, "url_row"), "error"));
  g_assert_false (gtk_widget_get_sensitive (need (editor, "save_button")));
  set_text (need (editor, "url_row"), url);
  set_text (need (editor, "folder_row"), folder);
  set_text (need (editor, "tags_row"), "work, dev");
  if (before == 0)
    {
      GtkWidget *popover;
      const char *generated;

      screenshot (editor, "editor.png");
      /* The generator: a password with its entropy, put into the field by Use. */
      gtk_widget_activate_action (editor, "editor.generate", NULL);
      popover = GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (need (editor, "generator_button"))));
      wait_until (is_mapped, popover);
      generated = gtk_label_get_text (GTK_LABEL (need (popover, "preview_label")));
      g_assert_cmpuint (strlen (generated), ==, 24);
      g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (need (popover, "entropy_label"))), "15"));
      gtk_stack_set_visible_child_name (GTK_STACK (need (popover, "mode_stack")), "passphrase");
      {
        g_auto(GStrv) words = g_strsplit (gtk_label_get_text (GTK_LABEL (need (popover, "preview_label"))), "-", -1);

        g_assert_cmpuint (g_strv_length (words), ==, 6);
      }
      screenshot (popover, "generator.png");
      click (need (popover, "use_button"));
      g_assert_cmpuint (strlen (gtk_editable_get_text (GTK_EDITABLE (need (editor, "password_row")))), >, 20);
      set_text (need (editor, "password_row"), password);
    }
  click (need (editor, "save_button"));
  wait_until (editor_closed, NULL);
  wait_until (has_n_entries, GUINT_TO_POINTER (before + 1));
}

static void
test_add_entry (void)
{
  add_entry ("GitHub", "alice", ENTRY_PASSWORD, "https://github.com", "Work");
  add_entry ("GitLab", "alice", "another-Pa55", "gitlab.com", "Work");
  add_entry ("Bank", "alice@example.org", "bank-Pa55-word", "https://bank.example", "Personal");
  g_assert_cmpuint (n_listed (), ==, 3);
}

static gboolean
shows_entry (const char *title)
{
  PhEntry *entry = ph_entry_view_get_entry (PH_ENTRY_VIEW (W ("entry_view")));

  return entry && g_str_equal (ph_entry_get_title (entry), title);
}

static void
select_entry (const char *title)
{
  for (guint i = 0; i < n_listed (); i++)
    {
      g_autoptr(PhEntry) entry = g_list_model_get_item (G_LIST_MODEL (ph_window_get_entries (t.window)), i);

      if (g_str_equal (ph_entry_get_title (entry), title))
        {
          ph_window_select_entry (t.window, ph_entry_get_id (entry));
          wait_until (shows_entry, (gpointer) title);
          return;
        }
    }
  g_error ("%s is not listed", title);
}

static gboolean
query_applied (const char *text)
{
  return g_str_equal (ph_entry_list_get_query (ph_window_get_entries (t.window)), text);
}

/* Types into the search field; the list follows on "search-changed", which GTK emits from a
 * timeout. */
static void
search (const char *text)
{
  set_text (W ("search_entry"), text);
  wait_until (query_applied, (gpointer) text);
}

static void
test_search (void)
{
  g_autoptr(GVariant) found = NULL;
  g_autoptr(PhEntry) first = NULL;

  /* The window ranks as the agent (and the CLI) do: the same core search. */
  search ("gitl");
  g_assert_true (ph_dbus_agent1_call_list_sync (t.agent, "gitl", &found, NULL, NULL));
  g_assert_cmpuint (n_listed (), ==, g_variant_n_children (found));
  first = g_list_model_get_item (G_LIST_MODEL (ph_window_get_entries (t.window)), 0);
  g_assert_cmpstr (ph_entry_get_title (first), ==, "GitLab");
  search ("bank");
  g_assert_cmpuint (n_listed (), >=, 1);
  search ("no such thing");
  g_assert_cmpuint (n_listed (), ==, 0);
  g_assert_cmpstr (gtk_stack_get_visible_child_name (GTK_STACK (W ("list_stack"))), ==, "empty");
  search ("");
  g_assert_cmpuint (n_listed (), ==, 3);

  /* The sidebar scopes the list to a folder. */
  ph_entry_list_set_scope (ph_window_get_entries (t.window), PH_ENTRY_SCOPE_FOLDER, "Work");
  g_assert_cmpuint (n_listed (), ==, 2);
  ph_entry_list_set_scope (ph_window_get_entries (t.window), PH_ENTRY_SCOPE_ALL, NULL);
  select_entry ("GitHub");
  screenshot (GTK_WIDGET (t.window), "browser.png");
}

/* The clipboard */

typedef struct
{
  gboolean done;
  char *text;
} ClipboardRead;

static void
clipboard_read_done (GObject      *object,
                     GAsyncResult *result,
                     gpointer      data)
{
  ClipboardRead *read = data;

  read->text = gdk_clipboard_read_text_finish (GDK_CLIPBOARD (object), result, NULL);
  read->done = TRUE;
}

static char *
read_clipboard (void)
{
  ClipboardRead read = { 0 };

  gdk_clipboard_read_text_async (gtk_widget_get_clipboard (GTK_WIDGET (t.window)), NULL, clipboard_read_done, &read);
  while (!read.done)
    g_main_context_iteration (NULL, TRUE);
  return read.text;
}

static gboolean
clipboard_has_content (gpointer data)
{
  return gdk_clipboard_get_content (gtk_widget_get_clipboard (GTK_WIDGET (t.window))) != NULL;
}

static gboolean
clipboard_is_empty (gpointer data)
{
  return !clipboard_has_content (data);
}

static void
test_copy_password (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  GdkContentFormats *formats;
  g_autofree char *copied = NULL;
  gint64 start;

  g_settings_set_uint (settings, "clipboard-timeout", 2);
  select_entry ("GitHub");
  gtk_widget_activate_action (GTK_WIDGET (t.window), "win.copy-password", NULL);
  wait_until (clipboard_has_content, NULL);
  start = g_get_monotonic_time ();
  copied = read_clipboard ();
  g_assert_cmpstr (copied, ==, ENTRY_PASSWORD);
  formats = gdk_clipboard_get_formats (gtk_widget_get_clipboard (GTK_WIDGET (t.window)));
  g_assert_true (gdk_content_formats_contain_mime_type (formats, "x-kde-passwordManagerHint"));
  wait_until (clipboard_is_empty, NULL);
  g_assert_cmpint (g_get_monotonic_time () - start, >=, 1500 * 1000);
  g_test_message ("clipboard cleared after %.1f s", (g_get_monotonic_time () - start) / 1e6);
}

/* Locking */

static gboolean
unlock_page_shown (gpointer data)
{
  return page_is ("unlock");
}

static gboolean
unlock_error_shown (gpointer data)
{
  return gtk_widget_get_visible (W ("unlock_error"));
}

static gboolean
unlock_idle (gpointer data)
{
  return g_str_equal (gtk_stack_get_visible_child_name (GTK_STACK (W ("unlock_button_stack"))), "button");
}

static void
test_lock_unlock (void)
{
  gtk_widget_activate_action (GTK_WIDGET (t.window), "win.lock", NULL);
  wait_until (unlock_page_shown, NULL);
  g_assert_true (ph_dbus_agent1_get_locked (t.agent));
  g_assert_cmpuint (n_listed (), ==, 0);   /* nothing of the vault stays on screen */
  /* No quick-unlock slot: no security key offered. */
  wait_ms (200);
  g_assert_false (gtk_widget_get_visible (W ("key_unlock_button")));

  set_text (W ("unlock_entry"), "wrong password");
  click (W ("unlock_button"));
  wait_until (unlock_error_shown, NULL);
  wait_until (unlock_idle, NULL);
  g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (W ("unlock_error"))), !=, "");
  screenshot (GTK_WIDGET (t.window), "unlock.png");

  wait_ms (1200);  /* the agent's delay after one wrong password */
  set_text (W ("unlock_entry"), PASSWORD);
  click (W ("unlock_button"));
  wait_until (browser_shown, NULL);
  wait_until (has_n_entries, GUINT_TO_POINTER (3));
  g_assert_false (gtk_widget_get_visible (W ("unlock_error")));
}

/* Editing, deleting, undo */

static gboolean
username_is (const char *username)
{
  PhEntry *entry = ph_entry_view_get_entry (PH_ENTRY_VIEW (W ("entry_view")));

  return entry && g_str_equal (ph_entry_get_username (entry), username);
}

static void
test_edit_and_undo_delete (void)
{
  GtkWidget *editor;

  select_entry ("GitLab");
  gtk_widget_activate_action (GTK_WIDGET (t.window), "win.edit-entry", NULL);
  wait_until (editor_open, NULL);
  editor = GTK_WIDGET (find_toplevel (PH_TYPE_ENTRY_EDITOR));
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (need (editor, "title_row"))), ==, "GitLab");
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (need (editor, "password_row"))), ==, "");
  set_text (need (editor, "title_row"), "");
  g_assert_false (gtk_widget_get_sensitive (need (editor, "save_button")));
  set_text (need (editor, "title_row"), "GitLab");
  set_text (need (editor, "username_row"), "bob");
  set_text (need (editor, "password_row"), "rotated-Pa55");
  click (need (editor, "save_button"));
  wait_until (editor_closed, NULL);
  wait_until (username_is, "bob");
  /* The old password went to the history, shown in its own group. */
  g_assert_true (gtk_widget_get_visible (W ("history_group")));

  gtk_widget_activate_action (GTK_WIDGET (t.window), "win.delete-entry", NULL);
  g_assert_cmpuint (n_listed (), ==, 2);
  gtk_widget_activate_action (GTK_WIDGET (t.window), "win.undo-delete", NULL);
  g_assert_cmpuint (n_listed (), ==, 3);
  wait_ms (200);
  /* Still in the vault: the agent was never asked to delete it. */
  {
    g_autoptr(GVariant) list = NULL;

    g_assert_true (ph_dbus_agent1_call_list_sync (t.agent, "GitLab", &list, NULL, NULL));
    g_assert_cmpuint (g_variant_n_children (list), ==, 1);
  }

  /* A delete not undone reaches the vault (here when the window locks). */
  select_entry ("Bank");
  gtk_widget_activate_action (GTK_WIDGET (t.window), "win.delete-entry", NULL);
  g_assert_cmpuint (n_listed (), ==, 2);
  gtk_widget_activate_action (GTK_WIDGET (t.window), "win.lock", NULL);
  wait_until (unlock_page_shown, NULL);
  g_assert_true (ph_dbus_agent1_call_unlock_sync (t.agent, g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, PASSWORD,
                                                                                    strlen (PASSWORD), 1), NULL, NULL));
  wait_until (has_n_entries, GUINT_TO_POINTER (2));
}

/* Two-factor: a malformed key is refused while typing; the key comes from an image of its QR
 * code; the entry then shows its code (the agent computes it) and copies it. */
#define OTP_URI "otpauth://totp/GitLab:bob?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=GitLab&algorithm=SHA1" \
                "&digits=6&period=30"

static gboolean
otp_row_shown (gpointer data)
{
  return find_type (W ("entry_view"), PH_TYPE_OTP_ROW) != NULL;
}

static gboolean
otp_code_shown (gpointer data)
{
  GtkWidget *row = find_type (W ("entry_view"), PH_TYPE_OTP_ROW);

  return row && ph_otp_row_get_code (PH_OTP_ROW (row)) != NULL;
}

static void
write_qr_png (const char *path,
              const char *text)
{
  g_autoptr(GError) error = NULL;
  guint width = 0;
  g_autoptr(PhSecret) modules = ph_qr_encode (text, &width, &error);
  guint size = (width + 8) * 6;
  guint8 *rgb = g_malloc0 ((gsize) size * size * 3);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GdkTexture) texture = NULL;

  g_assert_no_error (error);
  memset (rgb, 255, (gsize) size * size * 3);
  for (guint y = 0; y < width; y++)
    for (guint x = 0; x < width; x++)
      if (ph_secret_get_data (modules)[y * width + x])
        for (guint dy = 0; dy < 6; dy++)
          memset (rgb + (((gsize) (y + 4) * 6 + dy) * size + (x + 4) * 6) * 3, 0, 6 * 3);
  bytes = g_bytes_new_take (rgb, (gsize) size * size * 3);
  texture = gdk_memory_texture_new (size, size, GDK_MEMORY_R8G8B8, bytes, (gsize) size * 3);
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

static void
test_two_factor (void)
{
  g_autofree char *png = g_build_filename (t.dir, "setup-qr.png", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (png);
  g_autoptr(GError) error = NULL;
  g_autoptr(PhOtp) otp = ph_otp_new_from_uri (OTP_URI, &error);
  g_autofree char *copied = NULL;
  GtkWidget *editor;
  GtkWidget *row;
  gint64 now;

  g_assert_no_error (error);
  select_entry ("GitLab");
  gtk_widget_activate_action (GTK_WIDGET (t.window), "win.edit-entry", NULL);
  wait_until (editor_open, NULL);
  editor = GTK_WIDGET (find_toplevel (PH_TYPE_ENTRY_EDITOR));
  set_text (need (editor, "otp_row"), "otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=12");
  g_assert_true (gtk_widget_has_css_class (need (editor, "otp_row"), "error"));
  g_assert_nonnull (strstr (gtk_widget_get_tooltip_text (need (editor, "otp_row")), "digit count"));
  g_assert_false (gtk_widget_get_sensitive (need (editor, "save_button")));
  /* The key from a picture of the site's QR code. */
  write_qr_png (png, OTP_URI);
  g_assert_true (ph_entry_editor_scan_file (PH_ENTRY_EDITOR (editor), file, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (need (editor, "otp_row"))), ==, OTP_URI);
  g_assert_false (gtk_widget_has_css_class (need (editor, "otp_row"), "error"));
  click (need (editor, "save_button"));
  wait_until (editor_closed, NULL);
  wait_until (otp_row_shown, NULL);

  row = find_type (W ("entry_view"), PH_TYPE_OTP_ROW);
  ph_otp_row_reveal (PH_OTP_ROW (row));
  wait_until (otp_code_shown, NULL);
  now = g_get_real_time () / G_USEC_PER_SEC;
  {
    g_autofree char *code = ph_otp_code_at (otp, now);
    g_autofree char *before = ph_otp_code_at (otp, now - 2);

    g_assert_true (g_str_equal (ph_otp_row_get_code (PH_OTP_ROW (row)), code) ||
                   g_str_equal (ph_otp_row_get_code (PH_OTP_ROW (row)), before));
  }
  wait_ms (300);
  screenshot (GTK_WIDGET (t.window), "one-time-code.png");

  gtk_widget_activate_action (GTK_WIDGET (t.window), "win.copy-otp", NULL);
  wait_until (clipboard_has_content, NULL);
  copied = read_clipboard ();
  now = g_get_real_time () / G_USEC_PER_SEC;
  {
    g_autofree char *code = ph_otp_code_at (otp, now);
    g_autofree char *before = ph_otp_code_at (otp, now - 2);

    g_assert_true (g_str_equal (copied, code) || g_str_equal (copied, before));
  }
}

/* Import through the window: the file chooser (GTK's own dialog here, no portal) picks a CSV. */
static gboolean
chooser_open (gpointer data)
{
  return find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG) != NULL;
}

static void
test_import (void)
{
  g_autofree char *csv = g_build_filename (t.dir, "export.csv", NULL);
  g_autoptr(GFile) file = g_file_new_for_path (csv);
  GtkWindow *chooser;
  guint before = n_listed ();

  g_assert_true (g_file_set_contents (csv, "name,url,username,password\n"
                                           "Forge,https://forge.example,dev,forge-pw\n"
                                           "Wiki,https://wiki.example,dev,wiki-pw\n", -1, NULL));
  gtk_widget_activate_action (GTK_WIDGET (t.window), "win.import", NULL);
  wait_until (chooser_open, NULL);
  chooser = find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG);
  g_assert_true (gtk_file_chooser_set_file (GTK_FILE_CHOOSER (chooser), file, NULL));
  /* The dialog accepts only once its folder has loaded and the file is selected in it. */
  for (int i = 0; i < 50 && find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG); i++)
    {
      wait_ms (200);
      if (find_toplevel (GTK_TYPE_FILE_CHOOSER_DIALOG))
        gtk_dialog_response (GTK_DIALOG (chooser), GTK_RESPONSE_ACCEPT);
    }
  wait_until (has_n_entries, GUINT_TO_POINTER (before + 2));
  select_entry ("Forge");
  g_assert_true (username_is ("dev"));
}

/* Policy */

static gboolean
policy_loaded (GtkWidget *window)
{
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (need (window, "policy_view")));

  return gtk_text_buffer_get_char_count (buffer) > 0;
}

static gboolean
reveal_off (gpointer data)
{
  return !gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (W ("reveal_button")));
}

static gboolean
password_shown (const char *text)
{
  return g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (need (W ("entry_view"), "password_row"))), text) == 0;
}

typedef struct
{
  gboolean done;
  gboolean ok;
} Call;

static void
set_policy_done (GObject      *object,
                 GAsyncResult *result,
                 gpointer      data)
{
  Call *call = data;

  call->ok = ph_dbus_agent1_call_set_policy_finish (PH_DBUS_AGENT1 (object), result, NULL);
  call->done = TRUE;
}

static gboolean
policy_saved (gpointer data)
{
  g_autofree char *model = NULL;
  g_autofree char *policy = NULL;

  return ph_dbus_agent1_call_get_policy_sync (t.agent, &model, &policy, NULL, NULL) &&
         strstr (policy, "p, gui, *, reveal, true, deny") != NULL;
}

static void
test_policy_denies_reveal (void)
{
  GtkWidget *window;
  GtkTextBuffer *buffer;
  g_autofree char *original = NULL;
  GtkTextIter start, end;

  /* Before: the GUI may reveal. */
  select_entry ("GitHub");
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (W ("reveal_button")), TRUE);
  wait_until (password_shown, ENTRY_PASSWORD);
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (W ("reveal_button")), FALSE);

  gtk_widget_activate_action (GTK_WIDGET (t.window), "win.policy", NULL);
  window = GTK_WIDGET (find_toplevel (PH_TYPE_POLICY_WINDOW));
  g_assert_nonnull (window);
  wait_until (policy_loaded, window);
  buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (need (window, "policy_view")));
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  original = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);

  /* A malformed policy names its line and cannot be saved. */
  gtk_text_buffer_set_text (buffer, "p, owner, *\n", -1);
  g_assert_true (gtk_widget_get_visible (need (window, "error_label")));
  g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (need (window, "error_label"))), "Policy line 1"));
  g_assert_false (gtk_widget_get_sensitive (need (window, "save_button")));
  gtk_text_buffer_set_text (buffer, original, -1);
  g_assert_false (gtk_widget_get_visible (need (window, "error_label")));

  /* A rule added through the table goes first, and the dry run shows it deciding. */
  set_text (need (window, "sub_entry"), "gui");
  set_text (need (window, "obj_entry"), "*");
  set_text (need (window, "act_entry"), "reveal");
  set_text (need (window, "cond_entry"), "true");
  gtk_drop_down_set_selected (GTK_DROP_DOWN (need (window, "eft_dropdown")), 1);
  g_signal_emit_by_name (need (window, "sub_entry"), "activate");
  {
    GtkWidget *add = NULL;

    /* The add button has no id: it is the one with that accessible tooltip. */
    for (GtkWidget *w = gtk_widget_get_parent (need (window, "update_button")); w && !add;)
      for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
        if (g_strcmp0 (gtk_widget_get_tooltip_text (c), "Add as the First Rule") == 0)
          add = c;
    g_assert_nonnull (add);
    click (add);
  }
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  {
    g_autofree char *text = gtk_text_buffer_get_text (buffer, &start, &end, FALSE);

    g_assert_nonnull (strstr (text, "p, gui, *, reveal, true, deny"));
  }
  set_text (need (window, "try_subject_row"), "gui");
  adw_combo_row_set_selected (ADW_COMBO_ROW (need (window, "try_action_row")), 2);
  set_text (need (window, "try_object_row"), "GitHub");
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (need (window, "try_result_row"))), ==, "Denied");
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (need (window, "try_rule_row"))),
                                   "p, gui, *, reveal"));
  set_text (need (window, "try_subject_row"), "agent:claude");
  g_assert_true (g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (need (window, "try_result_row"))),
                                   "Allowed, after"));
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (need (window, "view_stack")), "rules");
  screenshot (window, "policy.png");

  /* Saving is itself a gated request: the password entered at unlock is recent enough. */
  click (need (window, "save_button"));
  wait_until (policy_saved, NULL);
  gtk_window_destroy (GTK_WINDOW (window));

  /* After: the reveal is denied, and nothing is shown. */
  select_entry ("GitHub");
  gtk_toggle_button_set_active (GTK_TOGGLE_BUTTON (W ("reveal_button")), TRUE);
  wait_until (reveal_off, NULL);
  g_assert_false (password_shown (ENTRY_PASSWORD));

  /* Put the default back for the next steps, through the agent. */
  {
    Call call = { 0 };
    g_autofree char *model = NULL;
    g_autofree char *policy = NULL;
    g_auto(GStrv) lines = NULL;
    g_autoptr(GString) kept = g_string_new (NULL);

    g_assert_true (ph_dbus_agent1_call_get_policy_sync (t.agent, &model, &policy, NULL, NULL));
    lines = g_strsplit (policy, "\n", -1);
    for (guint i = 0; lines[i]; i++)
      if (!g_str_has_prefix (lines[i], "p, gui, *, reveal"))
        g_string_append_printf (kept, "%s\n", lines[i]);
    ph_dbus_agent1_call_set_policy (t.agent, model, kept->str, NULL, set_policy_done, &call);
    while (!call.done)
      g_main_context_iteration (NULL, TRUE);
    g_assert_true (call.ok);
  }
}

/* Audit */

static gboolean
records_listed (GtkWidget *window)
{
  GtkColumnView *view = GTK_COLUMN_VIEW (need (window, "records_view"));

  return g_list_model_get_n_items (G_LIST_MODEL (gtk_column_view_get_model (view))) > 0;
}

static gboolean
verified (GtkWidget *window)
{
  return gtk_revealer_get_reveal_child (GTK_REVEALER (need (window, "result_revealer"))) &&
         gtk_widget_get_sensitive (need (window, "verify_button"));
}

static GListModel *audit_model;
static guint audit_all;

static gboolean
audit_filtered (gpointer data)
{
  guint n = g_list_model_get_n_items (audit_model);

  return n > 0 && n < audit_all;
}

static gboolean
audit_unfiltered (gpointer data)
{
  return g_list_model_get_n_items (audit_model) == audit_all;
}

/* An AI agent's request, as perihelion-mcp would make it: its own connection, declared. */
static void
request_as_ai_agent (const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDBusConnection) connection = NULL;
  g_autoptr(GVariant) reply = NULL;

  connection = g_dbus_connection_new_for_address_sync (g_dbus_address_get_for_bus_sync (G_BUS_TYPE_SESSION, NULL, NULL),
                                                       G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
                                                       G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                                                       NULL, NULL, &error);
  g_assert_no_error (error);
  reply = g_dbus_connection_call_sync (connection, "org.perihelion.Agent", "/org/perihelion/Agent",
                                       "org.perihelion.Agent1", "DeclareAgent", g_variant_new ("(ss)", name, "test"),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_no_error (error);
  g_clear_pointer (&reply, g_variant_unref);
  /* A reveal the default policy leaves to a person, and nobody is asked here: denied, audited. */
  reply = g_dbus_connection_call_sync (connection, "org.perihelion.Agent", "/org/perihelion/Agent",
                                       "org.perihelion.Agent1", "GetSecret",
                                       g_variant_new ("(sss)", "GitHub", "password", "reveal"),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
  g_assert_null (reply);
  g_assert_nonnull (error);
}

static gboolean
agents_listed (gpointer data)
{
  GListModel *agents = gtk_drop_down_get_model (GTK_DROP_DOWN (need (data, "agent_dropdown")));

  return g_list_model_get_n_items (agents) == 3;
}

static void
test_audit (void)
{
  GtkWidget *window;
  GListModel *model;
  guint all, denied, by_agent;

  request_as_ai_agent ("claude-code");
  gtk_widget_activate_action (GTK_WIDGET (t.window), "win.audit", NULL);
  window = GTK_WIDGET (find_toplevel (PH_TYPE_AUDIT_WINDOW));
  g_assert_nonnull (window);
  wait_until (records_listed, window);
  model = G_LIST_MODEL (gtk_column_view_get_model (GTK_COLUMN_VIEW (need (window, "records_view"))));
  all = g_list_model_get_n_items (model);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (need (window, "decision_dropdown")), 2);
  denied = g_list_model_get_n_items (model);
  g_assert_cmpuint (denied, >=, 1);   /* the reveal the policy denied */
  g_assert_cmpuint (denied, <, all);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (need (window, "decision_dropdown")), 0);

  /* By AI agent: the one in the log is a choice, and choosing it shows its requests only. */
  wait_until (agents_listed, window);
  g_assert_cmpstr (gtk_string_list_get_string (GTK_STRING_LIST (gtk_drop_down_get_model (
                     GTK_DROP_DOWN (need (window, "agent_dropdown")))), 2), ==, "claude-code");
  gtk_drop_down_set_selected (GTK_DROP_DOWN (need (window, "agent_dropdown")), 2);
  by_agent = g_list_model_get_n_items (model);
  g_assert_cmpuint (by_agent, >=, 1);
  g_assert_cmpuint (by_agent, <, all);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (need (window, "agent_dropdown")), 1);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, by_agent);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (need (window, "agent_dropdown")), 0);
  g_assert_cmpuint (g_list_model_get_n_items (model), ==, all);
  audit_model = model;
  audit_all = all;
  set_text (need (window, "filter_entry"), "GitHub");
  wait_until (audit_filtered, NULL);
  set_text (need (window, "filter_entry"), "");
  wait_until (audit_unfiltered, NULL);

  click (need (window, "verify_button"));
  wait_until (verified, window);
  g_assert_true (g_str_has_prefix (gtk_label_get_text (GTK_LABEL (need (window, "result_label"))), "The log is intact"));
  g_assert_true (gtk_widget_has_css_class (need (window, "result_box"), "success"));
  screenshot (window, "audit.png");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Preferences: settings bound both ways, the key derivation measured on this machine. */
static gboolean
measured (GtkWidget *window)
{
  const char *subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (need (window, "measure_row")));

  return subtitle && strstr (subtitle, "seconds per unlock") != NULL;
}

static gboolean
kdf_loaded (GtkWidget *window)
{
  const char *subtitle = adw_action_row_get_subtitle (ADW_ACTION_ROW (need (window, "measure_row")));

  return subtitle && g_str_has_prefix (subtitle, "Press Measure");
}

static gboolean
factors_loaded (gpointer data)
{
  return g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (need (data, "recovery_row"))), "None") == 0;
}

static gboolean
totp_page_shown (gpointer data)
{
  GtkWidget *label = find (data, "totp_key_label");

  return label && *gtk_label_get_text (GTK_LABEL (label)) && gtk_widget_get_mapped (label);
}

static gboolean
code_refused (gpointer data)
{
  return gtk_widget_has_css_class (need (data, "totp_code_row"), "error");
}

static gboolean
totp_on (gpointer data)
{
  return g_str_has_prefix (adw_action_row_get_subtitle (ADW_ACTION_ROW (need (data, "totp_row"))), "On since");
}

static gboolean
codes_dialog_shown (gpointer data)
{
  return find_toplevel (ADW_TYPE_MESSAGE_DIALOG) != NULL;
}

static gboolean
key_error_shown (gpointer data)
{
  return g_object_get_data (G_OBJECT (data), "ph-last-key-error") != NULL;
}

static gboolean
ten_codes_left (gpointer data)
{
  return g_strcmp0 (adw_action_row_get_subtitle (ADW_ACTION_ROW (need (data, "recovery_row"))), "10 unused") == 0;
}

static void
test_preferences (void)
{
  g_autoptr(GSettings) settings = g_settings_new (APP_ID);
  GtkWidget *window = GTK_WIDGET (ph_preferences_window_new (GTK_WINDOW (t.window), t.agent));

  gtk_window_present (GTK_WINDOW (window));
  wait_until (kdf_loaded, window);
  /* The vault's own cost, read from the agent: 2 passes, 64 MiB in these tests. */
  g_assert_cmpint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (need (window, "passes_spin"))), ==, 2);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (need (window, "memory_spin"))), ==, 64);

  gtk_spin_button_set_value (GTK_SPIN_BUTTON (need (window, "clipboard_spin")), 45);
  g_assert_cmpuint (g_settings_get_uint (settings, "clipboard-timeout"), ==, 45);
  g_settings_set_uint (settings, "auto-lock-timeout", 900);
  g_assert_cmpint (gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (need (window, "lock_spin"))), ==, 900);
  adw_combo_row_set_selected (ADW_COMBO_ROW (need (window, "theme_row")), 2);
  g_assert_cmpstr (g_settings_get_string (settings, "color-scheme"), ==, "dark");
  adw_combo_row_set_selected (ADW_COMBO_ROW (need (window, "theme_row")), 0);

  click (need (window, "measure_button"));
  wait_until (measured, window);
  g_test_message ("measured: %s", adw_action_row_get_subtitle (ADW_ACTION_ROW (need (window, "measure_row"))));
  screenshot (window, "preferences.png");

  /* Second factors: the authenticator app set up with the key the page shows (a wrong code
   * first), then recovery codes shown once. */
  wait_until (factors_loaded, window);
  click (need (window, "totp_setup_button"));
  wait_until (totp_page_shown, window);
  wait_ms (300);
  screenshot (window, "authenticator-setup.png");
  {
    g_autofree char *key = g_strdup (gtk_label_get_text (GTK_LABEL (need (window, "totp_key_label"))));
    g_autoptr(GError) error = NULL;
    g_autoptr(PhOtp) otp = ph_otp_new_from_secret (key, NULL, NULL, &error);
    g_autofree char *code = NULL;
    g_autofree char *wrong = NULL;

    g_assert_no_error (error);
    code = ph_otp_code_at (otp, g_get_real_time () / G_USEC_PER_SEC);
    wrong = g_strdup_printf ("%06d", (atoi (code) + 500000) % 1000000);
    set_text (need (window, "totp_code_row"), wrong);
    click (need (window, "totp_turn_on_button"));
    wait_until (code_refused, window);
    set_text (need (window, "totp_code_row"), code);
    click (need (window, "totp_turn_on_button"));
    wait_until (totp_on, window);
    /* The key left the screen with its page. */
    g_assert_cmpstr (gtk_label_get_text (GTK_LABEL (need (window, "totp_key_label"))), ==, "");
  }
  click (need (window, "recovery_button"));
  wait_until (codes_dialog_shown, NULL);
  {
    AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG (find_toplevel (ADW_TYPE_MESSAGE_DIALOG));
    g_auto(GStrv) codes = g_strsplit (adw_message_dialog_get_body (dialog), "\n", -1);

    g_assert_cmpuint (g_strv_length (codes), ==, 10);
    adw_message_dialog_response (dialog, "done");
  }
  wait_until (ten_codes_left, window);
  /* A security key: none plugged in here, said as such. */
  click (need (window, "key_add_button"));
  wait_until (key_error_shown, window);
  g_assert_cmpstr (g_object_get_data (G_OBJECT (window), "ph-last-key-error"), ==, "No security key is plugged in");
  g_assert_true (gtk_widget_get_sensitive (need (window, "key_add_button")));
  /* Quick unlock likewise. */
  g_object_set_data (G_OBJECT (window), "ph-last-key-error", NULL);
  g_assert_cmpstr (adw_action_row_get_subtitle (ADW_ACTION_ROW (need (window, "quick_unlock_row"))), ==, "Off");
  click (need (window, "quick_unlock_button"));
  wait_until (key_error_shown, window);
  g_assert_cmpstr (g_object_get_data (G_OBJECT (window), "ph-last-key-error"), ==, "No security key is plugged in");
  adw_preferences_window_set_visible_page_name (ADW_PREFERENCES_WINDOW (window), "security");
  wait_ms (300);
  screenshot (window, "second-factors.png");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Narrow: the three panes fold into one at a time, with a way back. */
static gboolean
folded (gpointer data)
{
  return adw_leaflet_get_folded (ADW_LEAFLET (W ("leaflet")));
}

static void
test_adaptive (void)
{
  gtk_window_set_default_size (GTK_WINDOW (t.window), 360, 640);
  gtk_window_unmaximize (GTK_WINDOW (t.window));
  wait_until (folded, NULL);
  select_entry ("GitHub");
  gtk_widget_activate_action (GTK_WIDGET (t.window), "win.search", NULL);
  g_assert_true (adw_leaflet_get_visible_child (ADW_LEAFLET (W ("leaflet"))) == W ("list_pane"));
  g_signal_emit_by_name (W ("list_view"), "activate", 0);
  g_assert_true (adw_leaflet_get_visible_child (ADW_LEAFLET (W ("leaflet"))) == W ("entry_view"));
  g_assert_true (gtk_widget_get_visible (need (W ("entry_view"), "back_button")));
  screenshot (GTK_WIDGET (t.window), "narrow.png");
  gtk_window_set_default_size (GTK_WINDOW (t.window), 1100, 700);
}

/* Setup and teardown */

static gboolean
agent_listening (gpointer data)
{
  g_autofree char *owner = g_dbus_proxy_get_name_owner (G_DBUS_PROXY (t.agent));

  return owner != NULL;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *self_exe = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *vault = NULL;
  int status;

  t.dir = g_dir_make_tmp ("perihelion-gui-XXXXXX", NULL);
  vault = g_build_filename (t.dir, "vault.phvault", NULL);
  t.screenshot_dir = g_strdup (g_getenv ("PH_SCREENSHOT_DIR") ? g_getenv ("PH_SCREENSHOT_DIR") : t.dir);
  g_mkdir_with_parents (t.screenshot_dir, 0755);
  /* Before gtk_test_init: setenv is not thread-safe once GTK runs. */
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("GSK_RENDERER", "cairo", TRUE);
  g_setenv ("PERIHELION_KDF_OPS", "2", TRUE);
  g_setenv ("PERIHELION_KDF_MEM_MIB", "64", TRUE);

  gtk_test_init (&argc, &argv, NULL);
  adw_init ();
  ph_crypto_init ();

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_TRUSTED_GUI", self_exe, TRUE);
  /* The audit test also plays perihelion-mcp, to leave an AI agent's request in the log. */
  g_subprocess_launcher_setenv (launcher, "PERIHELION_TRUSTED_MCP", self_exe, TRUE);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_AGENT_NO_WINDOWS", "1", TRUE);
  g_subprocess_launcher_setenv (launcher, "PERIHELION_AUDIT_LOG", t.dir, TRUE);
  {
    g_autofree char *audit = g_build_filename (t.dir, "audit.log", NULL);

    g_subprocess_launcher_setenv (launcher, "PERIHELION_AUDIT_LOG", audit, TRUE);
  }
  t.agent_process = g_subprocess_launcher_spawn (launcher, &error, PERIHELION_AGENT_PATH, "--vault", vault,
                                                 "--no-tray", "--idle-timeout", "0", NULL);
  g_assert_no_error (error);
  t.agent = ph_dbus_agent1_proxy_new_for_bus_sync (G_BUS_TYPE_SESSION, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
                                                   "org.perihelion.Agent", "/org/perihelion/Agent", NULL, &error);
  g_assert_no_error (error);
  g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (t.agent), 60000);
  wait_until (agent_listening, NULL);

  /* What GtkApplication does for the installed app: its icons from its resources. */
  gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                    "/org/perihelion/AuthManager/icons");
  t.window = g_object_ref_sink (ph_window_new (NULL, t.agent));
  gtk_window_present (GTK_WINDOW (t.window));

  g_test_add_func ("/gui/create-vault", test_create_vault);
  g_test_add_func ("/gui/add-entry", test_add_entry);
  g_test_add_func ("/gui/search", test_search);
  g_test_add_func ("/gui/copy-password", test_copy_password);
  g_test_add_func ("/gui/lock-unlock", test_lock_unlock);
  g_test_add_func ("/gui/edit-and-undo-delete", test_edit_and_undo_delete);
  g_test_add_func ("/gui/two-factor", test_two_factor);
  g_test_add_func ("/gui/import", test_import);
  g_test_add_func ("/gui/policy-denies-reveal", test_policy_denies_reveal);
  g_test_add_func ("/gui/audit", test_audit);
  g_test_add_func ("/gui/preferences", test_preferences);
  g_test_add_func ("/gui/adaptive", test_adaptive);
  status = g_test_run ();

  gtk_window_destroy (GTK_WINDOW (t.window));
  g_clear_object (&t.window);
  g_clear_object (&t.agent);
  g_subprocess_send_signal (t.agent_process, SIGTERM);
  g_subprocess_wait (t.agent_process, NULL, NULL);
  g_clear_object (&t.agent_process);
  if (!g_getenv ("PH_SCREENSHOT_DIR"))
    {
      g_autofree char *cmd = g_strdup_printf ("rm -rf '%s'", t.dir);

      (void) system (cmd);
    }
  g_free (t.dir);
  g_free (t.screenshot_dir);
  return status;
}
