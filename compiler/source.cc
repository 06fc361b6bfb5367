#include "compiler/source.h"

namespace nsplan {

uint32_t SourceManager::add(std::string path, std::string text, SourceLoc included_at) {
  files_.push_back(File{std::move(path), std::move(text), included_at});
  return static_cast<uint32_t>(files_.size());
}

std::string_view SourceManager::line_text(uint32_t id, uint32_t line) const {
  if (id == 0 || id > files_.size() || line == 0) return {};
  std::string_view text = files_[id - 1].text;
  size_t start = 0;
  for (uint32_t n = 1; n < line; ++n) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) return {};
    start = nl + 1;
  }
  size_t end = text.find('\n', start);
  std::string_view out = text.substr(start, end == std::string_view::npos ? text.size() - start : end - start);
  if (!out.empty() && out.back() == '\r') out.remove_suffix(1);
  return out;
}

std::string SourceManager::describe(const SourceLoc& loc) const {
  if (!loc.valid() || loc.file > files_.size()) return "<unknown>";
  return files_[loc.file - 1].path + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col);
}

}  // namespace nsplan
