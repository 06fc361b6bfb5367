#include "cli/log.h"

#include <unistd.h>

#include <cstdlib>
#include <memory>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace nsplan::cli::log {
namespace {

Level g_level = Level::Normal;
std::shared_ptr<spdlog::logger> g_logger;

spdlog::logger& logger() {
  if (!g_logger) {
    // Single-threaded sink: nsplan logs from one thread.
    auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_st>(colour(STDERR_FILENO) ? spdlog::color_mode::always
                                                                               : spdlog::color_mode::never);
    g_logger = std::make_shared<spdlog::logger>("nsplan", sink);
    g_logger->set_pattern("%^nsplan%$: %v");
    g_logger->set_level(g_level == Level::Quiet     ? spdlog::level::err
                        : g_level == Level::Normal  ? spdlog::level::warn
                        : g_level == Level::Verbose ? spdlog::level::info
                                                    : spdlog::level::debug);
  }
  return *g_logger;
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

}  // namespace

bool terminal(int fd) {
  const char* term = std::getenv("TERM");
  return ::isatty(fd) && !(term && std::string(term) == "dumb");
}

bool colour(int fd) {
  const char* no_colour = std::getenv("NO_COLOR");
  if (no_colour && *no_colour) return false;
  return terminal(fd);
}

void init(Level level) { g_level = level; }
Level level() { return g_level; }

// The text is nsplan's own (escaped where it holds outside bytes); {} keeps braces in it literal.
void warn(const std::string& text) {
  if (g_level != Level::Quiet) logger().warn("warning: {}", text);
}
void info(const std::string& text) {
  if (g_level >= Level::Verbose) logger().info("{}", text);
}
void debug(const std::string& text) {
  if (g_level >= Level::Debug) logger().debug("{}", text);
}

std::string colour_diagnostics(const std::string& text) {
  if (!colour(STDERR_FILENO)) return text;
  // Only the severity words after a location; rendered diagnostics escape any ESC in user text.
  std::string out = replace_all(text, ": error: ", ": \x1b[1;31merror\x1b[0m: ");
  return replace_all(out, ": warning: ", ": \x1b[1;35mwarning\x1b[0m: ");
}

}  // namespace nsplan::cli::log
