#!/usr/bin/python3
# atspi-walk.py: walks perihelion's windows as assistive technology sees them (AT-SPI, out of
# process) and fails on any control a screen reader could not name: a button, toggle, check
# box, switch, entry, spin button or combo box without an accessible name. It visits the
# browser with an entry selected, the unlock page, the entry editor, the policy editor, the
# audit log, the OAuth accounts, the preferences and the keyboard shortcuts, opening each through the actions the
# window exposes to assistive technology (and the app's on D-Bus), as a keyboard user would.
# SPDX-License-Identifier: GPL-3.0-or-later
import re
import sys
import time

import gi
gi.require_version('Atspi', '2.0')
from gi.repository import Atspi, Gio, GLib

CONTROLS = {
    Atspi.Role.PUSH_BUTTON, Atspi.Role.TOGGLE_BUTTON, Atspi.Role.CHECK_BOX, Atspi.Role.RADIO_BUTTON,
    Atspi.Role.ENTRY, Atspi.Role.PASSWORD_TEXT, Atspi.Role.SPIN_BUTTON, Atspi.Role.COMBO_BOX,
    Atspi.Role.SLIDER, Atspi.Role.TEXT,
}
SWITCH = getattr(Atspi.Role, 'SWITCH', None)
if SWITCH is not None:
    CONTROLS.add(SWITCH)

APP_PATH = '/org/perihelion/AuthManager'
# GTK 4.8 names an unnamed control after a widget type ("GtkImage" for an icon-only button):
# that is no name to a person.
TYPE_NAME = re.compile(r'^(Gtk|Adw|Ph)[A-Z][A-Za-z]*$')


def find_app(timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        desktop = Atspi.get_desktop(0)
        for i in range(desktop.get_child_count()):
            app = desktop.get_child_at_index(i)
            if app is not None and app.get_name() == 'perihelion':
                return app
        time.sleep(0.2)
    sys.exit('perihelion never appeared on the accessibility bus')


def walk(node, path, offenders, counted, depth=0):
    if node is None or depth > 80:
        return
    try:
        role = node.get_role()
        name = node.get_name() or ''
        states = node.get_state_set()
    except GLib.Error:
        return
    here = path + '/' + (node.get_role_name() or '?')
    # GTK 4.8 exposes the pages of a stack that are not on screen too, and its SHOWING state is
    # not reliable: every control in the tree is checked, which is stricter.
    if role in CONTROLS:
        counted[0] += 1
        if not name.strip() or TYPE_NAME.match(name.strip()):
            offenders.append(f'{here} "{name}"')
    for i in range(node.get_child_count()):
        walk(node.get_child_at_index(i), here, offenders, counted, depth + 1)


def check(app, label):
    offenders, counted = [], [0]
    for i in range(app.get_child_count()):
        window = app.get_child_at_index(i)
        walk(window, window.get_name() or 'window', offenders, counted)
    print(f'{label}: {counted[0]} controls on screen, {len(offenders)} without a name')
    for o in offenders:
        print('  NO NAME:', o)
    return offenders


def activate_app(bus, action):
    bus.call_sync('org.perihelion.AuthManager', APP_PATH, 'org.gtk.Actions', 'Activate',
                  GLib.Variant('(sava{sv})', (action, [], {})), None, Gio.DBusCallFlags.NONE, -1, None)
    time.sleep(1.0)


def activate_window(app, action):
    # GTK exposes a window's actions (its shortcuts, its menu items) as AT-SPI actions of the frame.
    for i in range(app.get_child_count()):
        frame = app.get_child_at_index(i)
        if frame is None or frame.get_name() != 'Perihelion':
            continue
        for k in range(frame.get_n_actions()):
            if frame.get_action_name(k) == action:
                frame.do_action(k)
                time.sleep(1.0)
                return
    sys.exit(f'the window has no action {action}')


def main():
    bus = Gio.bus_get_sync(Gio.BusType.SESSION, None)
    app = find_app()
    time.sleep(2.0)   # the window, the entry list
    failures = []
    failures += check(app, 'main window')
    for action, label in (('win.new-entry', 'entry editor'), ('win.policy', 'policy editor'),
                          ('win.audit', 'audit log'), ('win.accounts', 'OAuth accounts'),
                          ('win.show-help-overlay', 'keyboard shortcuts')):
        activate_window(app, action)
        failures += check(app, label)
    activate_app(bus, 'preferences')
    failures += check(app, 'preferences')
    activate_window(app, 'win.lock')
    failures += check(app, 'locked')
    if failures:
        sys.exit(f'{len(failures)} controls have no accessible name')
    print('every control has an accessible name')


main()
