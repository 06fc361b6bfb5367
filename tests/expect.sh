# Sourced by the command-line tests: a temporary directory ($tmp, removed at exit), $fail, and
# expect STATUS DESCRIPTION -- COMMAND..., which runs COMMAND with its stdout in $tmp/out and its
# stderr in $tmp/err and fails the test when it exits with another status.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() {
  want=$1; what=$2; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err"
  got=$?
  if [ "$got" != "$want" ]; then
    echo "FAIL: $what: exit $got, expected $want"; cat "$tmp/err"; fail=1
  fi
}
