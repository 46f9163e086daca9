#include "hlslim/pipeline/registry.hpp"

#include "build_stage.hpp"
#include "data_stage.hpp"
#include "distill_stage.hpp"
#include "export_stage.hpp"
#include "hlslim/util/errors.hpp"
#include "prune_stage.hpp"
#include "quantize_stage.hpp"
#include "reference_stage.hpp"
#include "train_stage.hpp"

namespace hlslim {

void StageRegistry::add(Factory factory) {
  const std::string type = factory()->type();
  for (const auto& entry : entries_) {
    if (entry.first == type) throw Error("stage type '" + type + "' is registered twice");
  }
  entries_.emplace_back(type, std::move(factory));
}

std::unique_ptr<Stage> StageRegistry::create(const std::string& type) const {
  for (const auto& entry : entries_)
    if (entry.first == type) return entry.second();
  return nullptr;
}

std::vector<std::string> StageRegistry::types() const {
  std::vector<std::string> out;
  for (const auto& entry : entries_) out.push_back(entry.first);
  return out;
}

void register_builtin_stages(StageRegistry& registry) {
  registry.add([] { return std::make_unique<DataStage>(); });
  registry.add([] { return std::make_unique<ReferenceStage>(); });
  registry.add([] { return std::make_unique<BuildStage>(); });
  registry.add([] { return std::make_unique<TrainStage>(); });
  registry.add([] { return std::make_unique<PruneStage>(); });
  registry.add([] { return std::make_unique<QuantizeStage>(); });
  registry.add([] { return std::make_unique<DistillStage>(); });
  registry.add([] { return std::make_unique<ExportStage>(); });
}

const StageRegistry& builtin_stages() {
  static const StageRegistry registry = [] {
    StageRegistry r;
    register_builtin_stages(r);
    return r;
  }();
  return registry;
}

}  // namespace hlslim
