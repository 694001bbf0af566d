#!/bin/sh
# run-atspi.sh AGENT APP CLI: a vault with entries, the agent serving it unlocked, the app on
# it, and the AT-SPI walk. Runs inside xvfb-run and dbus-run-session (see meson.build).
# SPDX-License-Identifier: GPL-3.0-or-later
set -eu
agent=$1 app=$2 cli=$3 here=$(dirname "$0")
dir=$(mktemp -d)
trap 'kill $app_pid $agent_pid 2>/dev/null; rm -rf "$dir"' EXIT
export HOME="$dir" XDG_DATA_HOME="$dir/data" XDG_STATE_HOME="$dir/state" XDG_CONFIG_HOME="$dir/config"
export PERIHELION_AUDIT_LOG="$dir/audit.log" PERIHELION_TRUSTED_GUI="$app" PERIHELION_AGENT_NO_WINDOWS=1
printf 'correct horse battery staple\n' > "$dir/pw"
"$cli" --vault "$dir/v.phvault" --password-fd 3 init --kdf-ops 2 --kdf-mem 64 3<"$dir/pw" >/dev/null 2>&1
for t in GitHub GitLab Bank; do
  printf 'pw-%s' "$t" | "$cli" --vault "$dir/v.phvault" --password-fd 3 add "$t" --username alice \
    --url "https://$t.example" --tag work --folder Work 3<"$dir/pw" >/dev/null 2>&1
done
"$agent" --vault "$dir/v.phvault" --password-fd 0 --no-tray < "$dir/pw" &
agent_pid=$!
gdbus wait --session --timeout 20 org.perihelion.Agent
# Right after another Xvfb test the display can refuse the first client: start the app again
# if it did not stay up.
for attempt in 1 2 3; do
  PERIHELION_AGENT="$agent" "$app" &
  app_pid=$!
  sleep 1
  kill -0 "$app_pid" 2>/dev/null && break
  echo "the app did not start (attempt $attempt); again" >&2
done
/usr/bin/python3 "$here/atspi-walk.py"
