#include "cli/watch.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <optional>

#include "cli/log.h"

namespace nsplan::cli {
namespace {

using Clock = std::chrono::steady_clock;

volatile sig_atomic_t g_stop = 0;
void stop(int) { g_stop = 1; }

// Writes all of TEXT to standard output (retrying short writes); false when it is gone.
bool put(const std::string& text) {
  size_t done = 0;
  while (done < text.size()) {
    ssize_t n = ::write(STDOUT_FILENO, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<size_t>(n);
  }
  return true;
}

size_t columns() {
  winsize ws{};
  return ::ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
}

// The terminal while the loop owns it: no cursor, keys without echo or Enter, Ctrl-C and friends
// ending the loop rather than nsplan. Everything is put back when it goes; the last frame stays
// on the screen, as top(1) leaves it.
class TerminalSession {
 public:
  TerminalSession() {
    struct sigaction sa {};
    sa.sa_handler = stop;  // no SA_RESTART: the wait returns at once
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < kSignals; ++i) ::sigaction(kSignalList[i], &sa, &old_actions_[i]);
    if (::isatty(STDIN_FILENO) && ::tcgetattr(STDIN_FILENO, &old_termios_) == 0) {
      termios raw = old_termios_;
      raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);  // ISIG stays: Ctrl-C is SIGINT
      raw.c_cc[VMIN] = 0;
      raw.c_cc[VTIME] = 0;
      keys_ = ::tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
    }
    put("\x1b[?25l");
  }
  ~TerminalSession() {
    put("\x1b[?25h");
    if (keys_) ::tcsetattr(STDIN_FILENO, TCSANOW, &old_termios_);
    for (size_t i = 0; i < kSignals; ++i) ::sigaction(kSignalList[i], &old_actions_[i], nullptr);
  }
  TerminalSession(const TerminalSession&) = delete;
  TerminalSession& operator=(const TerminalSession&) = delete;

  bool reads_keys() const { return keys_; }

 private:
  static constexpr int kSignalList[] = {SIGINT, SIGTERM, SIGHUP};
  static constexpr size_t kSignals = std::size(kSignalList);
  struct sigaction old_actions_[kSignals] {};
  termios old_termios_{};
  bool keys_ = false;
};

// Waits until DEADLINE; false when the user asked to quit meanwhile (q, or a signal).
bool wait_until(Clock::time_point deadline, bool read_keys) {
  while (!g_stop) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return true;
    pollfd pf{STDIN_FILENO, POLLIN, 0};
    int r = ::poll(read_keys ? &pf : nullptr, read_keys ? 1 : 0, static_cast<int>(left));
    if (r <= 0) continue;  // timeout (checked above), or a signal (g_stop)
    char key = 0;
    ssize_t n = ::read(STDIN_FILENO, &key, 1);
    if (n == 1 && (key == 'q' || key == 'Q')) return false;
    if (n == 0) read_keys = false;  // end of input: only the time and signals count
  }
  return false;
}

}  // namespace

bool redraws() { return log::terminal(STDOUT_FILENO); }

int watch(const WatchOptions& options, const FrameMaker& frame) {
  const auto interval = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(options.interval_seconds));
  int status = 0;
  if (!redraws()) {
    for (long i = 0; options.count == 0 || i < options.count; ++i) {
      const auto start = Clock::now();
      Frame f = frame(Screen{});
      status = f.status;
      if (!put((i > 0 ? "\n" : "") + f.text)) break;  // the reader went away
      if (i + 1 == options.count) break;
      if (!wait_until(start + interval, false)) break;
    }
    return status;
  }
  g_stop = 0;
  TerminalSession session;
  for (long i = 0; options.count == 0 || i < options.count; ++i) {
    const auto start = Clock::now();
    Frame f = frame(Screen{columns(), log::colour(STDOUT_FILENO)});
    status = f.status;
    if (!put("\x1b[H\x1b[2J" + f.text)) break;
    if (i + 1 == options.count) break;
    if (!wait_until(start + interval, session.reads_keys())) break;
  }
  return status;
}

}  // namespace nsplan::cli
