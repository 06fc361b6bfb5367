// nsplan's minimal init, PID 1 of a new pid namespace when the plan says so (plan::MiniInit), as
// bubblewrap's and tini's: the command runs as its child; it reaps every process that ends in the
// namespace, passes the signals nsplan forwards on to the command, and exits when the command ends.
#pragma once

namespace nsplan::applier {

// Forks. Returns in the child, which goes on to become the command (with the caller's signal
// mask). The caller becomes the init and never returns: it closes every descriptor above 2
// (REPORT_FD among them: the command's exec closes the last copy), and exits with the command's
// status, 128 + N when a signal N ended it, as a shell reports it (PID 1 cannot re-raise a
// signal on itself: the kernel drops it). Returns -1 (errno set) when fork fails.
int fork_under_init();

}  // namespace nsplan::applier
