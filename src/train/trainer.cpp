#include "hlslim/train/trainer.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>

#include "hlslim/data/random.hpp"
#include "hlslim/engine/precision.hpp"
#include "hlslim/graph/model_file.hpp"
#include "hlslim/train/dataset.hpp"
#include "hlslim/train/training.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/interrupt.hpp"
#include "hlslim/util/json_number.hpp"
#include "hlslim/util/progress.hpp"
#include "hlslim/util/text.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace hlslim {

// Where the loop stands; everything a checkpoint must hold besides weights and optimizer.
struct Trainer::LoopState {
  std::int64_t epoch = 0;  // 0-based epoch in progress
  std::int64_t step = 0;   // next step within it
  double loss_sum = 0;
  std::int64_t samples = 0;
  double learning_rate = 0;
  double best_value = 0;
  std::int64_t best_epoch = 0;
  std::int64_t bad_epochs = 0;
  std::int64_t plateau_bad = 0;
  std::int64_t global_step = 0;
  double train_seconds = 0;
  std::int64_t trained_samples = 0;
  bool finished = false;  // early-stopped or out of epochs: resuming trains no further
  bool stopped_early = false;
  std::vector<EpochRecord> history;
  Graph best;  // weights of the best epoch
};

namespace {

// "epoch 3/20: loss 0.41, val_loss 0.40, pt_spread 1.23, lr 0.001, 4.2 s, ETA 1m10s"
std::string describe(const EpochRecord& r, std::int64_t epochs, const std::string& monitor,
                     double eta_seconds) {
  char text[256];
  const std::string shown = monitor != "val_loss" && r.metrics.count(monitor) ? monitor
                            : r.metrics.count("pt_spread")                    ? "pt_spread"
                                                                              : "";
  std::snprintf(text, sizeof(text), "epoch %lld/%lld: loss %.4g, val_loss %.4g",
                static_cast<long long>(r.epoch), static_cast<long long>(epochs), r.loss,
                r.val_loss);
  std::string out = text;
  if (!shown.empty()) {
    std::snprintf(text, sizeof(text), ", %s %.4g", shown.c_str(), r.metrics.at(shown));
    out += text;
  }
  std::snprintf(text, sizeof(text), ", lr %.3g, %.1f s, ETA %ldm%02lds", r.learning_rate, r.seconds,
                static_cast<long>(eta_seconds) / 60, static_cast<long>(eta_seconds) % 60);
  return out + text;
}

}  // namespace

std::map<std::string, double> saved_validation_figures(const Graph& saved, const TrainData& data,
                                                       bool fake_quant) {
  if (!data.validation_figures) return {};
  GraphModule module(saved);
  if (fake_quant) module->set_fake_quant(read_precision(saved));
  return data.validation_figures(torch_predictor(module));
}

double relative_output_difference(const Graph& reference, const Graph& rewritten,
                                  const TrainData& data, bool fake_quant) {
  const auto outputs = [&](const Graph& graph) {
    GraphModule module(graph);
    if (fake_quant) module->set_fake_quant(read_precision(graph));
    return predict(torch_predictor(module), *data.source, data.validation, 4096);
  };
  const auto a = outputs(reference);
  const auto b = outputs(rewritten);
  double largest = 1.0;
  double difference = 0.0;
  for (std::size_t t = 0; t < a.size(); ++t) {
    for (std::size_t i = 0; i < a[t].size(); ++i) {
      largest = std::max(largest, std::abs(static_cast<double>(a[t][i])));
      difference = std::max(difference, std::abs(static_cast<double>(a[t][i]) - b[t][i]));
    }
  }
  return difference / largest;
}

Trainer::Trainer(GraphModule module, TrainOptions options, std::uint64_t seed)
    : module_(std::move(module)), options_(std::move(options)), seed_(seed) {
  const auto params = module_->parameters();
  switch (options_.optimizer) {
    case Optimizer::kSgd:
      optimizer_ = std::make_unique<torch::optim::SGD>(
          params, torch::optim::SGDOptions(options_.learning_rate)
                      .momentum(options_.momentum)
                      .weight_decay(options_.weight_decay));
      break;
    case Optimizer::kAdamW:
      optimizer_ = std::make_unique<torch::optim::AdamW>(
          params,
          torch::optim::AdamWOptions(options_.learning_rate).weight_decay(options_.weight_decay));
      break;
    case Optimizer::kAdam:
      optimizer_ = std::make_unique<torch::optim::Adam>(
          params,
          torch::optim::AdamOptions(options_.learning_rate).weight_decay(options_.weight_decay));
      break;
  }
  // Per-layer penalties resolve like every per-layer setting: layer name, then type, then the
  // stage-wide default.
  const auto named = module_->named_parameters();
  for (const auto& layer : module_->architecture().layers) {
    const auto* weight = named.find(layer.name + ".weight");
    if (!weight || layer.kind == LayerKind::kBatchNorm) continue;
    double l1 = options_.l1;
    double l2 = options_.l2;
    for (const std::string& key : {std::string(layer_kind_name(layer.kind)), layer.name}) {
      if (options_.regularization.IsMap() && options_.regularization[key]) {
        const YAML::Node entry = options_.regularization[key];
        if (entry["l1"]) l1 = entry["l1"].as<double>();
        if (entry["l2"]) l2 = entry["l2"].as<double>();
      }
    }
    if (l1 > 0 || l2 > 0) penalties_.push_back({*weight, {l1, l2}});
  }
}

torch::Tensor Trainer::loss(const TrainOptions& options, const torch::Tensor& output,
                            const torch::Tensor& target) {
  torch::Tensor elementwise;
  switch (options.loss) {
    case Loss::kCe: {
      // `target` is one-hot (or the teacher's probabilities); label smoothing mixes in the
      // uniform distribution over the K classes.
      const double s = options.label_smoothing;
      const torch::Tensor soft =
          s > 0 ? target * (1.0 - s) + s / static_cast<double>(output.size(1)) : target;
      return -(soft * torch::log_softmax(output, 1)).sum(1).mean();
    }
    case Loss::kMae:
      elementwise = (output - target).abs();
      break;
    case Loss::kMse:
      elementwise = (output - target).square();
      break;
    case Loss::kHuber:
      elementwise = torch::huber_loss(output, target, at::Reduction::None, options.huber_delta);
      break;
    case Loss::kBce:
      elementwise =
          torch::binary_cross_entropy_with_logits(output, target, {}, {}, at::Reduction::None);
      break;
  }
  if (!options.loss_weights.empty()) {
    elementwise = elementwise * torch::tensor(std::vector<float>(options.loss_weights.begin(),
                                                                 options.loss_weights.end()));
  }
  return elementwise.mean();
}

torch::Tensor Trainer::penalty() {
  torch::Tensor total = torch::zeros({});
  for (const auto& [weight, strength] : penalties_) {
    if (strength.first > 0) total = total + strength.first * weight.abs().sum();
    if (strength.second > 0) total = total + strength.second * weight.square().sum();
  }
  return total;
}

BatchPredictor Trainer::predictor() {
  return torch_predictor(module_);
}

void Trainer::add_parameters(const std::vector<torch::Tensor>& parameters) {
  optimizer_->add_param_group(torch::optim::OptimizerParamGroup(
      parameters, optimizer_->param_groups().front().options().clone()));
}

void seed_torch(std::uint64_t seed) {
  torch::manual_seed(seed);
}

void initialize_weights(Graph& graph) {
  GraphModule module(graph);
  module->store_weights(graph);
}

BatchPredictor float_predictor(const Graph& graph) {
  return torch_predictor(GraphModule(graph));
}

TrainResult train_graph(Graph& graph, const TrainOptions& options, std::uint64_t seed,
                        const TrainData& data, const fs::path& checkpoint_dir,
                        const std::vector<TrainHook*>& hooks,
                        const std::optional<ModelPrecision>& fake_quant) {
  torch::manual_seed(seed);
  GraphModule module(graph);
  if (fake_quant) module->set_fake_quant(*fake_quant);
  Trainer trainer(module, options, seed);
  for (TrainHook* hook : hooks) trainer.add_hook(hook);
  TrainResult result = trainer.fit(data, checkpoint_dir);
  module->store_weights(graph);
  return result;
}

std::shared_ptr<TrainHook> make_mask_hook() {
  return std::make_shared<MaskHook>();
}

BatchPredictor torch_predictor(GraphModule module) {
  // Logits: a trailing softmax is left out, as the firmware leaves it out.
  return [module](const float* x, std::size_t n, float* y) mutable {
    torch::NoGradGuard no_grad;
    module->eval();
    std::vector<std::int64_t> shape{static_cast<std::int64_t>(n)};
    const auto& input = module->architecture().input_shape;
    shape.insert(shape.end(), input.begin(), input.end());
    const auto out =
        module->forward_logits(torch::from_blob(const_cast<float*>(x), shape, torch::kFloat32))
            .contiguous();
    std::memcpy(y, out.data_ptr<float>(), static_cast<std::size_t>(out.numel()) * sizeof(float));
  };
}

double Trainer::learning_rate_for(std::int64_t epoch, double current) const {
  const double lr0 = options_.learning_rate;
  switch (options_.schedule) {
    case LrSchedule::kConstant:
      return lr0;
    case LrSchedule::kStep:
      return lr0 * std::pow(options_.gamma, static_cast<double>(epoch / options_.step_epochs));
    case LrSchedule::kCosine: {
      const double t = static_cast<double>(epoch) / static_cast<double>(options_.epochs);
      return options_.min_learning_rate +
             (lr0 - options_.min_learning_rate) * 0.5 * (1.0 + std::cos(M_PI * t));
    }
    case LrSchedule::kPlateau:
      return current;  // lowered by select() when the monitored figure stalls
  }
  return lr0;
}

void Trainer::set_learning_rate(double lr) {
  for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
}

void Trainer::save_checkpoint(const fs::path& dir, const LoopState& state) {
  const fs::path fresh = dir.string() + ".new";
  fs::remove_all(fresh);
  fs::create_directories(fresh);
  Graph current = module_->architecture();
  module_->store_weights(current);
  save_model(current, fresh / "model.hlsm");
  save_model(state.best, fresh / "best.hlsm");
  std::ostringstream optimizer_bytes;
  torch::save(*optimizer_, optimizer_bytes);
  write_file_atomic(fresh / "optimizer.pt", optimizer_bytes.str());
  std::ostringstream rng_bytes;
  torch::save(at::detail::getDefaultCPUGenerator().get_state(), rng_bytes);
  write_file_atomic(fresh / "rng.pt", rng_bytes.str());
  json history = json::array();
  for (const auto& r : state.history) history.push_back(r.to_checkpoint_json());
  const json j = {{"epoch", state.epoch},
                  {"step", state.step},
                  {"loss_sum", exact_number(state.loss_sum)},
                  {"samples", state.samples},
                  {"learning_rate", exact_number(state.learning_rate)},
                  {"best_value", exact_number(state.best_value)},
                  {"best_epoch", state.best_epoch},
                  {"bad_epochs", state.bad_epochs},
                  {"plateau_bad", state.plateau_bad},
                  {"global_step", state.global_step},
                  {"train_seconds", exact_number(state.train_seconds)},
                  {"trained_samples", state.trained_samples},
                  {"finished", state.finished},
                  {"stopped_early", state.stopped_early},
                  {"history", history}};
  write_file_atomic(fresh / "trainer.json", j.dump(2) + "\n");
  for (auto* hook : hooks_) hook->save_state(fresh);
  // Swap in the complete new checkpoint; a crash in between leaves the old one as ".old".
  const fs::path old = dir.string() + ".old";
  fs::remove_all(old);
  if (fs::exists(dir)) fs::rename(dir, old);
  fs::rename(fresh, dir);
  fs::remove_all(old);
}

bool Trainer::load_checkpoint(const fs::path& dir_in, LoopState& state) {
  fs::path dir = dir_in;
  if (!fs::exists(dir / "trainer.json")) {
    dir = dir_in.string() + ".old";
    if (!fs::exists(dir / "trainer.json")) return false;
  }
  try {
    const json j = json::parse(read_file(dir / "trainer.json"));
    state.epoch = j.at("epoch");
    state.step = j.at("step");
    state.loss_sum = read_number(j.at("loss_sum"));
    state.samples = j.at("samples");
    state.learning_rate = read_number(j.at("learning_rate"));
    // Infinite until an epoch was selectable. Checkpoints of earlier versions wrote it as null,
    // which keeps the starting value.
    if (!j.at("best_value").is_null()) state.best_value = read_number(j.at("best_value"));
    state.best_epoch = j.at("best_epoch");
    state.bad_epochs = j.at("bad_epochs");
    state.plateau_bad = j.at("plateau_bad");
    state.global_step = j.at("global_step");
    state.train_seconds = read_number(j.at("train_seconds"));
    state.trained_samples = j.at("trained_samples");
    state.finished = j.at("finished");
    state.stopped_early = j.at("stopped_early");
    for (const auto& r : j.at("history")) state.history.push_back(EpochRecord::from_json(r));
  } catch (const json::exception& e) {
    throw FileFormatError("training checkpoint '" + dir.string() + "' is corrupted: " + e.what());
  }
  module_->load_weights(load_model(dir / "model.hlsm"));
  state.best = load_model(dir / "best.hlsm");
  std::istringstream optimizer_bytes(read_file(dir / "optimizer.pt"));
  torch::load(*optimizer_, optimizer_bytes);
  torch::Tensor rng;
  std::istringstream rng_bytes(read_file(dir / "rng.pt"));
  torch::load(rng, rng_bytes);
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  generator.set_state(rng);
  for (auto* hook : hooks_) hook->load_state(dir);
  return true;
}

// Batches are filled straight into LibTorch-owned (suitably aligned) buffers, reused every step.
struct Trainer::StepBuffers {
  torch::Tensor x;
  torch::Tensor y;
  std::vector<std::size_t> indices;
};

void Trainer::train_epoch(const TrainData& data, LoopState& state, StepBuffers& buffers,
                          const fs::path& checkpoint_dir) {
  const BatchSource& source = *data.source;
  const std::size_t batch = buffers.indices.size();
  const std::size_t steps = (data.train.size() + batch - 1) / std::max<std::size_t>(batch, 1);
  // The order of an epoch depends only on the seed and the epoch, so a resumed run sees the
  // same batches as an uninterrupted one.
  std::vector<std::size_t> order = data.train;
  data::Rng rng(data::event_seed(seed_, static_cast<std::uint64_t>(state.epoch)));
  rng.shuffle(order);

  module_->train();
  hlslim::Progress bar(
      "epoch " + std::to_string(state.epoch + 1) + "/" + std::to_string(options_.epochs), steps,
      "steps", /*log_final=*/false);
  bar.advance(static_cast<std::uint64_t>(state.step));
  for (; state.step < static_cast<std::int64_t>(steps); ++state.step) {
    if (const int signal_number = pending_signal()) {
      state.global_step = global_step_;
      if (!checkpoint_dir.empty()) save_checkpoint(checkpoint_dir, state);
      throw Interrupted(signal_number);
    }
    const std::size_t start = static_cast<std::size_t>(state.step) * batch;
    const std::size_t n = std::min(batch, order.size() - start);
    std::copy(order.begin() + static_cast<std::ptrdiff_t>(start),
              order.begin() + static_cast<std::ptrdiff_t>(start + n), buffers.indices.begin());
    source.fill(buffers.indices.data(), n, buffers.x.data_ptr<float>(),
                buffers.y.data_ptr<float>());
    const auto inputs = buffers.x.narrow(0, 0, static_cast<std::int64_t>(n));
    const auto targets = buffers.y.narrow(0, 0, static_cast<std::int64_t>(n));
    const auto output = module_->forward_logits(inputs);
    auto batch_loss = loss(options_, output, targets);
    auto total = (truth_weight_ == 1.0 ? batch_loss : truth_weight_ * batch_loss) + penalty();
    const std::vector<std::size_t> used(buffers.indices.begin(),
                                        buffers.indices.begin() + static_cast<std::ptrdiff_t>(n));
    for (auto* hook : hooks_) {
      const auto extra = hook->extra_loss(*this, used, output);
      if (extra.defined()) total = total + extra;
    }
    const double value = total.item<double>();
    if (!std::isfinite(value)) {
      throw Error("the training loss became " +
                  std::string(std::isnan(value) ? "NaN" : "infinite") + " at epoch " +
                  std::to_string(state.epoch + 1) + ", step " + std::to_string(state.step + 1) +
                  (checkpoint_dir.empty()
                       ? std::string()
                       : "; the last good checkpoint is in " + checkpoint_dir.string()) +
                  " (try a lower learning_rate or clip_norm)");
    }
    optimizer_->zero_grad();
    total.backward();
    if (options_.clip_norm > 0) {
      torch::nn::utils::clip_grad_norm_(module_->parameters(), options_.clip_norm);
    }
    optimizer_->step();
    ++global_step_;
    for (auto* hook : hooks_) hook->after_step(*this);
    state.loss_sum += batch_loss.item<double>() * static_cast<double>(n);
    state.samples += static_cast<std::int64_t>(n);
    bar.advance();
  }
  bar.finish();
}

EpochRecord Trainer::validate(const TrainData& data, const LoopState& state) {
  const BatchSource& source = *data.source;
  const std::size_t k = source.target_count();
  EpochRecord record;
  record.epoch = state.epoch + 1;
  record.loss = state.loss_sum / static_cast<double>(std::max<std::int64_t>(state.samples, 1));
  record.learning_rate = state.learning_rate;
  {
    torch::NoGradGuard no_grad;
    module_->eval();
    std::vector<std::int64_t> x_shape{0};
    x_shape.insert(x_shape.end(), data.input_shape.begin(), data.input_shape.end());
    const std::size_t eval_batch =
        std::max<std::size_t>(static_cast<std::size_t>(options_.batch_size), 4096);
    std::vector<float> vx(eval_batch * source.input_size());
    std::vector<float> vy(eval_batch * k);
    double sum = 0;
    for (std::size_t start = 0; start < data.validation.size(); start += eval_batch) {
      const std::size_t n = std::min(eval_batch, data.validation.size() - start);
      source.fill(data.validation.data() + start, n, vx.data(), vy.data());
      x_shape[0] = static_cast<std::int64_t>(n);
      const auto out =
          module_->forward_logits(torch::from_blob(vx.data(), x_shape, torch::kFloat32));
      const auto t = torch::from_blob(
          vy.data(), {static_cast<std::int64_t>(n), static_cast<std::int64_t>(k)}, torch::kFloat32);
      sum += loss(options_, out, t).item<double>() * static_cast<double>(n);
    }
    record.val_loss = sum / static_cast<double>(std::max<std::size_t>(data.validation.size(), 1));
  }
  if (data.validation_figures) record.metrics = data.validation_figures(predictor());
  return record;
}

void Trainer::select(const EpochRecord& record, LoopState& state) {
  const bool maximize = options_.monitor_maximizes();
  const double monitored = options_.monitor == "val_loss" ? record.val_loss
                           : record.metrics.count(options_.monitor)
                               ? record.metrics.at(options_.monitor)
                               : NAN;
  const bool improved = maximize ? monitored > state.best_value : monitored < state.best_value;
  if (!record.selectable) return;  // not a candidate: neither the best nor a reason to stop
  if (improved) {
    state.best_value = monitored;
    state.best_epoch = record.epoch;
    state.bad_epochs = 0;
    state.plateau_bad = 0;
    module_->store_weights(state.best);
    return;
  }
  ++state.bad_epochs;
  if (options_.schedule == LrSchedule::kPlateau &&
      ++state.plateau_bad >= options_.plateau_patience) {
    state.learning_rate =
        std::max(state.learning_rate * options_.gamma, options_.min_learning_rate);
    state.plateau_bad = 0;
  }
  if (options_.early_stopping > 0 && state.bad_epochs >= options_.early_stopping) {
    state.stopped_early = true;
  }
}

TrainResult Trainer::fit(const TrainData& data, const fs::path& checkpoint_dir) {
  options_ = task_options(options_, data.source->normalization());
  const std::size_t batch = static_cast<std::size_t>(options_.batch_size);
  LoopState state;
  state.learning_rate = options_.learning_rate;
  state.best_value = options_.monitor_maximizes() ? -INFINITY : INFINITY;
  state.best = module_->architecture();
  module_->store_weights(state.best);
  if (!checkpoint_dir.empty() && load_checkpoint(checkpoint_dir, state)) {
    spdlog::info("resuming training at epoch {}, step {}", state.epoch + 1, state.step);
  }
  global_step_ = state.global_step;
  for (auto* hook : hooks_) hook->on_train_begin(*this);

  StepBuffers buffers;
  std::vector<std::int64_t> x_shape{static_cast<std::int64_t>(batch)};
  x_shape.insert(x_shape.end(), data.input_shape.begin(), data.input_shape.end());
  buffers.x = torch::empty(x_shape);
  buffers.y = torch::empty(
      {static_cast<std::int64_t>(batch), static_cast<std::int64_t>(data.source->target_count())});
  buffers.indices.resize(batch);
  double epoch_seconds = 0;
  std::int64_t epochs_here = 0;

  for (; state.epoch < options_.epochs && !state.finished; ++state.epoch) {
    const auto epoch_start = std::chrono::steady_clock::now();
    if (state.step == 0) {
      state.learning_rate = learning_rate_for(state.epoch, state.learning_rate);
      state.loss_sum = 0;
      state.samples = 0;
    }
    set_learning_rate(state.learning_rate);
    train_epoch(data, state, buffers, checkpoint_dir);
    state.train_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    state.trained_samples += state.samples;

    // Validation with the epoch's final weights, then the hooks' verdict, then selection.
    EpochRecord record = validate(data, state);
    for (auto* hook : hooks_) hook->on_epoch_end(*this, record);
    record.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - epoch_start).count();
    select(record, state);
    state.history.push_back(record);
    // ETA from the epochs of this process (a resumed run has no timings of earlier ones).
    epoch_seconds += record.seconds;
    ++epochs_here;
    spdlog::info("{}", describe(record, options_.epochs, options_.monitor,
                                epoch_seconds / static_cast<double>(epochs_here) *
                                    static_cast<double>(options_.epochs - record.epoch)));
    state.step = 0;
    state.global_step = global_step_;
    state.finished = state.stopped_early || state.epoch + 1 == options_.epochs;
    if (!checkpoint_dir.empty() &&
        ((state.epoch + 1) % options_.checkpoint_every == 0 || state.finished)) {
      LoopState next = state;
      ++next.epoch;
      save_checkpoint(checkpoint_dir, next);
    }
    if (state.finished) break;
  }
  return finish(state);
}

TrainResult Trainer::finish(const LoopState& state) {
  if (state.best_epoch > 0) {
    module_->load_weights(state.best);
  } else if (std::none_of(state.history.begin(), state.history.end(),
                          [](const EpochRecord& r) { return r.selectable; })) {
    spdlog::warn(
        "no epoch was selectable as the result (compression never reached its final "
        "state during validation, or every epoch was over a resource budget); keeping the "
        "last epoch's weights");
  } else {
    spdlog::warn(
        "the monitored figure '{}' was never a number on the validation set (not computed for "
        "this task, or NaN), so no epoch was selected; keeping the last epoch's weights",
        options_.monitor);
  }
  TrainResult result;
  result.history = state.history;
  result.best_epoch = state.best_epoch;
  result.best_value = state.best_value;
  result.stopped_early = state.stopped_early;
  result.seconds = state.train_seconds;
  result.samples_per_second = state.train_seconds > 0
                                  ? static_cast<double>(state.trained_samples) / state.train_seconds
                                  : 0;
  return result;
}

}  // namespace hlslim
