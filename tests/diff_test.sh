#!/bin/sh
# nsplan diff and the git diff driver, in a real git repository: `nsplan diff OLD NEW` (files and
# git:REV:PATH) prints the change as kernel operations and exits as diff(1) does; explain and plan
# --no-locations do not change when an edit leaves the plan as it is; `git diff` and `git log -p`
# with the documented textconv show the kernel-level change. Arguments: NSPLAN SOURCE_DIR.
set -u
nsplan=$1
src=$2
command -v git > /dev/null || { echo "diff: git is not installed"; exit 77; }
. "$src/tests/expect.sh"
has() {  # has FILE LINE: FILE holds exactly this line
  grep -qxF -- "$2" "$1" || { echo "FAIL: no line '$2' in:"; cat "$1"; fail=1; }
}

repo=$tmp/repo
mkdir "$repo"
cd "$repo" || exit 1
export GIT_CONFIG_NOSYSTEM=1 HOME="$tmp" GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.org \
  GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.org
git init -q . || exit 1
cat > fx.yaml <<'YAML'
nsplan: 1
name: fx
cgroup:
  memory:
    max: 3G
    soft: 1G
run:
  command: [firefox]
YAML
# The same plan: a comment line more, the keys of memory in another order.
cat > fx-same.yaml <<'YAML'
nsplan: 1
# Firefox, kept small
name: fx
cgroup:
  memory:
    soft: 1G
    max: 3G
run:
  command: [firefox]
YAML

# ---- explain / plan --no-locations ----
for mode in v1 v2; do
  "$nsplan" explain fx.yaml --cgroup $mode --no-locations > "$tmp/a" || fail=1
  "$nsplan" explain fx-same.yaml --cgroup $mode --no-locations | sed 's/fx-same\.yaml/fx.yaml/' > "$tmp/b"
  cmp -s "$tmp/a" "$tmp/b" || { echo "FAIL: explain --no-locations ($mode) changes with a comment line"; diff "$tmp/a" "$tmp/b"; fail=1; }
  grep -q 'fx\.yaml:[0-9]' "$tmp/a" && { echo "FAIL: explain --no-locations names a line"; fail=1; }
  "$nsplan" explain fx.yaml --cgroup $mode > "$tmp/c"
  # Located, the script differs only in the locations.
  sed 's/^# fx\.yaml:[0-9]*:[0-9]*: /# /' "$tmp/c" | cmp -s - "$tmp/a" || { echo "FAIL: --no-locations changes more than locations ($mode)"; fail=1; }
done
has "$tmp/a" "# memory max 3G"
"$nsplan" plan fx.yaml --cgroup v2 --no-locations > "$tmp/a"
"$nsplan" plan fx-same.yaml --cgroup v2 --no-locations > "$tmp/b"
cmp -s "$tmp/a" "$tmp/b" || { echo "FAIL: plan --no-locations changes with a comment line"; fail=1; }
expect 2 "plan --json --no-locations" -- "$nsplan" plan fx.yaml --cgroup v2 --json --no-locations

# ---- nsplan diff FILE FILE ----
expect 0 "diff of the same plan" -- "$nsplan" diff fx.yaml fx-same.yaml --cgroup v2
[ -s "$tmp/out" ] && { echo "FAIL: diff of the same plan prints something"; fail=1; }
sed 's/max: 3G/max: 4G/' fx.yaml > fx-4g.yaml
expect 1 "diff of a changed limit" -- "$nsplan" diff fx.yaml fx-4g.yaml --cgroup v2
has "$tmp/out" "~ /sys/fs/cgroup/nsplan/fx/memory.max: 3221225472 -> 4294967296  (fx-4g.yaml:5:10)"
[ "$(wc -l < "$tmp/out")" = 1 ] || { echo "FAIL: one line for one value"; cat "$tmp/out"; fail=1; }
expect 1 "diff on v1" -- "$nsplan" diff fx.yaml fx-4g.yaml --cgroup v1
has "$tmp/out" "~ /sys/fs/cgroup/memory/nsplan/fx/memory.limit_in_bytes: 3221225472 -> 4294967296  (fx-4g.yaml:5:10)"
grep -v soft fx.yaml > fx-nosoft.yaml
expect 1 "diff of a removed key" -- "$nsplan" diff fx.yaml fx-nosoft.yaml --cgroup v2
has "$tmp/out" "- /sys/fs/cgroup/nsplan/fx/memory.low = 1073741824  (fx.yaml:6:11)"
expect 1 "diff the other way" -- "$nsplan" diff fx-nosoft.yaml fx.yaml --cgroup v2
has "$tmp/out" "+ /sys/fs/cgroup/nsplan/fx/memory.low = 1073741824  (fx.yaml:6:11)"
expect 2 "an invalid profile is trouble (2), not a difference" -- "$nsplan" diff fx.yaml "$src/tests/diagnostics/values.yaml" --cgroup v2
grep -q "values.yaml:6:10: error: bad unit" "$tmp/err" || { echo "FAIL: located error"; cat "$tmp/err"; fail=1; }
expect 2 "a missing file" -- "$nsplan" diff fx.yaml nope.yaml --cgroup v2
expect 2 "one profile" -- "$nsplan" diff fx.yaml --cgroup v2
expect 2 "--textconv takes one" -- "$nsplan" diff --textconv fx.yaml fx-4g.yaml --cgroup v2

# ---- git:REV:PATH ----
git add fx.yaml && git commit -qm one || exit 1
cp fx-4g.yaml fx.yaml
git commit -qam two || exit 1
expect 1 "diff git:HEAD~1 git:HEAD" -- "$nsplan" diff git:HEAD~1:fx.yaml git:HEAD:fx.yaml --cgroup v2
has "$tmp/out" "~ /sys/fs/cgroup/nsplan/fx/memory.max: 3221225472 -> 4294967296  (git:HEAD:fx.yaml:5:10)"
expect 0 "diff git:HEAD and the working file" -- "$nsplan" diff git:HEAD:fx.yaml fx.yaml --cgroup v2
# Includes come from the same revision.
printf 'cgroup:\n  pids:\n    max: 10\n' > pids.yaml
printf 'nsplan: 1\nname: inc\ninclude: [pids.yaml]\n' > inc.yaml
git add pids.yaml inc.yaml && git commit -qm inc || exit 1
printf 'cgroup:\n  pids:\n    max: 20\n' > pids.yaml
git commit -qam inc2 || exit 1
expect 1 "an include at each revision" -- "$nsplan" diff git:HEAD~1:inc.yaml git:HEAD:inc.yaml --cgroup v2
has "$tmp/out" "~ /sys/fs/cgroup/nsplan/inc/pids.max: 10 -> 20  (git:HEAD:pids.yaml:3:10)"
# Hostile arguments: never an option of git, never a shell, nothing outside the repository.
expect 2 "a revision that is an option" -- "$nsplan" diff git:--output=$tmp/pwned:fx.yaml fx.yaml --cgroup v2
grep -q "a revision does not start with '-'" "$tmp/err" || { echo "FAIL: option-like revision message"; cat "$tmp/err"; fail=1; }
expect 2 "shell metacharacters" -- "$nsplan" diff "git:HEAD;touch $tmp/pwned;:fx.yaml" fx.yaml --cgroup v2
expect 2 "command substitution" -- "$nsplan" diff 'git:$(touch pwned):fx.yaml' fx.yaml --cgroup v2
[ -e "$tmp/pwned" ] || [ -e pwned ] && { echo "FAIL: an argument ran a command"; fail=1; }
expect 2 "a path out of the repository" -- "$nsplan" diff git:HEAD:../../../etc/passwd fx.yaml --cgroup v2
expect 2 "no such path" -- "$nsplan" diff git:HEAD:nope.yaml fx.yaml --cgroup v2
grep -q "git:HEAD:nope.yaml" "$tmp/err" || { echo "FAIL: the error names the blob"; cat "$tmp/err"; fail=1; }
expect 2 "not git:REV:PATH" -- "$nsplan" diff git:HEAD fx.yaml --cgroup v2
head -c 2000000 /dev/zero | tr '\0' '#' > big.yaml
git add big.yaml && git commit -qm big || exit 1
expect 2 "a blob over the size limit" -- "$nsplan" diff git:HEAD:big.yaml fx.yaml --cgroup v2
grep -q "larger than 1024 KiB" "$tmp/err" || { echo "FAIL: size limit message"; cat "$tmp/err"; fail=1; }

# ---- the git diff driver (docs/cli.md) ----
echo '*.yaml diff=nsplan' > .gitattributes
git config diff.nsplan.textconv "'$nsplan' diff --cgroup v2 --textconv"
git add .gitattributes && git commit -qm attributes || exit 1
sed 's/max: 4G/max: 5G/' fx.yaml > fx.new && mv fx.new fx.yaml
git diff fx.yaml > "$tmp/gitdiff" || fail=1
has "$tmp/gitdiff" "-/sys/fs/cgroup/nsplan/fx/memory.max = 4294967296"
has "$tmp/gitdiff" "+/sys/fs/cgroup/nsplan/fx/memory.max = 5368709120"
grep -q '^[-+]/sys/fs/cgroup/nsplan/fx/memory.low' "$tmp/gitdiff" && { echo "FAIL: git diff shows an unchanged value"; fail=1; }
git commit -qam five || exit 1
git log -p -1 > "$tmp/log"
has "$tmp/log" "+/sys/fs/cgroup/nsplan/fx/memory.max = 5368709120"
# An edit that does not change the plan: no hunk.
{ echo '# reviewed'; cat fx.yaml; } > fx.new && mv fx.new fx.yaml
git diff fx.yaml > "$tmp/gitdiff"
grep -q '^@@' "$tmp/gitdiff" && { echo "FAIL: a comment line makes a hunk"; cat "$tmp/gitdiff"; fail=1; }
# A profile that does not compile still diffs: its errors are the text.
echo 'bogus: [' >> fx.yaml
git diff fx.yaml > "$tmp/gitdiff" 2>&1 || { echo "FAIL: git diff fails on an invalid profile"; cat "$tmp/gitdiff"; fail=1; }
grep -q '^+# the profile does not compile:' "$tmp/gitdiff" || { echo "FAIL: the invalid profile's errors"; cat "$tmp/gitdiff"; fail=1; }
git checkout -q fx.yaml

[ $fail = 0 ] && echo "diff: all checks passed"
exit $fail
