#include "hlslim/util/diagnostics.hpp"

#include <algorithm>
#include <tuple>

namespace hlslim {

std::string SourcePos::str() const {
  if (line <= 0) return file;
  return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const char* severity_name(Severity severity) {
  switch (severity) {
    case Severity::kError:
      return "error";
    case Severity::kWarning:
      return "warning";
    case Severity::kNote:
      return "note";
  }
  return "?";
}

std::string Diagnostic::str() const {
  std::string out = pos.str();
  if (!out.empty()) out += ": ";
  return out + severity_name(severity) + ": " + message;
}

void Diagnostics::error(SourcePos pos, std::string message) {
  items_.push_back({Severity::kError, std::move(pos), std::move(message)});
  ++error_count_;
}

void Diagnostics::warning(SourcePos pos, std::string message) {
  items_.push_back({Severity::kWarning, std::move(pos), std::move(message)});
}

void Diagnostics::note(SourcePos pos, std::string message) {
  items_.push_back({Severity::kNote, std::move(pos), std::move(message)});
}

void Diagnostics::merge(const Diagnostics& other) {
  items_.insert(items_.end(), other.items_.begin(), other.items_.end());
  error_count_ += other.error_count_;
}

std::string Diagnostics::format() const {
  std::vector<const Diagnostic*> sorted;
  for (const auto& d : items_) sorted.push_back(&d);
  std::stable_sort(sorted.begin(), sorted.end(), [](const Diagnostic* a, const Diagnostic* b) {
    return std::tie(a->pos.file, a->pos.line, a->pos.column) <
           std::tie(b->pos.file, b->pos.line, b->pos.column);
  });
  std::string out;
  // A config can make millions of errors (a generated file gone wrong); the first ones say
  // what is wrong, the count says how much.
  constexpr std::size_t kListed = 50;
  for (std::size_t i = 0; i < sorted.size() && i < kListed; ++i) out += sorted[i]->str() + "\n";
  if (sorted.size() > kListed) {
    out += "... " + std::to_string(sorted.size() - kListed) + " more not listed\n";
  }
  if (error_count_ > 0) {
    out += std::to_string(error_count_) + (error_count_ == 1 ? " error" : " errors") +
           " found; nothing was run.\n";
  }
  return out;
}

}  // namespace hlslim
