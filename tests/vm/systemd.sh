# shellcheck shell=bash disable=SC2154 # root, systemd_mask: variables of run.sh
# Sourced by tests/vm/run.sh for `run.sh systemd`: ships the host's systemd into the initramfs
# tree $root and writes the units that make it run the kernel test suite as a service. Uses
# run.sh's copy_same_paths and the programs array (their libraries are copied at the end).
#
#   NSPLAN_VM_DBUS=1  also ship dbus (the system bus); by default there is none, as in CI: systemctl
#                     and systemd-run as root talk to the manager over /run/systemd/private.

# ship_package_files PKG...: every file and symlink of the installed packages (no directories,
# no documentation), symlinks as symlinks, at their merged-/usr paths; executables join programs.
ship_package_files() {
  local f
  local -a files=()
  mapfile -t files < <(dpkg-query -L "$@" |
    grep -vE '^/usr/share/(doc|man|locale|bash-completion|zsh|fish|lintian|bug)/' |
    sed -E 's#^/(bin|sbin|lib|lib64)/#/usr/\1/#' | sort -u |
    while read -r f; do [ -L "$f" ] || [ -f "$f" ] && echo "${f#/}"; done)
  tar -C / --no-recursion -cf - "${files[@]}" | tar -C "$root" --keep-directory-symlink -xf -
  for f in "${files[@]}"; do
    if [ ! -L "/$f" ] && [ -x "/$f" ]; then programs+=("/$f"); fi
  done
}

# write FILE: standard input into $root/FILE.
write() {
  mkdir -p "$root$(dirname "$1")"
  cat >"$root$1"
}

ship_systemd() {
  local pkgs=systemd unit
  [ "${NSPLAN_VM_DBUS:-0}" != 1 ] || pkgs="$pkgs dbus dbus-bin dbus-daemon dbus-system-bus-common"
  # shellcheck disable=SC2086 # a list of names
  ship_package_files $pkgs
  # The kernel's own devtmpfs has /dev/vda and the consoles: no udev (a package of its own).
  od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$root/etc/machine-id"
  echo >>"$root/etc/machine-id"
  echo nsplan-vm >"$root/etc/hostname"
  cp -L /etc/os-release "$root/etc/os-release"
  # systemd-tmpfiles --boot empties /tmp (D in tmp.conf), where a build tree under /tmp has its
  # test binary: created, not emptied, as an admin's override would.
  echo 'd /tmp 1777 root root -' | write /etc/tmpfiles.d/tmp.conf
  if [ "${NSPLAN_VM_DBUS:-0}" = 1 ]; then
    echo 'messagebus:x:100:101::/nonexistent:/usr/sbin/nologin' >>"$root/etc/passwd"
    echo 'messagebus:x:101:' >>"$root/etc/group"
    mkdir -p "$root/etc/systemd/system/sockets.target.wants"
    ln -s /lib/systemd/system/dbus.socket "$root/etc/systemd/system/sockets.target.wants/"
  fi

  # The boot target: basic.target (sysinit: journald, tmpfiles, mounts...) as on a real host,
  # then the tests, nothing of multi-user.target (no getty, no logind).
  write /etc/systemd/system/nsplan-vm.target <<'EOF'
[Unit]
Description=nsplan kernel tests in a systemd machine
Requires=basic.target
After=basic.target
Wants=nsplan-vm-tests.service
AllowIsolate=yes
EOF
  # The tests run in this service's cgroup, /system.slice/nsplan-vm-tests.service (an admin's
  # shell would be in a session scope of user.slice instead). Console in and out: the result
  # line for the host, and the shell of NSPLAN_VM_SHELL=1.
  write /etc/systemd/system/nsplan-vm-tests.service <<'EOF'
[Unit]
Description=nsplan kernel tests
After=basic.target

[Service]
Type=oneshot
ExecStart=/bin/busybox sh /nsplan-vm/suite
WorkingDirectory=/tmp
Environment=HOME=/root
# systemctl's pager (less) would wait for keys on the console.
Environment=SYSTEMD_PAGER=cat
StandardInput=tty
StandardOutput=tty
StandardError=tty
TTYPath=/dev/console
TimeoutStartSec=infinity
EOF
  # Useless in a VM of one boot, and slow under emulation: masked.
  mkdir -p "$root/etc/systemd/system-generators"
  for unit in $systemd_mask; do
    case "$unit" in
    *-generator) ln -sfn /dev/null "$root/etc/systemd/system-generators/$unit" ;;
    *) ln -sfn /dev/null "$root/etc/systemd/system/$unit" ;;
    esac
  done
}
