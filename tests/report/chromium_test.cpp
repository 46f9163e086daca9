// The report of a real smoke run (`hlslim run configs/smoke.yaml`) rendered by headless
// Chromium: it loads without console messages (the report has no script, so any message is a
// problem: a parse error, a blocked resource), the DOM holds every section, and the key figures
// equal the values of the run's metrics.json. A screenshot is written next to the report for
// people to look at. Skipped when Chromium is not installed (Debian: apt-get install chromium).

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

struct Output {
  int code;
  std::string text;
};

Output shell(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  std::string text;
  std::array<char, 4096> buffer;
  while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
    text.append(buffer.data(), n);
  const int status = pclose(pipe);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, text};
}

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string chromium_path() {
  const char* configured = std::getenv("HLSLIM_CHROMIUM");
  return configured ? configured : "/usr/bin/chromium";
}

std::string value_attr(const std::string& model, const std::string& key, const json& value) {
  return "data-model=\"" + model + "\" data-key=\"" + key + "\" data-value=\"" + value.dump() +
         "\"";
}

TEST(ReportChromium, SmokeRunReportRendersWithTheRunsFigures) {
  const std::string chromium = chromium_path();
  if (!fs::exists(chromium)) {
    GTEST_SKIP() << "Chromium not installed (" << chromium
                 << " missing; Debian: apt-get install chromium, or set HLSLIM_CHROMIUM): the "
                    "rendering of the run report is not checked";
  }
  const char* tmp = std::getenv("TMPDIR");
  const fs::path dir =
      fs::path(tmp ? tmp : "/tmp") / ("hlslim_report_chromium_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const fs::path run = dir / "run";
  const Output ran = shell(std::string(HLSLIM_BINARY) + " run " + HLSLIM_SOURCE_DIR +
                           "/configs/smoke.yaml --output " + run.string() + " 2>&1");
  ASSERT_EQ(ran.code, 0) << ran.text;
  const fs::path report = run / "report" / "index.html";
  ASSERT_TRUE(fs::exists(report)) << ran.text;
  EXPECT_NE(ran.text.find("| model | pt_spread | plateau_eff | fake_rate |"), std::string::npos)
      << ran.text;
  EXPECT_NE(ran.text.find(report.string()), std::string::npos) << ran.text;

  const std::string flags =
      " --headless --no-sandbox --disable-gpu --user-data-dir=" + (dir / "profile").string() +
      " --enable-logging=stderr --v=0 ";
  const std::string url = "file://" + fs::absolute(report).string();
  const Output dom =
      shell(chromium + flags + "--dump-dom " + url + " 2>" + (dir / "dom.log").string());
  ASSERT_EQ(dom.code, 0) << read_text(dir / "dom.log");
  std::istringstream log(read_text(dir / "dom.log"));
  for (std::string line; std::getline(log, line);) {
    EXPECT_EQ(line.find(":CONSOLE"), std::string::npos) << line;
    EXPECT_EQ(line.find("Uncaught"), std::string::npos) << line;
    EXPECT_EQ(line.find("net::ERR"), std::string::npos) << line;
  }
  for (const char* id : {"summary", "training", "turn-on", "residuals", "figures", "models",
                         "compression", "overflows", "provenance", "config"}) {
    EXPECT_NE(dom.text.find("<section id=\"" + std::string(id) + "\">"), std::string::npos) << id;
  }
  EXPECT_EQ(dom.text.find("<section id=\"notes\">"), std::string::npos)
      << "the smoke run has notes";
  EXPECT_NE(dom.text.find("id=\"turn-on-chart\""), std::string::npos);
  EXPECT_NE(dom.text.find("id=\"residual-pt\""), std::string::npos);

  // The figures shown are those of the run's metrics.json files.
  const json distill = json::parse(read_text(run / "06-distill" / "metrics.json"));
  const json reference = json::parse(read_text(run / "02-reference" / "metrics.json"));
  for (const char* key : {"pt_spread", "plateau_eff", "fake_rate"}) {
    EXPECT_NE(dom.text.find(value_attr("student", key, distill["student"]["test"][key])),
              std::string::npos)
        << key;
    EXPECT_NE(dom.text.find(value_attr("teacher", key, distill["teacher"]["test"][key])),
              std::string::npos)
        << key;
    EXPECT_NE(dom.text.find(value_attr("classical reference", key, reference[key])),
              std::string::npos)
        << key;
  }
  const json exported = json::parse(read_text(run / "07-export" / "metrics.json"));
  EXPECT_NE(dom.text.find(">" + exported["estimates"]["lut"].dump() + "<"), std::string::npos);

  const fs::path png = run / "report" / "screenshot.png";
  const Output shot = shell(
      chromium + flags + "--hide-scrollbars --window-size=1280,5200 --screenshot=" + png.string() +
      " " + url + " >" + (dir / "shot.log").string() + " 2>&1");
  ASSERT_EQ(shot.code, 0) << read_text(dir / "shot.log");
  ASSERT_TRUE(fs::exists(png));
  EXPECT_GT(fs::file_size(png), 20000u);
  std::printf("report: %s\nscreenshot: %s\n", report.c_str(), png.c_str());
}

}  // namespace
