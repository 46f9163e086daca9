#pragma once

namespace hlslim {

/// The release version, e.g. "0.1.0".
const char* version();

/// The git commit the binary was built from ("<sha>-dirty" with uncommitted changes,
/// "unknown" outside a git checkout).
const char* git_commit();

}  // namespace hlslim
