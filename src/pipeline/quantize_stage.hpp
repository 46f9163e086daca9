#pragma once

#include <yaml-cpp/yaml.h>

#include "hlslim/pipeline/stage.hpp"
#include "hlslim/train/learned_widths_options.hpp"
#include "hlslim/train/quantize_options.hpp"
#include "hlslim/train/train_options.hpp"

namespace hlslim {

/// Post-training quantization, or quantization-aware fine-tuning after it.
enum class QuantizeMethod { kPtq, kQat };

/// `quantize`: fixed-point quantization of a trained model with ap_fixed semantics. Batch
/// norms are folded into the layers before them; precisions per layer and role resolve by
/// name > type > model, `auto` parts are calibrated on training data (post-training
/// quantization), and with `method: qat` the model is then fine-tuned with fake-quantized
/// weights and activations (quantization-aware training). Every quantized figure comes from the
/// bit-accurate fixed-point engine; the report lists per layer the precisions, the ranges seen
/// against the representable ones, and overflow counts on the test set.
class QuantizeStage : public Stage {
 public:
  const char* type() const override { return "quantize"; }
  const char* summary() const override {
    return "Quantize a model to ap_fixed types (calibrated PTQ or QAT), evaluated bit-accurately.";
  }
  void declare(OptionTable& options) override;
  void configure(const OptionValues& values, Diagnostics& diagnostics) override;
  void check(PipelineSketch& sketch, const SourcePos& pos, Diagnostics& diagnostics) const override;
  std::vector<std::string> models_read(const PipelineConfig&) const override { return {model_}; }
  void run(StageContext& context) override;

 private:
  std::string model_;
  QuantizeMethod method_ = QuantizeMethod::kPtq;
  QuantizeOptions quantize_;
  LearnWidthsOptions learn_widths_;
  TrainOptions fine_tune_;
  double degradation_warning_ = 0.1;
};

}  // namespace hlslim
