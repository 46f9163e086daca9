#include "hlslim/train/dataset.hpp"

#include <nlohmann/json.hpp>

#include "hlslim/data/error.hpp"
#include "hlslim/data/fragmenter.hpp"
#include "hlslim/data/store_io.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"

namespace fs = std::filesystem;
using json = nlohmann::json;

namespace hlslim {

const EnumNames<InputKind>& input_kind_names() {
  static const EnumNames<InputKind> names{{"windows", InputKind::kWindows},
                                          {"full", InputKind::kFull}};
  return names;
}
namespace {

constexpr int kDatasetFormatVersion = 1;

// SimulationParams keeps counts as size_t; options hold int64.
OptionSpec& add_count(OptionTable& table, const std::string& key, std::size_t& target,
                      std::string help) {
  OptionSpec spec(key, OptionType::kInt, std::move(help));
  spec.default_to(static_cast<std::int64_t>(target))
      .bind([&target](const OptionValue& v) { target = std::get<std::int64_t>(v); },
            [&target] { return OptionValue(static_cast<std::int64_t>(target)); });
  return table.add(std::move(spec));
}

std::vector<std::string> station_names(const data::SimulationParams& params) {
  std::vector<std::string> out;
  for (const auto& layer : params.layers) out.push_back(data::station_name(layer.station));
  return out;
}

json split_to_json(const data::Split& split) {
  return {{"train", split.train},
          {"validation", split.validation},
          {"test", split.test},
          {"noise", split.noise}};
}

// Appends `rows` rows to every window coding its start column in the full image as
// thermometer codes ("further along in eta" is "more pixels"): the first row in W levels over
// the image, the second W finer levels within the first's level.
data::EventStore with_position_rows(const data::EventStore& windows, std::size_t image_columns,
                                    std::size_t rows) {
  const std::size_t width = windows.columns();
  const std::size_t first_row = windows.layers();
  const std::size_t start_column = windows.label_index("window_start");
  const std::size_t levels = rows == 1 ? width : width * width;
  const std::size_t span = image_columns > width ? image_columns - width + 1 : 1;
  std::vector<std::uint64_t> offsets{0};
  std::vector<std::uint32_t> pixels;
  std::vector<float> values;  // hit values, when the windows have them (position pixels are 1)
  pixels.reserve(windows.hit_count() + windows.size() * width * rows);
  for (std::size_t e = 0; e < windows.size(); ++e) {
    const auto hits = windows.hits(e);
    pixels.insert(pixels.end(), hits.begin(), hits.end());
    if (const float* v = windows.hit_values(e)) values.insert(values.end(), v, v + hits.size());
    const auto start = static_cast<std::size_t>(windows.label(e, start_column));
    const std::size_t level = std::min(levels - 1, start * levels / span);
    const std::size_t code[2] = {rows == 1 ? level : level / width, level % width};
    for (std::size_t r = 0; r < rows; ++r) {
      for (std::size_t c = 0; c <= code[r]; ++c)
        pixels.push_back(static_cast<std::uint32_t>((first_row + r) * width + c));
    }
    if (windows.has_values()) values.resize(pixels.size(), 1.0f);
    offsets.push_back(pixels.size());
  }
  return data::EventStore::from_arrays("windows", first_row + rows, width, windows.label_names(),
                                       windows.metadata_json(), std::move(offsets),
                                       std::move(pixels), windows.labels(), std::move(values));
}

}  // namespace

void declare_simulation_options(OptionTable& t, data::SimulationParams& p,
                                std::vector<double>& layer_radii,
                                std::vector<std::string>& layer_stations) {
  const data::SimulationParams d;
  std::vector<double> radii;
  for (const auto& layer : d.layers) radii.push_back(layer.radius_m);
  t.add_float("eta_min", p.eta_min, d.eta_min, "Pseudorapidity of the image's first column edge.");
  t.add_float("eta_max", p.eta_max, d.eta_max, "Pseudorapidity of the image's last column edge.");
  add_count(t, "columns", p.columns, "Image columns (eta bins).").min(1).max(65535);
  t.add_float("strip_pitch_m", p.strip_pitch_m, d.strip_pitch_m, "Eta-strip pitch in metres.")
      .greater_than(0);
  t.add_float_list("layer_radii_m", layer_radii, radii,
                   "Radius of each RPC layer in metres, inner to outer (one image row each).")
      .greater_than(0);
  t.add_string_list("layer_stations", layer_stations, station_names(d),
                    "Station of each layer: BI, BM (the trigger's pivot) or BO.");
  t.add_float("layer_efficiency", p.layer_efficiency, d.layer_efficiency,
              "Probability that a layer records a crossing muon.")
      .min(0)
      .max(1);
  t.add_float_list("cluster_size_probabilities", p.cluster_size_probabilities,
                   d.cluster_size_probabilities,
                   "Probabilities of clusters of 1, 2, 3, ... strips; they sum to 1.")
      .min(0)
      .max(1);
  t.add_float("noise_probability", p.noise_probability, d.noise_probability,
              "Probability that a strip fires by noise, per strip and event.")
      .min(0)
      .max(1);
  t.add_float("field_tesla", p.field_tesla, d.field_tesla,
              "Toroidal field between the field radii, tesla.")
      .min(0);
  t.add_float("field_r_min_m", p.field_r_min_m, d.field_r_min_m, "Inner radius of the field, m.")
      .min(0);
  t.add_float("field_r_max_m", p.field_r_max_m, d.field_r_max_m, "Outer radius of the field, m.")
      .min(0);
  t.add_float("calo_radius_m", p.calo_radius_m, d.calo_radius_m,
              "Radius where calorimeter energy loss and scattering are applied, m.")
      .min(0);
  t.add_float("calo_energy_loss_gev", p.calo_energy_loss_gev, d.calo_energy_loss_gev,
              "Mean muon energy loss in the calorimeters at eta 0, GeV.")
      .min(0);
  t.add_float("calo_radiation_lengths", p.calo_radiation_lengths, d.calo_radiation_lengths,
              "Calorimeter thickness in radiation lengths at eta 0 (multiple scattering).")
      .min(0);
  t.add_bool("calo_scale_with_path", p.calo_scale_with_path, d.calo_scale_with_path,
             "Scale energy loss and thickness with the path length 1/sin(theta).");
  t.add_float("min_momentum_gev", p.min_momentum_gev, d.min_momentum_gev,
              "Muons below this momentum after the calorimeters leave no hits.")
      .min(0);
  t.add_float("pt_min_gev", p.pt_min_gev, d.pt_min_gev, "Lowest generated pT, GeV.")
      .greater_than(0);
  t.add_float("pt_max_gev", p.pt_max_gev, d.pt_max_gev, "Highest generated pT, GeV.")
      .greater_than(0);
  t.add_float("gen_eta_min", p.gen_eta_min, d.gen_eta_min, "Lowest generated eta.");
  t.add_float("gen_eta_max", p.gen_eta_max, d.gen_eta_max, "Highest generated eta.");
  t.add_float("phi_centre_rad", p.phi_centre_rad, d.phi_centre_rad, "Centre of the phi sector.");
  t.add_float("sector_width_rad", p.sector_width_rad, d.sector_width_rad,
              "Width of the phi sector, rad.")
      .greater_than(0);
}

std::vector<std::string> apply_layer_options(data::SimulationParams& params,
                                             const std::vector<double>& layer_radii,
                                             const std::vector<std::string>& layer_stations) {
  if (layer_radii.size() != layer_stations.size()) {
    return {"layer_radii_m has " + std::to_string(layer_radii.size()) +
            " entries but layer_stations has " + std::to_string(layer_stations.size())};
  }
  params.layers.clear();
  for (std::size_t i = 0; i < layer_radii.size(); ++i) {
    data::Layer layer;
    layer.radius_m = layer_radii[i];
    const std::string& s = layer_stations[i];
    if (s == "BI")
      layer.station = data::Station::inner;
    else if (s == "BM")
      layer.station = data::Station::middle;
    else if (s == "BO")
      layer.station = data::Station::outer;
    else
      return {"unknown station '" + s + "' in layer_stations (expected BI, BM or BO)"};
    params.layers.push_back(layer);
  }
  return params.validate();
}

void Dataset::prepare_inputs() {
  if (task.input == InputKind::kFull) {
    inputs = events;
    return;
  }
  if (events.layers() != geometry.layers.size()) {
    throw Error("input 'windows' needs detector images of " +
                std::to_string(geometry.layers.size()) + " layers, got " +
                std::to_string(events.layers()) + "; use input: full");
  }
  try {
    data::Fragmenter fragmenter(
        data::FragmenterOptions::for_simulation(geometry, static_cast<std::size_t>(task.window)));
    inputs = fragmenter.fragment(events);
    if (task.position_rows > 0) {
      inputs = with_position_rows(inputs, events.columns(),
                                  static_cast<std::size_t>(task.position_rows));
    }
  } catch (const data::DataError& e) {
    throw Error(std::string("cannot cut input windows: ") + e.what());
  }
}

Shape Dataset::input_shape() const {
  return {1, static_cast<std::int64_t>(inputs.layers()),
          static_cast<std::int64_t>(inputs.columns())};
}

data::MetricsOptions Dataset::metrics_options() const {
  data::MetricsOptions options;
  options.threshold_gev = task.threshold;
  options.plateau_min_gev = task.threshold + task.plateau_offset;
  options.turn_on_edges =
      data::MetricsOptions::uniform_edges(geometry.pt_min_gev, geometry.pt_max_gev, 1.0);
  return options;
}

void Dataset::save(const fs::path& dir) const {
  data::write_store(events, (dir / "events.hlsd").string());
  write_file_atomic(dir / "split.json", split_to_json(split).dump() + "\n");
  data::SimulationParams params = geometry;
  std::vector<double> radii;
  std::vector<std::string> stations;
  OptionTable table;
  declare_simulation_options(table, params, radii, stations);
  params = geometry;
  radii.clear();
  for (const auto& layer : geometry.layers) radii.push_back(layer.radius_m);
  stations = station_names(geometry);
  YAML::Emitter geometry_yaml;
  geometry_yaml << table.current_yaml();
  const json info = {
      {"format", "hlslim-dataset"}, {"format_version", kDatasetFormatVersion},
      {"simulated", simulated},     {"input", enum_name(input_kind_names(), task.input)},
      {"window", task.window},      {"position_rows", task.position_rows},
      {"targets", task.targets},    {"geometry", geometry_yaml.c_str()},
      {"events", events.size()},    {"label_names", events.label_names()}};
  write_file_atomic(dir / "dataset.json", info.dump(2) + "\n");
}

Dataset Dataset::load(const fs::path& dir) {
  Dataset dataset;
  const fs::path info_path = dir / "dataset.json";
  try {
    const json info = json::parse(read_file(info_path));
    if (info.at("format_version").get<int>() != kDatasetFormatVersion) {
      throw FileFormatError("dataset '" + info_path.string() + "': format version " +
                            std::to_string(info.at("format_version").get<int>()) +
                            " is not supported");
    }
    dataset.simulated = info.at("simulated").get<bool>();
    const std::string input = info.at("input").get<std::string>();
    const auto kind = enum_value(input_kind_names(), input);
    if (!kind) {
      throw FileFormatError("dataset '" + info_path.string() + "': unknown input '" + input + "'");
    }
    dataset.task.input = *kind;
    dataset.task.window = info.at("window").get<std::int64_t>();
    dataset.task.position_rows = info.at("position_rows").get<std::int64_t>();
    dataset.task.targets = info.at("targets").get<std::vector<std::string>>();
    std::vector<double> radii;
    std::vector<std::string> stations;
    OptionTable table;
    declare_simulation_options(table, dataset.geometry, radii, stations);
    Diagnostics diagnostics;
    const auto source = ConfigSource::load_string(info.at("geometry").get<std::string>(),
                                                  info_path.string(), dir, diagnostics);
    table.parse(source, source.root(), "geometry", "", {}, diagnostics);
    const auto problems = apply_layer_options(dataset.geometry, radii, stations);
    if (diagnostics.has_errors() || !problems.empty()) {
      throw FileFormatError("dataset '" + info_path.string() + "': invalid geometry");
    }
    const json split = json::parse(read_file(dir / "split.json"));
    dataset.split.train = split.at("train").get<std::vector<std::size_t>>();
    dataset.split.validation = split.at("validation").get<std::vector<std::size_t>>();
    dataset.split.test = split.at("test").get<std::vector<std::size_t>>();
    dataset.split.noise = split.at("noise").get<std::vector<std::size_t>>();
  } catch (const json::exception& e) {
    throw FileFormatError("dataset in '" + dir.string() + "' is corrupted: " + e.what());
  }
  try {
    dataset.events = data::read_store((dir / "events.hlsd").string());
  } catch (const data::DataError& e) {
    throw FileFormatError(e.what());
  }
  dataset.prepare_inputs();
  return dataset;
}

}  // namespace hlslim
