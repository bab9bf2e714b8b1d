#!/usr/bin/env bash
# Creates the credentials of docker/compose.yaml: the broker's password file with the users "netstab" and
# "dashboard" (docker/mosquitto.passwd), and netstab's own password as a Docker secret
# (docker/secrets/mqtt_password). Existing files are kept unless --force is given.
#
#   docker/make-credentials.sh [--force] [DIR]      DIR: where to write (default: this script's directory)
#
# Passwords come from NETSTAB_PASSWORD and DASHBOARD_PASSWORD, else random ones are made; the dashboard's is
# printed (you type it into the dashboard's login), netstab's stays in the secret file. mosquitto_passwd comes
# from the host, else from the eclipse-mosquitto:2 image.
set -euo pipefail
force=0
if [[ ${1:-} == --force ]]; then force=1; shift; fi
dir=${1:-$(cd "$(dirname "$0")" && pwd)}
passwd=$dir/mosquitto.passwd
secret=$dir/secrets/mqtt_password

if [[ $force == 0 && ( -e $passwd || -e $secret ) ]]; then
  echo "make-credentials: $passwd or $secret exists already; --force replaces them" >&2
  exit 1
fi

random_password() { head -c 18 /dev/urandom | base64 | tr '+/' '-_'; }
netstab_password=${NETSTAB_PASSWORD:-$(random_password)}
dashboard_password=${DASHBOARD_PASSWORD:-$(random_password)}

mkdir -p "$dir/secrets"
chmod 0700 "$dir/secrets"
rm -f "$passwd"
: >"$passwd"
if command -v mosquitto_passwd >/dev/null 2>&1; then
  mosquitto_passwd -b "$passwd" netstab "$netstab_password"
  mosquitto_passwd -b "$passwd" dashboard "$dashboard_password"
else
  docker run --rm -v "$dir:/work" eclipse-mosquitto:2 sh -c \
    'mosquitto_passwd -b /work/mosquitto.passwd netstab "$1" && mosquitto_passwd -b /work/mosquitto.passwd dashboard "$2"' \
    sh "$netstab_password" "$dashboard_password"
fi
# The broker in its container runs as uid 1883 and must read the (salted, hashed) passwords.
chmod 0644 "$passwd"

# The secret holds the clear password; its directory keeps other host users out, and the file itself must be
# readable by the image's user (uid 10001), to which compose bind-mounts it unchanged.
printf '%s\n' "$netstab_password" >"$secret"
chmod 0644 "$secret"

echo "make-credentials: wrote $passwd (users netstab, dashboard) and $secret"
[[ -n ${DASHBOARD_PASSWORD:-} ]] || echo "make-credentials: the dashboard's password is: $dashboard_password"
