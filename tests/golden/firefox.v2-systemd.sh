#!/bin/sh
# nsplan explain: profile 'firefox' from profiles/firefox.yaml
# Keep Firefox within 3 GiB of RAM plus 3 GiB of swap.
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup, managed by systemd)
# What `nsplan apply` does on a host where nothing of this profile exists yet, step by
# step, each with the profile line it comes from. apply leaves what is in place as it is,
# undoes its steps if one fails, and records what it made for `nsplan destroy`.
set -eu

# profiles/firefox.yaml:18:9: a cgroup subtree from systemd: unit nsplan-firefox.service with Delegate=yes
#   systemd owns this host's cgroup tree and is its only writer outside delegated subtrees (systemd.io/CGROUP_DELEGATION):
#   nsplan asks it for a transient unit whose cgroup it may manage, and makes the profile's cgroups below it.
#   The unit's one process, sleep infinity, keeps the unit and its cgroup (systemd removes a unit's cgroup once empty);
#   it moves to nsplan-keeper, as a cgroup holding a process cannot enable controllers for its children.
systemd-run '--quiet' '--unit=nsplan-firefox.service' '--property=Description=nsplan: cgroups of nsplan-firefox (delegated)' '--property=Slice=system.slice' '--property=Type=exec' '--property=Delegate=yes' '--property=DefaultDependencies=no' '--property=CollectMode=inactive-or-failed' '/bin/sleep' 'infinity'
if [ "$(systemctl show --value --property=ControlGroup 'nsplan-firefox.service')" != '/system.slice/nsplan-firefox.service' ] || [ "$(systemctl show --value --property=Delegate 'nsplan-firefox.service')" != yes ]; then
  echo 'nsplan: systemd did not give nsplan-firefox.service the cgroup /system.slice/nsplan-firefox.service with Delegate=yes' >&2
  exit 1
fi
mkdir '/sys/fs/cgroup/system.slice/nsplan-firefox.service/nsplan-keeper'
systemctl show --value --property=MainPID 'nsplan-firefox.service' > '/sys/fs/cgroup/system.slice/nsplan-firefox.service/nsplan-keeper/cgroup.procs'

# profiles/firefox.yaml:18:9: enable memory for the children of /sys/fs/cgroup/system.slice/nsplan-firefox.service
#   v2 gives a child a controller only if every ancestor lists it in cgroup.subtree_control.
echo '+memory' > '/sys/fs/cgroup/system.slice/nsplan-firefox.service/cgroup.subtree_control'

# profiles/firefox.yaml:18:9: cgroup memlimit
mkdir -p '/sys/fs/cgroup/system.slice/nsplan-firefox.service/memlimit'

# profiles/firefox.yaml:23:10: memory max 3G
echo '3221225472' > '/sys/fs/cgroup/system.slice/nsplan-firefox.service/memlimit/memory.max'

# profiles/firefox.yaml:31:11: memory swap 3G
#   v2 caps swap alone at 3G. On v1 the same profile sets memsw = max + swap = 6G, which counts RAM and swap together:
#   there, swap may grow beyond 3G while less RAM is in use.
echo '3221225472' > '/sys/fs/cgroup/system.slice/nsplan-firefox.service/memlimit/memory.swap.max'

# profiles/firefox.yaml:36:11: memory soft 1G
#   v1's soft limit becomes memory.low on v2 (as runc and crun do): reclaim spares the group below it
#   under pressure; memory.high would throttle at the value instead.
echo '1073741824' > '/sys/fs/cgroup/system.slice/nsplan-firefox.service/memlimit/memory.low'

# profiles/firefox.yaml:48:3: run firefox
# nsplan run: the command dies with nsplan (parent-death signal SIGKILL); this script starts it
#   without one
# nsplan run: every descriptor above 2 is closed at exec; sh can name only 3 to 9
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
echo "$$" > '/sys/fs/cgroup/system.slice/nsplan-firefox.service/memlimit/cgroup.procs'
exec 'firefox'
