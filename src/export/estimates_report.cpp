// The parts the estimates know, and the estimate as JSON and as a text table.

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "hlslim/export/estimates.hpp"

namespace hlslim {
namespace {

struct KnownPart {
  const char* prefix;
  const char* family;
  std::int64_t dsp, lut, ff, bram_18k;
};

// Totals from the vendor's product tables (CLB LUTs and flip-flops, DSP slices, 18 Kb block
// RAMs, i.e. twice the 36 Kb count).
constexpr KnownPart kParts[] = {
    {"xcvu13p", "UltraScale+", 12288, 1728000, 3456000, 5376},
    {"xcvu9p", "UltraScale+", 6840, 1182240, 2364480, 4320},
    {"xcvu11p", "UltraScale+", 9216, 1296000, 2592000, 4032},
    {"xcku115", "UltraScale", 5520, 663360, 1326720, 4320},
    {"xczu9eg", "UltraScale+", 2520, 274080, 548160, 1824},
    {"xc7vx690t", "7 series", 3600, 433200, 866400, 2940},
};

std::string lower(std::string text) {
  for (char& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

bool starts_with(const std::string& text, const char* prefix) {
  return text.rfind(prefix, 0) == 0;
}

std::string fixed(double v, int decimals) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.*f", decimals, v);
  return text;
}

std::string cell(const std::string& text, std::size_t width, bool left = false) {
  if (text.size() >= width) return text;
  const std::string pad(width - text.size(), ' ');
  return left ? text + pad : pad + text;
}

std::string big(double v) {
  char text[64];
  if (v >= 1e6) {
    std::snprintf(text, sizeof(text), "%.3gM", v / 1e6);
  } else if (v >= 1e4) {
    std::snprintf(text, sizeof(text), "%.3gk", v / 1e3);
  } else {
    std::snprintf(text, sizeof(text), "%.0f", v);
  }
  return text;
}

nlohmann::json layer_json(const LayerEstimate& e) {
  nlohmann::json j = {{"name", e.name},
                      {"type", e.type},
                      {"reuse_factor", e.reuse_factor},
                      {"multiplies", e.multiplies},
                      {"nonzero_weights", e.nonzero_weights},
                      {"weights", e.weights},
                      {"weight_bits", e.weight_bits},
                      {"input_bits", e.input_bits},
                      {"multipliers", e.multipliers},
                      {"shift_multiplies", e.shift_multiplies},
                      {"dsp_multipliers", e.dsp_multipliers},
                      {"lut_multipliers", e.lut_multipliers},
                      {"dsp", e.dsp},
                      {"lut", e.lut},
                      {"ff", e.ff},
                      {"bram_18k", e.bram_18k},
                      {"bops", e.bops},
                      {"latency_cycles", e.latency_cycles},
                      {"path_ns", e.path_ns},
                      {"parallelization_factor", e.parallelization_factor},
                      {"initiation_interval", e.initiation_interval}};
  if (!e.multiplication.empty()) {
    j["multiplication"] = e.multiplication;
    j["adders"] = e.adders;
    j["adder_lut"] = e.adder_lut;
    j["adder_depth"] = e.adder_depth;
  }
  return j;
}

}  // namespace

FpgaPart fpga_part(const std::string& part) {
  FpgaPart p;
  p.part = part;
  const std::string name = lower(part);
  for (const KnownPart& known : kParts) {
    if (!starts_with(name, known.prefix)) continue;
    p.family = known.family;
    p.dsp = known.dsp;
    p.lut = known.lut;
    p.ff = known.ff;
    p.bram_18k = known.bram_18k;
    break;
  }
  if (p.family.empty()) {
    if (starts_with(name, "xcvc") || starts_with(name, "xcvm") || starts_with(name, "xcvp") ||
        starts_with(name, "xcve") || starts_with(name, "xcvh")) {
      p.family = "Versal";
    } else if (starts_with(name, "xc7")) {
      p.family = "7 series";
    } else if (starts_with(name, "xcvu") || starts_with(name, "xcku") ||
               starts_with(name, "xczu")) {
      const std::string device = name.substr(0, name.find('-'));
      p.family = device.back() == 'p' || starts_with(name, "xczu") ? "UltraScale+" : "UltraScale";
    } else {
      p.family = "unknown";
    }
  }
  if (p.family == "Versal") {
    p.dsp_block = "DSP58";
    p.dsp_b_bits = 24;
  } else if (p.family == "7 series") {
    p.dsp_block = "DSP48E1";
    p.dsp_a_bits = 25;
  } else {
    p.dsp_block = "DSP48E2";
  }
  return p;
}

nlohmann::json ModelEstimate::to_json() const {
  nlohmann::json layers_json = nlohmann::json::array();
  for (const LayerEstimate& e : layers) layers_json.push_back(layer_json(e));
  nlohmann::json j = {
      {"model", model},
      {"part", device.part},
      {"family", device.family},
      {"dsp_block", device.dsp_block},
      {"clock_period_ns", clock_period_ns},
      {"clock_uncertainty", constants.clock_uncertainty},
      {"io_type", design.find("io_stream") != std::string::npos ? "io_stream" : "io_parallel"},
      {"design", design},
      {"notes", notes},
      {"layers", layers_json},
      {"total",
       {{"multiplies", multiplies},
        {"nonzero_weights", nonzero_weights},
        {"weights", weights},
        {"multipliers", multipliers},
        {"dsp", dsp},
        {"lut", lut},
        {"ff", ff},
        {"bram_18k", bram_18k},
        {"bops", bops},
        {"latency_cycles", latency_cycles},
        {"latency_ns", latency_ns},
        {"initiation_interval", initiation_interval}}}};
  if (multiplication == "adder_graph") {
    j["multiplication"] = {{"method", multiplication},
                           {"lut", lut},
                           {"lut_csd", csd_lut},
                           {"lut_saving", csd_lut - lut},
                           {"latency_cycles", latency_cycles},
                           {"latency_cycles_csd", csd_latency_cycles}};
  }
  if (device.dsp > 0) {
    j["device"] = {
        {"dsp", device.dsp}, {"lut", device.lut}, {"ff", device.ff}, {"bram_18k", device.bram_18k}};
    j["utilisation"] = {{"dsp", static_cast<double>(dsp) / device.dsp},
                        {"lut", static_cast<double>(lut) / device.lut},
                        {"ff", static_cast<double>(ff) / device.ff},
                        {"bram_18k", static_cast<double>(bram_18k) / device.bram_18k}};
  }
  return j;
}

std::string ModelEstimate::table() const {
  std::size_t name_width = 5;
  for (const LayerEstimate& e : layers) name_width = std::max(name_width, e.name.size());
  const std::size_t widths[] = {name_width, 12, 4, 8, 8, 7, 6, 9, 9, 5, 8, 6};
  const char* heads[] = {"layer", "type", "RF", "mults", "nz_w", "w x in",
                         "DSP",   "LUT",  "FF", "BRAM",  "BOPs", "cycles"};
  auto row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t i = 0; i < cells.size(); ++i)
      line += (i ? "  " : "") + cell(cells[i], widths[i], i < 2);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    return line + "\n";
  };
  std::string s;
  if (design != "hlslim io_parallel") s += "design: " + design + "\n";
  s += row(std::vector<std::string>(std::begin(heads), std::end(heads)));
  for (const LayerEstimate& e : layers) {
    const bool costs = e.lut + e.ff + e.dsp + e.bram_18k + e.latency_cycles > 0;
    if (!costs && e.multiplies == 0) continue;
    const std::string bits =
        e.weight_bits > 0 ? std::to_string(e.weight_bits) + "x" + std::to_string(e.input_bits)
                          : "-";
    s += row({e.name, e.type, std::to_string(e.reuse_factor), std::to_string(e.multiplies),
              std::to_string(e.nonzero_weights), bits, std::to_string(e.dsp), std::to_string(e.lut),
              std::to_string(e.ff), std::to_string(e.bram_18k), big(e.bops),
              std::to_string(e.latency_cycles)});
  }
  s += row({"total", "", "", std::to_string(multiplies), std::to_string(nonzero_weights), "",
            std::to_string(dsp), std::to_string(lut), std::to_string(ff), std::to_string(bram_18k),
            big(bops), std::to_string(latency_cycles)});
  s += "latency " + std::to_string(latency_cycles) + " cycles = " + fixed(latency_ns, 1) +
       " ns at " + fixed(clock_period_ns, 3) + " ns (" + fixed(1000.0 / clock_period_ns, 0) +
       " MHz), initiation interval " + std::to_string(initiation_interval) + "\n";
  s += "part " + device.part + " (" + device.family + ", " + device.dsp_block + ")";
  if (device.dsp > 0) {
    s += ": DSP " + fixed(100.0 * dsp / device.dsp, 2) + " %, LUT " +
         fixed(100.0 * lut / device.lut, 2) + " %, FF " + fixed(100.0 * ff / device.ff, 2) +
         " %, BRAM " + fixed(100.0 * bram_18k / device.bram_18k, 2) + " %";
  }
  s += "\n";
  for (const LayerEstimate& e : layers) {
    if (e.multiplication.empty()) continue;
    s += "adder graph " + e.name + ": " + std::to_string(e.adders) + " adders, " +
         std::to_string(e.adder_lut) + " LUT, depth " + std::to_string(e.adder_depth) + "\n";
  }
  if (multiplication == "adder_graph") {
    s += "multiplication adder_graph: " + std::to_string(lut) + " LUT, " +
         std::to_string(latency_cycles) + " cycles; with csd products " + std::to_string(csd_lut) +
         " LUT, " + std::to_string(csd_latency_cycles) + " cycles (saving " +
         std::to_string(csd_lut - lut) + " LUT)\n";
  }
  for (const std::string& note : notes) s += "note: " + note + "\n";
  return s;
}

}  // namespace hlslim
