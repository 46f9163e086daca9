// The model sections of the run report: per-layer weights, sparsity and precision of the final
// models, the compression summary, and the fixed-point overflow counters.

#include <algorithm>
#include <cmath>
#include <functional>

#include "hlslim/engine/precision.hpp"
#include "hlslim/report/svg.hpp"
#include "sections.hpp"

namespace hlslim::report {
namespace {

constexpr int kWeightBins = 31;

std::string precision_text(const std::optional<FixedType>& type) {
  return type ? type->to_string() : "";
}

// The weights a forward pass uses: the weight times its mask, when the layer has one.
std::vector<float> effective_weights(const Layer& layer) {
  const auto weight = layer.tensors.find("weight");
  if (weight == layer.tensors.end()) return {};
  std::vector<float> values = weight->second.values;
  const auto mask = layer.tensors.find("weight_mask");
  if (mask != layer.tensors.end() && mask->second.values.size() == values.size()) {
    for (std::size_t i = 0; i < values.size(); ++i) values[i] *= mask->second.values[i];
  }
  return values;
}

std::string weight_chart(const ModelData& model, const Layer& layer, const std::vector<float>& w,
                         const std::string& color) {
  float largest = 0.0f;
  std::size_t zeros = 0;
  for (float v : w) {
    largest = std::max(largest, std::abs(v));
    zeros += v == 0.0f;
  }
  if (largest == 0.0f) largest = 1.0f;
  std::vector<double> edges(kWeightBins + 1), counts(kWeightBins, 0.0);
  for (int i = 0; i <= kWeightBins; ++i) {
    edges[i] = -largest + 2.0 * largest * i / kWeightBins;
  }
  for (float v : w) {
    if (v == 0.0f) continue;  // pruned: counted in the title instead
    const int bin = std::clamp(static_cast<int>((v + largest) / (2.0 * largest) * kWeightBins), 0,
                               kWeightBins - 1);
    counts[bin] += 1.0;
  }
  Chart chart(layer.name + ": " + std::to_string(w.size() - zeros) + " of " +
              std::to_string(w.size()) + " non-zero");
  chart.id("weights-" + model.name + "-" + layer.name).size(310, 200).legend(LegendPosition::kNone);
  chart.x_axis({"weight value"}).y_axis({"weights"});
  chart.add(Series::step("", edges, counts).with_color(color));
  return chart.svg();
}

std::string optional_cell(const std::optional<double>& v) {
  return v ? cell(*v) : "&ndash;";
}

bool has_overflow_counters(const nlohmann::json& m) {
  if (m.contains("input") && m["input"].is_object() && m["input"].contains("overflows"))
    return true;
  if (m.contains("layers") && m["layers"].is_array()) {
    for (const auto& l : m["layers"]) {
      if (l.is_object() && (l.contains("result_overflows") || l.contains("accum_overflows")))
        return true;
    }
  }
  return false;
}

std::string json_text(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  if (it == object.end() || it->is_null()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return cell(it->get<double>());
  return it->dump();
}

std::string overflow_table(const nlohmann::json& m) {
  HtmlTable table({"layer", "type", "values", "result precision", "result overflows", "accum",
                   "accum overflows"});
  if (m.contains("input") && m["input"].is_object()) {
    const auto& in = m["input"];
    table.row({"input", "", json_text(in, "values"), json_text(in, "precision"),
               json_text(in, "overflows"), "", ""});
  }
  if (m.contains("layers") && m["layers"].is_array()) {
    for (const auto& l : m["layers"]) {
      if (!l.is_object()) continue;
      table.row({json_text(l, "name"), json_text(l, "type"), json_text(l, "values"),
                 json_text(l, "result"), json_text(l, "result_overflows"), json_text(l, "accum"),
                 json_text(l, "accum_overflows")});
    }
  }
  return table.html();
}

}  // namespace

std::string models_section(const RunData& run, const RunSummary& summary) {
  if (run.models.empty()) {
    return section("models", "Final models",
                   note("No completed stage left model files (state/*.hlsm)."));
  }
  std::string body = "<p class=\"caption\">The models of the checkpoint of stage <b>" +
                     xml_escape(run.models_stage) +
                     "</b>, the last completed one: the final state of the pipeline. Sparsity: "
                     "fraction of weights that are zero (pruned or masked). Precisions: the "
                     "ap_fixed types the quantize or distill stage set, per role.</p>";
  // Teacher, then student, then the others, as everywhere in the report.
  std::vector<const ModelData*> models;
  for (const Compression& c : summary.compression) {
    if (const ModelData* m = run.find_model(c.model)) models.push_back(m);
  }
  std::size_t index = 0;
  for (const ModelData* model_pointer : models) {
    const ModelData& model = *model_pointer;
    const Role role = role_of(summary, model.name);
    const std::string color = role_color(role, index++);
    body += "<h3><span class=\"swatch\" style=\"background:" + color + "\"></span>" +
            xml_escape(model.name) + " (" + role_name(role) + ") &middot; <code>" +
            xml_escape(model.file) + "</code></h3>";
    std::optional<ModelPrecision> precision;
    if (has_precision(model.graph)) {
      try {
        precision = read_precision(model.graph);
        body += "<p class=\"caption\">input precision <code>" +
                xml_escape(precision->input.to_string()) + "</code></p>";
      } catch (const std::exception& e) {
        body += note(std::string("precisions unreadable: ") + e.what());
      }
    } else {
      body += "<p class=\"caption\">float model (no precisions)</p>";
    }
    HtmlTable table({"layer", "type", "parameters", "non-zero", "weight sparsity", "weight", "bias",
                     "accum", "result"});
    const auto sizes = model.graph.summary();
    std::string charts;
    for (std::size_t i = 0; i < model.graph.layers.size(); ++i) {
      const Layer& layer = model.graph.layers[i];
      const std::vector<float> w = effective_weights(layer);
      std::string sparsity = "";
      if (!w.empty()) {
        const auto zeros = std::count(w.begin(), w.end(), 0.0f);
        sparsity = cell(static_cast<double>(zeros) / static_cast<double>(w.size()));
        charts += weight_chart(model, layer, w, color);
      }
      const LayerPrecision* p =
          precision && i < precision->layers.size() ? &precision->layers[i] : nullptr;
      table.row({layer.name, layer_kind_name(layer.kind),
                 i < sizes.size() ? cell(static_cast<double>(sizes[i].parameters)) : "",
                 i < sizes.size() ? cell(static_cast<double>(sizes[i].nonzero_parameters)) : "",
                 sparsity, p ? precision_text(p->weight) : "", p ? precision_text(p->bias) : "",
                 p ? precision_text(p->accum) : "", p ? precision_text(p->result) : ""});
    }
    body += table.html();
    if (!charts.empty()) body += "<div class=\"charts\">" + charts + "</div>";
  }
  return section("models", "Final models: weights, sparsity, precision", body);
}

std::string compression_section(const RunSummary& summary) {
  if (summary.compression.empty()) {
    return section("compression", "Compression summary", note("No final models to compare."));
  }
  const Compression* teacher = nullptr;
  const Compression* student = nullptr;
  for (const Compression& c : summary.compression) {
    if (c.role == Role::teacher) teacher = &c;
    if (c.role == Role::student) student = &c;
  }
  std::vector<std::string> header = {"figure"};
  for (const Compression& c : summary.compression)
    header.push_back(c.model + " (" + role_name(c.role) + ")");
  const bool ratio = teacher && student;
  if (ratio) header.push_back("student / teacher");
  HtmlTable table(header, "compression");
  struct Row {
    const char* name;
    std::function<std::optional<double>(const Compression&)> get;
  };
  auto as_double = [](const std::optional<std::int64_t>& v) {
    return v ? std::optional<double>(static_cast<double>(*v)) : std::nullopt;
  };
  const std::vector<Row> rows = {
      {"parameters", [](const Compression& c) { return std::optional<double>(c.parameters); }},
      {"non-zero parameters",
       [](const Compression& c) { return std::optional<double>(c.nonzero_parameters); }},
      {"multiplies", [&](const Compression& c) { return as_double(c.multiplies); }},
      {"weight bits", [&](const Compression& c) { return as_double(c.weight_bits); }},
      {"BOPs", [](const Compression& c) { return c.bops; }},
      {"LUT", [&](const Compression& c) { return as_double(c.lut); }},
      {"FF", [&](const Compression& c) { return as_double(c.ff); }},
      {"DSP", [&](const Compression& c) { return as_double(c.dsp); }},
      {"BRAM 18k", [&](const Compression& c) { return as_double(c.bram_18k); }},
      {"latency [cycles]", [&](const Compression& c) { return as_double(c.latency_cycles); }},
      {"latency [ns]", [](const Compression& c) { return c.latency_ns; }},
  };
  for (const Row& row : rows) {
    std::vector<std::string> cells = {row.name};
    for (const Compression& c : summary.compression) cells.push_back(optional_cell(row.get(c)));
    if (ratio) {
      const auto s = row.get(*student), t = row.get(*teacher);
      cells.push_back(s && t && *t != 0.0 ? cell(*s / *t) : "&ndash;");
    }
    table.raw_row(cells);
  }
  std::vector<std::string> sources = {"source"};
  for (const Compression& c : summary.compression) sources.push_back(xml_escape(c.source));
  if (ratio) sources.push_back("");
  table.raw_row(sources);
  return section("compression", "Compression summary",
                 table.html() +
                     "<p class=\"caption\">Sizes from the final model files; multiplies (products "
                     "of non-zero weights), weight bits (non-zero weights times their width), "
                     "BOPs, resources and latency from the pre-synthesis estimates "
                     "(docs/estimates.md): the exported model's as the export stage computed "
                     "them, the others' computed here for the same part and clock.</p>");
}

std::string overflow_section(const RunData& run) {
  std::string body;
  for (const StageData& stage : run.stages) {
    if (!stage.metrics) continue;
    const nlohmann::json& m = *stage.metrics;
    if (has_overflow_counters(m)) {
      body += "<h3>" + xml_escape(stage.dir + " (" + stage.type + ")") + "</h3>" +
              overflow_table(m) + "<p class=\"caption\">From <code>" + xml_escape(stage.dir) +
              "/metrics.json</code>: values that saturated or wrapped in the bit-accurate "
              "engine over the calibration data.</p>";
    }
    for (const auto& [key, value] : m.items()) {
      if (value.is_object() && has_overflow_counters(value)) {
        body += "<h3>" + xml_escape(stage.dir + " (" + stage.type + "), " + key) + "</h3>" +
                overflow_table(value);
      }
    }
  }
  if (body.empty()) body = note("No stage of this run recorded overflow counters.");
  return section("overflows", "Fixed-point overflows", body);
}

}  // namespace hlslim::report
