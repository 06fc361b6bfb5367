#include "compiler/yaml_tree.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <map>
#include <sstream>

#include "compiler/text_policy.h"

namespace nsplan {

const YamlNode* YamlNode::get(std::string_view key) const {
  for (const auto& [k, v] : entries)
    if (k->scalar == key) return v.get();
  return nullptr;
}

const char* YamlNode::type_name() const {
  switch (type) {
    case Type::Null: return "nothing";
    case Type::Scalar: return "a scalar";
    case Type::Sequence: return "a list";
    case Type::Map: return "a mapping";
  }
  return "?";
}

namespace {

// Thrown inside the handler to stop parsing at the first structural problem we cannot recover.
struct StopParsing {};

class TreeBuilder : public YAML::EventHandler {
 public:
  TreeBuilder(const SourceManager& sm, uint32_t file, Diagnostics& diags, const YamlLimits& limits)
      : sm_(sm), file_(file), diags_(diags), limits_(limits) {}

  YamlPtr root() const { return root_; }

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto n = std::make_shared<YamlNode>();
    n->type = YamlNode::Type::Null;
    n->loc = loc_of(mark, 1);
    finish(n, anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    auto it = anchors_.find(anchor);
    if (it == anchors_.end()) {
      diags_.error(loc_of(mark, 1), "unknown alias");
      throw StopParsing{};
    }
    // The same node is shared, not copied; its weight counts in full towards the limit.
    add_to_parent(it->second, loc_of(mark, 1));
  }

  void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                const std::string& value) override {
    auto n = std::make_shared<YamlNode>();
    n->type = YamlNode::Type::Scalar;
    n->scalar = value;
    n->weight = 1 + value.size() / 64;  // bytes count too: aliases of a long scalar copy it
    n->quoted = (tag == "!");
    n->loc = loc_of(mark, scalar_width(mark, value, n->quoted));
    finish(n, anchor);
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value style) override {
    open(YamlNode::Type::Sequence, mark, anchor, style == YAML::EmitterStyle::Flow);
  }
  void OnSequenceEnd() override { close(); }

  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value style) override {
    open(YamlNode::Type::Map, mark, anchor, style == YAML::EmitterStyle::Flow);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Open {
    std::shared_ptr<YamlNode> node;
    YAML::anchor_t anchor;
    YamlPtr pending_key;  // maps: the key waiting for its value
    std::map<std::string, SourceLoc> seen;  // maps: keys so far, for duplicate detection
  };

  SourceLoc loc_of(const YAML::Mark& m, size_t width) const {
    SourceLoc loc;
    loc.file = file_;
    loc.line = static_cast<uint32_t>(m.line + 1);
    loc.col = static_cast<uint32_t>(m.column + 1);
    loc.len = static_cast<uint32_t>(width == 0 ? 1 : width);
    return loc;
  }

  // Width of the scalar as written on its first line, for the ~~~ underline.
  size_t scalar_width(const YAML::Mark& m, const std::string& value, bool quoted) const {
    std::string_view line = sm_.line_text(file_, static_cast<uint32_t>(m.line + 1));
    size_t col = static_cast<size_t>(m.column);
    if (col >= line.size()) return 1;
    size_t want = value.find('\n') == std::string::npos ? value.size() + (quoted ? 2 : 0) : 1;
    return std::max<size_t>(1, std::min(want, line.size() - col));
  }

  void open(YamlNode::Type type, const YAML::Mark& mark, YAML::anchor_t anchor, bool flow) {
    if (stack_.size() >= limits_.max_depth) {
      diags_.error(loc_of(mark, 1), "nesting deeper than " + std::to_string(limits_.max_depth) +
                                        " levels", "a profile is a few levels deep; check the indentation");
      throw StopParsing{};
    }
    auto n = std::make_shared<YamlNode>();
    n->type = type;
    n->flow = flow;
    n->loc = loc_of(mark, 1);
    stack_.push_back(Open{n, anchor, nullptr, {}});
  }

  void close() {
    Open top = std::move(stack_.back());
    stack_.pop_back();
    if (top.node->type == YamlNode::Type::Map && top.pending_key) {
      // Cannot happen with a well-formed event stream; be defensive.
      diags_.error(top.pending_key->loc, "key without a value");
    }
    finish(top.node, top.anchor);
  }

  void finish(const std::shared_ptr<YamlNode>& n, YAML::anchor_t anchor) {
    if (anchor != YAML::NullAnchor) anchors_[anchor] = n;
    add_to_parent(n, n->loc);
  }

  void add_to_parent(const YamlPtr& n, SourceLoc use_loc) {
    total_weight_ += n->weight;
    if (total_weight_ > limits_.max_weight) {
      diags_.error(use_loc, "document expands to more than " + std::to_string(limits_.max_weight) +
                                " nodes", "aliases that repeat aliases grow exponentially; write the values out");
      throw StopParsing{};
    }
    if (stack_.empty()) {
      root_ = n;
      return;
    }
    Open& parent = stack_.back();
    parent.node->weight += n->weight;
    if (parent.node->type == YamlNode::Type::Sequence) {
      parent.node->items.push_back(n);
      return;
    }
    if (!parent.pending_key) {
      if (n->type != YamlNode::Type::Scalar) {
        diags_.error(use_loc, std::string("a key must be a plain word, not ") + n->type_name());
        throw StopParsing{};
      }
      parent.pending_key = n;
      return;
    }
    YamlPtr key = std::move(parent.pending_key);
    parent.pending_key = nullptr;
    auto [it, fresh] = parent.seen.emplace(key->scalar, key->loc);
    if (!fresh) {
      diags_.error(key->loc, "duplicate key '" + key->scalar + "'",
                   "first given at " + sm_.describe(it->second) + "; YAML would keep only one of them");
      return;
    }
    parent.node->entries.emplace_back(std::move(key), n);
  }

  const SourceManager& sm_;
  uint32_t file_;
  Diagnostics& diags_;
  YamlLimits limits_;
  std::vector<Open> stack_;
  std::map<YAML::anchor_t, YamlPtr> anchors_;
  YamlPtr root_;
  uint64_t total_weight_ = 0;
};

}  // namespace

YamlPtr parse_yaml(const SourceManager& sm, uint32_t file, Diagnostics& diags, const YamlLimits& limits) {
  const std::string& text = sm.file(file).text;
  // Before yaml-cpp: it decodes UTF-16/32 on its own, lets some invalid UTF-8 through, and
  // cannot say where a bad byte sits in a comment or a key.
  if (auto problem = text::check_file(text)) {
    diags.error(sm.loc_at(file, problem->offset), problem->message, problem->hint);
    return nullptr;
  }
  std::istringstream in(text);
  TreeBuilder builder(sm, file, diags, limits);
  auto at = [&](const YAML::Mark& m) {
    SourceLoc loc;
    loc.file = file;
    loc.line = static_cast<uint32_t>(m.line < 0 ? 1 : m.line + 1);
    loc.col = static_cast<uint32_t>(m.column < 0 ? 1 : m.column + 1);
    return loc;
  };
  try {
    YAML::Parser parser(in);
    if (!parser.HandleNextDocument(builder)) {
      auto n = std::make_shared<YamlNode>();
      n->loc = SourceLoc{file, 1, 1, 1};
      return n;
    }
    YamlPtr root = builder.root();
    // A profile is one document; a second one would be ignored silently otherwise.
    TreeBuilder rest(sm, file, diags, limits);
    size_t before = diags.all().size();
    if (parser.HandleNextDocument(rest) && diags.all().size() == before) {
      SourceLoc loc = rest.root() ? rest.root()->loc : SourceLoc{file, 1, 1, 1};
      diags.error(loc, "a profile holds one YAML document; this is a second one",
                  "remove the '---' separator or split the profiles into files");
    }
    if (!root) {
      auto n = std::make_shared<YamlNode>();
      n->loc = SourceLoc{file, 1, 1, 1};
      return n;
    }
    return root;
  } catch (const StopParsing&) {
    return nullptr;
  } catch (const YAML::Exception& e) {
    std::string msg = e.msg.empty() ? "invalid YAML" : e.msg;
    diags.error(at(e.mark), "YAML syntax: " + msg);
    return nullptr;
  } catch (const std::exception& e) {
    diags.error(SourceLoc{file, 1, 1, 1}, std::string("YAML: ") + e.what());
    return nullptr;
  }
}

}  // namespace nsplan
