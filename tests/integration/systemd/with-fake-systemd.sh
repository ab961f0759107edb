#!/bin/sh
# Runs a command where cellrt sees systemd, on hosts whose PID 1 is not:
# in a private mount namespace with /run/systemd/system, a private system
# bus (dbus-daemon) and fake-systemd1.py owning org.freedesktop.systemd1 on
# it. The calls the fake received are in $FAKE_SYSTEMD_LOG.
#
#   with-fake-systemd.sh LOGFILE COMMAND [ARG...]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
log=$1
shift
[ -n "${WITH_FAKE_SYSTEMD_INNER:-}" ] || exec env WITH_FAKE_SYSTEMD_INNER=1 unshare -m --propagation private "$0" "$log" "$@"

dir=$(mktemp -d /tmp/cell-fake-systemd.XXXXXX)
mount -t tmpfs tmpfs /run
mkdir -p /run/systemd/system
cat >"$dir/bus.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
CONF
dbus-daemon --config-file="$dir/bus.conf" --nofork --nopidfile --nosyslog 2>"$dir/dbus.log" &
bus=$!
export DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/bus"
: >"$log"
i=0
while [ ! -S "$dir/bus" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i + 1)); done
/usr/bin/python3 "$here/fake-systemd1.py" "$log" &
fake=$!
i=0
while ! grep -q '"ready"' "$log" && [ $i -lt 200 ]; do sleep 0.05; i=$((i + 1)); done
status=0
"$@" || status=$?
kill "$fake" "$bus" 2>/dev/null || true
wait "$fake" "$bus" 2>/dev/null || true
# The cgroups the fake made (its slices; scopes cellrt left), deepest first.
[ ! -f "$log.dirs" ] || sort -r "$log.dirs" | while read -r d; do rmdir "$d" 2>/dev/null || true; done
rm -rf "$dir"
exit $status
