#!/bin/sh
# The generated man pages and shell completions (docs/cli.md, "Man pages and completions"):
# both pages render without a troff warning and describe exactly the command line and the
# profile format of this nsplan; the completion scripts parse in their shells, and bash's and
# fish's offer each command's own options, option values and profiles.
# Usage: man_completion_test.sh NSPLAN BUILD_DIR. With CI=true a missing tool fails the test
# instead of skipping it (exit 77).
set -u
nsplan=$1
build=$2
man1=$build/man/nsplan.1
man5=$build/man/nsplan-profile.5
completions=$build/completions
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
failed() { echo "FAIL: $*"; fail=1; }

for tool in man groff bash zsh fish; do
  if ! command -v "$tool" >/dev/null; then
    if [ "${CI:-}" = true ]; then echo "FAIL: $tool is not installed (sh .ci/install-deps)"; exit 1; fi
    echo "SKIP: $tool is not installed (sh .ci/install-deps)"; exit 77
  fi
done
for file in "$man1" "$man5" "$completions/nsplan" "$completions/_nsplan" "$completions/nsplan.fish"; do
  [ -s "$file" ] || { echo "FAIL: $file was not generated (cmake --build builds it)"; exit 1; }
done

# --- the pages render, and without warnings --------------------------------------------------
for page in "$man1" "$man5"; do
  MANWIDTH=80 man -l "$page" >"$tmp/rendered" 2>"$tmp/err" || failed "man -l $page"
  [ -s "$tmp/rendered" ] || failed "man -l $page printed nothing"
  [ -s "$tmp/err" ] && { failed "man -l $page wrote to stderr"; cat "$tmp/err"; }
  MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null | grep . && failed "man --warnings on $page"
  groff -ww -z -man "$page" 2>&1 | grep . && failed "groff -ww on $page"
done
# Generated twice, the same bytes.
"$nsplan" schema --man | cmp -s - "$man5" || failed "nsplan-profile.5 differs from nsplan schema --man"
for shell in bash zsh fish; do
  "$nsplan" --generate "$shell" >"$tmp/again"
  "$nsplan" --generate "$shell" | cmp -s - "$tmp/again" || failed "--generate $shell is not deterministic"
done

# --- nsplan(1) has each command with exactly the options its --help lists ---------------------
# "COMMAND OPTION" pairs from --help (-h/--help left out: the page names it once for all) ...
"$nsplan" --help | awk '/^Subcommands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' >"$tmp/commands"
[ -s "$tmp/commands" ] || failed "no commands in nsplan --help"
: >"$tmp/help-pairs"
while read -r command; do
  "$nsplan" "$command" --help | awk -v c="$command" '/^Options:/ { on = 1; next }
    on && /^  -/ { n = split($1, names, ","); for (i = 1; i <= n; i++) if (names[i] != "-h" && names[i] != "--help") print c, names[i] }' \
    >>"$tmp/help-pairs"
done <"$tmp/commands"
# ... and from the page's COMMANDS section: a subsection per command, a paragraph per option.
MANWIDTH=200 man -l "$man1" 2>/dev/null | awk '/^[A-Z]/ { on = $1 == "COMMANDS"; next }
  on && /^   [a-z]+$/ { c = $1; print "command", c; next }
  on && /^       -/ { n = split($0, w, /[ ,]+/); for (i = 2; i <= n; i++) if (w[i] ~ /^-/) print c, w[i] }' >"$tmp/page-pairs"
grep '^command ' "$tmp/page-pairs" | cut -d' ' -f2 | diff "$tmp/commands" - >/dev/null ||
  { failed "nsplan.1 does not have a subsection for each command, in --help's order"; grep '^command ' "$tmp/page-pairs"; }
grep -v '^command ' "$tmp/page-pairs" | sort >"$tmp/page-options"
sort "$tmp/help-pairs" | diff - "$tmp/page-options" >"$tmp/diff" ||
  { failed "nsplan.1's options differ from --help (< only in --help, > only in the page)"; cat "$tmp/diff"; }
grep -qx 'apply --cgroup' "$tmp/page-options" && failed "nsplan.1 gives apply a --cgroup"
grep -qx 'explain --cgroup' "$tmp/page-options" || failed "nsplan.1 does not give explain its --cgroup"
MANWIDTH=80 man -l "$man1" 2>/dev/null >"$tmp/man1.txt"
for section in SYNOPSIS DESCRIPTION COMMANDS OPTIONS 'EXIT STATUS' FILES EXAMPLES 'SEE ALSO'; do
  grep -qx "$section" "$tmp/man1.txt" || failed "nsplan.1 has no $section section"
done
sed -n '/^EXIT STATUS$/,/^FILES$/p' "$tmp/man1.txt" | tr -s '\n ' '  ' >"$tmp/exit-status"
for status in 0 1 2 3 4 125 126 127; do
  grep -Eq "(^| )$status " "$tmp/exit-status" || failed "nsplan.1 does not explain exit status $status"
done
grep -q -- '--version' "$tmp/man1.txt" || failed "nsplan.1 does not name --version"

# --- nsplan-profile(5) has every key of the table, under its object ----------------------------
"$nsplan" schema --markdown | awk '/^## `/ { gsub(/[#` ]/, ""); section = $0; next }
  /^\| `/ { split($0, cell, "`"); print section, cell[2] }' | sort >"$tmp/table-keys"
[ -s "$tmp/table-keys" ] || failed "no keys in nsplan schema --markdown"
MANWIDTH=200 man -l "$man5" 2>/dev/null | awk '/^[A-Z]/ { on = $1 == "KEYS"; next }
  on && /^   [a-z]/ { section = $1; next }
  on && /^       [A-Za-z_]+: / { sub(/:.*/, "", $1); print section, $1 }' | sort >"$tmp/page-keys"
diff "$tmp/table-keys" "$tmp/page-keys" >"$tmp/diff" ||
  { failed "nsplan-profile.5's keys differ from the table (< only in the table, > only in the page)"; cat "$tmp/diff"; }

# --- the completion scripts parse ----------------------------------------------------------------
bash -n "$completions/nsplan" || failed "bash -n"
zsh -n "$completions/_nsplan" || failed "zsh -n"
fish --no-execute "$completions/nsplan.fish" || failed "fish --no-execute"

# --- what they offer ---------------------------------------------------------------------------
# A working directory with a profile and another file, a search directory (--profile-path) with
# two profiles, and a state dir (--state-dir) where two profiles are applied.
mkdir -p "$tmp/work/sub" "$tmp/search" "$tmp/state"
touch "$tmp/work/local.yaml" "$tmp/work/notes.txt" "$tmp/search/lab.yaml" "$tmp/search/base.yaml" \
      "$tmp/state/lab.state" "$tmp/state/web.state" "$tmp/state/lab.lock"
cd "$tmp/work" || exit 1

cat >"$tmp/bash-cases" <<CASES
nsplan ex|explain export
nsplan s|status schema
nsplan -|-h --help --version -q --quiet -v --verbose
nsplan k|kill
nsplan kill --si|--signal
nsplan destroy --k|--kill
nsplan explain --cg|--cgroup --cgroup-root --cgroup-parent
nsplan apply --cg|--cgroup-root --cgroup-parent
nsplan destroy --st|--state-dir
nsplan list --s|--state-dir
nsplan schema --m|--markdown --man
nsplan explain --cgroup |v1 v2
nsplan explain --cgroup = v|v1 v2
nsplan explain |local.yaml sub/
nsplan explain --profile-path $tmp/search la|$tmp/search/lab.yaml
nsplan explain --profile-path $tmp/search |local.yaml sub/ $tmp/search/base.yaml $tmp/search/lab.yaml
nsplan check local.yaml |local.yaml sub/
nsplan destroy --state-dir $tmp/state |lab web local.yaml sub/
nsplan status --state-dir $tmp/state w|web
nsplan apply --state-dir $tmp/state |local.yaml sub/
nsplan attach local.yaml |
nsplan explain local.yaml --|--help --no-run --destroy --no-locations --attach --cgroup --systemd --cgroup-root --cgroup-parent --state-dir --strict --profile-path
nsplan di|diff
nsplan diff |local.yaml sub/
nsplan diff local.yaml |local.yaml sub/
nsplan diff --t|--textconv
nsplan export |oci systemd
nsplan export s|systemd
nsplan export oci |local.yaml sub/
nsplan im|import
nsplan import |cgconfig
nsplan import cgconfig |local.yaml notes.txt sub
nsplan import cgconfig local.yaml -o |sub
CASES
# Each line: the words before the cursor and the word at it | what COMPREPLY must hold, sorted.
bash -c '
  source "$1"
  while IFS="|" read -r line expected; do
    read -ra COMP_WORDS <<<"$line"
    [[ $line == *" " ]] && COMP_WORDS+=("")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMPREPLY=()
    _nsplan
    got=$(printf "%s\n" "${COMPREPLY[@]}" | sort | xargs)
    want=$(printf "%s\n" $expected | sort | xargs)
    [[ $got == "$want" ]] || echo "FAIL: bash completion of \"$line\": got \"$got\", expected \"$want\""
  done <"$2"
' bash "$completions/nsplan" "$tmp/bash-cases" >"$tmp/bash-out" 2>&1
[ -s "$tmp/bash-out" ] && { cat "$tmp/bash-out"; fail=1; }

cat >"$tmp/fish-cases" <<CASES
nsplan ex|explain export
nsplan explain --cg|--cgroup --cgroup-root --cgroup-parent
nsplan apply --cg|--cgroup-root --cgroup-parent
nsplan explain --cgroup |v1 v2
nsplan explain --profile-path $tmp/search la|$tmp/search/lab.yaml
nsplan destroy --state-dir $tmp/state |lab web local.yaml sub/
nsplan export |oci systemd local.yaml sub/
nsplan export oci |local.yaml sub/
nsplan import cgconfig |local.yaml notes.txt sub/
CASES
fish -c '
  source $argv[1]
  while read -d "|" line expected
    set -l got (complete -C "$line" | string replace -r "\t.*" "" | sort | string join " ")
    set -l want (string split " " -- $expected | sort | string join " ")
    test "$got" = "$want"; or echo "FAIL: fish completion of \"$line\": got \"$got\", expected \"$want\""
  end <$argv[2]
' "$completions/nsplan.fish" "$tmp/fish-cases" >"$tmp/fish-out" 2>&1
[ -s "$tmp/fish-out" ] && { cat "$tmp/fish-out"; fail=1; }

[ "$fail" = 0 ] && echo "man pages and completions: all checks passed"
exit "$fail"
