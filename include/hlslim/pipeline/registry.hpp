#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "hlslim/pipeline/stage.hpp"

namespace hlslim {

/// The stages a pipeline can use, by type name. Registration is explicit (see
/// register_builtin_stages()), never through static initialisers a linker may drop.
class StageRegistry {
 public:
  using Factory = std::function<std::unique_ptr<Stage>()>;

  /// Adds a stage type; throws hlslim::Error if the name is taken.
  void add(Factory factory);

  /// A new instance, or nullptr when the type is unknown.
  std::unique_ptr<Stage> create(const std::string& type) const;

  /// Every registered type name, in registration order.
  std::vector<std::string> types() const;

 private:
  std::vector<std::pair<std::string, Factory>> entries_;
};

/// Registers every stage that ships with hlslim.
void register_builtin_stages(StageRegistry& registry);

/// A registry holding the built-in stages.
const StageRegistry& builtin_stages();

}  // namespace hlslim
