#pragma once

// Quantization-aware training as a training hook, and the calibration pass (LibTorch).
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

#include "hlslim/engine/precision_plan.hpp"
#include "hlslim/train/batches.hpp"
#include "hlslim/train/quantize_options.hpp"
#include "hlslim/train/torch_model.hpp"
#include "hlslim/train/trainer.hpp"

namespace hlslim {

/// Quantization while a model trains: float for the first `float_epochs` epochs, then
/// calibrated on the current weights and fake-quantized for the rest. Epochs before that are
/// not selectable as the result. The resolved precision travels with checkpoints.
class QuantizeDuringTraining : public TrainHook {
 public:
  QuantizeDuringTraining(const QuantizeOptions& options, const BatchSource& source,
                         std::vector<std::size_t> calibration, std::int64_t float_epochs);

  void on_train_begin(Trainer& trainer) override;
  void on_epoch_end(Trainer& trainer, EpochRecord& record) override;
  void save_state(const std::filesystem::path& dir) override;
  void load_state(const std::filesystem::path& dir) override;

  /// The precision once quantization started.
  const std::optional<ModelPrecision>& precision() const { return precision_; }

 private:
  const QuantizeOptions& options_;
  const BatchSource& source_;
  std::vector<std::size_t> calibration_;
  std::int64_t float_epochs_;
  std::optional<ModelPrecision> precision_;
};

/// Ranges of the input and of every layer's output of a float model on `indices`.
ValueRanges value_ranges(GraphModule& module, const BatchSource& source,
                         const std::vector<std::size_t>& indices);

}  // namespace hlslim
