#!/bin/bash
# Runs nsplan's kernel test suite inside a Debian kernel under qemu (software emulation), as a
# pure cgroup v2 machine or a pure cgroup v1 machine, or with Debian's systemd as PID 1 (pure
# cgroup v2, the tests in a service). See tests/vm/README.md.
#
#   tests/vm/run.sh v1|v2|systemd [arguments for the test binary, e.g. --gtest_filter=Netlink.*]
#
# Exit status: the test binary's status inside the VM (0 = all passed); 124 when the guest did not
# finish within NSPLAN_VM_TIMEOUT seconds; 125 when the harness or the guest's setup failed or the
# result line is missing from the serial output.
#
# Environment overrides (defaults in brackets):
#   NSPLAN_VM_BUILD_DIR  build tree                       [<repo>/build]
#   NSPLAN_VM_TESTS      kernel test binary               [$NSPLAN_VM_BUILD_DIR/tests/nsplan_kernel_tests]
#   NSPLAN_VM_NSPLAN     nsplan binary                    [$NSPLAN_VM_BUILD_DIR/nsplan]
#   NSPLAN_VM_KERNEL     kernel image                     [newest /boot/vmlinuz-* with modules]
#   NSPLAN_VM_KVER       its module version               [from the image's name]
#   NSPLAN_VM_BUSYBOX    busybox binary                   [/bin/busybox]
#   NSPLAN_VM_PACKAGES   Debian packages whose programs are shipped, those installed here
#                        [dash bash coreutils procps grep sed findutils mawk util-linux mount
#                        iproute2 hostname psmisc sysvinit-utils iputils-ping nftables wireguard-tools];
#                        "" for busybox only
#   NSPLAN_VM_EXTRA      more programs (helpers the tests use), each at its path here
#   NSPLAN_VM_MODULES    modules to load                  [virtio_pci virtio_blk veth bridge ...]
#   NSPLAN_VM_QEMU       qemu binary                      [qemu-system-x86_64]
#   NSPLAN_VM_TIMEOUT    seconds before the guest is killed [900]
#   NSPLAN_VM_MEM        guest RAM in MiB                 [1024]
#   NSPLAN_VM_SMP        guest CPUs                       [2]
#   NSPLAN_VM_STRIP=0    keep the debug information of the two binaries in the VM
#   NSPLAN_VM_LOG        also keep the serial output in this file
#   NSPLAN_VM_KEEP=1     keep the work directory (initramfs tree, disk image, log)
#   NSPLAN_VM_SHELL=1    after the tests, an interactive shell on the console (no timeout); the
#                        VM powers off when the shell exits
#   NSPLAN_VM_ACCEL      qemu's -accel [tcg,thread=single]: multi-threaded TCG froze the guest
#                        when the kernel patched its own code (tests/vm/README.md)
#   NSPLAN_VM_APPEND     more kernel arguments (e.g. "nokaslr loglevel=7")
#   NSPLAN_VM_MONITOR    a path: qemu's monitor listens there (unix socket), to look at a frozen guest
#   NSPLAN_VM_DBUS=1     systemd: also ship dbus (the system bus); off by default, as in CI
#   NSPLAN_VM_SYSTEMD_MASK  systemd: units masked   [see below: what is useless or slow here]
set -euo pipefail

usage() {
  echo "usage: $0 v1|v2|systemd [arguments for the kernel test binary]" >&2
  exit 125
}
die() {
  echo "tests/vm/run.sh: $*" >&2
  exit 125
}

[ $# -ge 1 ] || usage
mode=$1
shift
case "$mode" in
v1 | v2 | systemd) ;;
*) usage ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${NSPLAN_VM_BUILD_DIR:-$repo/build}
tests_bin=${NSPLAN_VM_TESTS:-$build/tests/nsplan_kernel_tests}
nsplan_bin=${NSPLAN_VM_NSPLAN:-$build/nsplan}
busybox=${NSPLAN_VM_BUSYBOX:-/bin/busybox}
packages=${NSPLAN_VM_PACKAGES-dash bash coreutils procps grep sed findutils mawk util-linux mount iproute2 hostname psmisc sysvinit-utils iputils-ping nftables wireguard-tools}
extra=${NSPLAN_VM_EXTRA:-}
# nf_tables and the expressions of network.uplink's ruleset (nat chains, fib, masquerade), and
# overlay (tests that keep the host's /etc untouched): loaded at boot, not left to autoloading.
# crc32c_generic first: libcrc32c (conntrack's) asks for it only by a softdep, which busybox's
# modprobe does not follow. vxlan and wireguard (with their udp_tunnel and crypto dependencies,
# found by add_module) for the tunnel kinds of network.links: the kernel test of wireguard's
# success path runs here, where Debian's kernel has it.
modules=${NSPLAN_VM_MODULES:-virtio_pci virtio_blk veth bridge stp llc macvlan ipvlan dummy 8021q garp mrp crc32c_generic nf_tables nft_chain_nat nft_nat nft_masq nft_fib nft_fib_ipv4 overlay vxlan wireguard}
qemu=${NSPLAN_VM_QEMU:-qemu-system-x86_64}
timeout_s=${NSPLAN_VM_TIMEOUT:-900}
accel=${NSPLAN_VM_ACCEL:-tcg,thread=single}
mem=${NSPLAN_VM_MEM:-1024}
smp=${NSPLAN_VM_SMP:-2}
shell_mode=${NSPLAN_VM_SHELL:-0}
# kmod-static-nodes needs kmod (busybox's modprobe loads the modules), binfmt_misc automounts are
# unsupported in an initramfs root; the rest has nothing to do in a VM of one boot without disks,
# logins or persistent state, and costs seconds under emulation (tests/vm/README.md). Names
# ending in -generator are generators.
systemd_mask=${NSPLAN_VM_SYSTEMD_MASK-kmod-static-nodes.service proc-sys-fs-binfmt_misc.automount
systemd-binfmt.service systemd-journal-flush.service systemd-update-utmp.service
systemd-random-seed.service sys-kernel-debug.mount sys-kernel-tracing.mount
systemd-cryptsetup-generator systemd-gpt-auto-generator systemd-hibernate-resume-generator
systemd-integritysetup-generator systemd-veritysetup-generator systemd-sysv-generator
systemd-rc-local-generator systemd-system-update-generator systemd-getty-generator}

if [ -n "${NSPLAN_VM_KERNEL:-}" ]; then
  kernel=$NSPLAN_VM_KERNEL
else
  kernel=""
  for k in $(printf '%s\n' /boot/vmlinuz-* | sort -V -r); do
    if [ -d "/lib/modules/${k#/boot/vmlinuz-}" ]; then
      kernel=$k
      break
    fi
  done
  [ -n "$kernel" ] || die "no /boot/vmlinuz-* with modules in /lib/modules (apt-get install linux-image-amd64)"
fi
kver=${NSPLAN_VM_KVER:-${kernel##*/vmlinuz-}}

for tool in "$qemu" cpio gzip modinfo ldd timeout truncate tr seq; do
  command -v "$tool" >/dev/null || die "missing tool: $tool"
done
[ -r "$kernel" ] || die "cannot read the kernel image $kernel"
[ -d "/lib/modules/$kver" ] || die "no /lib/modules/$kver for $kernel"
[ -x "$busybox" ] || die "no busybox at $busybox (apt-get install busybox-static)"
[ -x "$tests_bin" ] || die "no kernel test binary at $tests_bin (make nsplan_kernel_tests)"
[ -x "$nsplan_bin" ] || die "no nsplan binary at $nsplan_bin (make nsplan)"
tests_bin=$(readlink -f "$tests_bin")
nsplan_bin=$(readlink -f "$nsplan_bin")

work=$(mktemp -d "${TMPDIR:-/tmp}/nsplan-vm.XXXXXX")
qemu_job=""  # the background job running qemu, while it runs
# The pids of what this script started to run the guest (timeout, qemu, tee), each recorded by
# the process itself in $work/*.pid, and each only while its command line still names $work: the
# cleanup signals nothing it has not proven it started (a pid is reused once its process is gone).
started_pids() {
  local f pid cmd
  for f in "$work"/*.pid; do
    [ -r "$f" ] || continue
    pid=$(cat "$f" 2>/dev/null) || continue
    case $pid in '' | *[!0-9]*) continue ;; esac
    cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || continue
    case $cmd in *"$work/"*) echo "$pid" ;; esac
  done
}
# Runs "$@" after writing its pid to $work/$1.pid (sh execs the command, keeping the pid).
run_recorded() {
  local name=$1
  shift
  sh -c 'echo $$ >"$0" && exec "$@"' "$work/$name.pid" "$@"
}
cleanup() {
  # Killed while the guest runs: end qemu (timeout passes the signal on to it) and tee first.
  # Not found as the background job's children: a signal sent to the whole group (Ctrl-C, or
  # pkill -f run.sh) also ends that job's shell, and its children are init's by now.
  local pids
  pids=$(started_pids)
  if [ -n "$pids" ]; then
    # shellcheck disable=SC2086 # one pid per word
    kill -TERM $pids 2>/dev/null || true
    for _ in $(seq 20); do
      [ -n "$(started_pids)" ] || break
      sleep 0.5
    done
    pids=$(started_pids)
    # shellcheck disable=SC2086
    [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
  fi
  if [ -n "$qemu_job" ]; then
    wait "$qemu_job" 2>/dev/null || true
  fi
  if [ "${NSPLAN_VM_KEEP:-0}" = 1 ]; then
    echo "tests/vm/run.sh: kept $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
# bash runs the EXIT trap when a signal ends it only if that signal is trapped.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
root=$work/root
# The layout of a Debian 12 host: merged /usr, /var/run -> /run.
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,usr/local/bin,etc,proc,sys,dev,run,tmp,root,var,nsplan-vm}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
ln -s /run "$root/var/run"
ln -s /proc/self/mounts "$root/etc/mtab"

t_start=$(date +%s.%N)

# ---- files -------------------------------------------------------------------------------------

# copy SRC DEST: SRC (symlinks followed) to DEST inside the initramfs.
copy() {
  mkdir -p "$root$(dirname "$2")"
  cp -L "$1" "$root$2"
}

# Programs whose shared libraries are still to be copied.
programs=()

# copy_program SRC DEST: the program at DEST inside the initramfs (its libraries at the end).
copy_program() {
  copy "$1" "$2"
  programs+=("$1")
}

# copy_same_paths FILE...: each FILE (symlinks followed) at the same path inside the initramfs,
# in one cp call.
copy_same_paths() {
  [ $# -eq 0 ] || cp -L --parents -t "$root" "$@"
}

# Every shared library of the programs (the loader included), at the same paths as here, as ldd
# lists them. ldd is a script that runs the loader twice per file; for the ~250 programs the
# loader's own --list, on the dynamic ones only (one readelf call finds them), is much cheaper.
copy_libraries() {
  local lib loader=/lib64/ld-linux-x86-64.so.2 f
  local -a dynamic libs=()
  for lib in $(
    if command -v readelf >/dev/null && [ -x "$loader" ]; then
      mapfile -t dynamic < <(readelf -d "${programs[@]}" /dev/null 2>/dev/null |
        awk '/^File: / {f = $2} /\(NEEDED\)/ && f != "" {print f}' | sort -u)
      for f in "${dynamic[@]}"; do "$loader" --list "$f" 2>/dev/null || true; done
    else
      # A static program makes ldd say "not a dynamic executable": nothing to copy for it.
      ldd "${programs[@]}" 2>/dev/null || true
    fi | awk '$2 == "=>" && $3 ~ /^\// {print $3; next} $1 ~ /^\// && $1 !~ /:$/ {print $1}' | sort -u); do
    [ -e "$root$lib" ] || libs+=("$lib")
  done
  copy_same_paths "${libs[@]}"
}

# copy_package PKG: the programs of an installed Debian package ({/usr,}/{bin,sbin}/*) at their
# paths, symlinks as symlinks.
copy_package() {
  local f
  local -a files=()
  for f in $(dpkg-query -L "$1" 2>/dev/null | grep -E '^(/usr)?/s?bin/[^/]+$'); do
    [ -e "$f" ] || continue # a diverted or removed file
    [ ! -e "$root$f" ] || [ -L "$root$f" ] || continue
    if [ -L "$f" ]; then
      ln -sfn "$(readlink "$f")" "$root$f"
      f=$(readlink -f "$f")
      [ ! -e "$root$f" ] || continue
    fi
    if [ -f "$f" ] && [ -x "$f" ]; then files+=("$f"); fi
  done
  copy_same_paths "${files[@]}"
  programs+=("${files[@]}")
}

copy_program "$busybox" /bin/busybox
copy "$here/init" /init
copy "$here/suite" /nsplan-vm/suite
chmod 0755 "$root/init" "$root/nsplan-vm/suite"
copy_program "$tests_bin" "$tests_bin"
copy_program "$nsplan_bin" "$nsplan_bin"
ln -sf "$nsplan_bin" "$root/usr/local/bin/nsplan"
# Debug information is most of their size: without it the initramfs packs and unpacks several
# times faster (failure messages keep their file:line, which is compiled in).
if [ "${NSPLAN_VM_STRIP:-1}" = 1 ] && command -v strip >/dev/null; then
  for f in "$root$tests_bin" "$root$nsplan_bin"; do strip --strip-debug "$f" 2>/dev/null || true; done
fi
for f in $extra; do
  [ -e "$f" ] || die "NSPLAN_VM_EXTRA: no $f"
  f=$(readlink -f "$f")
  copy_program "$f" "$f"
done
# The host's userland, for the shell scripts of the tests: GNU coreutils, procps, util-linux,
# iproute2, dash as /bin/sh... busybox --install in init only fills the gaps. (busybox's own
# applets would not do: its ip has no "netns", its head no "-c 8M", and busybox sh runs its
# applets before PATH.)
shipped=""
if command -v dpkg-query >/dev/null; then
  for pkg in $packages; do
    if [ "$(dpkg-query -W -f '${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ]; then
      copy_package "$pkg"
      shipped="$shipped $pkg"
    fi
  done
fi
if [ -d /etc/iproute2 ]; then cp -r /etc/iproute2 "$root/etc/"; fi
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
if [ "$mode" = systemd ]; then
  command -v dpkg-query >/dev/null || die "the systemd boot ships the host's systemd package: no dpkg-query"
  [ -x /lib/systemd/systemd ] || die "no /lib/systemd/systemd (apt-get install systemd)"
  # shellcheck source=tests/vm/systemd.sh
  . "$here/systemd.sh"
  ship_systemd
fi
copy_libraries

# The source tree (profiles, schema, golden files...) at its path here, for tests that use
# NSPLAN_SOURCE_DIR: without .git and without build trees.
mkdir -p "$root$repo"
tar -C "$repo" --exclude-vcs --exclude-tag-all=CMakeCache.txt -cf - . | tar -C "$root$repo" -xf -

printf '127.0.0.1 localhost nsplan-vm\n::1 localhost\n' >"$root/etc/hosts"
# The files a profile's net.etc binds over must exist, as on any host.
printf 'nameserver 127.0.0.1\n' >"$root/etc/resolv.conf"
[ "$mode" = systemd ] || echo nsplan-vm >"$root/etc/hostname"

# Modules and their dependencies, at their paths, plus modules.dep* for modprobe.
declare -A seen_module=()
add_module() {
  local name=$1 path dep
  [ -z "${seen_module[$name]:-}" ] || return 0
  seen_module[$name]=1
  path=$(modinfo -k "$kver" -n "$name" 2>/dev/null) || die "module $name not found for $kver"
  [ -f "$path" ] || return 0 # built into the kernel
  copy "$path" "$path"
  for dep in $(modinfo -k "$kver" -F depends "$name" | tr ',' ' '); do
    add_module "$dep"
  done
}
: >"$root/nsplan-vm/modules"
for m in $modules; do
  add_module "$m"
  echo "$m" >>"$root/nsplan-vm/modules"
done
mkdir -p "$root/lib/modules/$kver"
cp /lib/modules/"$kver"/modules.* "$root/lib/modules/$kver/"

echo "$mode" >"$root/nsplan-vm/mode"
echo "$tests_bin" >"$root/nsplan-vm/tests"
: >"$root/nsplan-vm/args"
for a in "$@"; do printf '%s\n' "$a" >>"$root/nsplan-vm/args"; done
[ "$shell_mode" = 1 ] && : >"$root/nsplan-vm/shell"
# The guest's watchdog prints its tasks' states a minute before the host's timeout (init).
if [ "$shell_mode" != 1 ] && [ "$timeout_s" -gt 120 ]; then
  echo $((timeout_s - 60)) >"$root/nsplan-vm/deadline"
fi

(cd "$root" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$work/initrd.gz"
truncate -s 16M "$work/disk.img"
t_built=$(date +%s.%N)
echo "tests/vm/run.sh: $mode boot of $kernel; host packages:${shipped:- none}"
echo "tests/vm/run.sh: initramfs $(du -k "$work/initrd.gz" | cut -f1) KiB," \
  "built in $(awk -v a="$t_start" -v b="$t_built" 'BEGIN {printf "%.1f", b - a}') s"

# ---- boot --------------------------------------------------------------------------------------
append="console=ttyS0 quiet panic=-1 rdinit=/init"
# systemd: our target instead of default.target, and cgroup2 only (the default of Debian 12's
# systemd, said explicitly); if PID 1 crashes, a reboot, which ends qemu (-no-reboot) at once
# rather than at the timeout.
[ "$mode" != systemd ] ||
  append="$append systemd.unit=nsplan-vm.target systemd.unified_cgroup_hierarchy=1 systemd.crash_reboot=1"
qemu_args=(-machine pc -accel "$accel" -cpu max -m "$mem" -smp "$smp"
  -kernel "$kernel" -initrd "$work/initrd.gz"
  -append "$append ${NSPLAN_VM_APPEND:-}"
  -drive "file=$work/disk.img,if=virtio,format=raw"
  -nic none -nographic -no-reboot)
[ -z "${NSPLAN_VM_MONITOR:-}" ] || qemu_args+=(-monitor "unix:$NSPLAN_VM_MONITOR,server,nowait")
log=$work/serial.log
set +e
if [ "$shell_mode" = 1 ]; then
  "$qemu" "${qemu_args[@]}" | tee "$log"
  qemu_status=${PIPESTATUS[0]}
else
  # In the background, waited for: a trapped signal interrupts wait at once (not the pipeline).
  (
    run_recorded timeout timeout -k 10 "$timeout_s" "$qemu" "${qemu_args[@]}" \
      -pidfile "$work/qemu.pid" </dev/null | run_recorded tee tee "$log"
    echo "${PIPESTATUS[0]}" >"$work/qemu.status"
  ) &
  qemu_job=$!
  wait "$qemu_job"
  qemu_job=""
  qemu_status=$(cat "$work/qemu.status" 2>/dev/null || echo 125)
fi
set -e
t_end=$(date +%s.%N)
[ -z "${NSPLAN_VM_LOG:-}" ] || tr -d '\r' <"$log" >"$NSPLAN_VM_LOG"

elapsed=$(awk -v a="$t_start" -v b="$t_end" 'BEGIN {printf "%.1f", b - a}')
if [ "$qemu_status" = 124 ] || [ "$qemu_status" = 137 ]; then
  echo "tests/vm/run.sh: FAIL ($mode): the guest did not finish within $timeout_s s, killed" >&2
  exit 124
fi
result=$(tr -d '\r' <"$log" | grep -ao 'NSPLAN-VM-RESULT: [0-9]*' | tail -n 1 | cut -d' ' -f2 || true)
if [ -z "$result" ]; then
  echo "tests/vm/run.sh: FAIL ($mode): no NSPLAN-VM-RESULT line on the serial console" \
    "(qemu exited with $qemu_status)" >&2
  exit 125
fi
if [ "$qemu_status" != 0 ]; then
  echo "tests/vm/run.sh: FAIL ($mode): qemu exited with $qemu_status" >&2
  exit 125
fi
if [ "$result" != 0 ]; then
  echo "tests/vm/run.sh: FAIL ($mode): the kernel tests exited with $result inside the VM ($elapsed s)" >&2
  exit "$result"
fi
echo "tests/vm/run.sh: PASS ($mode) in $elapsed s"
