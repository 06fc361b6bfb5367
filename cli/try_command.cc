// nsplan try: apply, then keep the changes only if the user confirms in time (as netplan try),
// for changes that could cut off the admin's own session. The transaction is the executor's
// (try_plan): declining takes it back exactly as a failure would.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <iostream>

#include "cli/commands.h"
#include "applier/fd.h"
#include "cli/log.h"

namespace nsplan::cli {
using namespace applier;
namespace {

// Ctrl-C, a closed terminal (SIGHUP: the ssh session that was cut off) and SIGTERM mean "no".
// They are blocked while the steps are made, so that none cuts a step in half, and taken while
// waiting for the answer.
constexpr int kDecliningSignals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};

void note_signal(int) {}  // only to interrupt ppoll

class SignalsHeld {
 public:
  SignalsHeld() {
    sigset_t block;
    sigemptyset(&block);
    for (int s : kDecliningSignals) sigaddset(&block, s);
    sigprocmask(SIG_BLOCK, &block, &old_mask_);
    struct sigaction sa {};
    sa.sa_handler = note_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < std::size(kDecliningSignals); ++i) sigaction(kDecliningSignals[i], &sa, &old_actions_[i]);
  }
  ~SignalsHeld() {
    for (size_t i = 0; i < std::size(kDecliningSignals); ++i) sigaction(kDecliningSignals[i], &old_actions_[i], nullptr);
    sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  // The mask while waiting: the declining signals let through.
  sigset_t waiting_mask() const {
    sigset_t m = old_mask_;
    for (int s : kDecliningSignals) sigdelset(&m, s);
    return m;
  }

 private:
  sigset_t old_mask_;
  struct sigaction old_actions_[std::size(kDecliningSignals)];
};

enum class Answer { Keep, Decline, Timeout, Signal, EndOfInput };

// One line from INPUT within TIMEOUT: Enter or y/yes keeps, anything else declines.
Answer read_answer(int input, std::chrono::seconds timeout, const SignalsHeld& signals) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const sigset_t mask = signals.waiting_mask();
  std::string line;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Answer::Timeout;
    struct timespec ts {
      static_cast<time_t>(left.count() / 1000000000), static_cast<long>(left.count() % 1000000000)
    };
    struct pollfd p {
      input, POLLIN, 0
    };
    int n = ppoll(&p, 1, &ts, &mask);
    if (n < 0 && errno == EINTR) return Answer::Signal;
    if (n < 0) return Answer::EndOfInput;
    if (n == 0) continue;
    char c;
    ssize_t r = read(input, &c, 1);
    if (r < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (r <= 0) return Answer::EndOfInput;
    if (c != '\n') {
      if (line.size() < 16) line += c;
      continue;
    }
    return line.empty() || line == "y" || line == "yes" || line == "Y" ? Answer::Keep : Answer::Decline;
  }
}

const char* why_taken_back(Answer a) {
  switch (a) {
    case Answer::Decline: return "not confirmed";
    case Answer::Timeout: return "no answer in time";
    case Answer::Signal: return "interrupted";
    case Answer::EndOfInput: return "no answer (end of input)";
    case Answer::Keep: break;
  }
  return "";
}

}  // namespace

int run_try(const Compilation& c, const LiveOptions& o, std::chrono::seconds timeout) {
  const plan::Plan& plan = *c.plan;
  // The answer comes from standard input, unless the profile did (`try -`): then from the
  // terminal. Without one nothing is applied: no answer could keep it.
  Fd terminal;
  int input = STDIN_FILENO;
  if (plan.source == kStdinPath) {
    terminal = Fd(open("/dev/tty", O_RDONLY | O_CLOEXEC | O_NOCTTY));
    if (terminal.get() < 0) {
      std::cerr << "nsplan: error: try - read the profile from standard input, so the answer must come from the "
                   "terminal (/dev/tty), and there is none; nothing was changed\n"
                << "  hint: nsplan try FILE, or nsplan apply -\n";
      return kUsage;
    }
    input = terminal.get();
  }
  auto state = open_to_apply(plan, o);
  if (!state) return kSystem;
  auto kernel = make_linux_kernel(plan.facts);
  record_source(*state, plan);
  SignalsHeld signals;
  Answer answer = Answer::Keep;
  auto confirm = [&](const ApplyOutcome& made) {
    if (made.changes.empty() && made.removed.empty() && made.to_remove.empty()) return true;  // nothing to take back
    // The question goes to stderr: stdout may be a pipe or a file, the person is at the terminal.
    std::cerr << "nsplan try changed (" << plan.facts.describe() << "):\n";
    for (const auto& ch : made.changes) std::cerr << "  " << ch.text << "  (" << ch.where << ")\n";
    for (const auto& r : made.removed) std::cerr << "  " << r.text << "  (no longer in the profile)\n";
    if (!made.to_remove.empty()) {
      std::cerr << "once kept, also removed (no longer in the profile; a removal is not taken back):\n";
      for (const auto& r : made.to_remove) std::cerr << "  " << r << "\n";
    }
    std::cerr << "Keep these changes? Press Enter or y within " << timeout.count()
              << " s; n, Ctrl-C or no answer takes them back: " << std::flush;
    answer = read_answer(input, timeout, signals);
    // A terminal echoed the Enter; piped input ends the question's line here.
    if (answer != Answer::Keep || !isatty(input)) std::cerr << "\n";
    return answer == Answer::Keep;
  };
  ApplyOutcome out = try_plan(plan, *kernel, *state, confirm, step_observer());
  if (out.recovered) std::cerr << "recovered an interrupted apply: " << out.recovered << " change(s) taken back first\n";
  if (out.declined || !out.ok) {
    if (out.declined) std::cerr << "nsplan: " << why_taken_back(answer) << ": taking the changes back\n";
    else std::cerr << out.error << "\n";
    if (out.rollback_errors.empty()) {
      std::cerr << "  rolled back: nothing of this try is left (" << out.undone << " change(s) undone)\n";
    } else {
      std::cerr << "  rollback incomplete; left behind:\n";
      for (const auto& e : out.rollback_errors) std::cerr << "    " << e << "\n";
      std::cerr << "  hint: `nsplan destroy` retries from the journal\n";
    }
    return out.declined && out.rollback_errors.empty() ? kNotConfirmed : kSystem;
  }
  if (log::quiet()) return kOk;
  if (out.changes.empty() && out.removed.empty()) {
    std::cout << "no changes: '" << plan.profile << "' is applied as the profile says\n";
    return kOk;
  }
  std::cout << "kept: '" << plan.profile << "' applied, " << out.changes.size() << " change(s), " << out.removed.size()
            << " removal(s)\n";
  return kOk;
}

}  // namespace nsplan::cli
