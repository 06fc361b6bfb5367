// Deleting a link group in the caller's network namespace without waiting for the kernel's
// deferred part of the work.
//
// One RTM_DELLINK for a group unlists every member under the rtnl lock, announces each one
// (RTM_DELLINK to RTNLGRP_LINK listeners), and only then, after dropping the lock, waits for RCU
// before freeing them (netdev_run_todo: rcu_barrier, then the references). The request's answer
// comes after that wait, 15-25 ms on this project's machines, for links nobody can see or name
// any more. So the request is sent by a short-lived child, and the caller returns as soon as
// the kernel has announced every member gone, or the child reports the kernel's error. The names
// are free again at that point; the kernel finishes freeing in the background, as it does for a
// deleted network namespace.
#pragma once
#include <cstdint>
#include <set>

#include "applier/sys_error.h"

namespace nsplan::applier {

// Deletes every link of `group` (not 0) in the caller's network namespace. `members` are their
// interface indexes, from a link dump made just before (a member deleted since by someone else
// only makes this wait for the kernel's answer). Returns when the kernel has unlisted them all,
// or with the kernel's error when it refused (then nothing was deleted: the kernel checks every
// member before it deletes any); ENODEV for an empty group.
Status delete_link_group_unlisted(uint32_t group, std::set<int> members);

// The request's sender alone, waited for: the child delete_link_group_unlisted starts sends the
// RTM_DELLINK of `group` on SOCK and reports the kernel's answer; this returns it (0: deleted,
// else an errno; EIO when the child died without answering). The child shares this process's
// memory and thread pointer, and leaves its errno alone. Tests check the child's conduct with it.
int delete_link_group_by_child(int sock, uint32_t group);

}  // namespace nsplan::applier
