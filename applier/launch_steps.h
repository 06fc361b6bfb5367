// What the process that becomes a profile's command does before exec (nsplan run): join
// namespaces, set hostname, mounts, limits and identity, exec with the prepared environment.
// It runs in a child of nsplan; errors go to nsplan through the report pipe (`fail`).
#pragma once
#include <csignal>
#include <cerrno>
#include <string>
#include <vector>

#include "compiler/plan.h"

namespace nsplan::applier::launch {

// A child reports why it could not start through the report pipe, then exits with one of these,
// as env(1), timeout(1) and chroot(1) do: 125 when nsplan's own setup failed before the exec,
// 126 when the command was found but could not be executed, 127 when it was not found. A shell
// reads 127 as "command not found": nsplan's failures must not look like that.
constexpr int kSetupFailed = 125;
constexpr int kCannotExecute = 126;
constexpr int kNotFound = 127;

// Signals nsplan forwards to the command; the command starts with their default actions.
inline constexpr int kForwarded[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

[[noreturn]] void fail(int report_fd, const std::string& what, int err = errno, int status = kSetupFailed);
bool write_file(const std::string& path, const std::string& text);
int clone_flag_of(plan::NsKind k);

// argv and environment of the command, built before any child exists: a child that shares
// nsplan's memory must not change nsplan's own environment.
struct PreparedExec {
  std::vector<std::string> env_storage;
  std::vector<char*> argv, envp;
};
PreparedExec prepare_exec(const plan::Launch& l, const std::vector<std::string>& command);

// The namespaces a launch creates or joins, as the launch paths need them.
struct NamespaceSet {
  bool new_user = false, new_pid = false, new_time = false;
  bool join_pid = false, join_user = false, join_time = false;
  int other_flags = 0;  // every new namespace but the user namespace
};
NamespaceSet namespaces_of(const plan::Launch& l);

// Offsets of a new time namespace, for the children of the caller.
bool write_time_offsets(const plan::Launch& l);
// Joins J's namespace: "" or what failed, with the errno text.
std::string enter_namespace(const plan::JoinNamespace& j);
// Joins every namespace of JOIN but the pid one when SKIP_PID (nsplan joined it for its child),
// as plan.h says (nsenter's way): "" or what failed, with the errno text.
std::string join_namespaces(const std::vector<plan::JoinNamespace>& join, bool skip_pid);

// One step inside the namespaces: "" or what failed, with the errno text.
std::string perform_inside(const plan::InsideStep& step);
// Groups, gid, uid (all of them when any changes) and no_new_privs: "" or what failed.
std::string set_identity(const plan::Identity& id);
// Marks every descriptor above 2 close-on-exec but those of KEEP the caller passed: "" or what failed.
std::string close_descriptors(const std::vector<int>& keep);

// In the final process, inside every namespace: the inside steps in order, identity,
// descriptors, exec.
[[noreturn]] void become_command(const plan::Launch& l, const PreparedExec& exec, int report_fd);

}  // namespace nsplan::applier::launch
