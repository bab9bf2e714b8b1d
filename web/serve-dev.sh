#!/usr/bin/env bash
# Development server for the dashboard: builds web/dist, runs mosquitto with a plain MQTT listener and a
# websockets listener that also serves the page, and (unless --no-fake) a fake agent publishing the
# contract's payloads. Ctrl-C stops everything.
# Usage: web/serve-dev.sh [--ws-port 9001] [--mqtt-port 1883] [--no-fake] [--scenario ok|lan|isp|host|remote]
# --scenario: the fake agent publishes paths and verdicts (e2e/fake_paths.mjs); switch with
#   mosquitto_pub -p 1883 -t netstab/dev/cmd -m '{"cmd":"fake_scenario","scenario":"lan"}'
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
ws_port=9001
mqtt_port=1883
fake=1
scenario=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --ws-port) ws_port="$2"; shift 2 ;;
    --mqtt-port) mqtt_port="$2"; shift 2 ;;
    --no-fake) fake=0; shift ;;
    --scenario) scenario=(--scenario "$2"); shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -d "$here/node_modules" ]] || (cd "$here" && npm ci)
node "$here/build.mjs" --out "$here/dist" --dev
tmp="$(mktemp -d)"
sed -e "s|@MQTT_PORT@|$mqtt_port|" -e "s|@WS_PORT@|$ws_port|" -e "s|@HTTP_DIR@|$here/dist|" \
  "$here/mosquitto-dev.conf.in" > "$tmp/mosquitto.conf"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT INT TERM
mosquitto -c "$tmp/mosquitto.conf" & pids+=($!)
sleep 0.5
if [[ $fake == 1 ]]; then
  node "$here/e2e/fake_agent.mjs" --broker "mqtt://127.0.0.1:$mqtt_port" --agent dev --interval 1000 "${scenario[@]}" & pids+=($!)
fi
echo "dashboard: http://127.0.0.1:$ws_port/   (MQTT: mqtt://127.0.0.1:$mqtt_port)"
wait
