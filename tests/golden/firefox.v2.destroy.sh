#!/bin/sh
# nsplan explain --destroy: teardown of profile 'firefox' from profiles/firefox.yaml
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# Children before parents; namespaces go whole (their links with them); host-side links go
# as one link group. Controllers enabled in ancestors stay enabled.
set -u

# profiles/firefox.yaml:18:9: undo cgroup memlimit
rmdir '/sys/fs/cgroup/memlimit'
