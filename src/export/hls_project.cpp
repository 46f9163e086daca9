// write_hls_project(): checks the options, analyses the model and writes every file of the
// HLS project, with test vectors from the bit-accurate engine (docs/export-hls.md).

#include "hlslim/export/hls_project.hpp"

#include <cctype>
#include <cmath>
#include <cstdio>

#include "hls_project_model.hpp"
#include "hlslim/engine/firmware.hpp"
#include "hlslim/engine/fixed_engine.hpp"
#include "hlslim/quant/fixed_point.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"

namespace hlslim {
namespace {

bool is_identifier(const std::string& text) {
  if (text.empty() || std::isdigit(static_cast<unsigned char>(text[0])) != 0) return false;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '_') return false;
  }
  return true;
}

// The test vectors: inputs as the floats given, outputs as the engine computes them (exact
// decimal doubles of the output raws).
void test_vectors(const Graph& graph, const hls_detail::HlsModel& model,
                  const std::vector<float>& inputs, std::string& input_text,
                  std::string& output_text) {
  const auto n_in = static_cast<std::size_t>(model.input_size);
  const auto n_out = static_cast<std::size_t>(model.output_size);
  if (n_in == 0 || inputs.size() % n_in != 0) {
    throw Error("model '" + graph.name + "': " + std::to_string(inputs.size()) +
                " test input values are not a multiple of the input size " + std::to_string(n_in));
  }
  const std::size_t events = inputs.size() / n_in;
  std::vector<std::int64_t> x_raw(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) x_raw[i] = quantize(inputs[i], model.input_type);
  std::vector<std::int64_t> y_raw(events * n_out);
  const FixedEngine engine(graph);
  if (events > 0) engine.run_raw(x_raw.data(), events, y_raw.data());
  for (std::size_t e = 0; e < events; ++e) {
    for (std::size_t i = 0; i < n_in; ++i)
      input_text += (i ? " " : "") + hls_detail::float_text(inputs[e * n_in + i]);
    input_text += "\n";
    for (std::size_t j = 0; j < n_out; ++j) {
      output_text += (j ? " " : "") +
                     hls_detail::double_text(to_double(y_raw[e * n_out + j], model.output_type));
    }
    output_text += "\n";
  }
}

}  // namespace

std::vector<std::string> hls_project_option_problems(const HlsProjectOptions& options) {
  std::vector<std::string> problems;
  if (!is_identifier(options.project)) {
    problems.push_back("project '" + options.project +
                       "' must be a C identifier (letters, digits and '_', not starting with a "
                       "digit): it names the top function and the files");
  } else if (hls_detail::reserved_words().count(options.project) != 0 ||
             options.project == "defines" || options.project == "parameters") {
    problems.push_back("project '" + options.project + "' is reserved in the generated C++");
  }
  if (options.part.empty()) problems.push_back("part must name an FPGA part");
  if (!(options.clock_period_ns > 0) || !std::isfinite(options.clock_period_ns)) {
    char value[32];
    std::snprintf(value, sizeof(value), "%g", options.clock_period_ns);
    problems.push_back("clock period must be positive, got " + std::string(value) + " ns");
  }
  if (options.reuse_factor < 1) {
    problems.push_back("reuse factor must be at least 1, got " +
                       std::to_string(options.reuse_factor));
  }
  if (options.io_type != "io_parallel" && options.io_type != "io_stream") {
    problems.push_back("io_type '" + options.io_type +
                       "' is not supported by the HLS writer: use io_parallel or io_stream");
  }
  if (options.multiplication != "csd" && options.multiplication != "adder_graph") {
    problems.push_back("multiplication '" + options.multiplication +
                       "' is not supported by the HLS writer: use csd or adder_graph");
  } else if (options.multiplication == "adder_graph" && options.io_type == "io_stream") {
    problems.push_back(
        "multiplication 'adder_graph' needs io_type io_parallel: the io_stream kernels compute "
        "one window at a time with csd products");
  }
  return problems;
}

std::vector<std::filesystem::path> write_hls_project(const Graph& quantized_graph,
                                                     const HlsProjectOptions& options,
                                                     const std::vector<float>& test_inputs,
                                                     const std::filesystem::path& dir) {
  using namespace hls_detail;
  // A trailing softmax is not in the firmware (engine/firmware.hpp): the project outputs logits.
  if (ends_in_softmax(quantized_graph)) {
    return write_hls_project(firmware_graph(quantized_graph), options, test_inputs, dir);
  }
  const HlsModel model = build_hls_model(quantized_graph, options);
  std::string inputs_text;
  std::string outputs_text;
  test_vectors(quantized_graph, model, test_inputs, inputs_text, outputs_text);

  const std::string& p = options.project;
  const bool stream = options.io_type == "io_stream";
  // io_stream: the kernels compute one element or window; parameters.h holds their tables.
  const HlsModel kernels = stream ? stream_kernels(model) : model;
  std::vector<std::pair<std::filesystem::path, std::string>> files;
  files.emplace_back("firmware/" + p + ".cpp", stream ? stream_top_source(model, kernels, options)
                                                      : top_source(model, options));
  files.emplace_back("firmware/" + p + ".h",
                     stream ? stream_top_header(model, options) : top_header(model, options));
  files.emplace_back("firmware/defines.h", defines_header(model, options));
  files.emplace_back("firmware/parameters.h", parameters_header(kernels, options));
  for (const HlsLayer& l : model.layers) {
    if (l.is_linear() || l.kind == LayerKind::kBatchNorm)
      files.emplace_back("firmware/weights/" + l.cname + "_w.h", weights_header(model, l));
    if (l.has_bias || l.kind == LayerKind::kBatchNorm)
      files.emplace_back("firmware/weights/" + l.cname + "_b.h", biases_header(model, l));
  }
  const std::string testbench = testbench_source(model, options);
  files.emplace_back(p + "_test.cpp", stream ? stream_testbench(testbench, options) : testbench);
  files.emplace_back("tb_data/tb_input_features.dat", inputs_text);
  files.emplace_back("tb_data/tb_output_predictions.dat", outputs_text);
  files.emplace_back("build_prj.tcl", build_tcl(model, options));
  files.emplace_back("csim/hlslim_ap_systemc.h", systemc_shim_header());
  if (stream) files.emplace_back("csim/hls_stream.h", hls_stream_shim_header());
  files.emplace_back("csim/hlslim_sc_main.cpp", sc_main_stub());
  files.emplace_back("csim/build_csim.sh", csim_script(p));
  std::string makefile = csim_makefile(p);
  if (stream) {
    const std::string shim = " hlslim_ap_systemc.h\n";
    makefile.replace(makefile.find(shim), shim.size(), " hlslim_ap_systemc.h hls_stream.h\n");
  }
  files.emplace_back("csim/Makefile", makefile);

  std::vector<std::filesystem::path> written;
  for (const auto& [relative, content] : files) {
    const std::filesystem::path path = dir / relative;
    write_file_atomic(path, content);
    written.push_back(path);
  }
  return written;
}

}  // namespace hlslim
