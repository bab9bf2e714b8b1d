#!/usr/bin/env bash
# Runs scripts/run the way the README shows, probing 127.0.0.1, with its broker on free ports
# (NETSTAB_RUN_MQTT_PORT, NETSTAB_RUN_WS_PORT) so that it never meets a broker on 1883 or 9001:
#   1. NETSTAB_TARGET=127.0.0.1 scripts/run --agent A --interval 200: the WebSocket port serves the dashboard
#      page, netstab publishes samples of 127.0.0.1 on the broker, and SIGINT to the process group (what
#      Ctrl-C does in a terminal) ends scripts/run with status 0, and its mosquitto and netstab with it;
#   2. scripts/run --broker mqtt://127.0.0.1:PORT --target 127.0.0.1 ...: no broker of its own, the samples
#      reach the given broker, and SIGINT stops it the same way.
# Every wait is on a condition, bounded; the first one includes scripts/run's build (minutes on a fresh clone).
# Probing needs ICMP: root (raw sockets), or a group that net.ipv4.ping_group_range allows.
#
#   tests/scripts/run_test.sh     exit 0: all checks hold; 1: a check failed; 77: skipped (reason printed)
# shellcheck disable=SC2016,SC2317  # bash -c bodies expand in their own shell; check calls the helpers
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/docker/lib.sh
source "$repo/tests/docker/lib.sh"
trap cleanup_all EXIT
trap 'exit 130' INT TERM

require_commands mosquitto mosquitto_sub ss setsid
if [[ $(id -u) != 0 ]]; then
  read -r lo hi </proc/sys/net/ipv4/ping_group_range
  (($(id -g) >= lo && $(id -g) <= hi)) ||
    skip_or_fail "netstab needs ICMP sockets: run as root, or allow group $(id -g) in net.ipv4.ping_group_range"
fi
# The caller's NETSTAB_* variables (NETSTAB_PRESET, NETSTAB_BIN...) are not netstab settings.
while read -r name; do unset "$name"; done < <(compgen -e | grep '^NETSTAB_')
make_tmp_dir run
build_timeout=${RUN_TEST_BUILD_TIMEOUT:-1800}

# Job control puts each background job in a process group of its own, with SIGINT not ignored: the job is
# what a terminal's foreground command is, and "kill -INT -- -PGID" is its Ctrl-C.
set -m
run_pid=""
start_run() {  # log name, then the environment assignments and arguments for env
  local name=$1
  shift
  env "$@" >"$tmp_dir/$name.log" 2>&1 &
  run_pid=$!
  on_cleanup "kill -KILL -- -$run_pid"
}
running() { kill -0 "$run_pid" 2>/dev/null; }

# "pid comm" of every process in process group $1, from /proc (procps is not needed).
group_members() {
  local stat rest pid comm pgrp
  for stat in /proc/[0-9]*/stat; do
    read -r rest 2>/dev/null <"$stat" || continue  # the process may be gone meanwhile
    pid=${rest%% *}
    comm=${rest#*(}
    comm=${comm%)*}
    rest=${rest##*) }
    read -r _ _ pgrp _ <<<"$rest"
    [[ $pgrp == "$1" ]] && echo "$pid $comm"
  done
}
count_in_group() { group_members "$1" | awk -v c="$2" '$2 == c' | wc -l; }

http_get() {  # port path: prints the response (status line, headers, body)
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1:%s\r\n\r\n' "$2" "$1" >&3
    timeout 5 cat <&3
  ) 2>/dev/null
}
page_served() { http_get "$1" / | tee "$tmp_dir/page" | head -1 | grep -q ' 200'; }

# Waits up to $1 seconds for the command to succeed, giving up early when scripts/run has ended.
wait_while_running() {
  local deadline=$((SECONDS + $1))
  shift
  while ((SECONDS < deadline)); do
    "$@" && return 0
    running || return 1
    sleep 0.2
  done
  return 1
}

# One sample of 127.0.0.1 from agent $2 on the broker at port $1 with status ok (samples are not retained:
# each try listens 5 s for the next one).
sample_ok() {
  mosquitto_sub -h 127.0.0.1 -p "$1" -t "netstab/$2/targets/127.0.0.1/sample" -C 1 -W 5 >"$tmp_dir/sample" 2>&1 &&
    grep -q '"status":"ok"' "$tmp_dir/sample"
}

# Sends SIGINT to the job's process group; the job must end within 15 s with status 0 and leave nobody behind.
stop_with_ctrl_c() {
  local name=$1 i status
  kill -INT -- "-$run_pid"
  for ((i = 0; i < 150; i++)); do running || break; sleep 0.1; done
  check "$name: scripts/run ends on SIGINT" bash -c '! kill -0 "$1" 2>/dev/null' _ "$run_pid"
  wait "$run_pid"
  status=$?
  check "$name: scripts/run exits 0 on SIGINT (got $status)" test "$status" = 0
  for ((i = 0; i < 50; i++)); do [[ -z $(group_members "$run_pid") ]] && break; sleep 0.1; done
  check "$name: no process of it is left ($(group_members "$run_pid" | tr '\n' ' '))" \
    test -z "$(group_members "$run_pid")"
}

fail_with_log() {
  log "$1; scripts/run's output:"
  tail -40 "$tmp_dir/$2.log" >&2
  failures=$((failures + 1))
}

echo "NETSTAB_TARGET=127.0.0.1 scripts/run --agent run-test-local --interval 200"
mqtt_port=$(free_port) || { log "no free port"; exit 1; }
ws_port=$(free_port) || { log "no free port"; exit 1; }
[[ $ws_port != "$mqtt_port" ]] || ws_port=$((mqtt_port + 1))
start_run local NETSTAB_TARGET=127.0.0.1 NETSTAB_RUN_MQTT_PORT="$mqtt_port" NETSTAB_RUN_WS_PORT="$ws_port" \
  "$repo/scripts/run" --agent run-test-local --interval 200
if wait_while_running "$build_timeout" page_served "$ws_port"; then
  check "the dashboard page is served on the WebSocket port" grep -q '<title>netstab</title>' "$tmp_dir/page"
  check "netstab publishes samples of NETSTAB_TARGET" \
    wait_while_running 30 sample_ok "$mqtt_port" run-test-local
  check "one mosquitto runs in the job" test "$(count_in_group "$run_pid" mosquitto)" = 1
  check "one netstab runs in the job" test "$(count_in_group "$run_pid" netstab)" = 1
  grep -q 'unknown setting' "$tmp_dir/local.log" && fail_with_log "netstab refused a setting" local
  stop_with_ctrl_c "local broker"
  check "its ports are free again" bash -c '! ss -Htln "( sport = :$1 or sport = :$2 )" | grep -q .' _ \
    "$mqtt_port" "$ws_port"
else
  fail_with_log "the page was not served on 127.0.0.1:$ws_port" local
fi

echo "scripts/run --broker mqtt://127.0.0.1:PORT --target 127.0.0.1 --agent run-test-remote --interval 200"
start_broker <<EOF || exit 1
allow_anonymous true
persistence false
EOF
ws_port=$(free_port) || { log "no free port"; exit 1; }
start_run remote NETSTAB_RUN_WS_PORT="$ws_port" "$repo/scripts/run" --broker "mqtt://127.0.0.1:$broker_port" \
  --target 127.0.0.1 --agent run-test-remote --interval 200
if wait_while_running "$build_timeout" sample_ok "$broker_port" run-test-remote; then
  check "netstab publishes samples of --target to the --broker" true
  check "no mosquitto of its own" test "$(count_in_group "$run_pid" mosquitto)" = 0
  check "nothing listens on its WebSocket port" bash -c '! ss -Htln "sport = :$1" | grep -q .' _ "$ws_port"
  stop_with_ctrl_c "own broker"
else
  fail_with_log "no sample reached the broker on 127.0.0.1:$broker_port" remote
fi

if ((failures > 0)); then
  log "$failures check(s) failed"
  exit 1
fi
echo "all checks passed"
