// A reader of libcgroup's cgconfig.conf(5), for `nsplan import cgconfig`: the file's sections as
// written, each word with where it was written. It only reads; what the sections mean for nsplan
// is compiler/cgconfig_import.h's business.
//
// The grammar is libcgroup's (src/lex.l, src/parse.y):
//   file      := { mount | namespace | group | template | default }
//   mount     := "mount" "{" setting { setting } "}"        controller = path;
//   namespace := "namespace" "{" setting { setting } "}"    controller = path;
//   group     := "group" NAME "{" { perm | NAME "{" { setting } "}" } "}"
//   template  := "template" NAME "{" ... as group ... "}"
//   default   := "default" "{" perm "}"
//   perm      := "perm" "{" [ "task" "{" { setting } "}" ] [ "admin" "{" { setting } "}" ] "}"
//   setting   := WORD "=" WORD ";"
// A WORD is [A-Za-z0-9_./,%@-]+ (% and @ for template names such as students/%u) or a double-quoted string (no escapes; it may span lines). A line
// whose first non-blank character is '#' (or '*', as libcgroup's lexer also takes) is a comment;
// so is a '#' after the words of a line (libcgroup refuses it there: nsplan is lenient).
//
// No crash and bounded work on any input: errors are located diagnostics, and after the first
// error in a section the reader skips to the end of that section and goes on with the next.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "compiler/diagnostics.h"

namespace nsplan::cgconfig {

struct Word {
  std::string text;  // without the quotes
  SourceLoc loc;
  bool quoted = false;
};

// NAME = VALUE;
struct Setting {
  Word name;
  Word value;
};

// perm { task { ... } admin { ... } }
struct Permissions {
  SourceLoc loc;  // the "perm" keyword
  std::optional<std::vector<Setting>> task;   // uid, gid, fperm
  std::optional<std::vector<Setting>> admin;  // uid, gid, dperm, fperm
  SourceLoc task_loc, admin_loc;
};

// CONTROLLER { settings }: "cpu", "name=foo"; the settings are file names and values.
struct ControllerSection {
  Word controller;
  std::vector<Setting> settings;
};

// group NAME { ... } and template NAME { ... }
struct Group {
  SourceLoc keyword;  // "group" or "template"
  Word name;          // "daemons/www", "." for the root, "students/%u" in a template
  std::optional<Permissions> perm;
  std::vector<ControllerSection> controllers;
};

struct Config {
  std::vector<Setting> mounts;      // every mount section's settings, in order
  std::vector<Setting> namespaces;  // every namespace section's settings, in order
  std::vector<Group> groups;
  std::vector<Group> templates;
  std::optional<Permissions> default_perm;
  SourceLoc default_loc;
};

// Reads file FILE of SOURCES (already added there). Problems go to DIAGS as errors; the sections
// read well are returned all the same.
Config parse(const SourceManager& sources, uint32_t file, Diagnostics& diags);

}  // namespace nsplan::cgconfig
