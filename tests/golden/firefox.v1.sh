#!/bin/sh
# nsplan explain: profile 'firefox' from profiles/firefox.yaml
# Keep Firefox within 3 GiB of RAM plus 3 GiB of swap.
# target: cgroup v1 (one hierarchy per controller under /sys/fs/cgroup)
# What `nsplan apply` does on a host where nothing of this profile exists yet, step by
# step, each with the profile line it comes from. apply leaves what is in place as it is,
# undoes its steps if one fails, and records what it made for `nsplan destroy`.
set -eu

# profiles/firefox.yaml:18:9: cgroup memlimit (memory)
mkdir -p '/sys/fs/cgroup/memory/memlimit'

# profiles/firefox.yaml:23:10: memory max 3G
echo '3221225472' > '/sys/fs/cgroup/memory/memlimit/memory.limit_in_bytes'

# profiles/firefox.yaml:31:11: memory swap 3G: memsw = max + swap = 6G
#   memsw counts RAM and swap together; it is written after limit_in_bytes because the kernel
#   keeps limit <= memsw at every write.
echo '6442450944' > '/sys/fs/cgroup/memory/memlimit/memory.memsw.limit_in_bytes'

# profiles/firefox.yaml:36:11: memory soft 1G
echo '1073741824' > '/sys/fs/cgroup/memory/memlimit/memory.soft_limit_in_bytes'

# profiles/firefox.yaml:48:3: run firefox
# nsplan run: the command dies with nsplan (parent-death signal SIGKILL); this script starts it
#   without one
# nsplan run: every descriptor above 2 is closed at exec; sh can name only 3 to 9
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
echo "$$" > '/sys/fs/cgroup/memory/memlimit/cgroup.procs'
exec 'firefox'
