#!/bin/sh
# Removes Gatehouse. Keeps the config (/etc/gatehouse), the data and its backups
# (/var/lib/gatehouse), the logs and the users unless --purge is given.
#
#   sudo systemd/uninstall.sh [--root DIR] [--prefix DIR] [--purge]
set -eu

ROOT=""
PREFIX=/opt/gatehouse
PURGE=0
while [ $# -gt 0 ]; do
	case "$1" in
	--root) ROOT=${2:?--root needs a directory}; shift 2 ;;
	--root=*) ROOT=${1#--root=}; shift ;;
	--prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
	--prefix=*) PREFIX=${1#--prefix=}; shift ;;
	--purge) PURGE=1; shift ;;
	-h|--help) sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "uninstall.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done
ROOT=${ROOT%/}

say() { printf 'gatehouse uninstall: %s\n' "$*"; }
die() { printf 'gatehouse uninstall: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo)"
case "$PREFIX" in /*) ;; *) die "--prefix must be an absolute path" ;; esac
if [ -n "$ROOT" ]; then
	case "$ROOT" in /*) ;; *) die "--root must be an absolute path" ;; esac
fi

UNITS="gatehouse.service gatehouse-probe.service"
if [ -n "$ROOT" ]; then
	if command -v systemctl >/dev/null 2>&1 && [ -f "$ROOT/etc/systemd/system/gatehouse.service" ]; then
		# shellcheck disable=SC2086
		systemctl --root="$ROOT" disable $UNITS >/dev/null 2>&1 || true
	fi
elif [ -d /run/systemd/system ]; then
	# shellcheck disable=SC2086
	systemctl disable --now $UNITS 2>/dev/null || true
else
	say "systemd is not running (not PID 1); skipping systemctl"
fi
for unit in $UNITS; do
	rm -f "$ROOT/etc/systemd/system/$unit"
done
rm -rf "$ROOT/etc/systemd/system/gatehouse.service.d" "$ROOT/etc/systemd/system/gatehouse-probe.service.d"
[ -z "$ROOT" ] && [ -d /run/systemd/system ] && systemctl daemon-reload
rm -f "$ROOT/usr/local/bin/gatehouse" "$ROOT/usr/local/bin/gatehouse-probe"
rm -rf "$ROOT$PREFIX"
say "removed the units and $PREFIX"

if [ "$PURGE" -eq 1 ]; then
	rm -rf "$ROOT/etc/gatehouse" "$ROOT/var/lib/gatehouse" "$ROOT/var/log/gatehouse"
	PFX=""
	[ -n "$ROOT" ] && PFX="--prefix $ROOT"
	for user in gatehouse-probe gatehouse; do
		if awk -F: -v n="$user" '$1 == n { f = 1 } END { exit !f }' "$ROOT/etc/passwd"; then
			# shellcheck disable=SC2086
			userdel $PFX "$user"
		fi
	done
	if awk -F: '$1 == "gatehouse" { f = 1 } END { exit !f }' "$ROOT/etc/group"; then
		# shellcheck disable=SC2086
		groupdel $PFX gatehouse
	fi
	say "purged config, data, backups, logs and the users"
else
	say "kept /etc/gatehouse, /var/lib/gatehouse (data and backups), /var/log/gatehouse and the users (--purge removes them)"
fi
