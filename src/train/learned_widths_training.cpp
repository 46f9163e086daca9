// The training hook that learns bit widths: starts from the calibrated precision, adds the
// resource term to the loss, steps the fraction bits with their own optimizer, estimates the
// LUTs after every epoch (adapting the penalty weight to a budget), and restores the widths of
// the selected epoch at the end.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <map>
#include <sstream>

#include "hlslim/export/estimates.hpp"
#include "hlslim/train/learned_widths.hpp"
#include "hlslim/train/trainer.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/json_number.hpp"

namespace fs = std::filesystem;

namespace hlslim {
namespace {

struct EpochWidths {
  std::int64_t epoch = 0;
  double penalty = 0;  // the weight this epoch trained with
  std::int64_t lut = 0;
  double proxy_lut = 0;
  bool selectable = true;
};

class LearnWidthsHook : public WidthLearning, public TrainHook {
 public:
  LearnWidthsHook(const LearnWidthsOptions& options, const PrecisionRequest& request,
                  const std::optional<ModelPrecision>* calibrated)
      : options_(options), request_(request), calibrated_(calibrated) {}

  TrainHook* hook() override { return this; }

  void on_train_begin(Trainer& trainer) override {
    if (!started_ && calibrated_->has_value()) start(trainer);
  }

  // The resource term penalty * P / P_0 enters as its gradient, which flows to the fraction
  // bits alone (the weights get none from it), added before the fraction bits step.
  void after_step(Trainer&) override {
    if (!started_) return;
    if (penalty_ > 0 && proxy_start_ > 0) widths_->add_proxy_gradient(penalty_ / proxy_start_);
    optimizer_->step();
    optimizer_->zero_grad();
    widths_->clamp_();
  }

  void on_epoch_end(Trainer& trainer, EpochRecord& record) override {
    if (!started_) {
      if (calibrated_->has_value()) start(trainer);  // calibrated at the end of this epoch
      return;
    }
    EpochWidths e;
    e.epoch = record.epoch;
    e.penalty = penalty_;
    e.lut = estimate_lut();
    {
      torch::NoGradGuard no_grad;
      e.proxy_lut = proxy_start_ > 0 ? widths_->proxy().item<double>() / proxy_start_ *
                                           static_cast<double>(lut_start_)
                                     : 0.0;
    }
    const std::int64_t budget = options_.budget_lut();
    if (budget > 0) {
      if (e.lut > budget) {
        record.selectable = false;  // over the budget: not a result
        e.selectable = false;
      }
      penalty_ = adapted_penalty(penalty_, e.lut, budget);
    }
    history_.push_back(e);
    snapshots_[record.epoch] = widths_->values();
    spdlog::info(
        "learned widths, epoch {}: LUT estimate {}{} (proxy {:.0f}), penalty weight {:.4g}",
        e.epoch, e.lut, budget > 0 ? " of a budget of " + std::to_string(budget) : std::string(),
        e.proxy_lut, e.penalty);
  }

  void save_state(const fs::path& dir) override {
    if (!started_) return;
    std::vector<torch::Tensor> tensors = widths_->values();
    nlohmann::json snapshots = nlohmann::json::array();
    for (const auto& [epoch, values] : snapshots_) {
      snapshots.push_back(epoch);
      tensors.insert(tensors.end(), values.begin(), values.end());
    }
    std::ostringstream tensor_bytes, optimizer_bytes;
    torch::save(tensors, tensor_bytes);
    write_file_atomic(dir / "learned_widths.pt", tensor_bytes.str());
    torch::save(*optimizer_, optimizer_bytes);
    write_file_atomic(dir / "learned_widths_optimizer.pt", optimizer_bytes.str());
    nlohmann::json history = nlohmann::json::array();
    for (const EpochWidths& e : history_) {
      history.push_back({{"epoch", e.epoch},
                         {"penalty", exact_number(e.penalty)},
                         {"lut", e.lut},
                         {"proxy_lut", exact_number(e.proxy_lut)},
                         {"selectable", e.selectable}});
    }
    const nlohmann::json j = {{"penalty", exact_number(penalty_)},
                              {"lut_start", lut_start_},
                              {"proxy_start", exact_number(proxy_start_)},
                              {"history", history},
                              {"snapshots", snapshots}};
    write_file_atomic(dir / "learned_widths.json", j.dump(1));
  }

  void load_state(const fs::path& dir) override {
    if (!fs::exists(dir / "learned_widths.json")) return;
    try {
      const nlohmann::json j = nlohmann::json::parse(read_file(dir / "learned_widths.json"));
      restored_ = Restored{};
      restored_->penalty = read_number(j.at("penalty"));
      restored_->lut_start = j.at("lut_start");
      restored_->proxy_start = read_number(j.at("proxy_start"));
      for (const auto& e : j.at("history")) {
        restored_->history.push_back({e.at("epoch"), read_number(e.at("penalty")), e.at("lut"),
                                      read_number(e.at("proxy_lut")), e.at("selectable")});
      }
      restored_->epochs = j.at("snapshots").get<std::vector<std::int64_t>>();
    } catch (const nlohmann::json::exception& e) {
      throw FileFormatError("training checkpoint '" + dir.string() +
                            "': learned_widths.json is corrupted: " + e.what());
    }
    std::istringstream tensor_bytes(read_file(dir / "learned_widths.pt"));
    torch::load(restored_->tensors, tensor_bytes);
    restored_->optimizer = read_file(dir / "learned_widths_optimizer.pt");
  }

  ModelPrecision finish(const TrainResult& result, Graph& graph) override {
    if (!started_) {
      throw Error("learned widths: quantization-aware training never started, nothing learned");
    }
    const std::int64_t epoch = result.selected().epoch;
    if (const auto it = snapshots_.find(epoch); it != snapshots_.end()) {
      widths_->load_values(it->second);
    }
    const ModelPrecision precision = widths_->apply(graph, request_);
    Graph estimated = graph;
    store_precision(estimated, precision);
    const std::int64_t lut = estimate_resources(estimated, options_.estimate_options()).lut;
    nlohmann::json history = nlohmann::json::array();
    for (const EpochWidths& e : history_) {
      history.push_back({{"epoch", e.epoch},
                         {"penalty", e.penalty},
                         {"lut", e.lut},
                         {"proxy_lut", e.proxy_lut},
                         {"selectable", e.selectable}});
    }
    report_ = {{"granularity", enum_name(width_granularity_names(), options_.granularity())},
               {"min_fraction_bits", options_.min_fraction_bits()},
               {"max_fraction_bits", options_.max_fraction_bits()},
               {"penalty", options_.penalty()},
               {"budget_lut", options_.budget_lut()},
               {"multiplication", options_.budget_multiplication()},
               {"lut_calibrated", lut_start_},
               {"lut", lut},
               {"selected_epoch", epoch},
               {"within_budget", options_.budget_lut() == 0 || lut <= options_.budget_lut()},
               {"history", history},
               {"layers", widths_->summary(graph, precision)}};
    if (options_.budget_lut() > 0 && lut > options_.budget_lut()) {
      spdlog::warn(
          "learned widths: no epoch reached the LUT budget of {} ({}); the result is the last "
          "epoch's widths (epoch {}), estimated at {} LUTs",
          options_.budget_lut(), options_.budget_multiplication(), epoch, lut);
    }
    return precision;
  }

  nlohmann::json report() const override { return report_; }

  std::string table() const override {
    std::string out;
    char line[256];
    std::snprintf(line, sizeof line, "  %-12s %-7s %7s %17s %10s  %s\n", "layer", "role", "groups",
                  "fraction bits", "mean bits", "type");
    out += line;
    if (!report_.contains("layers")) return out;
    for (const auto& l : report_["layers"]) {
      const auto& f = l["fraction_bits"];
      std::snprintf(line, sizeof line, "  %-12s %-7s %7lld %5.0f %5.2f %5.0f %10.2f  %s\n",
                    l["layer"].get<std::string>().c_str(), l["role"].get<std::string>().c_str(),
                    static_cast<long long>(l["groups"].get<std::int64_t>()), f["min"].get<double>(),
                    f["mean"].get<double>(), f["max"].get<double>(),
                    l["mean_total_bits"].get<double>(), l["type"].get<std::string>().c_str());
      out += line;
    }
    std::snprintf(line, sizeof line, "  LUT estimate %lld (at calibration %lld)",
                  static_cast<long long>(report_["lut"].get<std::int64_t>()),
                  static_cast<long long>(report_["lut_calibrated"].get<std::int64_t>()));
    return out + line;
  }

 private:
  struct Restored {
    double penalty = 0;
    std::int64_t lut_start = 0;
    double proxy_start = 0;
    std::vector<EpochWidths> history;
    std::vector<std::int64_t> epochs;
    std::vector<torch::Tensor> tensors;
    std::string optimizer;
  };

  void start(Trainer& trainer) {
    module_ = trainer.module();
    widths_ = LearnedWidths(module_->architecture(), **calibrated_, options_.granularity(),
                            options_.min_fraction_bits(), options_.max_fraction_bits());
    widths_->bind(*module_);
    optimizer_ = std::make_unique<torch::optim::Adam>(
        widths_->parameters(), torch::optim::AdamOptions(options_.learning_rate()));
    module_->set_quantizers(widths_.ptr());
    started_ = true;
    if (restored_) {
      const std::size_t n = widths_->parameters().size();
      if (restored_->tensors.size() != n * (1 + restored_->epochs.size())) {
        throw FileFormatError("training checkpoint: learned_widths.pt holds " +
                              std::to_string(restored_->tensors.size()) + " tensors, expected " +
                              std::to_string(n * (1 + restored_->epochs.size())));
      }
      const auto slice = [&](std::size_t k) {
        return std::vector<torch::Tensor>(
            restored_->tensors.begin() + static_cast<std::ptrdiff_t>(k * n),
            restored_->tensors.begin() + static_cast<std::ptrdiff_t>((k + 1) * n));
      };
      widths_->load_values(slice(0));
      for (std::size_t k = 0; k < restored_->epochs.size(); ++k) {
        snapshots_[restored_->epochs[k]] = slice(k + 1);
      }
      std::istringstream bytes(restored_->optimizer);
      torch::load(*optimizer_, bytes);
      penalty_ = restored_->penalty;
      lut_start_ = restored_->lut_start;
      proxy_start_ = restored_->proxy_start;
      history_ = restored_->history;
      restored_.reset();
      return;
    }
    penalty_ = options_.penalty();
    lut_start_ = estimate_lut();
    {
      torch::NoGradGuard no_grad;
      proxy_start_ = widths_->proxy().item<double>();
    }
    spdlog::info(
        "learning bit widths ({} granularity): LUT estimate {} ({}) at calibration, penalty "
        "weight {}",
        enum_name(width_granularity_names(), options_.granularity()), lut_start_,
        options_.budget_multiplication(), penalty_);
  }

  // The estimate of the design of the module's current weights with the current widths.
  std::int64_t estimate_lut() {
    Graph graph = module_->architecture();
    module_->store_weights(graph);
    const ModelPrecision precision = widths_->apply(graph, request_);
    store_precision(graph, precision);
    return estimate_resources(graph, options_.estimate_options()).lut;
  }

  const LearnWidthsOptions& options_;
  const PrecisionRequest& request_;
  const std::optional<ModelPrecision>* calibrated_;
  bool started_ = false;
  GraphModule module_{nullptr};
  LearnedWidths widths_{nullptr};
  std::unique_ptr<torch::optim::Adam> optimizer_;
  double penalty_ = 0;
  std::int64_t lut_start_ = 0;
  double proxy_start_ = 0;
  std::vector<EpochWidths> history_;
  std::map<std::int64_t, std::vector<torch::Tensor>> snapshots_;
  std::optional<Restored> restored_;
  nlohmann::json report_ = nlohmann::json::object();
};

}  // namespace

std::unique_ptr<WidthLearning> make_width_learning(
    const LearnWidthsOptions& options, const PrecisionRequest& request,
    const std::optional<ModelPrecision>* calibrated) {
  return std::make_unique<LearnWidthsHook>(options, request, calibrated);
}

}  // namespace hlslim
