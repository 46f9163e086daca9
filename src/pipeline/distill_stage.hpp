#pragma once

#include <yaml-cpp/yaml.h>

#include "hlslim/pipeline/stage.hpp"
#include "hlslim/train/learned_widths_options.hpp"
#include "hlslim/train/prune_options.hpp"
#include "hlslim/train/quantize_options.hpp"
#include "hlslim/train/train_options.hpp"

namespace hlslim {

class TeacherCache;

/// `distill`: trains a small student on a trained teacher's outputs mixed with the truth
/// (soft labels with a temperature for classification, the teacher's predictions for
/// regression), optionally with hint losses between named layers, while pruning and quantizing
/// it. The teacher runs once per sample (cached). With `baseline`, the same student is also
/// trained on the truth alone with the same compression, so the value of distillation is
/// measured. Figures of quantized students come from the fixed-point engine.
class DistillStage : public Stage {
 public:
  const char* type() const override { return "distill"; }
  const char* summary() const override {
    return "Distil a teacher into a small student, pruned and quantized while it trains.";
  }
  void declare(OptionTable& options) override;
  void configure(const OptionValues& values, Diagnostics& diagnostics) override;
  void check(PipelineSketch& sketch, const SourcePos& pos, Diagnostics& diagnostics) const override;
  std::vector<std::string> models_read(const PipelineConfig&) const override {
    return {teacher_, student_};
  }
  void run(StageContext& context) override;

 private:
  struct Hint {
    std::string teacher, student;
    double weight = 1.0;
  };
  struct Outcome;
  Outcome train_student(StageContext& context, const Graph& initial, double alpha,
                        const std::vector<Hint>& hints, const std::string& label,
                        TeacherCache* cache);

  std::string teacher_;
  std::string student_;
  double alpha_ = 0.5;
  double temperature_ = 4.0;
  std::vector<std::string> distill_losses_;
  std::vector<Loss> distill_loss_kinds_;  // distill_losses_, parsed by configure()
  YAML::Node hints_node_;
  double cache_mb_ = 1024;
  bool baseline_ = true;
  TrainOptions train_;
  PruneOptions prune_;
  bool quantize_enabled_ = false;
  std::int64_t float_epochs_ = -1;
  QuantizeOptions quantize_;
  LearnWidthsOptions learn_widths_;

  std::vector<Hint> hints_;
  SourcePos hints_pos_;
};

}  // namespace hlslim
