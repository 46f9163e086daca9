#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace hlslim::data {

/// The three RPC stations of the barrel, inner to outer.
enum class Station : unsigned char { inner, middle, outer };

/// "BI", "BM" or "BO".
const char* station_name(Station station);

/// One RPC gas-gap layer: a cylinder of eta strips at a fixed radius.
struct Layer {
  /// Radius of the layer from the beam line, in metres.
  double radius_m = 0.0;
  /// Station the layer belongs to.
  Station station = Station::inner;
};

/// The nine default layers: a BI triplet near 4.9 m, two BM doublets near 6.8 m and 7.5 m and a
/// BO doublet near 9.8 m, layers 2 cm apart within a group.
std::vector<Layer> default_layers();

/// Every physical parameter of the toy Level-0 barrel muon trigger simulation, defaulting to the
/// values of the specification (docs/simulation.md lists them with units and reasons). Plain
/// data: nothing is checked on construction; call validate().
struct SimulationParams {
  // Image.
  /// Lower edge of the image in pseudorapidity.
  double eta_min = 0.0;
  /// Upper edge of the image in pseudorapidity.
  double eta_max = 1.05;
  /// Number of image columns (equal bins of hit pseudorapidity).
  std::size_t columns = 384;

  // Detector.
  /// Layers, strictly increasing in radius; each is one image row, inner to outer.
  std::vector<Layer> layers = default_layers();
  /// Pitch of the eta strips along z, in metres.
  double strip_pitch_m = 0.03;
  /// Probability that a layer crossed by the muon records a cluster.
  double layer_efficiency = 0.95;
  /// Probabilities of cluster sizes 1, 2, 3, ... strips; must sum to 1.
  std::vector<double> cluster_size_probabilities = {0.70, 0.25, 0.05};
  /// Probability that a given strip fires by noise in a given event (muon and noise events).
  double noise_probability = 1e-3;

  // Magnetic field.
  /// Toroidal field in the uniform field region, in tesla. Its sign sets the bending direction:
  /// with a positive field a positive muon bends towards larger z (larger eta).
  double field_tesla = 0.5;
  /// Inner radius of the uniform field region, in metres.
  double field_r_min_m = 5.0;
  /// Outer radius of the uniform field region, in metres.
  double field_r_max_m = 9.5;

  // Calorimeter, modelled as one thin scatterer.
  /// Radius of the effective scattering plane that stands for the calorimeters, in metres.
  double calo_radius_m = 3.0;
  /// Mean energy lost in the calorimeters by a muon crossing them at eta = 0, in GeV.
  double calo_energy_loss_gev = 3.0;
  /// Thickness of the calorimeters at eta = 0, in radiation lengths (Highland formula).
  double calo_radiation_lengths = 100.0;
  /// Whether energy loss and thickness grow with the path length, cosh(eta), through the
  /// cylindrical calorimeter.
  bool calo_scale_with_path = true;
  /// A muon whose momentum after the calorimeter is at or below this value, in GeV, stops there
  /// and leaves no hit anywhere.
  double min_momentum_gev = 0.0;

  // Generation.
  /// Lower edge of the flat transverse-momentum spectrum, in GeV.
  double pt_min_gev = 3.0;
  /// Upper edge of the flat transverse-momentum spectrum, in GeV.
  double pt_max_gev = 20.0;
  /// Lower edge of the flat generated pseudorapidity range.
  double gen_eta_min = 0.0;
  /// Upper edge of the flat generated pseudorapidity range.
  double gen_eta_max = 1.05;
  /// Centre of the simulated phi sector, in radians.
  double phi_centre_rad = 0.0;
  /// Width of the simulated phi sector, in radians (default 2 pi / 16).
  double sector_width_rad = 0.39269908169872414;

  /// Every problem with these parameters, one human-readable sentence each, e.g.
  /// "cluster size probabilities must sum to 1, got 0.9"; empty when they are usable.
  /// Never throws.
  std::vector<std::string> validate() const;

  /// All fields as a JSON object whose keys are the field names (layers as a list of
  /// {"radius_m", "station"} objects). Never throws.
  nlohmann::json to_json() const;

  /// Parameters from a JSON object as written by to_json(): keys that are absent keep their
  /// default. Throws DataError naming every unknown key and every value of the wrong type. Does
  /// not call validate().
  static SimulationParams from_json(const nlohmann::json& json);
};

/// Width of one image column in pseudorapidity.
double column_width(const SimulationParams& params);

/// Pseudorapidity of the centre of image column `column`.
double column_centre_eta(const SimulationParams& params, std::size_t column);

/// Indices of the layers of `station`, ascending.
std::vector<std::size_t> station_layers(const SimulationParams& params, Station station);

}  // namespace hlslim::data
