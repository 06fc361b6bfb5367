// Persistent namespaces (a namespace kept alive by a bind mount of its nsfs file) and running code
// inside them. A namespace is made by unshare() on the calling thread, which then returns to its
// own namespace at once (a helper thread for each cost far more: docs/performance.md); as with
// run_in_netns(), if returning ever fails the process aborts.
//
// Threads and namespaces: setns(CLONE_NEWNET/NEWUTS/NEWIPC) changes only the calling thread.
// run_in_netns() switches the calling thread and always switches back; if switching back ever
// fails the process aborts rather than go on in the wrong namespace.
#pragma once
#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>

#include "applier/sys_error.h"
#include "compiler/plan.h"

namespace nsplan::applier {

// ---- network namespaces as `ip netns` keeps them ---------------------------------------------

inline constexpr const char* kNetnsRunDir = "/run/netns";

// "/run/netns/NAME".
std::string netns_path(std::string_view name);
// A name `ip netns` accepts: not empty, not "." or "..", no '/', at most NAME_MAX bytes.
bool valid_netns_name(std::string_view name);

// As `ip netns add NAME`: mkdir -p /run/netns; make it a shared mount (bind-mounting it on itself
// first if it is not a mount point yet); create /run/netns/NAME (O_EXCL: EEXIST if present);
// unshare(CLONE_NEWNET), bind-mount this thread's ns/net on the file, and return to the old one.
// On failure nothing is left behind.
Status create_persistent_netns(const std::string& name);
// As `ip netns delete NAME`: umount2(MNT_DETACH) + unlink. ENOENT if there is no such file.
// The namespace dies (and destroys its links) when its last user goes: close any netlink
// socket into it first (NetlinkClient::forget).
Status delete_persistent_netns(const std::string& name);
// true when /run/netns/NAME exists and is a mounted network namespace.
SysResult<bool> netns_exists(const std::string& name);

// Opens a network namespace: "" = the calling thread's own, else /run/netns/NAME (checked to be a
// network namespace). The caller owns (closes) the fd.
SysResult<int> open_netns(const std::string& name);

// Runs FN with the calling thread inside network namespace NAME ("" = where it already is), then
// returns it to the namespace it was in (also if FN throws).
Status run_in_netns(const std::string& name, const std::function<void()>& fn);
// Same with an open namespace fd.
Status run_in_netns_fd(int ns_fd, const std::function<void()>& fn);

// ---- other kinds, bind-mounted under the state directory ---------------------------------------

// mkdir -p DIR (directories it makes: mode 0700), then make DIR a shared mount (a bind mount of
// itself first when it is not a mount point), as iproute2 does for /run/netns. Refuses an existing
// DIR that is not a directory, is a symlink, or is writable by group/others (EPERM).
Status prepare_ns_dir(const std::string& dir);
// Creates a namespace of KIND (Net, Uts or Ipc; others: EOPNOTSUPP) and bind-mounts it on PATH,
// a new file (EEXIST if present) in a directory made by prepare_ns_dir (called here for PATH's
// directory). On failure nothing is left behind.
Status create_persistent_ns(plan::NsKind kind, const std::string& path);
// umount2(PATH, MNT_DETACH) + unlink(PATH).
Status delete_persistent_ns(const std::string& path);

// sethostname (and setdomainname when DOMAINNAME is not empty) inside the uts namespace at
// NS_PATH, from a helper thread.
Status set_hostname(const std::string& ns_path, const std::string& hostname,
                    const std::string& domainname);
struct UtsNames {
  std::string hostname, domainname;
};
// uname() inside the uts namespace at NS_PATH.
SysResult<UtsNames> get_hostname(const std::string& ns_path);

// ---- identity ----------------------------------------------------------------------------------

// true when PATH is on nsfs (a mounted namespace file or /proc/.../ns/X); false when PATH is
// missing or on another file system.
SysResult<bool> is_nsfs(const std::string& path);

struct NsIdentity {
  dev_t dev = 0;
  ino_t ino = 0;
  int type = 0;  // CLONE_NEWNET, CLONE_NEWUTS, ... (ioctl NS_GET_NSTYPE)
  friend bool operator==(const NsIdentity& a, const NsIdentity& b) {
    return a.dev == b.dev && a.ino == b.ino;
  }
};
// Which namespace PATH is (ENOTTY/EINVAL when it is not a namespace file).
SysResult<NsIdentity> ns_identity(const std::string& path);
// The calling thread's namespace of KIND (/proc/thread-self/ns/<kind>).
SysResult<NsIdentity> current_ns_identity(plan::NsKind kind);

// CLONE_NEW* for KIND; "uts" etc. for /proc/.../ns/ names.
int clone_flag(plan::NsKind kind);
const char* proc_ns_name(plan::NsKind kind);

}  // namespace nsplan::applier
