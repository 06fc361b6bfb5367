#!/bin/sh
# nsplan explain: profile 'rootless-net' from profiles/rootless-net.yaml
# a shell in new user, net, mount, pid, uts and ipc namespaces, online through pasta without root.
# target: cgroup v1 (one hierarchy per controller under /sys/fs/cgroup)
# What `nsplan apply` does on a host where nothing of this profile exists yet, step by
# step, each with the profile line it comes from. apply leaves what is in place as it is,
# undoes its steps if one fails, and records what it made for `nsplan destroy`.
set -eu

# profiles/rootless-net.yaml:37:3: run /bin/sh
# nsplan run: writes the id maps itself; unshare asks newuidmap/newgidmap (package uidmap),
#   which check /etc/subuid and /etc/subgid even for root
# nsplan run: the command dies with nsplan (parent-death signal SIGKILL); this script starts it
#   without one
# nsplan run: every descriptor above 2 is closed at exec; sh can name only 3 to 9
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
# nsplan run: its own init is PID 1 of the new pid namespace (reaps orphans, passes signals on, exits
#   with the command's status, 128+N after signal N) and the command its child; here the command is PID 1
# nsplan run: starts pasta the moment its child has made the namespaces, which waits on a pipe; this script
#   polls /proc/PID/ns/net from a background watcher and hands over through a FIFO
# nsplan run: keeps pasta as its child, which dies with nsplan (parent-death signal SIGTERM), and stops it through a
#   pidfd; this script kills the pid it started
# nsplan run: takes pasta from the system's directories only, at a file only root can change;
#   this script from $PATH
# the program in single quotes is expanded by the sh inside the namespaces, not here:
# shellcheck disable=SC2016
{
status=0
nsplan_rootless=$(mktemp -d)
mkfifo "$nsplan_rootless/go"
(
  while [ ! -s "$nsplan_rootless/child" ] && [ ! -e "$nsplan_rootless/done" ]; do sleep 0.1; done
  if nsplan_child=$(cat "$nsplan_rootless/child" 2>/dev/null); then
    while [ "$(readlink "/proc/$nsplan_child/ns/net")" = "$(readlink /proc/$$/ns/net)" ]; do sleep 0.1; done
    ( setsid pasta '--runas' '0:0' '--foreground' '--config-net' '--quiet' '-t' 'none' '-u' 'none' '-T' 'none' '-U' 'none' -P "$nsplan_rootless/pid" "$nsplan_child" & echo "$!" > "$nsplan_rootless/helper"
      wait "$!" || :; touch "$nsplan_rootless/exited" ) &
    while { [ ! -s "$nsplan_rootless/pid" ] || [ ! -s "$nsplan_rootless/helper" ]; } && [ ! -e "$nsplan_rootless/exited" ]; do sleep 0.1; done
    nsplan_go=fail
    if [ "$(cat "$nsplan_rootless/pid" 2>/dev/null)" = "$(cat "$nsplan_rootless/helper")" ]; then nsplan_go=go; fi
    trap '' PIPE
    echo "$nsplan_go" > "$nsplan_rootless/go"
  fi
  touch "$nsplan_rootless/watched"
) &
NSPLAN_ROOTLESS_GO=$nsplan_rootless/go sh -c 'echo "$$" > "$1" && shift && exec "$@"' nsplan-rootless "$nsplan_rootless/child" setpriv --clear-groups -- unshare --user --ipc --net --uts --pid --mount --map-users=1000,0,1 --map-groups=1000,0,1 --setgid=0 --setuid=0 --propagation=unchanged --fork -- sh -c 'set -eu
read -r nsplan_go < "$NSPLAN_ROOTLESS_GO"
[ "$nsplan_go" = go ] || exit 125
unset NSPLAN_ROOTLESS_GO nsplan_go
ip link set lo up
hostname '\''rootless'\''
mount --make-rprivate /
mount -t proc -o '\''nosuid,nodev,noexec'\'' '\''proc'\'' '\''/proc'\''
mount -t tmpfs -o '\''nosuid,nodev,mode=1777,size=67108864'\'' '\''tmpfs'\'' '\''/tmp'\''
prlimit --pid "$$" --core=0:0
prlimit --pid "$$" --nofile=1024:1024
cd '\''/tmp'\''
exec setpriv --no-new-privs -- env '\''HOME=/tmp'\'' '\''PS1=rootless$ '\'' '\''PWD=/tmp'\'' "$@"' nsplan-run '/bin/sh' || status=$?
touch "$nsplan_rootless/done"
while [ ! -e "$nsplan_rootless/watched" ]; do : <> "$nsplan_rootless/go"; sleep 0.1; done
wait
if [ -s "$nsplan_rootless/helper" ]; then
  [ -e "$nsplan_rootless/exited" ] || kill "$(cat "$nsplan_rootless/helper")" || :
  while [ ! -e "$nsplan_rootless/exited" ]; do sleep 0.1; done
fi
rm -r "$nsplan_rootless"
exit "$status"
}
