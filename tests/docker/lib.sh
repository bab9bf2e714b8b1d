# shellcheck shell=bash
# Shared helpers of the tests in tests/docker (sourced, not run). They need bash, mosquitto and its clients,
# and ss (iproute2). Every helper that starts something records it for cleanup_all, which the scripts run from
# an EXIT trap, so a failing check or Ctrl-C leaves no broker, container or temporary file behind.

# The exit status meaning "skipped" to ctest (SKIP_RETURN_CODE) and to scripts/test.
readonly skip_status=77

tmp_dir=""
broker_pid=""
broker_port=""
cleanup_hooks=()
failures=0

log() { printf '%s: %s\n' "${0##*/}" "$*" >&2; }

# Skips, or fails when the caller demands the test (CI sets REQUIRE_PRIVILEGED_TESTS=1).
skip_or_fail() {
  if [[ ${REQUIRE_PRIVILEGED_TESTS:-0} == 1 ]]; then
    log "FAIL: $* (REQUIRE_PRIVILEGED_TESTS=1 forbids skipping)"
    exit 1
  fi
  log "SKIP: $*"
  exit "$skip_status"
}

require_commands() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || skip_or_fail "$c is not installed"
  done
}

cleanup_all() {
  local i
  # Hooks run newest first, like destructors.
  for ((i = ${#cleanup_hooks[@]} - 1; i >= 0; i--)); do
    eval "${cleanup_hooks[i]}" >/dev/null 2>&1 || true
  done
  if [[ -n $broker_pid ]]; then
    kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
    broker_pid=""
  fi
  [[ -n $tmp_dir && -d $tmp_dir ]] && rm -rf "$tmp_dir"
  return 0
}

on_cleanup() { cleanup_hooks+=("$1"); }

make_tmp_dir() {
  tmp_dir=$(mktemp -d "${TMPDIR:-/tmp}/netstab-${1:-docker}.XXXXXX")
}

check() {  # description, then a command that must succeed
  local what=$1; shift
  if "$@"; then
    printf '  ok    %s\n' "$what"
  else
    printf '  FAIL  %s\n' "$what"
    failures=$((failures + 1))
  fi
}

# A TCP port nobody listens on, in the dynamic range; the caller still has to cope with a race (start_broker
# retries).
free_port() {
  local port i
  for ((i = 0; i < 50; i++)); do
    port=$((20000 + RANDOM % 40000))
    if ! ss -Htln "sport = :$port" | grep -q .; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

# Starts mosquitto on 127.0.0.1 with the configuration lines on stdin (without listener line: this adds one on
# a free port). Sets broker_pid and broker_port; the log is $tmp_dir/mosquitto.log.
start_broker() {
  local body attempt i
  body=$(cat)
  for ((attempt = 0; attempt < 5; attempt++)); do
    broker_port=$(free_port) || return 1
    {
      printf '%s\n' "$body"
      # Started as root, mosquitto would switch to the "mosquitto" user, who can't read our private directory.
      [[ $(id -u) == 0 ]] && printf 'user root\n'
      printf 'listener %s 127.0.0.1\n' "$broker_port"
    } >"$tmp_dir/mosquitto.conf"
    # Line-buffered, so that the log can be checked while the broker runs.
    stdbuf -oL mosquitto -c "$tmp_dir/mosquitto.conf" >"$tmp_dir/mosquitto.log" 2>&1 &
    broker_pid=$!
    # Up to 30 s: a loaded machine can take seconds to start it.
    for ((i = 0; i < 300; i++)); do
      if ! kill -0 "$broker_pid" 2>/dev/null; then
        wait "$broker_pid" 2>/dev/null
        broker_pid=""
        break
      fi
      if ss -Htln "sport = :$broker_port" | grep -q .; then return 0; fi
      sleep 0.1
    done
    if [[ -n $broker_pid ]]; then
      kill "$broker_pid" 2>/dev/null
      wait "$broker_pid" 2>/dev/null
      broker_pid=""
    fi
  done
  log "mosquitto did not start; its last log:"
  cat "$tmp_dir/mosquitto.log" >&2
  return 1
}

# Waits up to $1 whole seconds for the command in the remaining arguments to succeed.
wait_for() {
  local deadline_ticks=$(( ${1%.*} * 10 + 1 )) i
  shift
  for ((i = 0; i < deadline_ticks; i++)); do
    "$@" && return 0
    sleep 0.1
  done
  "$@"
}
