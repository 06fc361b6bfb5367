#!/bin/sh
# nsplan explain --destroy: teardown of profile 'isolated-shell' from profiles/isolated-shell.yaml
# target: cgroup v2 (unified hierarchy at /sys/fs/cgroup)
# Children before parents; namespaces go whole (their links with them); host-side links go
# as one link group. Controllers enabled in ancestors stay enabled.
set -u

# profiles/isolated-shell.yaml:13:3: undo cgroup nsplan/isolated-shell
rmdir '/sys/fs/cgroup/nsplan/isolated-shell'

# profiles/isolated-shell.yaml:13:3: undo cgroup nsplan/isolated-shell
rmdir '/sys/fs/cgroup/nsplan'
