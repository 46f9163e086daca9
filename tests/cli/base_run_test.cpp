// `hlslim run --base OLD`: a variant of a run links the stages OLD completed with the same
// configuration and runs the rest, without ever writing into OLD.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "hlslim/util/file_lock.hpp"
#include "hlslim/util/files.hpp"
#include "support/test_stages.hpp"

namespace fs = std::filesystem;

namespace hlslim {
namespace {

struct Output {
  int code;
  std::string text;  // stdout and stderr together
};

Output hlslim(const std::string& args) {
  const std::string command = std::string(HLSLIM_BINARY) + " " + args + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  std::string text;
  std::array<char, 4096> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    text.append(buffer.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

const std::string kSmoke = std::string(HLSLIM_SOURCE_DIR) + "/configs/smoke.yaml";
// The variant: only the quantize stage's fine-tuning changes, so data, reference, teacher and
// prune match and quantize, distill and export run again.
const std::string kVariant = " --set quantize.fine_tune.epochs=2";

// SHA-256 of every regular file below `dir` (links not followed), by relative path.
std::map<std::string, std::string> tree_hashes(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& item : fs::recursive_directory_iterator(dir)) {
    if (item.is_symlink()) {
      out[item.path().lexically_relative(dir).string()] =
          "-> " + fs::read_symlink(item.path()).string();
    } else if (item.is_regular_file()) {
      out[item.path().lexically_relative(dir).string()] = sha256_file(item.path());
    }
  }
  return out;
}

nlohmann::json manifest_of(const fs::path& dir) {
  return nlohmann::json::parse(read_file(dir / "manifest.json"));
}

// "shared" of each stage record ("" when the stage is the directory's own).
std::vector<std::string> linked_from(const fs::path& dir) {
  std::vector<std::string> out;
  const auto manifest = manifest_of(dir);
  for (const auto& stage : manifest.at("stages")) out.push_back(stage.value("shared", ""));
  return out;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class BaseRun : public ::testing::Test {
 protected:
  // One base run for the whole suite: the smoke pipeline takes a second or two.
  static void SetUpTestSuite() {
    root_ = testing::temp_dir("base_run");
    const auto out = hlslim("run -q " + kSmoke + " --output " + (root_ / "A").string());
    ASSERT_EQ(out.code, 0) << out.text;
    hashes_ = tree_hashes(root_ / "A");
  }
  void TearDown() override { EXPECT_EQ(tree_hashes(a()), hashes_) << "the base run changed"; }

  static fs::path a() { return root_ / "A"; }
  static fs::path dir(const std::string& name) { return root_ / name; }

  static fs::path root_;
  static std::map<std::string, std::string> hashes_;
};

fs::path BaseRun::root_;
std::map<std::string, std::string> BaseRun::hashes_;

const std::vector<std::string> kOwn(7, "");

TEST_F(BaseRun, LinksTheMatchingStagesAndRunsTheRestLikeAFreshRun) {
  const auto b = dir("B");
  const auto out =
      hlslim("run " + kSmoke + kVariant + " --output " + b.string() + " --base " + a().string());
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_TRUE(contains(out.text, "--base " + a().string() +
                                     ": 4 of 7 stage(s) linked read-only from it (data to "
                                     "'prune'); from 'quantize' on, stages run here"))
      << out.text;
  EXPECT_TRUE(contains(out.text, "done: 3 stage(s) ran, 4 reused")) << out.text;
  const auto manifest = manifest_of(b);
  EXPECT_EQ(manifest.at("base"), "../A");
  EXPECT_EQ(manifest.at("status"), "completed");
  EXPECT_EQ(linked_from(b), (std::vector<std::string>{"../A", "../A", "../A", "../A", "", "", ""}));
  for (const char* stage : {"01-data", "02-reference", "03-teacher", "04-prune"}) {
    EXPECT_TRUE(fs::is_symlink(b / stage)) << stage;
    EXPECT_EQ(fs::read_symlink(b / stage), fs::path("../A") / stage);
  }
  for (const char* stage : {"05-quantize", "06-distill", "07-export"}) {
    EXPECT_FALSE(fs::is_symlink(b / stage)) << stage;
  }
  // The run log says where the linked stages come from.
  const std::string log = read_file(b / "run.log");
  EXPECT_TRUE(contains(log,
                       "stage 3 'teacher' (train) is linked read-only from ../A/03-teacher, "
                       "which completed it with the same configuration"))
      << log;
  EXPECT_TRUE(contains(log, "stage 5 'quantize' (quantize) started")) << log;

  // The same variant from scratch gives the same figures to the byte.
  const auto c = dir("C");
  ASSERT_EQ(hlslim("run -q " + kSmoke + kVariant + " --output " + c.string()).code, 0);
  for (const char* file :
       {"05-quantize/results.json", "06-distill/results.json", "07-export/results.json",
        "07-export/hls/firmware/parameters.h", "evaluation.json"}) {
    ASSERT_TRUE(fs::exists(c / file)) << file;
    EXPECT_EQ(read_file(b / file), read_file(c / file)) << file;
  }
  // The report of the variant reads the linked stages through their links.
  const auto report = hlslim("report " + b.string());
  EXPECT_EQ(report.code, 0) << report.text;
  EXPECT_TRUE(fs::exists(b / "report" / "index.html"));
}

TEST_F(BaseRun, ResumeForceAndFromKeepLinkingTheBase) {
  const auto b = dir("B2");
  const std::string base = " --base " + a().string() + " --output " + b.string();
  ASSERT_EQ(hlslim("run -q " + kSmoke + kVariant + base).code, 0);
  // Not empty: like any run, a second one needs --resume or --force.
  EXPECT_EQ(hlslim("run -q " + kSmoke + kVariant + base).code, 3);
  const auto resumed = hlslim("run " + kSmoke + kVariant + base + " --resume");
  ASSERT_EQ(resumed.code, 0) << resumed.text;
  EXPECT_TRUE(contains(resumed.text, "done: 0 stage(s) ran, 7 reused")) << resumed.text;
  EXPECT_EQ(linked_from(b), (std::vector<std::string>{"../A", "../A", "../A", "../A", "", "", ""}));
  // --from reruns that stage and the later ones; the stages before it still come from the base.
  const auto from = hlslim("run " + kSmoke + kVariant + base + " --from distill");
  ASSERT_EQ(from.code, 0) << from.text;
  EXPECT_TRUE(contains(from.text, "done: 2 stage(s) ran, 5 reused")) << from.text;
  // --force clears the variant (its links, never what they point to) and links again.
  const auto forced = hlslim("run " + kSmoke + kVariant + base + " --force");
  ASSERT_EQ(forced.code, 0) << forced.text;
  EXPECT_TRUE(contains(forced.text, "done: 3 stage(s) ran, 4 reused")) << forced.text;
  // --resume without --base keeps what the directory links.
  const auto alone = hlslim("run " + kSmoke + kVariant + " --output " + b.string() + " --resume");
  ASSERT_EQ(alone.code, 0) << alone.text;
  EXPECT_TRUE(contains(alone.text, "done: 0 stage(s) ran, 7 reused")) << alone.text;
  EXPECT_EQ(manifest_of(b).at("base"), "../A");
}

TEST_F(BaseRun, AVariantOfAVariantLinksWhereTheStagesLie) {
  const auto b = dir("B3");
  ASSERT_EQ(
      hlslim("run -q " + kSmoke + kVariant + " --output " + b.string() + " --base " + a().string())
          .code,
      0);
  const auto b_hashes = tree_hashes(b);
  // Same configuration as B3 except the export: six stages linked, from A and from B3.
  const auto d = dir("D");
  const auto out = hlslim("run " + kSmoke + kVariant + " --set export.test_vectors=50 --output " +
                          d.string() + " --base " + b.string());
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_TRUE(contains(out.text, "done: 1 stage(s) ran, 6 reused")) << out.text;
  EXPECT_EQ(linked_from(d),
            (std::vector<std::string>{"../A", "../A", "../A", "../A", "../B3", "../B3", ""}));
  EXPECT_EQ(fs::read_symlink(d / "01-data"), fs::path("../A/01-data"));
  EXPECT_EQ(tree_hashes(b), b_hashes);
}

TEST_F(BaseRun, ADeletedBaseBreaksTheLinksAndResumeRunsThoseStagesAgain) {
  const auto old_dir = dir("old");
  const auto b = dir("B4");
  ASSERT_EQ(hlslim("run -q " + kSmoke + " --to reference --output " + old_dir.string()).code, 0);
  ASSERT_EQ(hlslim("run -q " + kSmoke + " --to teacher --output " + b.string() + " --base " +
                   old_dir.string())
                .code,
            0);
  EXPECT_EQ(linked_from(b)[0], "../old");
  fs::remove_all(old_dir);
  EXPECT_FALSE(fs::exists(b / "01-data" / "dataset.json"));
  const auto out = hlslim("run " + kSmoke + " --to teacher --output " + b.string() + " --resume");
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_TRUE(contains(out.text,
                       "stage 'data' was linked from '../old', which no longer holds "
                       "it; it runs again here"))
      << out.text;
  EXPECT_TRUE(contains(out.text, "done: 3 stage(s) ran, 0 reused")) << out.text;
  EXPECT_FALSE(fs::is_symlink(b / "01-data"));
  EXPECT_EQ(linked_from(b), kOwn);
}

TEST_F(BaseRun, NothingMatchingRunsEverythingAndSaysSo) {
  const auto out = hlslim("run " + kSmoke + " --set seed=2 --to data --output " +
                          dir("E").string() + " --base " + a().string());
  ASSERT_EQ(out.code, 0) << out.text;
  EXPECT_TRUE(contains(out.text,
                       "no stage is linked from it (its first stage, 'data', differs "
                       "from this configuration"))
      << out.text;
  EXPECT_EQ(linked_from(dir("E")), kOwn);
}

TEST_F(BaseRun, UnusableBasesAreRefusedWithExitCode3BeforeAnythingIsWritten) {
  const auto refused = [&](const fs::path& base, const fs::path& output) {
    const auto out =
        hlslim("run -q " + kSmoke + " --output " + output.string() + " --base " + base.string());
    EXPECT_EQ(out.code, 3) << out.text;
    return out.text;
  };
  const auto out_dir = dir("never");
  EXPECT_TRUE(contains(refused(dir("missing"), out_dir),
                       "--base '" + dir("missing").string() + "' does not exist\n"));
  EXPECT_FALSE(fs::exists(out_dir));
  EXPECT_TRUE(contains(refused(a(), a()),
                       "is the run directory itself; a variant goes into a "
                       "directory of its own (--output NEW), or continue "
                       "this run with --resume"));
  EXPECT_TRUE(contains(refused(a(), a() / "inner"), "' lie one inside the other"));
  EXPECT_FALSE(fs::exists(a() / "inner"));
  fs::create_directories(dir("plain"));
  EXPECT_TRUE(contains(refused(dir("plain"), out_dir),
                       "holds no manifest.json: it is not an hlslim run directory"));

  // A base whose run was interrupted must be finished first.
  const auto stopped = dir("stopped");
  fs::create_directories(stopped);
  auto manifest = manifest_of(a());
  manifest["stages"][6]["status"] = "interrupted";
  manifest["status"] = "interrupted";
  write_file_atomic(stopped / "manifest.json", manifest.dump(2));
  EXPECT_TRUE(contains(refused(stopped, out_dir),
                       "' did not end: stage 'export' is interrupted; finish it first (hlslim "
                       "run CONFIG --output " +
                           stopped.string() + " --resume) or choose another base"));

  // A base that another run holds.
  const auto busy = dir("busy");
  fs::create_directories(busy);
  write_file_atomic(busy / "manifest.json", read_file(a() / "manifest.json"));
  {
    long holder = 0;
    auto lock = FileLock::try_lock(busy / "run.lock", &holder);
    ASSERT_TRUE(lock.has_value());
    EXPECT_TRUE(contains(refused(busy, out_dir), "' is in use by another hlslim run (pid " +
                                                     std::to_string(::getpid()) +
                                                     "); wait for it to end"));
  }
  EXPECT_FALSE(fs::exists(out_dir));
}

TEST_F(BaseRun, AVariantOfAVariantIsRefusedWhileTheRunItLinksFromIsInUse) {
  const auto b = dir("B5");
  ASSERT_EQ(
      hlslim("run -q " + kSmoke + kVariant + " --output " + b.string() + " --base " + a().string())
          .code,
      0);
  // C reads A's stages directly (through B's records): A is locked and checked like B.
  const auto c = dir("C5");
  const std::string variant = "run -q " + kSmoke + kVariant +
                              " --set export.test_vectors=50 --output " + c.string() + " --base " +
                              b.string();
  {
    long holder = 0;
    auto lock = FileLock::try_lock(a() / "run.lock", &holder);
    ASSERT_TRUE(lock.has_value());
    const auto out = hlslim(variant);
    EXPECT_EQ(out.code, 3) << out.text;
    EXPECT_TRUE(contains(out.text, "--base '" + b.string() + "' links stages from '" +
                                       a().string() +
                                       "', which is in use by another hlslim run (pid " +
                                       std::to_string(::getpid()) + "); wait for it to end\n"))
        << out.text;
    EXPECT_FALSE(fs::exists(c));
    // B itself, continued without --base, reads A too.
    const auto resumed =
        hlslim("run -q " + kSmoke + kVariant + " --output " + b.string() + " --resume");
    EXPECT_EQ(resumed.code, 3) << resumed.text;
    EXPECT_TRUE(contains(resumed.text, "run directory '" + b.string() + "' links stages from '" +
                                           a().string() +
                                           "', which is in use by another hlslim run (pid " +
                                           std::to_string(::getpid()) + "); wait for it to end\n"))
        << resumed.text;
  }
  // A stage linked from A that is not completed there cannot be lent.
  const auto manifest_text = read_file(a() / "manifest.json");
  auto manifest = manifest_of(a());
  manifest["stages"][3]["status"] = "failed";
  manifest["status"] = "failed";
  write_file_atomic(a() / "manifest.json", manifest.dump(2));
  const auto failed = hlslim(variant);
  EXPECT_EQ(failed.code, 3) << failed.text;
  EXPECT_TRUE(contains(failed.text, "--base '" + b.string() + "' links stages from '" +
                                        a().string() +
                                        "', which ended with stage 'prune' failed; fix and "
                                        "resume it first, or choose another base\n"))
      << failed.text;
  EXPECT_FALSE(fs::exists(c));
  manifest["stages"][3]["status"] = "running";
  manifest["status"] = "running";
  write_file_atomic(a() / "manifest.json", manifest.dump(2));
  const auto running = hlslim(variant);
  EXPECT_EQ(running.code, 3) << running.text;
  EXPECT_TRUE(contains(running.text,
                       "', which did not end: stage 'prune' is running; finish it "
                       "first (hlslim run CONFIG --output " +
                           a().string() + " --resume) or choose another base\n"))
      << running.text;
  EXPECT_FALSE(fs::exists(c));
  // A failed later at a stage that is not linked from it (it was continued, and its export
  // failed): its linked stages are still complete, and the variant of the variant links them.
  manifest = nlohmann::json::parse(manifest_text);
  manifest["stages"][6]["status"] = "failed";
  manifest["status"] = "failed";
  write_file_atomic(a() / "manifest.json", manifest.dump(2));
  const auto c_failed = dir("C5failed");
  const auto linked =
      hlslim("run -q " + kSmoke + kVariant + " --set export.test_vectors=50 --output " +
             c_failed.string() + " --base " + b.string());
  write_file_atomic(a() / "manifest.json", manifest_text);
  EXPECT_EQ(linked.code, 0) << linked.text;
  EXPECT_EQ(linked_from(c_failed),
            (std::vector<std::string>{"../A", "../A", "../A", "../A", "../B5", "../B5", ""}));
  // The run that links from it is refused while it is the run directory itself.
  const auto into_a = hlslim("run -q " + kSmoke + " --output " + a().string() + " --base " +
                             b.string() + " --resume");
  EXPECT_EQ(into_a.code, 3) << into_a.text;
  EXPECT_TRUE(contains(into_a.text, "--base '" + b.string() + "' links stages from '" +
                                        a().string() + "', which is the run directory '" +
                                        a().string() + "' or lies inside or around it"))
      << into_a.text;
  ASSERT_EQ(hlslim(variant).code, 0);
  EXPECT_EQ(linked_from(c),
            (std::vector<std::string>{"../A", "../A", "../A", "../A", "../B5", "../B5", ""}));
}

TEST_F(BaseRun, ABaseWithoutARunLockGetsOneSoThatARunIntoItIsRefusedMeanwhile) {
  const auto old_dir = dir("unlocked");
  const std::string into_old = "run -q " + kSmoke + " --to data --output " + old_dir.string();
  ASSERT_EQ(hlslim(into_old).code, 0);
  // A directory that a version without locks wrote.
  fs::remove(old_dir / "run.lock");
  const auto variant = hlslim("run -q " + kSmoke + " --to reference --output " +
                              dir("from_unlocked").string() + " --base " + old_dir.string());
  ASSERT_EQ(variant.code, 0) << variant.text;
  EXPECT_EQ(read_file(old_dir / "run.lock"), "");  // created, never written
  EXPECT_EQ(linked_from(dir("from_unlocked"))[0], "../unlocked");
  // While a variant reads it (the lock it takes on its base), a run into it is refused.
  fs::remove(old_dir / "run.lock");
  {
    auto reader = FileLock::try_lock_shared(old_dir / "run.lock", nullptr);
    ASSERT_TRUE(reader.has_value());
    ASSERT_TRUE(fs::is_regular_file(old_dir / "run.lock"));
    const auto out = hlslim(into_old + " --force");
    EXPECT_EQ(out.code, 3) << out.text;
    EXPECT_TRUE(contains(out.text, "run directory '" + old_dir.string() +
                                       "' is being read as --base by another hlslim run"))
        << out.text;
    EXPECT_TRUE(fs::exists(old_dir / "01-data" / "dataset.json"));
  }
}

TEST_F(BaseRun, ARunIntoADirectoryThatAVariantReadsIsRefusedNamingNoPid) {
  const auto old_dir = dir("read");
  const std::string into_old = "run -q " + kSmoke + " --to data --output " + old_dir.string();
  ASSERT_EQ(hlslim(into_old).code, 0);
  // A run releases its lock with its pid cleared.
  EXPECT_EQ(read_file(old_dir / "run.lock"), "");
  // What a killed run leaves: the kernel released its lock, its pid stays in the file.
  write_file_atomic(old_dir / "run.lock", "4194999\n");
  {
    // The lock a variant holds on its base (and on the runs it links from) for its whole run.
    auto reader = FileLock::try_lock_shared(old_dir / "run.lock", nullptr);
    ASSERT_TRUE(reader.has_value());
    for (const char* how : {" --resume", " --force"}) {
      const auto out = hlslim(into_old + how);
      EXPECT_EQ(out.code, 3) << out.text;
      EXPECT_TRUE(contains(out.text, "run directory '" + old_dir.string() +
                                         "' is being read as --base by another hlslim run; "
                                         "wait for it to end, or stop it first\n"))
          << out.text;
      EXPECT_FALSE(contains(out.text, "pid")) << out.text;
    }
  }
  const auto resumed = hlslim(into_old + " --resume");
  EXPECT_EQ(resumed.code, 0) << resumed.text;
  EXPECT_EQ(read_file(old_dir / "run.lock"), "");
}

}  // namespace
}  // namespace hlslim
