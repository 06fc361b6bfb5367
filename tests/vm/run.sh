#!/bin/bash
# Runs nsplan's kernel test suite inside a Debian kernel under qemu (software emulation), as a
# pure cgroup v2 machine or a pure cgroup v1 machine. See tests/vm/README.md.
#
#   tests/vm/run.sh v1|v2 [arguments for the test binary, e.g. --gtest_filter=Netlink.*]
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
#   NSPLAN_VM_IP         iproute2's ip ("" to leave out)  [command -v ip]
#   NSPLAN_VM_SH         /bin/sh of the VM ("" for busybox sh) [command -v dash]
#   NSPLAN_VM_TOOLS      more host tools to ship (those found) [bridge nsenter unshare setpriv
#                        mount umount findmnt mountpoint]
#   NSPLAN_VM_MODULES    modules to load                  [virtio_pci virtio_blk veth bridge ...]
#   NSPLAN_VM_QEMU       qemu binary                      [qemu-system-x86_64]
#   NSPLAN_VM_TIMEOUT    seconds before the guest is killed [600]
#   NSPLAN_VM_MEM        guest RAM in MiB                 [1024]
#   NSPLAN_VM_SMP        guest CPUs                       [2]
#   NSPLAN_VM_LOG        also keep the serial output in this file
#   NSPLAN_VM_KEEP=1     keep the work directory (initramfs tree, disk image, log)
#   NSPLAN_VM_SHELL=1    after the tests, an interactive shell on the console (no timeout); the
#                        VM powers off when the shell exits
set -euo pipefail

usage() {
  echo "usage: $0 v1|v2 [arguments for the kernel test binary]" >&2
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
v1 | v2) ;;
*) usage ;;
esac

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${NSPLAN_VM_BUILD_DIR:-$repo/build}
tests_bin=${NSPLAN_VM_TESTS:-$build/tests/nsplan_kernel_tests}
nsplan_bin=${NSPLAN_VM_NSPLAN:-$build/nsplan}
busybox=${NSPLAN_VM_BUSYBOX:-/bin/busybox}
ip_bin=${NSPLAN_VM_IP-$(command -v ip || true)}
dash_bin=${NSPLAN_VM_SH-$(command -v dash || true)}
tools=${NSPLAN_VM_TOOLS-bridge nsenter unshare setpriv mount umount findmnt mountpoint}
modules=${NSPLAN_VM_MODULES:-virtio_pci virtio_blk veth bridge stp llc macvlan ipvlan dummy 8021q garp mrp}
qemu=${NSPLAN_VM_QEMU:-qemu-system-x86_64}
timeout_s=${NSPLAN_VM_TIMEOUT:-600}
mem=${NSPLAN_VM_MEM:-1024}
smp=${NSPLAN_VM_SMP:-2}
shell_mode=${NSPLAN_VM_SHELL:-0}

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

for tool in "$qemu" cpio gzip modinfo ldd timeout; do
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
cleanup() {
  if [ "${NSPLAN_VM_KEEP:-0}" = 1 ]; then
    echo "tests/vm/run.sh: kept $work" >&2
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
root=$work/root
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,usr/local/bin,usr/local/sbin,etc,proc,sys,dev,run,tmp,root,var,nsplan-vm}
ln -s /run "$root/var/run"

t_start=$(date +%s.%N)

# ---- files -------------------------------------------------------------------------------------

# copy SRC DEST: SRC (symlinks followed) to DEST inside the initramfs.
copy() {
  mkdir -p "$root$(dirname "$2")"
  cp -L "$1" "$root$2"
}

# copy_binary SRC DEST: the binary and every shared library ldd lists (loader included), at the
# same paths as here.
copy_binary() {
  copy "$1" "$2"
  local lib
  # A static binary makes ldd fail ("not a dynamic executable"): nothing to copy then.
  for lib in $( (ldd "$1" 2>/dev/null || true) |
    awk '$2 == "=>" && $3 ~ /^\// {print $3; next} $1 ~ /^\// {print $1}'); do
    [ -e "$root$lib" ] || copy "$lib" "$lib"
  done
}

copy_binary "$busybox" /bin/busybox
copy "$here/init" /init
chmod 0755 "$root/init"
copy_binary "$tests_bin" "$tests_bin"
copy_binary "$nsplan_bin" "$nsplan_bin"
ln -sf "$nsplan_bin" "$root/usr/local/bin/nsplan"
if [ -n "$dash_bin" ]; then
  copy_binary "$dash_bin" /bin/dash
fi
# The real tools, in /usr/local/sbin: busybox has applets of these names too (an ip applet
# without "ip netns"); init points every path of those names at these.
if [ -n "$ip_bin" ]; then
  copy_binary "$ip_bin" /usr/local/sbin/ip
  if [ -d /etc/iproute2 ]; then cp -r /etc/iproute2 "$root/etc/"; fi
fi
for t in $tools; do
  if p=$(command -v "$t"); then copy_binary "$p" "/usr/local/sbin/$t"; fi
done

# The source tree (profiles, schema, golden files...) at its path here, for tests that use
# NSPLAN_SOURCE_DIR: without .git and without build trees.
mkdir -p "$root$repo"
tar -C "$repo" --exclude-vcs --exclude-tag-all=CMakeCache.txt -cf - . | tar -C "$root$repo" -xf -

printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
printf '127.0.0.1 localhost nsplan-vm\n::1 localhost\n' >"$root/etc/hosts"

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

(cd "$root" && find . -print0 | cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$work/initrd.gz"
truncate -s 16M "$work/disk.img"
t_built=$(date +%s.%N)
echo "tests/vm/run.sh: $mode boot of $kernel; initramfs $(du -k "$work/initrd.gz" | cut -f1) KiB," \
  "built in $(awk -v a="$t_start" -v b="$t_built" 'BEGIN {printf "%.1f", b - a}') s"

# ---- boot --------------------------------------------------------------------------------------
qemu_args=(-machine pc -cpu max -m "$mem" -smp "$smp"
  -kernel "$kernel" -initrd "$work/initrd.gz"
  -append "console=ttyS0 quiet panic=-1 rdinit=/init"
  -drive "file=$work/disk.img,if=virtio,format=raw"
  -nic none -nographic -no-reboot)
log=$work/serial.log
set +e
if [ "$shell_mode" = 1 ]; then
  "$qemu" "${qemu_args[@]}" | tee "$log"
  qemu_status=${PIPESTATUS[0]}
else
  timeout -k 10 "$timeout_s" "$qemu" "${qemu_args[@]}" </dev/null | tee "$log"
  qemu_status=${PIPESTATUS[0]}
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
