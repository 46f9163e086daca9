#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>
#include <sstream>

#include "hlslim/util/diagnostics.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/file_lock.hpp"
#include "hlslim/util/files.hpp"
#include "hlslim/util/json_number.hpp"
#include "hlslim/util/text.hpp"
#include "support/test_stages.hpp"

namespace hlslim {
namespace {

TEST(Text, EditDistanceAndSuggestions) {
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3u);
  EXPECT_EQ(edit_distance("", "abc"), 3u);
  EXPECT_EQ(did_you_mean("epohcs", {"epochs", "lr"}), " (did you mean 'epochs'?)");
  EXPECT_EQ(did_you_mean("zzzzzz", {"epochs", "lr"}), "");
}

TEST(Text, FormatDoubleRoundTripsExactly) {
  for (double v : {0.1, 1e-5, 3.0, -2.5, 1.0 / 3.0, 123456789.125, 6.02214076e23}) {
    const std::string text = format_double(v);
    EXPECT_EQ(std::strtod(text.c_str(), nullptr), v) << text;
  }
  EXPECT_EQ(format_double(3.0), "3.0");
  EXPECT_EQ(format_double(0.1), "0.1");
}

TEST(Files, Sha256OfKnownVectors) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Files, AtomicWriteReplacesAndLeavesNoTemporaries) {
  const auto dir = testing::temp_dir("atomic");
  write_file_atomic(dir / "a" / "b.txt", "first");
  write_file_atomic(dir / "a" / "b.txt", "second");
  EXPECT_EQ(read_file(dir / "a" / "b.txt"), "second");
  EXPECT_EQ(sha256_file(dir / "a" / "b.txt"), sha256_hex("second"));
  int entries = 0;
  for (const auto& item : std::filesystem::directory_iterator(dir / "a")) {
    (void)item;
    ++entries;
  }
  EXPECT_EQ(entries, 1);
}

TEST(JsonNumber, NonFiniteNumbersRoundTripThroughText) {
  const double inf = std::numeric_limits<double>::infinity();
  for (double v : {0.0, -1.5, 1e300, inf, -inf}) {
    const auto text = exact_number(v).dump();
    EXPECT_EQ(read_number(nlohmann::json::parse(text)), v) << text;
  }
  EXPECT_EQ(exact_number(inf).dump(), "\"inf\"");
  EXPECT_EQ(exact_number(-inf).dump(), "\"-inf\"");
  EXPECT_TRUE(std::isnan(read_number(nlohmann::json::parse(exact_number(NAN).dump()))));
  // What nlohmann writes for a non-finite number reads back as NaN instead of failing.
  EXPECT_TRUE(std::isnan(read_number(nlohmann::json::parse(nlohmann::json(inf).dump()))));
  EXPECT_THROW(read_number(nlohmann::json("infinite")), nlohmann::json::type_error);
  EXPECT_THROW(read_number(nlohmann::json::array()), nlohmann::json::type_error);
}

TEST(FileLock, OneHolderAtATimeAndTheHolderIsNamed) {
  const auto path = testing::temp_dir("lock") / "run.lock";
  long holder = -1;
  {
    auto first = FileLock::try_lock(path, &holder);
    ASSERT_TRUE(first.has_value());
    EXPECT_FALSE(FileLock::try_lock(path, &holder).has_value());
    EXPECT_EQ(holder, static_cast<long>(::getpid()));
  }
  EXPECT_TRUE(FileLock::try_lock(path, &holder).has_value());  // released with its holder
}

TEST(FileLock, TheHolderClearsItsPidWhenItReleasesTheLock) {
  const auto path = testing::temp_dir("lock_pid") / "run.lock";
  {
    auto lock = FileLock::try_lock(path, nullptr);
    ASSERT_TRUE(lock.has_value());
    EXPECT_EQ(read_file(path), std::to_string(::getpid()) + "\n");
    FileLock moved = std::move(*lock);  // the pid goes with the lock, not with the moved-from
    lock.reset();
    EXPECT_EQ(read_file(path), std::to_string(::getpid()) + "\n");
  }
  EXPECT_EQ(read_file(path), "");
}

TEST(FileLock, ReadersShareTheLockAndAWriterIsToldThatReadersHoldIt) {
  const auto dir = testing::temp_dir("lock_shared");
  const auto path = dir / "run.lock";
  // A reader creates a missing file, empty, and locks it: a writer that comes while it reads
  // locks the same file and is refused.
  {
    auto reader = FileLock::try_lock_shared(path, nullptr);
    ASSERT_TRUE(reader.has_value());
    EXPECT_TRUE(std::filesystem::is_regular_file(path));
    EXPECT_EQ(read_file(path), "");
    LockHolder holder;
    EXPECT_FALSE(FileLock::try_lock(path, holder).has_value());
    EXPECT_TRUE(holder.readers);
  }
  // The pid of a writer that was killed (the kernel released its lock, the text stays).
  testing::write_text(path, "4194999\n");
  {
    long pid = -1;
    auto first = FileLock::try_lock_shared(path, &pid);
    auto second = FileLock::try_lock_shared(path, &pid);
    ASSERT_TRUE(first.has_value());
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(pid, -1);
    LockHolder holder;
    holder.pid = 7;
    EXPECT_FALSE(FileLock::try_lock(path, holder).has_value());
    EXPECT_TRUE(holder.readers);
    EXPECT_EQ(holder.pid, 0);  // not the dead writer's pid
    long old_style = -1;
    EXPECT_FALSE(FileLock::try_lock(path, &old_style).has_value());
    EXPECT_EQ(old_style, 0);
    EXPECT_EQ(read_file(path), "4194999\n");  // readers never write
  }
  // A writer excludes readers, who are told its pid; and other writers, who are told the same.
  {
    auto writer = FileLock::try_lock(path, nullptr);
    ASSERT_TRUE(writer.has_value());
    long pid = 0;
    EXPECT_FALSE(FileLock::try_lock_shared(path, &pid).has_value());
    EXPECT_EQ(pid, static_cast<long>(::getpid()));
    LockHolder holder;
    EXPECT_FALSE(FileLock::try_lock(path, holder).has_value());
    EXPECT_FALSE(holder.readers);
    EXPECT_EQ(holder.pid, static_cast<long>(::getpid()));
  }
  EXPECT_TRUE(FileLock::try_lock_shared(path, nullptr).has_value());
}

TEST(FileLock, AReaderOfADirectoryThatIsNotWritableWarnsThatItReadsUnlocked) {
  const auto read_only = testing::temp_dir("lock_read_only");
  namespace fs = std::filesystem;
  fs::permissions(read_only, fs::perms::owner_read | fs::perms::owner_exec);
  // root writes whatever the permissions say; sysfs takes no new files, even from root.
  const fs::path dir = ::access(read_only.c_str(), W_OK) == 0 ? fs::path("/sys") : read_only;
  std::ostringstream log;
  std::optional<FileLock> lock;
  const bool testable = fs::is_directory(dir) && !fs::exists(dir / "run.lock");
  if (testable) {
    const auto previous = spdlog::default_logger();
    spdlog::set_default_logger(std::make_shared<spdlog::logger>(
        "capture", std::make_shared<spdlog::sinks::ostream_sink_st>(log)));
    lock = FileLock::try_lock_shared(dir / "run.lock", nullptr);
    spdlog::set_default_logger(previous);
  }
  fs::permissions(read_only, fs::perms::owner_all, fs::perm_options::add);
  if (!testable) GTEST_SKIP() << "no directory here that this process cannot write";
  EXPECT_TRUE(lock.has_value());  // a lock that locks nothing
  EXPECT_FALSE(fs::exists(dir / "run.lock"));
  EXPECT_NE(
      log.str().find("'" + (dir / "run.lock").string() +
                     "' is missing and cannot be created (Permission denied): '" + dir.string() +
                     "' is read without a lock, so nothing stops a run into that "
                     "directory while this one reads it"),
      std::string::npos)
      << log.str();
}

TEST(FileLock, ALockFileThatIsNotARegularFileIsAnErrorForReadersToo) {
  const auto dir = testing::temp_dir("lock_dir");
  std::filesystem::create_directories(dir / "run.lock");
  try {
    FileLock::try_lock_shared(dir / "run.lock", nullptr);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(std::string(e.what()),
              "the lock file '" + (dir / "run.lock").string() + "' is not a regular file");
    EXPECT_EQ(e.exit_code(), kExitRunDir);
  }
}

TEST(Diagnostics, SortedCompilerStyleWithSummary) {
  Diagnostics d;
  d.error({"b.yaml", 3, 1}, "late");
  d.warning({"a.yaml", 9, 2}, "careful");
  d.error({"a.yaml", 2, 7}, "early");
  EXPECT_EQ(d.format(),
            "a.yaml:2:7: error: early\n"
            "a.yaml:9:2: warning: careful\n"
            "b.yaml:3:1: error: late\n"
            "2 errors found; nothing was run.\n");
}

TEST(Diagnostics, ListsTheFirstFiftyAndCountsTheRest) {
  Diagnostics d;
  for (int line = 1; line <= 1000; ++line) d.error({"big.yaml", line, 1}, "bad");
  const std::string text = d.format();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 52);
  EXPECT_NE(text.find("big.yaml:50:1: error: bad\n... 950 more not listed\n"
                      "1000 errors found; nothing was run.\n"),
            std::string::npos);
}

}  // namespace
}  // namespace hlslim
