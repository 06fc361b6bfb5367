#!/bin/sh
# nsplan import cgconfig as a user meets it: the man page's examples printed and written to a
# directory, each profile explained for cgroup v1 (mkdir, echo), exit statuses (1 syntax error
# or --strict, 2 existing files without --force), no overwrite without --force, a symbolic link
# planted under a profile's name replaced and its target untouched, nothing written on an error.
set -u
nsplan=$1
src=$2
cd "$src" || exit 1
. "$src/tests/expect.sh"
ex=tests/cgconfig

expect 0 "import example 5 to stdout" -- "$nsplan" import cgconfig $ex/example5.conf
[ "$(grep -c '^---$' "$tmp/out")" = 2 ] || { echo "FAIL: three profiles separated by ---"; cat "$tmp/out"; fail=1; }
grep -q "^# Imported by nsplan import cgconfig from $ex/example5.conf:12 (group daemons/www)\.$" "$tmp/out" ||
  { echo "FAIL: header comment names file:line"; fail=1; }

mkdir "$tmp/p"
expect 0 "import example 5 to a directory" -- "$nsplan" import cgconfig $ex/example5.conf -o "$tmp/p"
[ "$(ls "$tmp/p" | tr '\n' ' ')" = "daemons-ftp.yaml daemons-www.yaml daemons.yaml " ] ||
  { echo "FAIL: one file per group"; ls "$tmp/p"; fail=1; }
grep -q "^wrote $tmp/p/daemons-www.yaml$" "$tmp/out" || { echo "FAIL: wrote lines"; cat "$tmp/out"; fail=1; }
expect 0 "the imported profile explains" -- "$nsplan" explain "$tmp/p/daemons-www.yaml" --cgroup v1 --cgroup-root /sys/fs/cgroup
grep -q "^mkdir -p '/sys/fs/cgroup/cpu/daemons/www'$" "$tmp/out" || { echo "FAIL: mkdir of daemons/www"; cat "$tmp/out"; fail=1; }
grep -q "^echo '1000' > '/sys/fs/cgroup/cpu/daemons/www/cpu.shares'$" "$tmp/out" || { echo "FAIL: cpu.shares"; fail=1; }
expect 0 "nsplan fmt leaves the profiles as they are" -- "$nsplan" fmt --check "$tmp"/p/*.yaml

# perm becomes cgroup.permissions, which explain shows as chown and chmod (example 3).
mkdir "$tmp/perm"
expect 0 "import example 3" -- "$nsplan" import cgconfig $ex/example3.conf -o "$tmp/perm"
expect 0 "its profile explains" -- "$nsplan" explain "$tmp/perm/daemons-www.yaml" --cgroup v1 --cgroup-root /sys/fs/cgroup --no-run
grep -q "^chown root:webmaster '/sys/fs/cgroup/cpu/daemons/www/tasks' '/sys/fs/cgroup/cpu/daemons/www/cgroup.procs'$" "$tmp/out" ||
  { echo "FAIL: tasks owner"; cat "$tmp/out"; fail=1; }
grep -q "^chmod 0775 '/sys/fs/cgroup/cpu/daemons/www'$" "$tmp/out" || { echo "FAIL: admin dir_mode"; fail=1; }

cp "$tmp/p/daemons.yaml" "$tmp/daemons.before"
expect 2 "existing files are refused" -- "$nsplan" import cgconfig $ex/example5.conf -o "$tmp/p"
grep -q "daemons.yaml exists" "$tmp/err" || { echo "FAIL: says which file exists"; cat "$tmp/err"; fail=1; }
grep -q "hint: --force replaces it" "$tmp/err" || { echo "FAIL: hint names --force"; fail=1; }

# A link planted under a profile's name: refused without --force; with it, replaced, and the
# file it points to is left as it was.
rm "$tmp/p/daemons-ftp.yaml"
echo "precious" > "$tmp/precious"
ln -s "$tmp/precious" "$tmp/p/daemons-ftp.yaml"
echo "changed by hand" > "$tmp/p/daemons.yaml"
expect 2 "a planted link is refused without --force" -- "$nsplan" import cgconfig $ex/example5.conf -o "$tmp/p"
grep -q "changed by hand" "$tmp/p/daemons.yaml" || { echo "FAIL: nothing written when one file is refused"; fail=1; }
expect 0 "--force replaces" -- "$nsplan" import cgconfig $ex/example5.conf -o "$tmp/p" --force
[ "$(cat "$tmp/precious")" = precious ] || { echo "FAIL: the link's target was written"; fail=1; }
[ -L "$tmp/p/daemons-ftp.yaml" ] && { echo "FAIL: the link is still there"; fail=1; }
cmp -s "$tmp/p/daemons.yaml" "$tmp/daemons.before" || { echo "FAIL: --force gives the profile back"; fail=1; }
[ "$(stat -c %a "$tmp/p/daemons.yaml")" = 600 ] || { echo "FAIL: mode 0600"; fail=1; }

expect 2 "the directory must exist" -- "$nsplan" import cgconfig $ex/example5.conf -o "$tmp/nowhere"
expect 2 "only cgconfig is known" -- "$nsplan" import systemd $ex/example5.conf

# Warnings (the template of example 7), and --strict.
expect 0 "a template warns" -- "$nsplan" import cgconfig $ex/example7.conf
grep -q "^$ex/example7.conf:16:1: warning: template 'students/%u' is not imported" "$tmp/err" ||
  { echo "FAIL: located template warning"; cat "$tmp/err"; fail=1; }
mkdir "$tmp/strict"
expect 1 "--strict refuses it" -- "$nsplan" import cgconfig $ex/example7.conf --strict -o "$tmp/strict"
grep -q "^$ex/example7.conf:16:1: error: template" "$tmp/err" || { echo "FAIL: --strict makes it an error"; fail=1; }
[ -z "$(ls "$tmp/strict")" ] || { echo "FAIL: --strict wrote files"; fail=1; }
[ -s "$tmp/out" ] && { echo "FAIL: --strict printed something"; fail=1; }
expect 0 "-q keeps warnings quiet" -- "$nsplan" -q import cgconfig $ex/example7.conf
[ -s "$tmp/err" ] && { echo "FAIL: -q prints no warning"; cat "$tmp/err"; fail=1; }

# Errors: a syntax error is located; a value nsplan refuses is found in the profile made.
printf 'group g {\n cpu {\n  cpu.shares = 100\n }\n}\n' > "$tmp/broken.conf"
expect 1 "a syntax error" -- "$nsplan" import cgconfig "$tmp/broken.conf"
grep -q "broken.conf:4:2: error: expected ';' after the value of 'cpu.shares', found '}'" "$tmp/err" ||
  { echo "FAIL: located syntax error"; cat "$tmp/err"; fail=1; }
printf 'group g {\n cpu {\n  cpu.shares = 1;\n }\n}\n' > "$tmp/range.conf"
expect 1 "a value nsplan refuses" -- "$nsplan" import cgconfig "$tmp/range.conf"
grep -q "in the profile made of group g (.*range.conf:1:7)" "$tmp/err" || { echo "FAIL: names the group"; cat "$tmp/err"; fail=1; }
expect 1 "a missing file" -- "$nsplan" import cgconfig "$tmp/none.conf"
expect 1 "a directory is not a cgconfig.conf" -- "$nsplan" import cgconfig "$tmp"

expect 0 "a file of mount sections only" -- "$nsplan" import cgconfig $ex/example1.conf
[ -s "$tmp/out" ] && { echo "FAIL: no profile printed"; fail=1; }
grep -q "example1.conf has no group nsplan imports: no profile made" "$tmp/err" || { echo "FAIL: says nothing was made"; fail=1; }

# The same file twice gives the same bytes.
"$nsplan" import cgconfig $ex/example3.conf > "$tmp/a" 2>/dev/null
"$nsplan" import cgconfig $ex/example3.conf > "$tmp/b" 2>/dev/null
cmp -s "$tmp/a" "$tmp/b" || { echo "FAIL: import is not deterministic"; fail=1; }

[ $fail = 0 ] && echo "import: all checks passed"
exit $fail
