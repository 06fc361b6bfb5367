#include "cli/json_output.h"

#include <iostream>
#include <sstream>
#include <streambuf>

#include "compiler/json_emitter.h"

namespace nsplan::cli::json_output {
namespace {

// Writes to standard error as before, and keeps a copy.
class TeeBuffer : public std::streambuf {
 public:
  explicit TeeBuffer(std::streambuf* to) : to_(to) {}
  const std::string& kept() const { return kept_; }

 protected:
  int overflow(int ch) override {
    if (ch == traits_type::eof()) return traits_type::not_eof(ch);
    kept_ += static_cast<char>(ch);
    return to_->sputc(static_cast<char>(ch));
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    kept_.append(s, static_cast<size_t>(n));
    return to_->sputn(s, n);
  }
  int sync() override { return to_->pubsync(); }

 private:
  std::streambuf* to_;
  std::string kept_;
};

bool g_enabled = false;
bool g_printed = false;
TeeBuffer* g_tee = nullptr;
Json g_diagnostics = Json::array();

Json text_or_null(const std::string& s) { return s.empty() ? Json(nullptr) : Json(s); }

}  // namespace

void enable() {
  if (g_enabled) return;
  g_enabled = true;
  g_tee = new TeeBuffer(std::cerr.rdbuf());  // lives as long as the process
  std::cerr.rdbuf(g_tee);
}

bool enabled() { return g_enabled; }

Json document(const char* kind) {
  Json j;
  j["nsplan_json"] = kVersion;
  j["kind"] = kind;
  return j;
}

Json document(const char* kind, const std::string& doc_text) {
  Json j = document(kind);
  const Json body = Json::parse(doc_text);
  for (const auto& [key, value] : body.items()) j[key] = value;
  return j;
}

void print(const Json& doc) {
  std::cout << doc.dump(2, ' ', false, Json::error_handler_t::replace) << "\n";
  g_printed = true;
}

Json diagnostics(const Diagnostics& diags, const SourceManager& sm) {
  Json list = Json::array();
  for (const auto& d : diags.all()) list.push_back(diagnostic_json(d, sm));
  return list;
}

void keep_diagnostics(const Diagnostics& diags, const SourceManager& sm) {
  for (const auto& d : diags.all()) g_diagnostics.push_back(diagnostic_json(d, sm));
}

Json change(const applier::Change& c) {
  Json j;
  j["action"] = c.action();
  j["object"] = c.object;
  if (!c.path.empty()) j["path"] = c.path;
  if (!c.link.empty()) j["link"] = c.link;
  if (!c.netns.empty()) j["netns"] = c.netns;
  j["before"] = c.before ? Json(*c.before) : Json(nullptr);
  j["after"] = c.after ? Json(*c.after) : Json(nullptr);
  j["from"] = text_or_null(c.where);
  j["text"] = c.text;
  return j;
}

Json changes(const std::vector<applier::Change>& list) {
  Json out = Json::array();
  for (const auto& c : list) out.push_back(change(c));
  return out;
}

int finish(int status) {
  if (!g_enabled || g_printed || status == 0) return status;
  // The errors the command printed: "nsplan: error: MESSAGE", each followed by its hints.
  Json errors = Json::array();
  std::istringstream kept(g_tee ? g_tee->kept() : std::string());
  for (std::string line; std::getline(kept, line);) {
    static const std::string kError = "nsplan: error: ", kHint = "  hint: ";
    if (line.rfind(kError, 0) == 0) errors.push_back({{"message", line.substr(kError.size())}, {"hints", Json::array()}});
    else if (line.rfind(kHint, 0) == 0 && !errors.empty()) errors.back()["hints"].push_back(line.substr(kHint.size()));
  }
  std::string message;
  if (!errors.empty()) message = errors.front()["message"].get<std::string>();
  for (const auto& d : g_diagnostics) {
    if (!message.empty()) break;
    if (d["severity"] != "error") continue;
    const std::string where = d["where"].get<std::string>();
    message = (where.empty() ? "" : where + ": ") + d["message"].get<std::string>();
  }
  if (message.empty()) message = "failed (exit status " + std::to_string(status) + ")";
  Json doc = document("error");
  doc["exit_status"] = status;
  doc["message"] = message;
  doc["errors"] = errors;
  doc["diagnostics"] = g_diagnostics;
  print(doc);
  return status;
}

}  // namespace nsplan::cli::json_output
