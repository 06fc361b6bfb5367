#!/bin/sh
# Fails if any cgroup, link, network namespace or mount with a test name (nsplan-t-*, nspt*)
# is left on this machine after the kernel tests.
leaks=$(
  find /sys/fs/cgroup -maxdepth 4 -type d \( -name 'nsplan-t-*' -o -name 'nspt*' \) 2>/dev/null
  ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' | grep -E '^(nspt|nsplan-t)' | sed 's/^/link /'
  ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^(nspt|nsplan-t)' | sed 's/^/netns /'
  grep -E 'nsplan-t-|/nspt' /proc/self/mountinfo | awk '{print "mount " $5}'
)
if [ -n "$leaks" ]; then
  echo "leaked by the kernel tests:"
  echo "$leaks"
  exit 1
fi
echo "no test resources left"
