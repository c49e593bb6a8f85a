#!/usr/bin/env bash
# Installs Mieruka as systemd services on a Raspberry Pi (Pi OS Bookworm arm64/armhf) or a
# Debian/Ubuntu PC (amd64), from a built checkout (`npm ci` has run in it). Safe to run again.
#
#   sudo scripts/install-pi.sh [install|upgrade|uninstall] [--hub] [--edge] [options]
#
#   install     (default) packages, the `mieruka` user, the code under /opt/mieruka, config,
#               data dir, systemd units and the ESP32 udev rule; enables the hub
#   upgrade     installs this checkout as a new release beside the old one, switches
#               /opt/mieruka/current, migrates the database and restarts the services; on any
#               failure switches back, restores the database and restarts the old release
#   uninstall   removes the units, the udev rule and /opt/mieruka; keeps /etc/mieruka and
#               /var/lib/mieruka unless --purge (which also removes the `mieruka` user)
#
#   --hub, --edge   roles (default: both). hub: `mieruka hub`; edge: the agents (bridge, station,
#                   patlite-relay) with their Debian packages and the udev rule
#   --from DIR      the built checkout to install (default: the one this script is in)
#   --dry-run       print every action, change nothing
#   --prefix DIR    treat DIR as the filesystem root; user, apt, systemctl and udevadm calls
#                   are printed, not run (for tests, unprivileged)
#   --purge         with uninstall: also delete config, data and the user
#
# Layout: /opt/mieruka/releases/<version>-<time>/ (code, owned by root), /opt/mieruka/current
# (symlink the units run), /etc/mieruka/mieruka.yaml (0640 root:mieruka, never overwritten),
# /var/lib/mieruka (0750 mieruka), /etc/systemd/system/mieruka-*.service,
# /etc/udev/rules.d/99-mieruka-esp32.rules, /usr/local/bin/mieruka (the CLI of the current
# release). Units and rule: deploy/ in the repository.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ACTION=install
HUB=0
EDGE=0
DRY_RUN=0
PREFIX=
PURGE=0
FROM=$(cd "$SCRIPT_DIR/.." && pwd)
USER_NAME=mieruka

die() { echo "install-pi: error: $*" >&2; exit 1; }
say() { echo "install-pi: $*"; }

while [ $# -gt 0 ]; do
  case "$1" in
    install|upgrade|uninstall) ACTION=$1 ;;
    --hub) HUB=1 ;;
    --edge) EDGE=1 ;;
    --dry-run) DRY_RUN=1 ;;
    --purge) PURGE=1 ;;
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; PREFIX=$2; shift ;;
    --prefix=*) PREFIX=${1#--prefix=} ;;
    --from) [ $# -ge 2 ] || die "--from needs a directory"; FROM=$2; shift ;;
    --from=*) FROM=${1#--from=} ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $1 (see --help)" ;;
  esac
  shift
done
if [ $HUB -eq 0 ] && [ $EDGE -eq 0 ]; then HUB=1; EDGE=1; fi
if [ -n "$PREFIX" ]; then
  [ $DRY_RUN -eq 1 ] || mkdir -p "$PREFIX" || die "cannot create --prefix $PREFIX"
  if [ -d "$PREFIX" ]; then PREFIX=$(cd "$PREFIX" && pwd); fi
fi

# Paths as the services see them, and where this run writes them (under --prefix).
OPT_REAL=/opt/mieruka
ETC_REAL=/etc/mieruka
VAR_REAL=/var/lib/mieruka
OPT=$PREFIX$OPT_REAL
ETC=$PREFIX$ETC_REAL
VAR=$PREFIX$VAR_REAL
UNIT_DIR=$PREFIX/etc/systemd/system
UDEV_DIR=$PREFIX/etc/udev/rules.d
UDEV_RULE=99-mieruka-esp32.rules
BIN_DIR=$PREFIX/usr/local/bin
HUB_UNITS=(mieruka-hub.service)
EDGE_UNITS=(mieruka-bridge@.service mieruka-station.service mieruka-patlite-relay.service)

# --- how actions run ----------------------------------------------------------------------
# run: changes files (skipped with --dry-run). sys: changes the system outside the tree
# (users, packages, services, ownership): skipped with --dry-run and with --prefix.
quote() { printf '%q ' "$@" | sed 's/ $//'; }
run() {
  if [ $DRY_RUN -eq 1 ]; then echo "[dry-run] $(quote "$@")"; return 0; fi
  "$@"
}
sys() {
  if [ $DRY_RUN -eq 1 ]; then echo "[dry-run] $(quote "$@")"; return 0; fi
  if [ -n "$PREFIX" ]; then echo "[prefix: skipped] $(quote "$@")"; return 0; fi
  "$@"
}
# Writes stdin to a file with a mode, only when the content differs. Returns 0 when it wrote.
write_file() {
  local dest=$1 mode=$2 tmp
  tmp=$(mktemp)
  cat > "$tmp"
  if [ -f "$dest" ] && cmp -s "$tmp" "$dest"; then rm -f "$tmp"; return 1; fi
  if [ $DRY_RUN -eq 1 ]; then echo "[dry-run] write $dest (mode $mode)"; rm -f "$tmp"; return 0; fi
  install -m "$mode" "$tmp" "$dest"
  rm -f "$tmp"
  say "wrote $dest"
}

# --- checks ------------------------------------------------------------------------------
check_arch() {
  local arch=${INSTALL_PI_ARCH:-$(uname -m)}   # INSTALL_PI_ARCH: tests of the refusal only
  case "$arch" in
    aarch64|armv7l|x86_64) say "architecture $arch: supported" ;;
    *) die "architecture $arch is not supported (aarch64 = Pi OS 64-bit, armv7l = Pi OS 32-bit, x86_64 = Debian/Ubuntu PC)" ;;
  esac
}

check_node() {
  command -v node >/dev/null || die "Node.js not found: install Node.js 20.19 or newer (sudo apt-get install nodejs, or NodeSource)"
  local want have
  want=$(node -p "(require(process.argv[1]).engines||{}).node||''" "$FROM/package.json")
  want=${want#>=}
  have=$(node -p 'process.versions.node')
  node -e '
    const [have, want] = process.argv.slice(1).map((v) => v.split(".").map(Number));
    for (let i = 0; i < 3; i++) { if ((have[i] ?? 0) !== (want[i] ?? 0)) process.exit((have[i] ?? 0) > (want[i] ?? 0) ? 0 : 1); }
  ' "$have" "$want" || die "Node.js $have is too old: Mieruka needs $want or newer (package.json engines)"
  say "Node.js $have (needs $want or newer): ok"
  NODE_BIN=$(command -v node)
}

check_built() {
  [ -f "$FROM/package.json" ] && [ -f "$FROM/bin/mieruka.js" ] || die "$FROM is not a Mieruka checkout (give --from DIR)"
  [ -f "$FROM/cli/dist/main.js" ] && [ -d "$FROM/node_modules" ] || die "$FROM is not built: run \`npm ci\` there first (it installs and builds)"
}

need_root() {
  [ -n "$PREFIX" ] || [ $DRY_RUN -eq 1 ] || [ "$(id -u)" -eq 0 ] || die "run as root (sudo), or use --dry-run / --prefix DIR"
}

# --- pieces ------------------------------------------------------------------------------
install_packages() {
  # Runtime only (tests need more: scripts/install-system-deps.sh). hub: nothing beyond Node.
  # edge: ffmpeg + v4l-utils (camera), espeak-ng + alsa-utils (voice: TTS and aplay),
  # gpiod (checking relay, LED and PIR lines by hand). systemd-notify comes with systemd.
  local wanted=() missing=() p
  [ $EDGE -eq 1 ] && wanted+=(ffmpeg v4l-utils espeak-ng alsa-utils gpiod)
  [ ${#wanted[@]} -gt 0 ] || { say "Debian packages: none needed for the hub"; return 0; }
  for p in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then say "Debian packages: all present (${wanted[*]})"; return 0; fi
  say "Debian packages to install: ${missing[*]}"
  sys apt-get update -qq
  sys env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
}

ensure_user() {
  if getent passwd "$USER_NAME" >/dev/null; then say "user $USER_NAME: exists"
  else sys useradd --system --user-group --home-dir "$VAR_REAL" --no-create-home --shell /usr/sbin/nologin "$USER_NAME"
  fi
  local g
  for g in dialout gpio video audio; do
    if getent group "$g" >/dev/null; then sys usermod -aG "$g" "$USER_NAME"
    else say "group $g does not exist here: skipped"
    fi
  done
}

new_release_id() {
  local version id n=1
  version=$(node -p "require(process.argv[1]).version" "$FROM/package.json")
  id="$version-$(date -u +%Y%m%d%H%M%S)"
  # Two upgrades within a second (tests) get distinct names.
  while [ -e "$OPT/releases/$id" ] || [ -e "$OPT/releases/$id.partial" ]; do n=$((n + 1)); id="$version-$(date -u +%Y%m%d%H%M%S)-$n"; done
  echo "$id"
}

# Copies the built checkout (with its node_modules, so nothing is downloaded) to releases/<id>.
copy_release() {
  local id=$1 dest=$OPT/releases/$1
  [ ! -e "$dest" ] || die "$dest exists already"
  if [ $DRY_RUN -eq 1 ]; then echo "[dry-run] copy $FROM to $dest (without .git, caches, test output)"; return 0; fi
  mkdir -p "$dest.partial"
  # Caches and test output are left out (the test suite may be writing them while this copies).
  tar -C "$FROM" --exclude=./.git --exclude=./node_modules/.cache --exclude=./node_modules/.vite --exclude=./test-results \
    --exclude=./bench-results --exclude=./data --exclude=./mieruka.yaml -cf - . | tar -C "$dest.partial" --no-same-owner -xf -
  # Owned by whoever installs (root), readable by all, writable by nobody else: the service cannot change its code.
  chmod -R u+rwX,go+rX,go-w "$dest.partial"
  mv "$dest.partial" "$dest"
  chmod 0755 "$OPT" "$OPT/releases" "$dest"
  say "copied $FROM to $dest"
}

# Atomic switch of /opt/mieruka/current to releases/<id> (relative link: valid under --prefix too).
switch_current() {
  run ln -sfn "releases/$1" "$OPT/current.new"
  run mv -T "$OPT/current.new" "$OPT/current"
  say "current → releases/$1"
}

current_release() { [ -L "$OPT/current" ] && basename "$(readlink "$OPT/current")" || true; }

write_config() {
  run mkdir -p "$ETC"
  run chmod 0750 "$ETC"
  sys chown "root:$USER_NAME" "$ETC_REAL"
  if [ -e "$ETC/mieruka.yaml" ]; then
    say "kept $ETC/mieruka.yaml (never overwritten)"
  else
    write_file "$ETC/mieruka.yaml" 0640 < "$FROM/deploy/mieruka.example.yaml" || true
    sys chown "root:$USER_NAME" "$ETC_REAL/mieruka.yaml"
  fi
  if [ $EDGE -eq 1 ]; then
    [ -e "$ETC/station.env" ] || write_file "$ETC/station.env" 0640 <<'EOF' || true
# mieruka-station.service: which station this Pi runs (a key of `stations` in mieruka.yaml)
STATION=bench-1
EOF
    [ -e "$ETC/patlite-relay.env" ] || write_file "$ETC/patlite-relay.env" 0640 <<'EOF' || true
# mieruka-patlite-relay.service: the tower's node (alerts.towers[].node on the hub) and relay lines (BCM)
PATLITE_NODE=tower-1
PATLITE_PINS=red=17,amber=27,green=22,buzzer=23
# extra flags, e.g. --active-low for opto-isolated relay boards
PATLITE_ARGS=
EOF
  fi
}

make_data_dir() {
  run mkdir -p "$VAR"
  run chmod 0750 "$VAR"
  sys chown "$USER_NAME:$USER_NAME" "$VAR_REAL"
}

# A unit as committed, with this machine's node binary and only the groups that exist here.
render_unit() {
  local src=$1 groups g kept
  while IFS= read -r line; do
    case "$line" in
      ExecStart=/usr/bin/node\ *) echo "ExecStart=$NODE_BIN ${line#ExecStart=/usr/bin/node }" ;;
      SupplementaryGroups=*)
        groups=${line#SupplementaryGroups=}; kept=
        for g in $groups; do getent group "$g" >/dev/null && kept="$kept $g"; done
        [ -z "$kept" ] || echo "SupplementaryGroups=${kept# }" ;;
      *) echo "$line" ;;
    esac
  done < "$src"
}

# `mieruka doctor`, `mieruka backup`, `mieruka device add` … for people at the Pi's shell: the
# CLI of the release the services run, whichever that is after an upgrade or a rollback.
install_command() {
  run mkdir -p "$BIN_DIR"
  write_file "$BIN_DIR/mieruka" 0755 <<EOF || say "command $BIN_DIR/mieruka: unchanged"
#!/bin/sh
# Installed by Mieruka's scripts/install-pi.sh: the CLI of the release the services run.
exec $NODE_BIN $OPT_REAL/current/bin/mieruka.js "\$@"
EOF
}

UNITS_CHANGED=0
install_units() {
  run mkdir -p "$UNIT_DIR"
  local u units=()
  [ $HUB -eq 1 ] && units+=("${HUB_UNITS[@]}")
  [ $EDGE -eq 1 ] && units+=("${EDGE_UNITS[@]}")
  for u in "${units[@]}"; do
    if render_unit "$FROM/deploy/systemd/$u" | write_file "$UNIT_DIR/$u" 0644; then UNITS_CHANGED=1
    else say "unit $u: unchanged"
    fi
  done
  if [ $EDGE -eq 1 ]; then
    run mkdir -p "$UDEV_DIR"
    if write_file "$UDEV_DIR/$UDEV_RULE" 0644 < "$FROM/deploy/udev/$UDEV_RULE"; then
      sys udevadm control --reload-rules
      sys udevadm trigger --subsystem-match=tty --action=add
    else say "udev rule: unchanged"
    fi
  fi
  [ $UNITS_CHANGED -eq 0 ] || sys systemctl daemon-reload
}

# Our units that are running now (bridge instances included).
active_units() {
  [ -z "$PREFIX" ] || return 0
  systemctl list-units --plain --no-legend --state=active 'mieruka-*' 2>/dev/null | awk '{print $1}'
}

# --- actions -----------------------------------------------------------------------------
do_install() {
  need_root; check_arch; check_node; check_built
  install_packages
  ensure_user
  local cur
  cur=$(current_release)
  if [ -n "$cur" ]; then
    say "code: releases/$cur is installed (new code: \`$0 upgrade\`)"
  else
    local id
    id=$(new_release_id)
    run mkdir -p "$OPT/releases"
    copy_release "$id"
    switch_current "$id"
  fi
  write_config
  make_data_dir
  install_command
  install_units
  if [ $HUB -eq 1 ]; then sys systemctl enable --now mieruka-hub.service; fi
  say "done."
  [ $HUB -eq 0 ] || say "hub: journalctl -u mieruka-hub -f; dashboard on port 8080. Edit $ETC_REAL/mieruka.yaml, then: sudo systemctl restart mieruka-hub"
  [ $EDGE -eq 0 ] || say "agents (enable those this Pi runs): sudo systemctl enable --now mieruka-bridge@mill-1 (machine id) · mieruka-station ($ETC_REAL/station.env) · mieruka-patlite-relay ($ETC_REAL/patlite-relay.env)"
}

do_upgrade() {
  need_root; check_arch; check_node; check_built
  local old new backup running=() u
  old=$(current_release)
  [ -n "$old" ] || die "nothing installed under $OPT (run install first)"
  install_packages
  new=$(new_release_id)
  copy_release "$new"
  install_units
  mapfile -t running < <(active_units)
  [ $HUB -eq 0 ] || [[ " ${running[*]} " == *" mieruka-hub.service "* ]] || running+=(mieruka-hub.service)
  [ ${#running[@]} -eq 0 ] || sys systemctl stop "${running[@]}"
  # The stopped hub has checkpointed its WAL: copying the files is a consistent backup, and the
  # old release cannot open a database migrated past its own version.
  backup=$VAR/upgrade-backup-$old
  if [ -f "$VAR/mieruka.db" ]; then
    run rm -rf "$backup"
    run mkdir -p "$backup"
    for f in mieruka.db mieruka.db-wal mieruka.db-shm; do [ ! -f "$VAR/$f" ] || run cp -a "$VAR/$f" "$backup/"; done
  fi
  switch_current "$new"
  if migrate_store && start_units "${running[@]}"; then
    run rm -rf "$backup"
    prune_releases "$new" "$old"
    say "upgraded: releases/$old → releases/$new (config and data kept)"
    return 0
  fi
  say "upgrade failed: going back to releases/$old" >&2
  [ ${#running[@]} -eq 0 ] || sys systemctl stop "${running[@]}" || true
  switch_current "$old"
  if [ -d "$backup" ]; then
    for f in mieruka.db mieruka.db-wal mieruka.db-shm; do run rm -f "$VAR/$f"; [ ! -f "$backup/$f" ] || run cp -a "$backup/$f" "$VAR/"; done
    say "database restored from $backup"
  fi
  start_units "${running[@]}" || say "the old release did not start either: journalctl -u mieruka-hub" >&2
  run rm -rf "$OPT/releases/$new"
  die "upgrade rolled back to releases/$old"
}

# The hub migrates on start too; doing it here first makes a failure visible before restarting.
migrate_store() {
  [ $HUB -eq 1 ] && [ -f "$VAR/mieruka.db" ] || return 0
  local cmd=("$NODE_BIN" "$OPT_REAL/current/bin/mieruka.js" store migrate --config "$ETC_REAL/mieruka.yaml" --data-dir "$VAR_REAL")
  if [ -n "$PREFIX" ]; then
    # No user switch under --prefix: the same command on the tree in the prefix, as the caller.
    cmd=("$NODE_BIN" "$OPT/current/bin/mieruka.js" store migrate --config "$ETC/mieruka.yaml" --data-dir "$VAR")
    run env -u MIERUKA_CONFIG "${cmd[@]}"
  else
    sys runuser -u "$USER_NAME" -- "${cmd[@]}"
  fi
}

# Type=notify: `systemctl start` returns once the service said READY=1, or fails.
start_units() {
  [ $# -gt 0 ] || return 0
  sys systemctl start "$@"
}

# Keeps the new and the previous release.
prune_releases() {
  local r
  for r in "$OPT"/releases/*; do
    [ -d "$r" ] || continue
    case "$(basename "$r")" in "$1"|"$2") ;; *) run rm -rf "$r" ;; esac
  done
}

do_uninstall() {
  need_root
  local units=() u
  [ $HUB -eq 1 ] && units+=("${HUB_UNITS[@]}")
  [ $EDGE -eq 1 ] && units+=("${EDGE_UNITS[@]}")
  local names=()
  for u in "${units[@]}"; do
    if [ "$u" = mieruka-bridge@.service ]; then names+=('mieruka-bridge@*.service'); else names+=("$u"); fi
  done
  sys systemctl disable --now "${names[@]}" || true
  for u in "${units[@]}"; do [ ! -e "$UNIT_DIR/$u" ] || run rm -f "$UNIT_DIR/$u"; done
  if [ $EDGE -eq 1 ] && [ -e "$UDEV_DIR/$UDEV_RULE" ]; then
    run rm -f "$UDEV_DIR/$UDEV_RULE"
    sys udevadm control --reload-rules
  fi
  sys systemctl daemon-reload
  # The code goes only when no role is left installed on this machine.
  local left=()
  for u in "${HUB_UNITS[@]}" "${EDGE_UNITS[@]}"; do
    [[ " ${units[*]} " == *" $u "* ]] || [ ! -e "$UNIT_DIR/$u" ] || left+=("$u")
  done
  if [ ${#left[@]} -gt 0 ]; then
    say "kept $OPT: units of the other role remain"
  elif [ -e "$OPT" ]; then
    run rm -rf "$OPT"
    [ ! -e "$BIN_DIR/mieruka" ] || run rm -f "$BIN_DIR/mieruka"
    say "removed $OPT and the mieruka command"
  fi
  if [ $PURGE -eq 1 ]; then
    run rm -rf "$ETC" "$VAR"
    if getent passwd "$USER_NAME" >/dev/null; then sys userdel "$USER_NAME"; fi
    say "purged $ETC and $VAR"
  else
    say "kept $ETC and $VAR (config and data; --purge removes them)"
  fi
}

case "$ACTION" in
  install) do_install ;;
  upgrade) do_upgrade ;;
  uninstall) do_uninstall ;;
esac
