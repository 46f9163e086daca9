#include "hlslim/data/simulation_params.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace hlslim::data {
namespace {

using testing::error_of;

TEST(SimulationParams, DefaultsFollowTheSpecification) {
  const SimulationParams params;
  EXPECT_TRUE(params.validate().empty());
  EXPECT_EQ(params.columns, 384u);
  EXPECT_DOUBLE_EQ(params.eta_max, 1.05);
  ASSERT_EQ(params.layers.size(), 9u);
  EXPECT_EQ(station_layers(params, Station::inner), (std::vector<std::size_t>{0, 1, 2}));
  EXPECT_EQ(station_layers(params, Station::middle), (std::vector<std::size_t>{3, 4, 5, 6}));
  EXPECT_EQ(station_layers(params, Station::outer), (std::vector<std::size_t>{7, 8}));
  EXPECT_NEAR(params.layers[1].radius_m, 4.9, 1e-12);
  EXPECT_NEAR(params.layers[8].radius_m - params.layers[7].radius_m, 0.02, 1e-12);
  EXPECT_DOUBLE_EQ(params.strip_pitch_m, 0.03);
  EXPECT_DOUBLE_EQ(params.field_tesla, 0.5);
  EXPECT_DOUBLE_EQ(params.layer_efficiency, 0.95);
  EXPECT_DOUBLE_EQ(params.noise_probability, 1e-3);
  EXPECT_DOUBLE_EQ(params.pt_min_gev, 3.0);
  EXPECT_DOUBLE_EQ(params.pt_max_gev, 20.0);
}

TEST(SimulationParams, ValidateReportsEveryProblemInWords) {
  SimulationParams params;
  params.cluster_size_probabilities = {0.7, 0.2};
  params.layer_efficiency = 1.5;
  params.layers[4].radius_m = 6.0;
  const std::vector<std::string> problems = params.validate();
  ASSERT_EQ(problems.size(), 3u);
  EXPECT_EQ(problems[0], "layer_efficiency must be in [0, 1], got 1.5");
  EXPECT_EQ(problems[1], "cluster size probabilities must sum to 1, got 0.9");
  EXPECT_EQ(problems[2],
            "layer radii must increase strictly, but layer 4 (6 m) is not beyond layer 3 (6.79 m)");
}

TEST(SimulationParams, ValidateChecksStationOrderAndField) {
  SimulationParams params;
  params.layers[0].station = Station::outer;
  params.field_r_max_m = 4.0;
  const std::vector<std::string> problems = params.validate();
  ASSERT_EQ(problems.size(), 2u);
  EXPECT_EQ(problems[0],
            "the field region must satisfy calo_radius_m <= field_r_min_m < field_r_max_m, got "
            "[5, 4] with calo_radius_m 3");
  EXPECT_EQ(problems[1],
            "stations must run inner to outer, but layer 1 (BI) follows a layer of BO");
}

TEST(SimulationParams, JsonRoundTrip) {
  SimulationParams params;
  params.columns = 128;
  params.field_tesla = -0.7;
  params.calo_scale_with_path = false;
  params.layers.pop_back();
  params.cluster_size_probabilities = {0.5, 0.5};
  const SimulationParams copy = SimulationParams::from_json(params.to_json());
  EXPECT_EQ(copy.to_json(), params.to_json());
  EXPECT_EQ(copy.layers.size(), 8u);
  EXPECT_EQ(copy.layers[7].station, Station::outer);
}

TEST(SimulationParams, FromJsonNamesEveryBadKey) {
  const nlohmann::json json = {{"columns", -3}, {"bogus", 1}, {"field_tesla", "strong"}};
  EXPECT_EQ(error_of([&] { SimulationParams::from_json(json); }),
            "simulation parameters: unknown key 'bogus'; 'columns' must be a non-negative "
            "integer; 'field_tesla' must be a number");
}

TEST(SimulationParams, ColumnGeometry) {
  const SimulationParams params;
  EXPECT_NEAR(column_width(params), 1.05 / 384, 1e-15);
  EXPECT_NEAR(column_centre_eta(params, 0), 0.5 * 1.05 / 384, 1e-15);
  EXPECT_NEAR(column_centre_eta(params, 383), 1.05 - 0.5 * 1.05 / 384, 1e-12);
}

}  // namespace
}  // namespace hlslim::data
