#include "compiler/source.h"

#include <algorithm>

namespace nsplan {

uint32_t SourceManager::add(std::string path, std::string text, SourceLoc included_at) {
  files_.push_back(File{std::move(path), std::move(text), included_at, {0}});
  File& f = files_.back();
  for (size_t nl = f.text.find('\n'); nl != std::string::npos; nl = f.text.find('\n', nl + 1)) f.line_starts.push_back(nl + 1);
  return static_cast<uint32_t>(files_.size());
}

std::string_view SourceManager::line_text(uint32_t id, uint32_t line) const {
  if (id == 0 || id > files_.size() || line == 0) return {};
  const File& f = files_[id - 1];
  std::string_view text = f.text;
  if (line > f.line_starts.size()) return {};
  size_t start = f.line_starts[line - 1];
  size_t end = text.find('\n', start);
  std::string_view out = text.substr(start, end == std::string_view::npos ? text.size() - start : end - start);
  if (!out.empty() && out.back() == '\r') out.remove_suffix(1);
  return out;
}

SourceLoc SourceManager::loc_at(uint32_t id, size_t offset) const {
  const File& f = file(id);
  auto next = std::upper_bound(f.line_starts.begin(), f.line_starts.end(), offset);
  size_t line = static_cast<size_t>(next - f.line_starts.begin());
  return SourceLoc{id, static_cast<uint32_t>(line), static_cast<uint32_t>(offset - *(next - 1) + 1), 1};
}

std::string SourceManager::describe(const SourceLoc& loc) const {
  if (!loc.valid() || loc.file > files_.size()) return "<unknown>";
  return files_[loc.file - 1].path + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col);
}

}  // namespace nsplan
