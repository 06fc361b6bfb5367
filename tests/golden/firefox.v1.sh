#!/bin/sh
# nsplan explain: profile 'firefox' from profiles/firefox.yaml
# Keep Firefox within 3 GiB of RAM plus 3 GiB of swap.
# target: cgroup v1 (one hierarchy per controller under /sys/fs/cgroup)
# Each step names the profile line it comes from. `nsplan apply` does the same steps
# directly (cgroupfs and netlink), undoes them if one fails, and can destroy them again.
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

# profiles/firefox.yaml:41:3: run firefox
#   this shell joins the cgroup, then becomes the command.
echo "$$" > '/sys/fs/cgroup/memory/memlimit/cgroup.procs'
exec 'firefox'
