#pragma once

#include <string>
#include <vector>

namespace hlslim {

/// Where a diagnostic points: a file with 1-based line and column, or a command-line argument
/// (then `file` holds the argument text and line/column are 0).
struct SourcePos {
  std::string file;
  int line = 0;
  int column = 0;

  /// "file:line:col", or just "file" when the line is unknown.
  std::string str() const;
};

enum class Severity { kError, kWarning, kNote };

/// "error", "warning", "note".
const char* severity_name(Severity severity);

/// One positioned message, printed like a compiler's.
struct Diagnostic {
  Severity severity = Severity::kError;
  SourcePos pos;
  std::string message;

  /// "configs/x.yaml:14:5: error: unknown key 'bitz' ..."
  std::string str() const;
};

/// Collects every problem found while checking an input, so all of them can be reported at once
/// before anything runs. Never throws.
class Diagnostics {
 public:
  void error(SourcePos pos, std::string message);
  void warning(SourcePos pos, std::string message);
  void note(SourcePos pos, std::string message);

  bool has_errors() const { return error_count_ > 0; }
  std::size_t error_count() const { return error_count_; }
  const std::vector<Diagnostic>& all() const { return items_; }

  /// Appends another collection's diagnostics to this one.
  void merge(const Diagnostics& other);

  /// All diagnostics, one per line, ordered by file, line and column (stable for equal
  /// positions), followed by a summary line when there are errors.
  std::string format() const;

 private:
  std::vector<Diagnostic> items_;
  std::size_t error_count_ = 0;
};

}  // namespace hlslim
