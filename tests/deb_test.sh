#!/bin/sh
# The Debian package (cpack -G DEB) of this build: it installs with dpkg, /usr/bin/nsplan explains
# the shipped firefox profile found by name on the search path, systemd-analyze accepts the
# installed units, and dpkg -r removes it all: no file or directory of it remains.
# Usage: deb_test.sh BUILD_DIR. As root with dpkg only; otherwise it skips (77), and fails under
# CI=true. The package is never left installed: a trap purges it on every path out. Where an
# nsplan is already installed (the package, or any file the package would replace) it does not
# run at all: removing the test's package would remove that one.
set -u
umask 022
build=$1
skip() {
  if [ "${CI:-}" = true ]; then echo "FAIL: $*"; exit 1; fi
  echo "SKIP: $*"; exit 77
}
[ "$(id -u)" = 0 ] || skip "not root: dpkg -i needs root"
for tool in dpkg dpkg-deb dpkg-query cpack; do command -v $tool >/dev/null || skip "$tool is not installed"; done
[ -s "$build/man/nsplan.1" ] || { echo "FAIL: the man pages were not generated (cmake --build builds them)"; exit 1; }
tmp=$(mktemp -d)
installed=no
cleanup() {
  if [ $installed = yes ]; then
    dpkg --purge nsplan >"$tmp/purge" 2>&1 || { echo "FAIL: dpkg --purge nsplan while cleaning up:"; cat "$tmp/purge"; }
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
fail=0
failed() { echo "FAIL: $*"; fail=1; }

# --- the package --------------------------------------------------------------------------------
cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/pkg" >"$tmp/cpack" 2>&1 || { cat "$tmp/cpack"; echo "FAIL: cpack -G DEB"; exit 1; }
set -- "$tmp"/pkg/*.deb
[ $# = 1 ] && [ -f "$1" ] || { echo "FAIL: cpack made no single .deb: $*"; exit 1; }
deb=$1
[ "$(dpkg-deb -f "$deb" Package)" = nsplan ] || failed "Package: is not nsplan"
dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$tmp/contents"
grep -qx /usr/bin/nsplan "$tmp/contents" || failed "the package has no /usr/bin/nsplan"
grep -qx /usr/share/nsplan/profiles/firefox.yaml "$tmp/contents" || failed "the package has no shipped firefox.yaml"
grep -qx /usr/lib/systemd/system/nsplan@.service "$tmp/contents" || failed "the package has no nsplan@.service"

# --- nothing of this machine's may be replaced, or removed afterwards ------------------------------
if dpkg-query -W -f='${Status}\n' nsplan 2>/dev/null | grep -qv "not-installed"; then
  skip "a package nsplan is installed here ($(dpkg-query -W -f='${Version} ${Status}' nsplan)): not replacing it"
fi
while read -r path; do
  case $path in */) continue ;; esac
  [ -e "$path" ] || [ -L "$path" ] && skip "$path exists already: the test's package would replace it"
done <"$tmp/contents"
for shadow in /etc/nsplan/firefox.yaml /usr/local/share/nsplan/profiles/firefox.yaml; do
  [ -e "$shadow" ] && skip "$shadow comes first on the search path: the shipped firefox profile would not be the one found"
done

# --- installed ------------------------------------------------------------------------------------
installed=yes
dpkg -i "$deb" >"$tmp/dpkg" 2>&1 || { cat "$tmp/dpkg"; echo "FAIL: dpkg -i"; exit 1; }
dpkg -L nsplan >"$tmp/listed" 2>&1 || failed "dpkg -L nsplan"
grep -qx /usr/share/nsplan/profiles/firefox.yaml "$tmp/listed" || failed "dpkg -L lists no firefox.yaml"
/usr/bin/nsplan explain firefox --cgroup v2 >"$tmp/out" 2>"$tmp/err" || { failed "/usr/bin/nsplan explain firefox --cgroup v2"; cat "$tmp/err"; }
grep -q "^# /usr/share/nsplan/profiles/firefox.yaml:[0-9]*:[0-9]*: memory max 3G$" "$tmp/out" ||
  { failed "firefox was not found by name in /usr/share/nsplan/profiles"; head -20 "$tmp/out"; }
grep -qx "echo '3221225472' > '/sys/fs/cgroup/memlimit/memory.max'" "$tmp/out" || failed "the v2 memory.max line"
/usr/bin/nsplan --version >/dev/null || failed "/usr/bin/nsplan --version"
if command -v systemd-analyze >/dev/null; then
  systemd-analyze verify /usr/lib/systemd/system/nsplan@firefox.service /usr/lib/systemd/system/nsplan.target >"$tmp/verify" 2>&1 ||
    { failed "systemd-analyze verify of the installed units"; cat "$tmp/verify"; }
fi

# --- removed: nothing of it remains ------------------------------------------------------------------
dpkg -r nsplan >"$tmp/dpkg" 2>&1 || { cat "$tmp/dpkg"; failed "dpkg -r nsplan"; }
if dpkg -L nsplan >/dev/null 2>&1; then failed "dpkg -L nsplan still lists files after dpkg -r"; else installed=no; fi
dpkg-query -W -f='${Status}\n' nsplan 2>/dev/null | grep -qv "not-installed" && { failed "dpkg still knows nsplan: $(dpkg-query -W -f='${Status}' nsplan)"; installed=yes; }
while read -r path; do
  [ "$path" = /. ] && continue
  case $path in
    */nsplan* | */nsplan*/* | */_nsplan) [ -e "$path" ] && failed "$path remains after dpkg -r" ;;
  esac
done <"$tmp/listed"
exit $fail
