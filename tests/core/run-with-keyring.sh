#!/bin/sh
# Runs a command in a private D-Bus session with an unlocked gnome-keyring-daemon, so keyring
# tests talk to the real Secret Service and never to the user's own keyring.
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
if [ -z "${PH_IN_PRIVATE_BUS:-}" ]; then
  export PH_IN_PRIVATE_BUS=1
  exec dbus-run-session -- "$0" "$@"
fi
# Full stacks under ASan, so lsan.supp can recognize GDBus's in-flight messages at exit.
if [ -n "${ASAN_OPTIONS:-}" ]; then
  export ASAN_OPTIONS="$ASAN_OPTIONS:fast_unwind_on_malloc=0"
fi
HOME=$(mktemp -d)
XDG_DATA_HOME="$HOME/.local/share"
export HOME XDG_DATA_HOME
trap 'rm -rf "$HOME"' EXIT
eval "$(printf 'test-keyring-password' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
gdbus wait --session --timeout 10 org.freedesktop.secrets
"$@"
