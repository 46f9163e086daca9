#include "layering/layering.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using hlslim::layering::check_tree;
using hlslim::layering::declared_order;
using hlslim::layering::Violation;

namespace {

std::string report(const std::vector<Violation>& violations) {
  std::string out;
  for (const auto& v : violations) out += v.to_string() + "\n";
  return out;
}

void write(const fs::path& path, const std::string& text) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << text;
}

// A small tree with three layers: util <- graph <- train.
class ScratchTree : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ =
        fs::temp_directory_path() /
        ("hlslim_layering_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
         "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    write(root_ / "src/CMakeLists.txt",
          "# bottom first\nadd_subdirectory(util)  # base\nadd_subdirectory(graph)\n"
          "add_subdirectory(train)\n");
    write(root_ / "include/hlslim/util/text.hpp", "#pragma once\n");
    write(root_ / "include/hlslim/graph/graph.hpp",
          "#pragma once\n#include \"hlslim/util/text.hpp\"\n");
    write(root_ / "include/hlslim/train/trainer.hpp",
          "#pragma once\n#include \"hlslim/graph/graph.hpp\"\n");
    write(root_ / "include/hlslim/version.hpp", "#pragma once\n");
    write(root_ / "src/util/text.cpp",
          "#include \"hlslim/util/text.hpp\"\n#include \"hlslim/version.hpp\"\n");
    write(root_ / "src/graph/graph.cpp",
          "#include \"hlslim/graph/graph.hpp\"\n#include \"detail.hpp\"\n");
    write(root_ / "src/graph/detail.hpp", "#pragma once\n");
    write(root_ / "src/train/trainer.cpp", "#include \"hlslim/train/trainer.hpp\"\n");
    write(root_ / "src/util/CMakeLists.txt", "add_library(hlslim_util STATIC text.cpp)\n");
    write(root_ / "src/graph/CMakeLists.txt",
          "# links hlslim_train in a comment only\nadd_library(hlslim_graph STATIC graph.cpp)\n"
          "target_link_libraries(hlslim_graph PUBLIC hlslim_util PRIVATE hlslim_version)\n");
  }
  void TearDown() override { fs::remove_all(root_); }

  fs::path root_;
};

}  // namespace

TEST_F(ScratchTree, ReadsTheOrderFromTheSourceCMakeLists) {
  EXPECT_EQ(declared_order(root_), (std::vector<std::string>{"util", "graph", "train"}));
}

TEST_F(ScratchTree, ATreeThatFollowsTheOrderPasses) {
  EXPECT_EQ(report(check_tree(root_)), "");
}

TEST_F(ScratchTree, AnIncludeThatGoesUpFailsNamingFileAndLine) {
  write(root_ / "src/util/text.cpp",
        "#include \"hlslim/util/text.hpp\"\n\n#include \"hlslim/train/trainer.hpp\"\n");
  EXPECT_EQ(report(check_tree(root_)),
            "src/util/text.cpp:3: 'util' (layer 1 of 3) includes \"hlslim/train/trainer.hpp\" of "
            "'train' (layer 3 of 3), which is above it\n");
}

TEST_F(ScratchTree, APublicHeaderThatIncludesUpFails) {
  write(root_ / "include/hlslim/graph/graph.hpp",
        "#pragma once\n#include \"hlslim/train/trainer.hpp\"\n");
  EXPECT_EQ(report(check_tree(root_)),
            "include/hlslim/graph/graph.hpp:2: 'graph' (layer 2 of 3) includes "
            "\"hlslim/train/trainer.hpp\" of 'train' (layer 3 of 3), which is above it\n");
}

TEST_F(ScratchTree, PrivateHeadersStayInTheirFolder) {
  write(root_ / "src/train/trainer.cpp",
        "#include \"hlslim/train/trainer.hpp\"\n#include \"../graph/detail.hpp\"\n");
  write(root_ / "include/hlslim/util/text.hpp", "#pragma once\n#include \"local.hpp\"\n");
  EXPECT_EQ(report(check_tree(root_)),
            "include/hlslim/util/text.hpp:2: a public header includes \"local.hpp\", which is "
            "not a public header (include \"hlslim/...\")\n"
            "src/train/trainer.cpp:2: includes \"../graph/detail.hpp\" (src/graph/detail.hpp), a "
            "private header of another folder\n");
}

TEST_F(ScratchTree, AFolderOutsideTheOrderFails) {
  write(root_ / "src/extra/extra.cpp", "#include \"hlslim/util/text.hpp\"\n");
  EXPECT_EQ(report(check_tree(root_)),
            "src/CMakeLists.txt:0: folder src/extra is no declared layer: add it to the order\n");
}

TEST_F(ScratchTree, ALibraryThatLinksUpFails) {
  write(root_ / "src/util/CMakeLists.txt",
        "add_library(hlslim_util STATIC text.cpp)\n"
        "target_link_libraries(hlslim_util PRIVATE hlslim_graph)  # hlslim_train in a comment\n");
  EXPECT_EQ(report(check_tree(root_)),
            "src/util/CMakeLists.txt:2: library hlslim_util of 'util' (layer 1 of 3) names "
            "hlslim_graph of 'graph' (layer 2 of 3), which is above it\n");
}

// The real tree: every #include of src/ and include/hlslim/ and every library's links follow
// the declared order.
TEST(Layering, TheSourceTreeFollowsTheDeclaredOrder) {
  const fs::path root = HLSLIM_SOURCE_DIR;
  const auto order = declared_order(root);
  EXPECT_EQ(order, (std::vector<std::string>{"util", "data", "results", "quant", "config", "graph",
                                             "prune", "engine", "export", "import", "report",
                                             "sweep", "train", "pipeline", "cli"}))
      << "docs/architecture.md draws this order: change both together";
  EXPECT_EQ(report(check_tree(root)), "");
}
