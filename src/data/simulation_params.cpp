#include "hlslim/data/simulation_params.hpp"

#include <cmath>
#include <sstream>
#include <utility>

#include "hlslim/data/error.hpp"

namespace hlslim::data {
namespace {

// One table drives to_json and from_json for the scalar fields, so the two cannot drift apart.
struct RealField {
  const char* name;
  double SimulationParams::*member;
};

constexpr RealField kRealFields[] = {
    {"eta_min", &SimulationParams::eta_min},
    {"eta_max", &SimulationParams::eta_max},
    {"strip_pitch_m", &SimulationParams::strip_pitch_m},
    {"layer_efficiency", &SimulationParams::layer_efficiency},
    {"noise_probability", &SimulationParams::noise_probability},
    {"field_tesla", &SimulationParams::field_tesla},
    {"field_r_min_m", &SimulationParams::field_r_min_m},
    {"field_r_max_m", &SimulationParams::field_r_max_m},
    {"calo_radius_m", &SimulationParams::calo_radius_m},
    {"calo_energy_loss_gev", &SimulationParams::calo_energy_loss_gev},
    {"calo_radiation_lengths", &SimulationParams::calo_radiation_lengths},
    {"min_momentum_gev", &SimulationParams::min_momentum_gev},
    {"pt_min_gev", &SimulationParams::pt_min_gev},
    {"pt_max_gev", &SimulationParams::pt_max_gev},
    {"gen_eta_min", &SimulationParams::gen_eta_min},
    {"gen_eta_max", &SimulationParams::gen_eta_max},
    {"phi_centre_rad", &SimulationParams::phi_centre_rad},
    {"sector_width_rad", &SimulationParams::sector_width_rad},
};

std::string format_number(double value) {
  std::ostringstream out;
  out << value;
  return out.str();
}

bool parse_station(const std::string& text, Station& station) {
  for (Station candidate : {Station::inner, Station::middle, Station::outer}) {
    if (text == station_name(candidate)) {
      station = candidate;
      return true;
    }
  }
  return false;
}

void check_probability(const char* name, double value, std::vector<std::string>& problems) {
  if (!(value >= 0.0 && value <= 1.0)) {
    problems.push_back(std::string(name) + " must be in [0, 1], got " + format_number(value));
  }
}

void validate_layers(const SimulationParams& p, std::vector<std::string>& problems) {
  if (p.layers.empty()) {
    problems.push_back("at least one layer is needed");
    return;
  }
  if (p.layers.size() > 255) {
    problems.push_back("at most 255 layers are supported, got " + std::to_string(p.layers.size()));
  }
  for (std::size_t i = 0; i < p.layers.size(); ++i) {
    const Layer& layer = p.layers[i];
    if (!(std::isfinite(layer.radius_m) && layer.radius_m > p.calo_radius_m)) {
      problems.push_back("layer " + std::to_string(i) + " radius must be finite and beyond " +
                         "calo_radius_m (" + format_number(p.calo_radius_m) + " m), got " +
                         format_number(layer.radius_m));
    }
    if (i == 0) continue;
    const Layer& previous = p.layers[i - 1];
    if (!(layer.radius_m > previous.radius_m)) {
      problems.push_back("layer radii must increase strictly, but layer " + std::to_string(i) +
                         " (" + format_number(layer.radius_m) + " m) is not beyond layer " +
                         std::to_string(i - 1) + " (" + format_number(previous.radius_m) + " m)");
    }
    if (layer.station < previous.station) {
      problems.push_back(std::string("stations must run inner to outer, but layer ") +
                         std::to_string(i) + " (" + station_name(layer.station) +
                         ") follows a layer of " + station_name(previous.station));
    }
  }
}

void validate_ranges(const SimulationParams& p, std::vector<std::string>& problems) {
  if (!(std::isfinite(p.eta_min) && std::isfinite(p.eta_max) && p.eta_min < p.eta_max)) {
    problems.push_back("eta_min must be below eta_max, got [" + format_number(p.eta_min) + ", " +
                       format_number(p.eta_max) + "]");
  }
  if (p.columns < 1 || p.columns > (1u << 20)) {
    problems.push_back("columns must be in [1, 1048576], got " + std::to_string(p.columns));
  }
  if (!(p.pt_min_gev > 0.0 && std::isfinite(p.pt_max_gev) && p.pt_max_gev >= p.pt_min_gev)) {
    problems.push_back("the pT range must satisfy 0 < pt_min_gev <= pt_max_gev, got [" +
                       format_number(p.pt_min_gev) + ", " + format_number(p.pt_max_gev) + "]");
  }
  if (!(std::isfinite(p.gen_eta_min) && std::isfinite(p.gen_eta_max) &&
        p.gen_eta_min <= p.gen_eta_max)) {
    problems.push_back("gen_eta_min must not exceed gen_eta_max, got [" +
                       format_number(p.gen_eta_min) + ", " + format_number(p.gen_eta_max) + "]");
  }
  if (!(std::isfinite(p.phi_centre_rad))) {
    problems.push_back("phi_centre_rad must be finite, got " + format_number(p.phi_centre_rad));
  }
  if (!(p.sector_width_rad > 0.0 && p.sector_width_rad <= 6.283185307179586)) {
    problems.push_back("sector_width_rad must be in (0, 2 pi], got " +
                       format_number(p.sector_width_rad));
  }
}

void validate_detector(const SimulationParams& p, std::vector<std::string>& problems) {
  if (!(p.strip_pitch_m > 0.0 && std::isfinite(p.strip_pitch_m))) {
    problems.push_back("strip_pitch_m must be positive, got " + format_number(p.strip_pitch_m));
  }
  check_probability("layer_efficiency", p.layer_efficiency, problems);
  check_probability("noise_probability", p.noise_probability, problems);
  if (p.cluster_size_probabilities.empty()) {
    problems.push_back("cluster size probabilities must not be empty");
  } else {
    double sum = 0.0;
    for (double probability : p.cluster_size_probabilities) {
      check_probability("every cluster size probability", probability, problems);
      sum += probability;
    }
    if (std::abs(sum - 1.0) > 1e-6) {
      problems.push_back("cluster size probabilities must sum to 1, got " + format_number(sum));
    }
  }
  if (!std::isfinite(p.field_tesla)) {
    problems.push_back("field_tesla must be finite, got " + format_number(p.field_tesla));
  }
  if (!(p.field_r_min_m >= p.calo_radius_m && p.field_r_max_m > p.field_r_min_m &&
        std::isfinite(p.field_r_max_m))) {
    problems.push_back("the field region must satisfy calo_radius_m <= field_r_min_m < " +
                       std::string("field_r_max_m, got [") + format_number(p.field_r_min_m) + ", " +
                       format_number(p.field_r_max_m) + "] with calo_radius_m " +
                       format_number(p.calo_radius_m));
  }
  if (!(p.calo_radius_m > 0.0 && std::isfinite(p.calo_radius_m))) {
    problems.push_back("calo_radius_m must be positive, got " + format_number(p.calo_radius_m));
  }
  if (!(p.calo_energy_loss_gev >= 0.0 && std::isfinite(p.calo_energy_loss_gev))) {
    problems.push_back("calo_energy_loss_gev must be non-negative, got " +
                       format_number(p.calo_energy_loss_gev));
  }
  if (!(p.calo_radiation_lengths >= 0.0 && std::isfinite(p.calo_radiation_lengths))) {
    problems.push_back("calo_radiation_lengths must be non-negative, got " +
                       format_number(p.calo_radiation_lengths));
  }
  if (!(p.min_momentum_gev >= 0.0 && std::isfinite(p.min_momentum_gev))) {
    problems.push_back("min_momentum_gev must be non-negative, got " +
                       format_number(p.min_momentum_gev));
  }
}

}  // namespace

const char* station_name(Station station) {
  switch (station) {
    case Station::inner:
      return "BI";
    case Station::middle:
      return "BM";
    case Station::outer:
      return "BO";
  }
  return "?";
}

std::vector<Layer> default_layers() {
  return {{4.88, Station::inner},  {4.90, Station::inner},  {4.92, Station::inner},
          {6.79, Station::middle}, {6.81, Station::middle}, {7.49, Station::middle},
          {7.51, Station::middle}, {9.79, Station::outer},  {9.81, Station::outer}};
}

std::vector<std::string> SimulationParams::validate() const {
  std::vector<std::string> problems;
  validate_ranges(*this, problems);
  validate_detector(*this, problems);
  validate_layers(*this, problems);
  return problems;
}

nlohmann::json SimulationParams::to_json() const {
  nlohmann::json json = nlohmann::json::object();
  for (const RealField& field : kRealFields) json[field.name] = this->*field.member;
  json["columns"] = columns;
  json["cluster_size_probabilities"] = cluster_size_probabilities;
  json["calo_scale_with_path"] = calo_scale_with_path;
  nlohmann::json layer_list = nlohmann::json::array();
  for (const Layer& layer : layers) {
    layer_list.push_back({{"radius_m", layer.radius_m}, {"station", station_name(layer.station)}});
  }
  json["layers"] = std::move(layer_list);
  return json;
}

SimulationParams SimulationParams::from_json(const nlohmann::json& json) {
  if (!json.is_object()) {
    throw DataError("simulation parameters: expected a JSON object, got " +
                    std::string(json.type_name()));
  }
  SimulationParams params;
  std::vector<std::string> problems;
  for (const auto& [key, value] : json.items()) {
    bool known = false;
    for (const RealField& field : kRealFields) {
      if (key != field.name) continue;
      known = true;
      if (value.is_number()) {
        params.*field.member = value.get<double>();
      } else {
        problems.push_back("'" + key + "' must be a number");
      }
    }
    if (known) continue;
    if (key == "columns") {
      if (value.is_number_unsigned()) {
        params.columns = value.get<std::size_t>();
      } else {
        problems.push_back("'columns' must be a non-negative integer");
      }
    } else if (key == "calo_scale_with_path") {
      if (value.is_boolean()) {
        params.calo_scale_with_path = value.get<bool>();
      } else {
        problems.push_back("'calo_scale_with_path' must be true or false");
      }
    } else if (key == "cluster_size_probabilities") {
      bool ok = value.is_array();
      if (ok) {
        for (const auto& item : value) ok = ok && item.is_number();
      }
      if (ok) {
        params.cluster_size_probabilities = value.get<std::vector<double>>();
      } else {
        problems.push_back("'cluster_size_probabilities' must be a list of numbers");
      }
    } else if (key == "layers") {
      std::vector<Layer> layers;
      bool ok = value.is_array();
      if (ok) {
        for (const auto& item : value) {
          Layer layer;
          if (!item.is_object() || !item.contains("radius_m") || !item["radius_m"].is_number() ||
              !item.contains("station") || !item["station"].is_string() ||
              !parse_station(item["station"].get<std::string>(), layer.station) ||
              item.size() != 2) {
            ok = false;
            break;
          }
          layer.radius_m = item["radius_m"].get<double>();
          layers.push_back(layer);
        }
      }
      if (ok) {
        params.layers = std::move(layers);
      } else {
        problems.push_back(
            "'layers' must be a list of {\"radius_m\": number, \"station\": \"BI\"|\"BM\"|\"BO\"}");
      }
    } else {
      problems.push_back("unknown key '" + key + "'");
    }
  }
  if (!problems.empty()) {
    std::string message = "simulation parameters: ";
    for (std::size_t i = 0; i < problems.size(); ++i) {
      message += (i == 0 ? "" : "; ") + problems[i];
    }
    throw DataError(message);
  }
  return params;
}

double column_width(const SimulationParams& params) {
  return (params.eta_max - params.eta_min) / static_cast<double>(params.columns);
}

double column_centre_eta(const SimulationParams& params, std::size_t column) {
  return params.eta_min + (static_cast<double>(column) + 0.5) * column_width(params);
}

std::vector<std::size_t> station_layers(const SimulationParams& params, Station station) {
  std::vector<std::size_t> result;
  for (std::size_t i = 0; i < params.layers.size(); ++i) {
    if (params.layers[i].station == station) result.push_back(i);
  }
  return result;
}

}  // namespace hlslim::data
