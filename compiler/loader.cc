#include "compiler/loader.h"

#include <filesystem>

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

class Loader {
 public:
  Loader(const FileReader& read, SourceManager& sm, Diagnostics& diags, const LoadLimits& limits)
      : read_(read), sm_(sm), diags_(diags), limits_(limits) {}

  YamlPtr load(const std::string& path, SourceLoc included_at) {
    if (++files_ > limits_.max_files) {
      diags_.error(included_at, "more than " + std::to_string(limits_.max_files) + " files included");
      return nullptr;
    }
    if (chain_.size() >= limits_.max_depth) {
      diags_.error(included_at, "includes nested deeper than " + std::to_string(limits_.max_depth));
      return nullptr;
    }
    FileContent content = read_(path);
    if (!content.ok) {
      diags_.error(included_at, "cannot read '" + path + "': " + content.error);
      return nullptr;
    }
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
    YamlPtr merged;
    auto own = std::make_shared<YamlNode>(*root);
    own->entries.clear();
    for (const auto& [key, value] : root->entries) {
      if (key->scalar == "extends") {
        if (value->type != YamlNode::Type::Scalar) {
          diags_.error(value->loc, "extends: expects one file name");
          continue;
        }
        if (!readable_file_name("extends:", *value)) continue;
        // The base comes first whatever the order of keys, so that this file wins.
        merged = merge_yaml(load(resolve(path, value->scalar), value->loc), merged);
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
        if (!readable_file_name("include:", *name)) continue;
        merged = merge_yaml(merged, load(resolve(path, name->scalar), name->loc));
      }
    }
    chain_.pop_back();
    return merge_yaml(merged, own);
  }

 private:
  // Relative names are relative to the directory of the file that names them.
  static std::string resolve(const std::string& from, const std::string& name) {
    std::filesystem::path p(name);
    if (p.is_absolute()) return p.lexically_normal().string();
    return (std::filesystem::path(from).parent_path() / p).lexically_normal().string();
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
  LoadLimits limits_;
  size_t files_ = 0;
  std::vector<std::pair<std::string, std::string>> chain_;  // identity, path
};

}  // namespace

YamlPtr load_profile(const std::string& path, const FileReader& read, SourceManager& sm,
                     Diagnostics& diags, const LoadLimits& limits) {
  Loader loader(read, sm, diags, limits);
  return loader.load(path, {});
}

}  // namespace nsplan
