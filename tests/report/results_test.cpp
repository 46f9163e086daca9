// results.json: the schema round-trips, and readers refuse what they would misread.
#include "hlslim/results/results.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "hlslim/util/errors.hpp"

namespace hlslim {
namespace {

using json = nlohmann::json;

StageResults example() {
  StageResults r;
  Evaluation e{"student", ModelRole::kStudent, true, {{"pt_spread", 1.25}, {"fake_rate", 0.0}}};
  e.distributions["turn_on"] = json::array({{{"lo", 0.0}, {"hi", 1.0}}});
  e.predictions = "predictions-student-student.npy";
  r.evaluations.push_back(e);
  r.evaluations.push_back(
      {"classical",
       ModelRole::kReference,
       false,
       {{"pt_spread", std::numeric_limits<double>::quiet_NaN()}, {"plateau_eff", 0.5}}});
  r.sizes.push_back({"student", 100, 80, 96, 640});
  r.sizes.push_back({"teacher", 1000, 1000, 900, std::nullopt});
  EstimateTotals t;
  t.model = "student";
  t.part = "xcvu13p-flga2577-2-e";
  t.clock_period_ns = 2.5;
  t.lut = 1234;
  t.latency_cycles = 9;
  t.latency_ns = 22.5;
  t.bops = 4321.5;
  r.estimates = t;
  r.overflows.push_back({"student", 3, {{"fc", 17}}});
  r.degradation = DegradationResult{"student", "pt_spread", 1.0, 1.25, 0.25, 0.1, true};
  return r;
}

std::string error_of(const json& j) {
  try {
    StageResults::from_json(j, "01-x/results.json");
  } catch (const FileFormatError& e) {
    return e.what();
  }
  return "";
}

TEST(Results, RoundTripsThroughJson) {
  const StageResults r = example();
  const json j = r.to_json();
  EXPECT_EQ(j["schema_version"], kResultsSchemaVersion);
  EXPECT_EQ(j["evaluations"][0]["role"], "student");
  EXPECT_EQ(j["evaluations"][0]["arithmetic"], "fixed");
  EXPECT_TRUE(json::parse(j.dump())["evaluations"][1]["figures"]["pt_spread"].is_null())
      << "NaN is written as null";
  EXPECT_FALSE(j["sizes"][1].contains("weight_bits"));
  const StageResults back = StageResults::from_json(json::parse(j.dump()), "x");
  EXPECT_EQ(back.to_json().dump(), j.dump());
  EXPECT_TRUE(std::isnan(back.evaluations[1].figures.at("pt_spread")));
  EXPECT_EQ(back.evaluations[0].distributions, r.evaluations[0].distributions);
  EXPECT_EQ(back.evaluations[0].predictions, "predictions-student-student.npy");
  EXPECT_FALSE(j["evaluations"][1].contains("predictions"));  // only where there are some
  EXPECT_EQ(back.sizes[0].weight_bits, 640);
  EXPECT_EQ(back.estimates->lut, 1234);
  EXPECT_EQ(back.overflows[0].layers.at("fc"), 17);
  EXPECT_TRUE(back.degradation->exceeded);
  EXPECT_FALSE(back.empty());
  EXPECT_TRUE(StageResults{}.empty());
}

TEST(Results, AnEvaluationFileRoundTripsAndRefusesOtherFormats) {
  RunEvaluation evaluation;
  evaluation.settings = {{"thresholds", {10, 15}}};
  evaluation.stages["03-teacher"] = {"abc", example().evaluations};
  const json j = evaluation.to_json();
  EXPECT_EQ(j["format"], "hlslim-evaluation");
  const RunEvaluation back = RunEvaluation::from_json(json::parse(j.dump()), "evaluation.json");
  EXPECT_EQ(back.to_json().dump(), j.dump());
  json other = j;
  other["schema_version"] = 2;
  try {
    RunEvaluation::from_json(other, "evaluation.json");
    FAIL() << "no error";
  } catch (const FileFormatError& e) {
    EXPECT_EQ(std::string(e.what()),
              "evaluation.json: evaluation schema version 2; this hlslim reads version 1");
  }
  other = j;
  other["format"] = "something else";
  try {
    RunEvaluation::from_json(other, "evaluation.json");
    FAIL() << "no error";
  } catch (const FileFormatError& e) {
    EXPECT_EQ(std::string(e.what()), "evaluation.json: not an hlslim evaluation");
  }
}

TEST(Results, RefusesOtherVersionsAndUnknownRoles) {
  json j = example().to_json();
  j["schema_version"] = 2;
  EXPECT_EQ(error_of(j),
            "01-x/results.json: results schema version 2; this hlslim reads version 1");
  j = example().to_json();
  j["evaluations"][0]["role"] = "mentor";
  EXPECT_EQ(error_of(j), "01-x/results.json: unknown model role 'mentor'");
  j = example().to_json();
  j.erase("sizes");
  EXPECT_EQ(error_of(j).rfind("01-x/results.json: not valid results (", 0), 0u) << error_of(j);
}

TEST(Results, RoleNamesRoundTrip) {
  for (ModelRole role : {ModelRole::kReference, ModelRole::kTeacher, ModelRole::kStudent,
                         ModelRole::kBaseline, ModelRole::kModel}) {
    EXPECT_EQ(parse_model_role(model_role_name(role)), role);
  }
  EXPECT_EQ(parse_model_role("Student"), std::nullopt);
}

}  // namespace
}  // namespace hlslim
