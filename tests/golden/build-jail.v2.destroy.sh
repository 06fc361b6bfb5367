#!/bin/sh
# nsplan explain --destroy: teardown of profile 'build-jail' from profiles/build-jail.yaml
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# Children before parents; namespaces go whole (their links with them); host-side links go
# as one link group. Controllers enabled in ancestors stay enabled.
set -u

# profiles/build-jail.yaml:16:3: undo cgroup nsplan/build-jail
rmdir '/sys/fs/cgroup/nsplan/build-jail'

# profiles/build-jail.yaml:16:3: undo cgroup nsplan/build-jail
rmdir '/sys/fs/cgroup/nsplan'
