// The one refresh loop of `nsplan top` and `nsplan status --watch`: ask for a frame, show it,
// wait, again.
//
// On a terminal (standard output a tty, TERM not "dumb"): the screen cleared and redrawn at each
// refresh with plain ANSI escapes (no curses), the cursor hidden; q quits (read
// from standard input when it is a terminal, without echo), as do Ctrl-C, SIGTERM and SIGHUP;
// the terminal is put back as it was in every case. Otherwise: plain text, frames one after the
// other separated by a blank line, no escape at all (as systemd-cgtop -b), ending after COUNT
// frames or when killed.
#pragma once
#include <cstddef>
#include <functional>
#include <string>

namespace nsplan::cli {

struct WatchOptions {
  double interval_seconds = 1;
  long count = 0;  // frames to show; 0: until q or a signal
};

struct Frame {
  std::string text;
  int status = 0;  // the exit status, if this frame is the last
};

// Where a frame goes. Not a terminal: width 0 (no lines to cut), no colour.
struct Screen {
  size_t width = 0;     // the terminal's columns
  bool colour = false;  // highlighting allowed (cli/log.h: not with NO_COLOR or TERM=dumb)
};
using FrameMaker = std::function<Frame(const Screen& screen)>;

// Shows frames until COUNT is reached or the user quits; returns the last frame's status.
int watch(const WatchOptions& options, const FrameMaker& frame);

// Whether watch() redraws on this standard output (a terminal that understands escapes).
bool redraws();

}  // namespace nsplan::cli
