#include "compiler/loader.h"

#include <filesystem>
#include <optional>

#include "compiler/escape.h"
#include "compiler/names.h"
#include "compiler/profile_reader.h"
#include "compiler/text_policy.h"

namespace nsplan {

YamlPtr merge_yaml(const YamlPtr& base, const YamlPtr& over) {
  if (!base) return over;
  if (!over) return base;
  if (!base->is_map() || !over->is_map()) return over;
  auto out = std::make_shared<YamlNode>(*base);
  out->loc = over->loc;
  for (const auto& [key, value] : over->entries) {
    bool found = false;
    for (auto& entry : out->entries) {
      if (entry.first->scalar != key->scalar) continue;
      entry.second = merge_yaml(entry.second, value);
      entry.first = key;
      found = true;
      break;
    }
    if (!found) out->entries.emplace_back(key, value);
  }
  out->weight = 1;
  for (const auto& [k, v] : out->entries) out->weight += k->weight + v->weight;
  return out;
}

namespace {

namespace fs = std::filesystem;

// The candidates for one `include:`/`extends:` name: one file, or one per directory of the
// search path (the first that exists is read).
struct Lookup {
  std::vector<FileRequest> candidates;
  std::string profile_name;  // set for a lookup by name on the search path
};

// The file that names others: its request and the reader's handle of its directory.
struct Includer {
  const FileRequest& request;
  int directory;
};

std::string joined(const std::vector<std::string>& dirs) {
  std::string out;
  for (const auto& d : dirs) out += (out.empty() ? "" : ", ") + d;
  return out.empty() ? "empty" : out;
}

class Loader {
 public:
  Loader(const FileReader& read, SourceManager& sm, Diagnostics& diags, const LoadOptions& options)
      : read_(read), sm_(sm), diags_(diags), options_(options) {
    for (const auto& dir : options_.search_path) search_path_.push_back(without_trailing_slash(dir));
  }

  YamlPtr load(const Lookup& lookup, SourceLoc included_at) {
    if (++files_ > options_.max_files) {
      diags_.error(included_at, "more than " + std::to_string(options_.max_files) + " files included");
      return nullptr;
    }
    if (chain_.size() >= options_.max_depth) {
      diags_.error(included_at, "includes nested deeper than " + std::to_string(options_.max_depth));
      return nullptr;
    }
    FileContent content;
    const FileRequest* request = read_first(lookup, included_at, content);
    if (!request) return nullptr;
    const std::string& path = request->path;
    for (const auto& [identity, name] : chain_) {
      if (identity != content.identity) continue;
      std::string cycle;
      bool in = false;
      for (const auto& [id, n] : chain_) {
        if (id == content.identity) in = true;
        if (in) cycle += n + " -> ";
      }
      diags_.error(included_at, "include cycle: " + cycle + path,
                   "a profile cannot include itself, directly or through others");
      return nullptr;
    }
    uint32_t file = sm_.add(path, std::move(content.text), included_at);
    YamlPtr root = parse_yaml(sm_, file, diags_);
    if (!root) return nullptr;
    if (root->is_null()) return root;
    if (!root->is_map()) {
      diags_.error(root->loc, std::string("a profile is a mapping of keys, not ") + root->type_name(),
                   "start with `nsplan: 1`");
      return nullptr;
    }
    chain_.emplace_back(content.identity, path);
    Includer self{*request, content.directory};
    YamlPtr merged;
    auto own = std::make_shared<YamlNode>(*root);
    own->entries.clear();
    for (const auto& [key, value] : root->entries) {
      if (key->scalar == "extends") {
        if (value->type != YamlNode::Type::Scalar) {
          diags_.error(value->loc, "extends: expects one file or profile name");
          continue;
        }
        // The base comes first whatever the order of keys, so that this file wins.
        if (auto lookup = look_up("extends:", *value, self)) merged = merge_yaml(load(*lookup, value->loc), merged);
      } else if (key->scalar != "include") {
        own->entries.emplace_back(key, value);
      }
    }
    if (const YamlNode* inc = root->get("include")) {
      std::vector<const YamlNode*> names;
      if (inc->type == YamlNode::Type::Scalar) names.push_back(inc);
      else if (inc->type == YamlNode::Type::Sequence)
        for (const auto& item : inc->items) names.push_back(item.get());
      else
        diags_.error(inc->loc, "include: expects a file name or a list of them");
      for (const YamlNode* name : names) {
        if (name->type != YamlNode::Type::Scalar) {
          diags_.error(name->loc, "include: expects file names");
          continue;
        }
        if (auto lookup = look_up("include:", *name, self)) merged = merge_yaml(merged, load(*lookup, name->loc));
      }
    }
    chain_.pop_back();
    return merge_yaml(merged, own);
  }

  // A profile named by name: NAME.yaml in each directory of the search path, in order.
  Lookup by_name(const std::string& name) const {
    Lookup lookup;
    lookup.profile_name = name;
    for (const auto& dir : search_path_)
      lookup.candidates.push_back(search_request(dir + "/" + name + ".yaml", dir, name + ".yaml"));
    return lookup;
  }

 private:
  // Reads the first candidate that exists into `content`; null (and an error) when none can be.
  const FileRequest* read_first(const Lookup& lookup, SourceLoc included_at, FileContent& content) {
    for (const auto& candidate : lookup.candidates) {
      content = read_(candidate);
      if (content.missing && !lookup.profile_name.empty()) continue;  // try the next search directory
      if (content.ok) return &candidate;
      diags_.error(included_at, "cannot read '" + candidate.path + "': " + content.error, content.hint);
      return nullptr;
    }
    diags_.error(included_at,
                 "no profile '" + lookup.profile_name + "' on the profile search path (" + joined(search_path_) + ")",
                 not_found_hint(lookup.profile_name, included_at.valid()));
    return nullptr;
  }

  // The nearest name the search path holds, else how to name a file instead.
  std::string not_found_hint(const std::string& name, bool in_a_profile) const {
    if (options_.names_in) {
      std::vector<std::string> names;
      for (const auto& dir : search_path_)
        for (auto& n : options_.names_in(dir))
          if (is_name(n)) names.push_back(std::move(n));
      std::vector<std::string_view> candidates(names.begin(), names.end());
      if (std::string best = closest_match(name, candidates); !best.empty()) return "did you mean '" + best + "'?";
    }
    return in_a_profile ? "a bare name is looked up as NAME.yaml there; a file next to this profile is named with its "
                          "extension or as ./NAME"
                        : "a bare name is looked up as NAME.yaml there, never in the current directory; a file is "
                          "named with its extension or as ./NAME";
  }

  static std::string without_trailing_slash(const std::string& path) {
    std::string dir = fs::path(path).lexically_normal().string();
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return dir;
  }

  // What a name in `include:`/`extends:` may reach (docs/profile-format.md, "Where included
  // files come from"): a path reaches files below the directory of the file that names it; a
  // bare name reaches NAME.yaml in the search path; an absolute path must lie below a directory
  // of the search path. Everything else is refused here, before the reader is asked; the
  // reader refuses what only the file system can tell (a symbolic link out, a FIFO).
  std::optional<Lookup> look_up(const char* key, const YamlNode& node, const Includer& from) {
    const std::string& name = node.scalar;
    if (!readable_file_name(key, node)) return std::nullopt;
    const std::string hint = "include: and extends: name files below the directory of the file that names them, "
                             "or profiles on the search path by name (`extends: base` reads " +
                             first_search_directory() + "/base.yaml)";
    Lookup lookup;
    if (!is_profile_path(name)) {
      if (!is_name(name)) {
        diags_.error(node.loc, std::string(key) + " '" + name + "' is neither a file (with a '/' or ending in .yaml) "
                     "nor a profile name", hint);
        return std::nullopt;
      }
      return by_name(name);
    }
    fs::path normal = fs::path(name).lexically_normal();
    if (normal.is_absolute()) {
      for (const auto& dir : search_path_) {
        fs::path below = normal.lexically_relative(dir);
        if (below.empty() || below == "." || *below.begin() == "..") continue;
        lookup.candidates.push_back(search_request(normal.string(), dir, below.string()));
        return lookup;
      }
      diags_.error(node.loc, std::string(key) + " '" + name + "' is outside '" + directory_of(from.request.path) +
                   "', the directory of this file, and the profile search path (" + joined(search_path_) +
                   "); expected a file below one of them", hint);
      return std::nullopt;
    }
    if (from.request.within == FileRequest::Within::StandardInput) {
      diags_.error(node.loc, std::string(key) + " '" + name + "' is a path relative to the directory of this profile, "
                   "but a profile read from standard input has none",
                   "name a profile on the search path by name, or give the profile's file instead of -");
      return std::nullopt;
    }
    if (!normal.empty() && *normal.begin() == "..") {
      diags_.error(node.loc, std::string(key) + " '" + name + "' leads out of '" + directory_of(from.request.path) +
                   "', the directory of this file; expected a file below it", hint);
      return std::nullopt;
    }
    FileRequest r;
    r.path = sibling_path(from.request.path, normal);
    r.within = FileRequest::Within::IncludingDirectory;
    r.directory = from.directory;
    r.directory_path = directory_of(from.request.path);
    r.name = normal.empty() ? "." : normal.string();
    lookup.candidates.push_back(std::move(r));
    return lookup;
  }

  static FileRequest search_request(std::string path, const std::string& dir, std::string name) {
    FileRequest r;
    r.path = std::move(path);
    r.within = FileRequest::Within::SearchDirectory;
    r.search_directory = dir;
    r.directory_path = dir;
    r.name = std::move(name);
    return r;
  }

  // The file NAME beside INCLUDER, as the user sees it. One read from git ("git:REV:dir/a.yaml",
  // nsplan diff) names its sibling "git:REV:dir/b.yaml": the same revision.
  static std::string sibling_path(const std::string& includer, const fs::path& name) {
    std::string prefix, path = includer;
    if (size_t colon = includer.find(':', 4); includer.rfind("git:", 0) == 0 && colon != std::string::npos) {
      prefix = includer.substr(0, colon + 1);
      path = includer.substr(colon + 1);
    }
    return prefix + (fs::path(path).parent_path() / name).lexically_normal().string();
  }

  static std::string directory_of(const std::string& path) {
    std::string dir = fs::path(path).parent_path().string();
    return dir.empty() ? "." : dir;
  }

  std::string first_search_directory() const {
    return search_path_.empty() ? std::string(kProfileSearchPath.front()) : search_path_.front();
  }

  // A file name is shown in every diagnostic and explain comment about that file.
  bool readable_file_name(const char* key, const YamlNode& name) {
    auto problem = text::check_value(name.scalar, text::Allow::Nothing);
    if (problem) diags_.error(name.loc, std::string(key) + " file name " + problem->message, problem->hint);
    return !problem;
  }

  const FileReader& read_;
  SourceManager& sm_;
  Diagnostics& diags_;
  LoadOptions options_;
  std::vector<std::string> search_path_;
  size_t files_ = 0;
  std::vector<std::pair<std::string, std::string>> chain_;  // identity, path
};

}  // namespace

YamlPtr load_profile(const std::string& path, const FileReader& read, SourceManager& sm,
                     Diagnostics& diags, const LoadOptions& options) {
  Loader loader(read, sm, diags, options);
  FileRequest top;
  top.path = path;
  if (path == "-") {
    top.path = kStdinPath;
    top.within = FileRequest::Within::StandardInput;
  } else if (!is_profile_path(path)) {
    // By its form alone, never by what the current directory holds (compiler/names.h).
    if (is_name(path)) return loader.load(loader.by_name(path), {});
    diags.error({}, "'" + text::escaped(path) + "' is neither a profile name nor a profile file",
                "a name (1 to 64 letters, digits, '_', '.' or '-', not first '.' or '-') is looked up as NAME.yaml "
                "on the profile search path; a file has a '/' or ends in .yaml or .yml (./FILE for one in the "
                "current directory); - reads standard input");
    return nullptr;
  }
  return loader.load(Lookup{{top}, {}}, {});
}

}  // namespace nsplan
