#!/usr/bin/env bash
# Proves the broker access rules of the compose setup: the host's mosquitto runs with docker/mosquitto.acl as
# it is in the repository, a generated password file and the authentication settings of docker/mosquitto.conf,
# and real clients (mosquitto_pub / mosquitto_sub, MQTT 5) try every rule. Allowed publishes must be
# acknowledged and delivered; forbidden ones must be refused (PUBACK reason 135) and reach nobody; every
# subscriber must receive exactly the topics its user may read, nothing more. Needs no container runtime.
#
#   tests/docker/acl_test.sh          exit 0: all rules hold; 1: a rule failed; 77: mosquitto is missing
# shellcheck disable=SC2016,SC2317  # bash -c bodies expand in their own shell; check calls the helpers
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/docker/lib.sh
source "$here/lib.sh"
trap cleanup_all EXIT
trap 'exit 130' INT TERM

require_commands mosquitto mosquitto_passwd mosquitto_pub mosquitto_sub ss
acl=${NETSTAB_ACL_FILE:-$repo/docker/mosquitto.acl}  # overridable to check that a looser file fails
conf=$repo/docker/mosquitto.conf
make_tmp_dir acl

echo "docker/mosquitto.conf"
check "refuses anonymous clients" grep -Eq '^allow_anonymous[[:space:]]+false$' "$conf"
check "reads a password file" grep -Eq '^password_file[[:space:]]+/' "$conf"
check "reads mosquitto.acl" grep -Eq '^acl_file[[:space:]]+/mosquitto/config/mosquitto.acl$' "$conf"
check "applies one rule set to every listener" grep -Eq '^per_listener_settings[[:space:]]+false$' "$conf"

# Passwords: docker/make-credentials.sh makes the file for netstab and dashboard as a user would; the test adds
# "homeassistant" (the ACL's optional user) and "guest", a valid login the ACL grants nothing.
declare -A pass=([netstab]=n-$RANDOM$RANDOM [dashboard]=d-$RANDOM$RANDOM [homeassistant]=h-$RANDOM$RANDOM
                 [guest]=g-$RANDOM$RANDOM)
echo "docker/make-credentials.sh"
NETSTAB_PASSWORD=${pass[netstab]} DASHBOARD_PASSWORD=${pass[dashboard]} \
  "$repo/docker/make-credentials.sh" "$tmp_dir" >/dev/null || { log "make-credentials.sh failed"; exit 1; }
passwd=$tmp_dir/mosquitto.passwd
check "writes netstab's password as the secret" test "$(cat "$tmp_dir/secrets/mqtt_password")" = "${pass[netstab]}"
check "makes the secret readable for the container's user" test "$(stat -c %a "$tmp_dir/secrets/mqtt_password")" = 644
check "keeps the secrets directory private" test "$(stat -c %a "$tmp_dir/secrets")" = 700
check "refuses to overwrite without --force" \
  bash -c '! "$1" "$2" 2>/dev/null' _ "$repo/docker/make-credentials.sh" "$tmp_dir"
for user in homeassistant guest; do
  mosquitto_passwd -b "$passwd" "$user" "${pass[$user]}" || { log "mosquitto_passwd failed"; exit 1; }
done

# The authentication lines of the compose configuration, with the password and ACL paths of this run.
start_broker <<EOF || exit 1
per_listener_settings false
allow_anonymous false
password_file $passwd
acl_file $acl
persistence false
log_dest stdout
log_type error
log_type warning
log_type notice
EOF

mq=(-h 127.0.0.1 -p "$broker_port" -V mqttv5)

echo "connecting"
out=$(mosquitto_sub "${mq[@]}" -t '#' -C 1 -W 3 2>&1)
check "anonymous subscriber is refused" grep -qi 'not authori' <<<"$out"
out=$(mosquitto_pub "${mq[@]}" -t netstab/netstab-docker/cmd -m start 2>&1)
check "anonymous publisher is refused" grep -qi 'not authori' <<<"$out"
out=$(mosquitto_sub "${mq[@]}" -u dashboard -P wrong-password -t '#' -C 1 -W 3 2>&1)
check "a wrong password is refused" grep -qi 'not authori' <<<"$out"
out=$(mosquitto_sub "${mq[@]}" -u nobody -P "${pass[netstab]}" -t '#' -C 1 -W 3 2>&1)
check "an unknown user is refused" grep -qi 'not authori' <<<"$out"
# compose.yaml's broker health check: a broker that answers an anonymous CONNECT with "not authorised".
check "the compose health check's probe succeeds" \
  sh -c "mosquitto_sub -h 127.0.0.1 -p $broker_port -t health -C 1 -W 3 2>&1 | grep -qi 'not authori'"

# Observers: one subscriber per user on every topic ('#', and the filters netstab itself uses). mosquitto
# accepts a wide subscription and checks read access for each message it would deliver, so what arrives is
# the proof of the read rules.
declare -A observer_pid
start_observer() {  # user, then topic filters
  local user=$1 f args=()
  shift
  for f in "$@"; do args+=(-t "$f"); done
  stdbuf -oL -eL mosquitto_sub "${mq[@]}" -d -v -u "$user" -P "${pass[$user]}" "${args[@]}" >"$tmp_dir/obs-$user" 2>&1 &
  observer_pid[$user]=$!
  on_cleanup "kill ${observer_pid[$user]}"
  wait_for 30 grep -q 'received SUBACK' "$tmp_dir/obs-$user" || { log "observer $user did not subscribe"; exit 1; }
}
received_topics() {  # user: the topics of the PUBLISH packets the observer received, one per line, sorted
  sed -n "s/.* received PUBLISH ([^']*'\\([^']*\\)'.*/\\1/p" "$tmp_dir/obs-$1" | sort -u
}
start_observer netstab 'netstab/#' 'homeassistant/#' netstab/netstab-docker/cmd homeassistant/status
start_observer dashboard '#'
start_observer homeassistant '#'
start_observer guest '#'

# publish user topic allow|deny: the broker's PUBACK reason says whether it accepted the message (0, or 16 "no
# matching subscribers") or refused it (135 "not authorized").
echo "publishing"
publish() {
  local user=$1 topic=$2 want=$3 out rc
  out=$(mosquitto_pub "${mq[@]}" -d -q 1 -u "$user" -P "${pass[$user]}" -t "$topic" -m "from $user" 2>&1)
  rc=$(sed -n 's/.*received PUBACK (Mid: [0-9]*, RC:\([0-9]*\)).*/\1/p' <<<"$out" | head -1)
  case $want in
    allow) check "$user may publish $topic" test "$rc" = 0 -o "$rc" = 16 ;;
    deny) check "$user may not publish $topic" test "$rc" = 135 ;;
  esac
}
# netstab: its own agent's topics, its own discovery config; nothing of other agents or of Home Assistant.
publish netstab netstab/netstab-docker/availability allow
publish netstab netstab/netstab-docker/state allow
publish netstab netstab/netstab-docker/targets/127.0.0.1/sample allow
publish netstab netstab/netstab-docker/targets/127.0.0.1/stats/5m allow
publish netstab netstab/netstab-docker/events allow
publish netstab netstab/netstab-docker/cmd/reply allow
publish netstab homeassistant/device/netstab_netstab-docker/config allow
publish netstab netstab/other-agent/state deny
publish netstab homeassistant/device/netstab_other-agent/config deny
publish netstab homeassistant/status deny
publish netstab other/topic deny
# dashboard: commands to any agent, and nothing else.
publish dashboard netstab/netstab-docker/cmd allow
publish dashboard netstab/other-agent/cmd allow
publish dashboard netstab/netstab-docker/targets/127.0.0.1/sample deny
publish dashboard netstab/netstab-docker/targets/127.0.0.1/stats deny
publish dashboard netstab/netstab-docker/availability deny
publish dashboard netstab/netstab-docker/state deny
publish dashboard netstab/netstab-docker/cmd/reply deny
publish dashboard netstab/netstab-docker/cmd/extra deny
publish dashboard homeassistant/status deny
publish dashboard homeassistant/device/netstab_netstab-docker/config deny
# homeassistant: its restart announcement and commands.
publish homeassistant homeassistant/status allow
publish homeassistant netstab/netstab-docker/cmd allow
publish homeassistant homeassistant/device/netstab_netstab-docker/config deny
publish homeassistant netstab/netstab-docker/availability deny
# guest: a valid login with no rule gets nothing.
publish guest netstab/netstab-docker/cmd deny
publish guest guest/topic deny

# Markers, published last: once an observer has them, every earlier message that was going to reach it has
# (each mosquitto_pub above returned only after the broker acknowledged its message).
publish netstab netstab/netstab-docker/zz-marker allow
publish dashboard netstab/zz-marker/cmd allow
publish homeassistant homeassistant/status allow
wait_for 30 grep -q "'netstab/zz-marker/cmd'" "$tmp_dir/obs-netstab"
wait_for 30 grep -q "'netstab/zz-marker/cmd'" "$tmp_dir/obs-dashboard"
wait_for 30 grep -q "'netstab/zz-marker/cmd'" "$tmp_dir/obs-homeassistant"
sleep 0.3  # the guest sees no marker (it may read nothing); give a leak the same time to show.
for user in "${!observer_pid[@]}"; do kill "${observer_pid[$user]}" 2>/dev/null; done

expect_exactly() {  # user, then the topics it must have received and no others
  local user=$1 got want
  shift
  got=$(received_topics "$user")
  want=$(printf '%s\n' "$@" | sed '/^$/d' | sort -u)
  if [[ $got == "$want" ]]; then return 0; fi
  diff <(printf '%s\n' "$want") <(printf '%s\n' "$got") | sed -n 's/^</    missing: /p; s/^>/    leaked:  /p'
  return 1
}
echo "reading"
check "netstab receives exactly the command topics and homeassistant/status" expect_exactly netstab \
  netstab/netstab-docker/cmd netstab/other-agent/cmd netstab/zz-marker/cmd homeassistant/status
check "dashboard receives exactly netstab/# (agent output and commands, no refused publish)" \
  expect_exactly dashboard \
  netstab/netstab-docker/availability netstab/netstab-docker/state \
  netstab/netstab-docker/targets/127.0.0.1/sample netstab/netstab-docker/targets/127.0.0.1/stats/5m \
  netstab/netstab-docker/events netstab/netstab-docker/cmd/reply netstab/netstab-docker/cmd \
  netstab/other-agent/cmd netstab/netstab-docker/zz-marker netstab/zz-marker/cmd
check "homeassistant receives netstab/# and homeassistant/#" expect_exactly homeassistant \
  netstab/netstab-docker/availability netstab/netstab-docker/state \
  netstab/netstab-docker/targets/127.0.0.1/sample netstab/netstab-docker/targets/127.0.0.1/stats/5m \
  netstab/netstab-docker/events netstab/netstab-docker/cmd/reply netstab/netstab-docker/cmd \
  netstab/other-agent/cmd netstab/netstab-docker/zz-marker netstab/zz-marker/cmd \
  homeassistant/device/netstab_netstab-docker/config homeassistant/status
check "guest receives nothing" expect_exactly guest

echo
if ((failures > 0)); then
  log "$failures check(s) failed; the broker's last log lines:"
  tail -n 40 "$tmp_dir/mosquitto.log" >&2
  exit 1
fi
log "all access rules hold"
exit 0
