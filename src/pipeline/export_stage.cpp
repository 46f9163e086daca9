#include "export_stage.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>
#include <variant>

#include "hlslim/engine/firmware.hpp"
#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/engine/precision.hpp"
#include "hlslim/export/estimates.hpp"
#include "hlslim/export/hls4ml_config.hpp"
#include "hlslim/export/hls_project.hpp"
#include "hlslim/export/onnx_export.hpp"
#include "hlslim/export/readiness.hpp"
#include "hlslim/export/reuse_factor.hpp"
#include "hlslim/pipeline/pipeline_config.hpp"
#include "hlslim/train/batches.hpp"
#include "hlslim/train/dataset.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/text.hpp"
#include "prune_stage.hpp"
#include "stage_results.hpp"

namespace fs = std::filesystem;

namespace hlslim {
namespace {

const std::vector<std::string> kFormats = {"onnx", "qonnx", "hls4ml", "hls"};
// The layer types a reuse factor applies to (those reuse_dims() knows).
const std::vector<std::string> kReuseTypes = {"dense", "conv1d", "conv2d"};
const std::string kWho = "stage 'export': ";

// Position of a node nested in an option's YAML value: its own mark when it has one.
SourcePos nested_pos(const SourcePos& option, const YAML::Node& node) {
  if (option.line > 0 && node.IsDefined() && !node.Mark().is_null()) {
    return {option.file, node.Mark().line + 1, node.Mark().column + 1};
  }
  return option;
}

// Positive integers by layer name or type (reuse_factors, parallelization_factors): each
// entry's value and the positions of its value and key. `keys` says what the keys name.
void read_positive_ints(const YAML::Node& node, const SourcePos& block, const std::string& option,
                        const std::string& keys, std::map<std::string, std::int64_t>& values,
                        std::map<std::string, SourcePos>& value_pos,
                        std::map<std::string, SourcePos>& key_pos, Diagnostics& diagnostics) {
  values.clear();
  value_pos.clear();
  key_pos.clear();
  if (!node.IsMap()) {
    std::string what = option;
    std::replace(what.begin(), what.end(), '_', ' ');
    diagnostics.error(block, kWho + "'" + option + "' must map " + keys + " to " + what + ", got " +
                                 describe_node(node));
    return;
  }
  for (const auto& item : node) {
    const std::string key = item.first.Scalar();
    const SourcePos at = nested_pos(block, item.second);
    std::int64_t value = 0;
    if (!item.second.IsScalar() || !YAML::convert<std::int64_t>::decode(item.second, value)) {
      diagnostics.error(
          at, kWho + option + "." + key + " must be an integer, got " + describe_node(item.second));
      continue;
    }
    if (value < 1) {
      diagnostics.error(
          at, kWho + option + "." + key + " must be at least 1, got " + std::to_string(value));
      continue;
    }
    values[key] = value;
    value_pos[key] = at;
    key_pos[key] = nested_pos(block, item.first);
  }
}

bool contains(const std::vector<std::string>& items, const std::string& item) {
  return std::find(items.begin(), items.end(), item) != items.end();
}

// True when a prune stage with method 'structured' on `model` comes before `self`: it removes
// units, so the layer sizes are known only when the export runs.
bool structurally_pruned_before(const PipelineConfig& config, const Stage* self,
                                const std::string& model) {
  for (const StageEntry& entry : config.stages) {
    if (entry.stage.get() == self) return false;
    const auto* prune = dynamic_cast<const PruneStage*>(entry.stage.get());
    if (prune && prune->structured() && prune->model() == model) return true;
  }
  return false;
}

std::string finding_text(const ExportFinding& f) {
  return severity_name(f.severity) + (f.node.empty() ? "" : " [" + f.node + "]") + " " + f.message;
}

}  // namespace

void ExportStage::declare(OptionTable& t) {
  t.add_string("model", model_, "",
               "Model to export; it must be quantized by an earlier quantize stage or a distill "
               "stage with quantize.enabled.")
      .required();
  t.add_string("project", project_, "hlslim_model",
               "Project name, a C identifier: the HLS top function, hls4ml's ProjectName and the "
               "base of the file names.");
  t.add_choice("backend", backend_, "Vitis",
               {"Vitis", "Vivado", "VivadoAccelerator", "Quartus", "Catapult", "oneAPI"},
               "hls4ml backend written into hls4ml_config.yml (the HLS project of `formats: "
               "[hls]` is always for Vitis HLS).");
  t.add_string("part", part_, "xcvu13p-flga2577-2-e",
               "FPGA part, for Vitis HLS, hls4ml and the estimates (DSP type, device totals).");
  t.add_float("clock_period", clock_period_, 2.5, "Target clock period in ns.").greater_than(0);
  t.add_choice("io_type", io_type_, "io_parallel", {"io_parallel", "io_stream"},
               "Interface: io_parallel takes the whole input and output as arrays, one event per "
               "initiation interval; io_stream streams one element per position (all channels) "
               "through a DATAFLOW pipeline with line buffers for convolutions and pools.");
  t.add_choice("multiplication", multiplication_, "csd", {"csd", "adder_graph"},
               "Constant products of fully unrolled dense and io_parallel convolution layers in "
               "hlslim's HLS project: csd (one product per nonzero weight) or adder_graph (each "
               "layer's W x as one shared shift-and-add graph; io_parallel only; layers at a "
               "reuse factor above 1 or with an accumulator that could round or saturate keep "
               "csd, with a note). docs/export-hls.md, \"Adder graphs\".");
  t.add_choice("strategy", strategy_, "Latency", {"Latency", "Resource"},
               "hls4ml strategy. Under Resource hls4ml would replace an invalid reuse factor; "
               "here every reuse factor must be valid whatever the strategy.");
  t.add_int("reuse_factor", reuse_factor_, 1,
            "Model-wide reuse factor of dense and convolution layers (1: fully unrolled, zero "
            "weights left out).")
      .min(1);
  t.add_yaml("reuse_factors", reuse_factors_node_,
             "Reuse factors by layer name or type (name wins over type, type over "
             "`reuse_factor`): {fc1: 4, conv1d: 2}. Each must be valid for its layer under "
             "hls4ml's rule (docs/export-hls.md).");
  t.add_int("test_vectors", test_vectors_, 1000,
            "Test vectors: the first N test-set events with the fixed-point engine's outputs "
            "for them (fewer when the test set is smaller).")
      .min(0);
  t.add_yaml("parallelization_factors", parallelization_factors_node_,
             "hls4ml's ParallelizationFactor by convolution name or type (conv1d, conv2d; "
             "name wins over type): {conv1: 4}. Each must divide the layer's output positions; "
             "it wins over the conv targets, which choose for the other convolutions (without "
             "either, every output position at once). io_parallel only.");
  t.add_int("conv_latency_target", conv_latency_target_, 0,
            "Latency target in cycles for every convolution of hls4ml's io_parallel design: "
            "each gets the smallest ParallelizationFactor whose estimate meets it, with a "
            "warning when none does (0: no target; without targets every output position is "
            "computed at once, as in hlslim's own project).")
      .min(0);
  t.add_int("conv_interval_target", conv_interval_target_, 0,
            "Initiation-interval target in cycles for every convolution of hls4ml's io_parallel "
            "design (n_partitions x reuse factor), like conv_latency_target (0: no target).")
      .min(0);
  t.add_choice("softmax", softmax_, "drop", {"drop", "hls4ml"},
               "A softmax at the end of the model: 'drop' ends the firmware (QONNX, hls4ml "
               "configuration, HLS project, test vectors) at the logits before it, which leaves "
               "the argmax unchanged; the float ONNX keeps it. 'hls4ml' (hls4ml's table-based "
               "Softmax layer) is not supported yet.");
  t.add_string_list("formats", formats_, kFormats,
                    "What to write: onnx (float model for ONNX Runtime), qonnx, hls4ml "
                    "(configuration and test vectors, needs qonnx), hls (hlslim's own HLS C++ "
                    "project). The readiness findings and the estimates are always written.");
}

void ExportStage::configure(const OptionValues& values, Diagnostics& diagnostics) {
  // The HLS writer's own checks, one option at a time so that each points at its key.
  HlsProjectOptions project;
  project.project = project_;
  for (const std::string& problem : hls_project_option_problems(project)) {
    diagnostics.error(values.pos("project"), kWho + problem);
  }
  HlsProjectOptions part;
  part.part = part_;
  for (const std::string& problem : hls_project_option_problems(part)) {
    diagnostics.error(values.pos("part"), kWho + problem);
  }

  for (const std::string& format : formats_) {
    if (!contains(kFormats, format)) {
      diagnostics.error(values.pos("formats"), kWho + "unknown format '" + format +
                                                   "' (formats: " + join(kFormats, ", ") + ")" +
                                                   did_you_mean(format, kFormats));
    }
  }
  if (wants("hls4ml") && !wants("qonnx")) {
    diagnostics.error(values.pos("formats"),
                      kWho +
                          "format 'hls4ml' needs 'qonnx' too: the hls4ml configuration "
                          "points to the QONNX file");
  }

  if (softmax_ == "hls4ml") {
    diagnostics.error(values.pos("softmax"),
                      kWho +
                          "softmax: 'hls4ml' is not supported yet: hls4ml computes its Softmax "
                          "layer from lookup tables of exponentials and inverses, which the "
                          "fixed-point engine does not model bit for bit, so the test vectors "
                          "and figures would not be the firmware's; use 'drop' (the firmware "
                          "outputs the logits, and the argmax is the same)");
  }
  configure_parallelization_factors(values.pos("parallelization_factors"), diagnostics);
  configure_multiplication(values, diagnostics);
  model_reuse_factor_pos_ = values.pos("reuse_factor");
  reuse_factors_pos_ = values.pos("reuse_factors");
  read_positive_ints(reuse_factors_node_, reuse_factors_pos_, "reuse_factors",
                     "layer names or types", reuse_factors_, reuse_factor_pos_, reuse_key_pos_,
                     diagnostics);
}

void ExportStage::configure_parallelization_factors(const SourcePos& block,
                                                    Diagnostics& diagnostics) {
  read_positive_ints(parallelization_factors_node_, block, "parallelization_factors",
                     "convolution names or types", parallelization_factors_, parallelization_pos_,
                     parallelization_key_pos_, diagnostics);
}

void ExportStage::check(PipelineSketch& sketch, const SourcePos& pos,
                        Diagnostics& diagnostics) const {
  if (!sketch.data) {
    diagnostics.error(pos, kWho + "needs a dataset: put a 'data' stage before it");
    return;
  }
  if (!sketch.models.count(model_) || !sketch.models.at(model_).trained) {
    diagnostics.error(pos, kWho + "model '" + model_ + "' is not trained by an earlier stage");
    return;
  }
  if (!sketch.models.at(model_).quantized) {
    diagnostics.error(pos, kWho + "model '" + model_ +
                               "' is not quantized: put a quantize stage (or a distill stage "
                               "with quantize.enabled) for it before the export");
    return;
  }
  if (const PipelineSketch::Model& model = sketch.models.at(model_);
      !model.width_budget.multiplication.empty() &&
      model.width_budget.multiplication != multiplication_) {
    diagnostics.error(
        pos, kWho + "model '" + model_ + "' learns its bit widths under a LUT " +
                 "budget that prices multiplication " + model.width_budget.multiplication +
                 " (stage '" + model.width_budget.stage + "'), but this export builds " +
                 multiplication_ + ": set learn_widths.budget.multiplication: " + multiplication_);
  }
  const Graph* architecture = sketch.config->model(model_);
  if (!architecture) return;

  std::vector<std::string> candidates;
  for (const Layer& layer : architecture->layers) candidates.push_back(layer.name);
  candidates.insert(candidates.end(), kReuseTypes.begin(), kReuseTypes.end());
  for (const auto& [key, value] : reuse_factors_) {
    const SourcePos& key_pos = reuse_key_pos_.at(key);
    if (const Layer* layer = architecture->find(key)) {
      if (!reuse_dims(*layer, Shape{1})) {
        diagnostics.error(key_pos, kWho + "reuse_factors." + key + ": layer '" + key + "' is a " +
                                       layer_kind_name(layer->kind) +
                                       " layer, which multiplies no weights (reuse factors "
                                       "apply to dense and convolution layers)");
      }
    } else if (contains(kReuseTypes, key)) {
      continue;
    } else if (parse_layer_kind(key)) {
      diagnostics.error(key_pos, kWho + "reuse_factors." + key + ": " + key +
                                     " layers multiply no weights (reuse factors apply to "
                                     "dense, conv1d and conv2d layers)");
    } else {
      diagnostics.error(key_pos, kWho + "model '" + model_ + "' has no layer or layer type '" +
                                     key + "'" + did_you_mean(key, candidates));
    }
  }

  Shape input = sketch.models.at(model_).input_shape;
  if (input.empty()) input = sketch.data->input_shape;
  check_parallelization_factors(*architecture, input, diagnostics);

  // Every reuse factor against the layer sizes of the architecture as declared, unless a
  // structured prune stage changes them first; run() checks the model it receives again.
  if (structurally_pruned_before(*sketch.config, this, model_)) return;
  Graph shaped = *architecture;
  shaped.input_shape = input;
  if (shaped.input_shape.empty()) return;
  std::vector<Shape> shapes;
  try {
    shapes = shaped.shapes();
  } catch (const Error&) {
    return;  // the stage that builds or trains the model reports it
  }
  apply_reuse_factors(shaped);
  const HlsProjectOptions options = hls_options();
  for (std::size_t i = 0; i < shaped.layers.size(); ++i) {
    const Layer& layer = shaped.layers[i];
    const std::optional<ReuseDims> dims = reuse_dims(layer, shapes[i]);
    if (!dims) continue;
    std::int64_t rf = 0;
    try {
      rf = layer_reuse_factor(shaped, layer, options);
    } catch (const Error& e) {
      diagnostics.error(pos, kWho + "model '" + model_ + "': " + e.what());
      continue;
    }
    if (is_valid_reuse_factor(dims->n_in, dims->n_out, rf)) continue;
    SourcePos where = model_reuse_factor_pos_;
    if (reuse_factors_.count(layer.name)) {
      where = reuse_factor_pos_.at(layer.name);
    } else if (reuse_factors_.count(layer_kind_name(layer.kind))) {
      where = reuse_factor_pos_.at(layer_kind_name(layer.kind));
    }
    std::vector<std::string> nearest;
    for (std::int64_t v : nearest_valid_reuse_factors(dims->n_in, dims->n_out, rf))
      nearest.push_back(std::to_string(v));
    diagnostics.error(where, kWho + "model '" + model_ + "', layer '" + layer.name +
                                 "': reuse factor " + std::to_string(rf) + " is not valid for " +
                                 std::to_string(dims->n_in) + " inputs x " +
                                 std::to_string(dims->n_out) +
                                 " outputs (nearest valid: " + join(nearest, ", ") +
                                 "); sizes as declared under 'models:' (after a structured "
                                 "prune stage, the export checks the pruned sizes when it runs)");
  }
}

bool ExportStage::wants(const std::string& format) const {
  return contains(formats_, format);
}

HlsProjectOptions ExportStage::hls_options() const {
  HlsProjectOptions options;
  options.project = project_;
  options.part = part_;
  options.clock_period_ns = clock_period_;
  options.reuse_factor = reuse_factor_;
  options.io_type = io_type_;
  options.multiplication = multiplication_;
  return options;
}

Hls4mlOptions ExportStage::hls4ml_options() const {
  Hls4mlOptions options;
  options.project = project_;
  options.backend = backend_;
  options.part = part_;
  options.io_type = io_type_;
  options.strategy = strategy_;
  options.clock_period_ns = clock_period_;
  options.reuse_factor = reuse_factor_;
  return options;
}

void ExportStage::apply_reuse_factors(Graph& graph) const {
  for (const auto& [key, value] : reuse_factors_) {
    if (Layer* layer = graph.find(key)) {
      layer->attrs["reuse_factor"] = value;
    } else if (contains(kReuseTypes, key)) {
      graph.type_attrs[key]["reuse_factor"] = value;
    }
  }
}

void ExportStage::run(StageContext& context) {
  const fs::path& dir = context.dir();
  Graph graph = context.state().models.at(model_);
  if (!has_precision(graph)) {
    throw Error("model '" + model_ +
                "' is not quantized: put a quantize stage (or a distill "
                "stage with quantize.enabled) for it before the export");
  }
  // The float ONNX keeps a trailing softmax; everything the firmware is made of ends at the
  // logits before it (engine/firmware.hpp).
  const Graph float_graph = graph;
  std::vector<ExportFinding> softmax_notes;
  if (ends_in_softmax(graph)) {
    const std::string& softmax = graph.layers.back().name;
    const std::string note =
        "softmax dropped: the firmware (QONNX, hls4ml configuration, HLS project, test vectors) "
        "ends at the logits before softmax layer '" +
        softmax +
        "', so its outputs are logits; the argmax is unchanged and every figure is computed "
        "from the logits; the float ONNX keeps the softmax (export option softmax: drop)";
    softmax_notes.push_back({softmax, Severity::kNote, note});
    graph = firmware_graph(graph);
  }
  apply_reuse_factors(graph);
  if (io_type_ == "io_parallel") apply_parallelization_factors(graph);
  const HlsProjectOptions hls = hls_options();
  const Hls4mlOptions hls4ml = hls4ml_options();
  const std::vector<std::string> problems = reuse_factor_problems(graph, hls);
  if (!problems.empty()) {
    throw Error("model '" + model_ + "' as it reaches the export: " + join(problems, "; "));
  }
  // Convolution targets pick the parallelization factors before hls4ml's configuration is
  // written (layer_parallelization_factor() reads them back).
  Hls4mlEstimateOptions hls4ml_design;
  hls4ml_design.io_type = io_type_;
  hls4ml_design.strategy = strategy_;
  nlohmann::json pf_json = nlohmann::json::array();
  std::vector<std::string> target_notes;      // for estimates.json's hls4ml design
  std::vector<ExportFinding> missed_targets;  // readiness warnings
  for (const ParallelizationChoice& c : choose_parallelization_factors(
           graph, hls, hls4ml_design, {conv_latency_target_, conv_interval_target_})) {
    if (!c.note.empty()) target_notes.push_back(c.note);
    if (!c.met) {
      missed_targets.push_back({c.layer, Severity::kWarning, c.note});
    } else if (!c.note.empty()) {
      spdlog::info("estimates: {}", c.note);
    }
    pf_json.push_back({{"layer", c.layer},
                       {"positions", c.positions},
                       {"parallelization_factor", c.parallelization_factor},
                       {"reuse_factor", c.reuse_factor},
                       {"latency_cycles", c.latency_cycles},
                       {"initiation_interval", c.initiation_interval},
                       {"met", c.met},
                       {"note", c.note}});
  }
  std::vector<fs::path> written;
  // hlslim's own project's estimate (written below); it also says which layers keep csd
  // products under multiplication 'adder_graph'.
  const ModelEstimate estimate = estimate_resources(graph, hls);

  // What hls4ml would reject or compute differently, before anything is written.
  std::vector<ExportFinding> findings = check_hls4ml_readiness(graph, hls4ml);
  findings.insert(findings.end(), missed_targets.begin(), missed_targets.end());
  findings.insert(findings.end(), softmax_notes.begin(), softmax_notes.end());
  const std::vector<ExportFinding> multiplication_notes = multiplication_findings(estimate);
  findings.insert(findings.end(), multiplication_notes.begin(), multiplication_notes.end());
  nlohmann::json findings_json = nlohmann::json::array();
  std::vector<std::string> errors;
  std::int64_t warnings = 0;
  for (const ExportFinding& f : findings) {
    findings_json.push_back(
        {{"node", f.node}, {"severity", severity_name(f.severity)}, {"message", f.message}});
    if (f.severity == Severity::kNote) {
      spdlog::info("export: {}", f.message);
    } else if (f.severity == Severity::kError) {
      errors.push_back(finding_text(f));
      spdlog::error("hls4ml readiness: {}", finding_text(f));
    } else {
      ++warnings;
      spdlog::warn("hls4ml readiness: {}", finding_text(f));
    }
  }
  write_file_atomic(dir / "readiness.json", findings_json.dump(2) + "\n");
  written.push_back(dir / "readiness.json");
  if (!errors.empty() && (wants("qonnx") || wants("hls4ml"))) {
    throw Error("model '" + model_ +
                "' cannot be handed to hls4ml: " + std::to_string(errors.size()) +
                " readiness error(s) (readiness.json): " + join(errors, "; "));
  }

  // Test vectors: the first test-set events and what the fixed-point engine computes for them.
  const Dataset& dataset = context.state().dataset();
  const auto normalization = TargetNormalization::from(graph);
  if (!normalization) {
    throw Error("model '" + model_ + "' carries no target normalization; train it first");
  }
  const BatchSource source(dataset.inputs, *normalization);
  const FixedEngine engine(graph);
  if (source.input_size() != engine.input_size()) {
    throw Error("model '" + model_ + "' reads " + std::to_string(engine.input_size()) +
                " values but the dataset's inputs have " + std::to_string(source.input_size()));
  }
  const std::size_t n =
      std::min(static_cast<std::size_t>(test_vectors_), dataset.split.test.size());
  std::vector<float> inputs(n * engine.input_size());
  std::vector<float> outputs(n * engine.output_size());
  if (n > 0) {
    source.fill(dataset.split.test.data(), n, inputs.data(), nullptr);
    engine.run(inputs.data(), n, outputs.data());
  }

  nlohmann::json writer_findings = nlohmann::json::array();
  const auto note_findings = [&](const OnnxExportResult& result, const char* file) {
    for (const ExportFinding& f : result.findings) {
      spdlog::warn("{}: {}", file, finding_text(f));
      writer_findings.push_back({{"file", file},
                                 {"node", f.node},
                                 {"severity", severity_name(f.severity)},
                                 {"message", f.message}});
    }
  };
  if (wants("onnx")) {
    const fs::path path = dir / (project_ + ".onnx");
    note_findings(write_onnx(float_graph, path), "onnx");
    written.push_back(path);
  }
  if (wants("qonnx")) {
    const fs::path path = dir / (project_ + "_qonnx.onnx");
    const OnnxExportResult qonnx = write_qonnx(graph, path);
    note_findings(qonnx, "qonnx");
    written.push_back(path);
    if (wants("hls4ml")) {
      fs::path input_data, output_predictions;
      if (n > 0) {
        input_data = dir / "tb_data" / "tb_input_features.dat";
        output_predictions = dir / "tb_data" / "tb_output_predictions.dat";
        write_hls4ml_test_vectors(graph, inputs.data(), outputs.data(), n, input_data,
                                  output_predictions);
        written.push_back(input_data);
        written.push_back(output_predictions);
      }
      const fs::path yaml = dir / "hls4ml_config.yml";
      write_hls4ml_config(graph, qonnx, hls4ml, path, input_data, output_predictions, yaml);
      written.push_back(yaml);
    }
  }
  if (wants("hls")) {
    for (const fs::path& path : write_hls_project(graph, hls, inputs, dir / "hls")) {
      written.push_back(path);
    }
  }
  // Two designs from one configuration: hlslim's own project (the figures at the top level,
  // in the results and the summary) and the one hls4ml builds ("hls4ml").
  const ModelEstimate hls4ml_estimate = estimate_hls4ml(graph, hls, hls4ml_design);
  nlohmann::json estimate_json = estimate.to_json();
  estimate_json["shown"] = estimate.design;
  estimate_json["hls4ml"] = hls4ml_estimate.to_json();
  estimate_json["hls4ml"]["strategy"] = strategy_;
  estimate_json["hls4ml"]["targets"] = {{"conv_latency_target", conv_latency_target_},
                                        {"conv_interval_target", conv_interval_target_}};
  estimate_json["hls4ml"]["parallelization_choices"] = pf_json;
  for (const std::string& note : target_notes) estimate_json["hls4ml"]["notes"].push_back(note);
  write_file_atomic(dir / "estimates.json", estimate_json.dump(2) + "\n");
  written.push_back(dir / "estimates.json");
  spdlog::info("'{}' estimates of {} (hlslim's own HLS project):\n{}", model_, estimate.design,
               estimate.table());
  spdlog::info("'{}' estimates of {} (the design hls4ml builds from hls4ml_config.yml):\n{}",
               model_, hls4ml_estimate.design, hls4ml_estimate.table());

  nlohmann::json& m = context.metrics();
  m = {{"model", model_}, {"project", project_}, {"formats", formats_}, {"test_vectors", n}};
  m["files"] = nlohmann::json::array();
  for (const fs::path& path : written) {
    m["files"].push_back(path.lexically_relative(dir).generic_string());
  }
  m["readiness"] = {{"errors", errors.size()}, {"warnings", warnings}};
  m["softmax"] = softmax_notes.empty() ? nlohmann::json(nullptr)
                                       : nlohmann::json{{"layer", softmax_notes.front().node},
                                                        {"firmware", "dropped"}};
  m["writer_findings"] = writer_findings;
  m["estimates"] = estimate_json.at("total");
  if (estimate_json.contains("multiplication"))
    m["multiplication"] = estimate_json.at("multiplication");
  if (estimate_json.contains("utilisation")) m["utilisation"] = estimate_json.at("utilisation");
  EstimateTotals totals;
  totals.model = model_;
  totals.part = hls.part;
  totals.clock_period_ns = hls.clock_period_ns;
  totals.lut = estimate.lut;
  totals.ff = estimate.ff;
  totals.dsp = estimate.dsp;
  totals.bram_18k = estimate.bram_18k;
  totals.latency_cycles = estimate.latency_cycles;
  totals.latency_ns = estimate.latency_ns;
  totals.initiation_interval = estimate.initiation_interval;
  totals.multiplies = estimate.multiplies;
  totals.bops = estimate.bops;
  context.results().estimates = totals;
  context.results().sizes.push_back(model_size(model_, graph));
  m["estimates_hls4ml"] = estimate_json["hls4ml"].at("total");
  spdlog::info(
      "'{}' exported to {}: {} files, {} readiness warning(s); estimate of {} {} LUT, {} FF, "
      "{} DSP, {} BRAM, {} cycles ({:.1f} ns), II {}; of {} {} LUT, {} FF, {} DSP, {} BRAM, "
      "{} cycles ({:.1f} ns), II {}",
      model_, dir.string(), written.size(), warnings, estimate.design, estimate.lut, estimate.ff,
      estimate.dsp, estimate.bram_18k, estimate.latency_cycles, estimate.latency_ns,
      estimate.initiation_interval, hls4ml_estimate.design, hls4ml_estimate.lut, hls4ml_estimate.ff,
      hls4ml_estimate.dsp, hls4ml_estimate.bram_18k, hls4ml_estimate.latency_cycles,
      hls4ml_estimate.latency_ns, hls4ml_estimate.initiation_interval);
}

}  // namespace hlslim
