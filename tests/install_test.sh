#!/bin/sh
# `cmake --install` into a staging root (DESTDIR): exactly the expected files in their FHS places
# (binary, man pages, completions, the shipped profiles, the systemd units), with modes the
# profile search path accepts; the staged nsplan finds a staged profile by name; the staged units
# pass `systemd-analyze verify` (with the staged binary and man pages in place of the real ones).
# Usage: install_test.sh BUILD_DIR SOURCE_DIR. Nothing outside a temporary directory is written.
set -u
umask 022
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
failed() { echo "FAIL: $*"; fail=1; }

for file in "$build/man/nsplan.1" "$build/completions/nsplan"; do
  [ -s "$file" ] || { echo "FAIL: $file was not generated (cmake --build builds it)"; exit 1; }
done
stage=$tmp/stage
DESTDIR=$stage cmake --install "$build" --prefix /usr >"$tmp/log" 2>&1 || { cat "$tmp/log"; echo "FAIL: cmake --install"; exit 1; }

# --- the file list --------------------------------------------------------------------------
{
  echo usr/bin/nsplan
  echo usr/lib/systemd/system/nsplan.target
  echo usr/lib/systemd/system/nsplan@.service
  echo usr/share/bash-completion/completions/nsplan
  echo usr/share/fish/vendor_completions.d/nsplan.fish
  echo usr/share/man/man1/nsplan.1
  echo usr/share/man/man5/nsplan-profile.5
  for profile in "$src"/profiles/*.yaml; do echo "usr/share/nsplan/profiles/${profile##*/}"; done
  echo usr/share/zsh/vendor-completions/_nsplan
} | LC_ALL=C sort >"$tmp/expected"
(cd "$stage" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort) >"$tmp/installed"
if ! cmp -s "$tmp/expected" "$tmp/installed"; then
  failed "the installed files are not the expected ones (- expected, + installed):"
  diff -u "$tmp/expected" "$tmp/installed" | tail -n +3
fi
grep -qx "usr/share/nsplan/profiles/firefox.yaml" "$tmp/installed" || failed "firefox.yaml is not among the shipped profiles"

# --- modes: the binary runs; nothing is writable by group or others (the search path refuses that)
[ -x "$stage/usr/bin/nsplan" ] || failed "usr/bin/nsplan is not executable"
writable=$(find "$stage" -perm /022 | sed "s|^$stage/||")
[ -z "$writable" ] || failed "writable by group or others: $writable"
cmp -s "$src/profiles/firefox.yaml" "$stage/usr/share/nsplan/profiles/firefox.yaml" || failed "firefox.yaml installed changed"

# --- the unit names the installed binary, by the prefix given to the install -----------------
unit=$stage/usr/lib/systemd/system/nsplan@.service
grep -qx 'ExecStart=/usr/bin/nsplan apply --wait %i' "$unit" || { failed "ExecStart of the installed unit"; grep Exec "$unit"; }
grep -q '@NSPLAN' "$unit" && failed "a @VARIABLE@ left in the installed unit"
DESTDIR=$tmp/other cmake --install "$build" --prefix /opt/nsplan >"$tmp/log" 2>&1 || { cat "$tmp/log"; failed "cmake --install --prefix /opt/nsplan"; }
grep -qx 'ExecStart=/opt/nsplan/bin/nsplan apply --wait %i' "$tmp/other/opt/nsplan/lib/systemd/system/nsplan@.service" ||
  failed "the unit does not follow --prefix"

# --- the staged nsplan finds the staged firefox profile by name ------------------------------
"$stage/usr/bin/nsplan" explain firefox --cgroup v2 --profile-path "$stage/usr/share/nsplan/profiles" >"$tmp/out" 2>"$tmp/err" ||
  { failed "staged nsplan explain firefox"; cat "$tmp/err"; }
grep -q "^# $stage/usr/share/nsplan/profiles/firefox.yaml:[0-9]*:[0-9]*: memory max 3G$" "$tmp/out" || { failed "firefox found by name"; head -20 "$tmp/out"; }

# --- systemd-analyze verify: the units as installed, with the staged binary and man pages -----
if command -v systemd-analyze >/dev/null; then
  units=$tmp/units
  mkdir -p "$units" "$tmp/man/man1" "$tmp/man/man5"
  cp "$stage/usr/share/man/man1/nsplan.1" "$tmp/man/man1/"
  cp "$stage/usr/share/man/man5/nsplan-profile.5" "$tmp/man/man5/"
  sed "s|/usr/bin/nsplan|$stage/usr/bin/nsplan|g" "$unit" >"$units/nsplan@.service"
  cp "$stage/usr/lib/systemd/system/nsplan.target" "$units/"
  for name in nsplan@firefox.service nsplan.target; do
    MANPATH=$tmp/man systemd-analyze verify "$units/$name" >"$tmp/verify" 2>&1 || failed "systemd-analyze verify $name"
    [ -s "$tmp/verify" ] && { failed "systemd-analyze verify $name has something to say:"; cat "$tmp/verify"; }
  done
  # The check can fail: a unit naming a program that is not there is refused.
  sed "s|$stage/usr/bin/nsplan|$tmp/absent/nsplan|" "$units/nsplan@.service" >"$units/broken@.service"
  MANPATH=$tmp/man systemd-analyze verify "$units/broken@firefox.service" >"$tmp/verify" 2>&1 &&
    failed "systemd-analyze verify accepted a unit whose ExecStart is not there"
  grep -q "is not executable" "$tmp/verify" || { failed "verify of a broken unit: no word of the missing program"; cat "$tmp/verify"; }
elif [ "${CI:-}" = true ]; then
  failed "systemd-analyze is not installed (sh .ci/install-deps installs systemd)"
else
  [ $fail = 0 ] && { echo "SKIP: systemd-analyze is not installed: the units were not verified (the rest passed)"; exit 77; }
fi
exit $fail
