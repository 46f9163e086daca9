// The run sections of the report: provenance from manifest.json and the resolved config.

#include "hlslim/report/svg.hpp"
#include "sections.hpp"

namespace hlslim::report {
namespace {

std::string field(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

std::string provenance_section(const RunData& run) {
  const nlohmann::json& m = run.manifest;
  HtmlTable about({"key", "value"});
  for (const char* key :
       {"hlslim_version", "git_commit", "created", "updated", "status", "config"}) {
    about.raw_row({key, "<code>" + xml_escape(field(m, key)) + "</code>"});
  }
  HtmlTable stages({"#", "stage", "type", "status", "seconds", "started", "fingerprint", "error"});
  std::size_t index = 0;
  for (const StageData& s : run.stages) {
    ++index;
    const std::string short_print = s.fingerprint.substr(0, 12);
    const std::string status = s.status ? status_name(*s.status) : "unknown";
    stages.raw_row(
        {std::to_string(index), xml_escape(s.name), xml_escape(s.type),
         "<span class=\"status-" + status + "\">" + status + "</span>", cell(s.seconds),
         xml_escape(s.started),
         "<code title=\"" + xml_escape(s.fingerprint) + "\">" + xml_escape(short_print) + "</code>",
         xml_escape(s.error)});
  }
  return section("provenance", "Provenance",
                 about.html() + stages.html() +
                     "<p class=\"caption\">From <code>manifest.json</code>; fingerprints are "
                     "shortened (hover for the full SHA-256).</p>");
}

std::string config_section(const RunData& run) {
  if (run.config_text.empty()) {
    return section("config", "Resolved config",
                   note("config.yaml is missing from the run directory."));
  }
  return section("config", "Resolved config", "<pre>" + xml_escape(run.config_text) + "</pre>");
}

}  // namespace hlslim::report
