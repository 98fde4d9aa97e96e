#!/bin/sh
# Installs Gatehouse from a built checkout (npm ci && npm run build) onto this machine, or into
# a staging root. Idempotent: run it again to upgrade; config and data are kept.
#
#   sudo systemd/install.sh [--root DIR] [--prefix DIR] [--no-enable] [--no-prune]
#
#   --root DIR    install into DIR instead of / (packaging, tests). Users are added to
#                 DIR/etc/passwd (which must exist); systemctl only links units there.
#   --prefix DIR  where the application goes (default /opt/gatehouse)
#   --no-enable   do not enable or start the units
#   --no-prune    keep dev dependencies in the copied node_modules
#
# What it does: creates the group `gatehouse`, the users `gatehouse` (the daemon) and
# `gatehouse-probe` (the privileged helper), the directories with their modes, copies the
# application (root-owned, not writable by the service), installs both units, writes a starter
# config through `gatehouse init` when none exists, and enables the units when systemd runs.
set -eu

ROOT=""
PREFIX=/opt/gatehouse
ENABLE=1
PRUNE=1
while [ $# -gt 0 ]; do
	case "$1" in
	--root) ROOT=${2:?--root needs a directory}; shift 2 ;;
	--root=*) ROOT=${1#--root=}; shift ;;
	--prefix) PREFIX=${2:?--prefix needs a directory}; shift 2 ;;
	--prefix=*) PREFIX=${1#--prefix=}; shift ;;
	--no-enable) ENABLE=0; shift ;;
	--no-prune) PRUNE=0; shift ;;
	-h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "install.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	esac
done
ROOT=${ROOT%/}

say() { printf 'gatehouse install: %s\n' "$*"; }
die() { printf 'gatehouse install: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "run as root (sudo)"
case "$PREFIX" in /*) ;; *) die "--prefix must be an absolute path" ;; esac
if [ -n "$ROOT" ]; then
	case "$ROOT" in /*) ;; *) die "--root must be an absolute path" ;; esac
	[ -f "$ROOT/etc/passwd" ] && [ -f "$ROOT/etc/group" ] || die "$ROOT/etc/passwd and $ROOT/etc/group must exist"
fi

SRC=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$SRC/dist/src/cli.js" ] || die "$SRC/dist/src/cli.js is missing: run 'npm ci && npm run build' first"
[ -d "$SRC/node_modules" ] || die "$SRC/node_modules is missing: run 'npm ci' first"
[ -f "$SRC/package-lock.json" ] || die "$SRC/package-lock.json is missing"
NODE=$(command -v node) || die "node is not installed (Node 20.19 or later)"
"$NODE" -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' ||
	die "node $("$NODE" --version) is too old: Gatehouse needs Node 20.19 or later"

# --- users and group ------------------------------------------------------------------------
# With --root, shadow's --prefix edits DIR/etc/{passwd,group,shadow,gshadow} instead of /etc.
PFX=""
[ -n "$ROOT" ] && PFX="--prefix $ROOT"
NOLOGIN=/usr/sbin/nologin
[ -x "$NOLOGIN" ] || NOLOGIN=/sbin/nologin

has_group() { awk -F: -v n="$1" '$1 == n { f = 1 } END { exit !f }' "$ROOT/etc/group"; }
has_user() { awk -F: -v n="$1" '$1 == n { f = 1 } END { exit !f }' "$ROOT/etc/passwd"; }
uid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$ROOT/etc/passwd"; }
gid_of() { awk -F: -v n="$1" '$1 == n { print $3 }' "$ROOT/etc/group"; }

if ! has_group gatehouse; then
	# shellcheck disable=SC2086
	groupadd $PFX --system gatehouse
	say "created group gatehouse"
fi
if ! has_user gatehouse; then
	# shellcheck disable=SC2086
	useradd $PFX --system --gid gatehouse --home-dir /var/lib/gatehouse --no-create-home \
		--shell "$NOLOGIN" --comment "Gatehouse daemon" gatehouse
	say "created user gatehouse"
fi
if ! has_user gatehouse-probe; then
	# shellcheck disable=SC2086
	useradd $PFX --system --gid gatehouse --home-dir /nonexistent --no-create-home \
		--shell "$NOLOGIN" --comment "Gatehouse privileged probe" gatehouse-probe
	say "created user gatehouse-probe"
fi
UID_GH=$(uid_of gatehouse)
GID_GH=$(gid_of gatehouse)
[ -n "$UID_GH" ] && [ -n "$GID_GH" ] || die "cannot resolve the gatehouse user and group"

# --- directories ----------------------------------------------------------------------------
mkdirp() { # mkdirp PATH MODE OWNER:GROUP (numeric)
	mkdir -p "$ROOT$1"
	chown "$3" "$ROOT$1"
	chmod "$2" "$ROOT$1"
}
mkdirp /etc/gatehouse 0750 "0:$GID_GH"
mkdirp /var/lib/gatehouse 0700 "$UID_GH:$GID_GH"
mkdirp /var/lib/gatehouse/backups 0700 "$UID_GH:$GID_GH"
mkdirp /var/log/gatehouse 0700 "$UID_GH:$GID_GH"
mkdir -p "$ROOT/etc/systemd/system" "$ROOT/usr/local/bin"

# --- pre-upgrade backup ---------------------------------------------------------------------
# An upgrade may migrate the database forward (never back): keep a copy made by the new build's
# `db backup` (read-only, online) first.
DB="$ROOT/var/lib/gatehouse/gatehouse.db"
if [ -f "$DB" ]; then
	COPY="$ROOT/var/lib/gatehouse/backups/pre-upgrade-$(date -u +%Y%m%dT%H%M%SZ).db"
	"$NODE" "$SRC/dist/src/cli.js" db backup "$COPY" --data-dir "$ROOT/var/lib/gatehouse" >/dev/null ||
		die "could not back up $DB before upgrading; nothing was changed"
	chown "$UID_GH:$GID_GH" "$COPY"
	say "backed up the database to ${COPY#"$ROOT"}"
fi

# --- application ----------------------------------------------------------------------------
# Copied next to the old one and swapped in, so a failed copy never leaves half an install.
APP="$ROOT$PREFIX"
NEW="$APP.new.$$"
rm -rf "$NEW"
mkdir -p "$NEW"
cp -R "$SRC/dist" "$SRC/package.json" "$SRC/package-lock.json" "$NEW/"
cp -R "$SRC/node_modules" "$NEW/"
mkdir -p "$NEW/systemd"
cp -R "$SRC/systemd/." "$NEW/systemd/"
# The assets the compiled code reads at run time (console CSS, data files, READMEs) live beside
# the sources; everything under src/ and views/ that is not TypeScript.
(cd "$SRC" && find src views -type f ! -name '*.ts' ! -name '*.tsx') | while IFS= read -r f; do
	mkdir -p "$NEW/$(dirname "$f")"
	cp "$SRC/$f" "$NEW/$f"
done
if [ "$PRUNE" -eq 1 ]; then
	# From the lockfile with node alone: the box may have no npm.
	N=$("$NODE" "$SRC/dist/src/install/prune-dev.js" "$NEW") || die "could not remove the development packages from $NEW; nothing was changed"
	say "left out $N development-only packages"
fi
chown -R 0:0 "$NEW"
chmod -R u+rwX,go+rX,go-w "$NEW"
chmod 0755 "$NEW/dist/src/cli.js" "$NEW/dist/src/probe/main.js"
chmod 0755 "$NEW/systemd/install.sh" "$NEW/systemd/uninstall.sh"
if [ -d "$APP" ]; then
	rm -rf "$APP.old"
	mv "$APP" "$APP.old"
fi
mv "$NEW" "$APP"
rm -rf "$APP.old"
ln -sfn "$PREFIX/dist/src/cli.js" "$ROOT/usr/local/bin/gatehouse"
ln -sfn "$PREFIX/dist/src/probe/main.js" "$ROOT/usr/local/bin/gatehouse-probe"
say "installed the application in $APP"

# --- units ----------------------------------------------------------------------------------
for unit in gatehouse.service gatehouse-probe.service; do
	sed -e "s|/usr/bin/node |$NODE |" -e "s|/opt/gatehouse/|$PREFIX/|g" "$SRC/systemd/$unit" >"$ROOT/etc/systemd/system/$unit.tmp"
	chmod 0644 "$ROOT/etc/systemd/system/$unit.tmp"
	chown 0:0 "$ROOT/etc/systemd/system/$unit.tmp"
	mv "$ROOT/etc/systemd/system/$unit.tmp" "$ROOT/etc/systemd/system/$unit"
done
say "installed units in $ROOT/etc/systemd/system"

# --- starter config -------------------------------------------------------------------------
CONFIG="$ROOT/etc/gatehouse/gatehouse.yaml"
SETUP=""
if [ ! -f "$CONFIG" ]; then
	# init prints the one-time link for the first administrator; it is shown at the end, once
	# the service it points at is known to be running.
	if ! SETUP=$("$NODE" "$APP/dist/src/cli.js" init --config "$CONFIG" --data-dir "$ROOT/var/lib/gatehouse" --site "$(hostname 2>/dev/null || echo Gatehouse)"); then
		# init writes the file before it validates it: keep going so the admin can fix it.
		[ -f "$CONFIG" ] || die "gatehouse init failed"
		say "WARNING: the starter config does not validate yet (see above); fix it before starting"
	fi
	if [ -n "$ROOT" ]; then
		# The file must name the data dir as the installed system sees it.
		sed -i "s|^data_dir: .*|data_dir: \"/var/lib/gatehouse\"|" "$CONFIG"
		SETUP=$(printf '%s\n' "$SETUP" | sed "s|$ROOT/var/lib/gatehouse|/var/lib/gatehouse|g")
	fi
	say "wrote a starter config: edit $CONFIG, then run: gatehouse config check"
else
	say "kept the existing config $CONFIG"
fi
chown "0:$GID_GH" "$CONFIG"
chmod 0640 "$CONFIG"
# The daemon owns its data, whoever created it (init ran as root).
chown -R "$UID_GH:$GID_GH" "$ROOT/var/lib/gatehouse"
find "$ROOT/var/lib/gatehouse" -type f -exec chmod 0600 {} +

# The part of init's output that names the one-time link (empty on an upgrade).
setup_link() { printf '%s\n' "$SETUP" | sed -n '/one-time link/,$p'; }

# --- enable ---------------------------------------------------------------------------------
if [ "$ENABLE" -eq 0 ]; then
	say "not enabling the units (--no-enable)"
	setup_link
elif [ -n "$ROOT" ]; then
	if command -v systemctl >/dev/null 2>&1; then
		systemctl --root="$ROOT" enable gatehouse.service gatehouse-probe.service >/dev/null 2>&1 ||
			die "systemctl --root=$ROOT enable failed"
		say "enabled the units in $ROOT (not started: --root)"
	else
		say "systemctl not found; enable the units yourself"
	fi
	setup_link
elif [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	systemctl enable --quiet gatehouse-probe.service gatehouse.service
	# An upgrade restarts what runs; a first install starts it, once its config validates.
	systemctl restart gatehouse-probe.service
	if ! CHECK=$("$NODE" "$APP/dist/src/cli.js" config check --config "$CONFIG" 2>&1); then
		printf '%s\n' "$CHECK" >&2
		die "not starting gatehouse: fix $CONFIG (gatehouse config check), then: systemctl start gatehouse"
	fi
	# Type=notify: restart returns once the daemon said READY=1, or fails.
	if ! systemctl restart gatehouse.service; then
		journalctl -u gatehouse.service -n 20 --no-pager -o cat >&2 || true
		die "gatehouse.service did not start (above: its last log lines; systemctl status gatehouse)"
	fi
	say "gatehouse is running: systemctl status gatehouse; journalctl -u gatehouse"
	setup_link
else
	say "systemd is not running (not PID 1); skipping systemctl. Start by hand: gatehouse-probe & gatehouse serve"
	setup_link
fi
