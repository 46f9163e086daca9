#include "hlslim/pipeline/registry.hpp"

#include <gtest/gtest.h>

#include <set>

#include "hlslim/cli/cli.hpp"
#include "hlslim/graph/layer_types.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/files.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

TEST(Registry, NamesAreUniqueAndDuplicatesAreRejected) {
  const auto types = builtin_stages().types();
  EXPECT_EQ(std::set<std::string>(types.begin(), types.end()).size(), types.size());
  StageRegistry registry;
  register_builtin_stages(registry);
  EXPECT_THROW(register_builtin_stages(registry), Error);
}

TEST(Registry, EveryOptionOfEveryStageAndLayerHasHelp) {
  for (const auto& type : testing::test_registry().types()) {
    auto stage = testing::test_registry().create(type);
    ASSERT_NE(stage, nullptr);
    EXPECT_EQ(stage->type(), type);
    EXPECT_GT(std::string(stage->summary()).size(), 10u) << type;
    OptionTable table;
    stage->declare(table);
    std::set<std::string> keys;
    for (const auto& spec : table.specs()) {
      EXPECT_TRUE(keys.insert(spec.key()).second) << type << "." << spec.key() << " twice";
      EXPECT_FALSE(spec.help().empty()) << type << "." << spec.key();
      EXPECT_NE(spec.key(), "stage");
      EXPECT_NE(spec.key(), "name");
    }
  }
  for (const auto& type : layer_kind_names()) {
    LayerParams params;
    OptionTable table;
    declare_layer_params(*parse_layer_kind(type), params, table);
    for (const auto& spec : table.specs()) EXPECT_FALSE(spec.help().empty()) << type;
  }
}

TEST(Registry, CommittedStageDocsAreCurrent) {
  const std::string committed =
      read_file(std::filesystem::path(HLSLIM_SOURCE_DIR) / "docs" / "stages.md");
  EXPECT_EQ(committed, stages_markdown(builtin_stages()))
      << "docs/stages.md is stale: regenerate it with `hlslim stages --markdown > "
         "docs/stages.md`";
}

}  // namespace
}  // namespace hlslim
