#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <new>

#include "hlslim/cli/cli.hpp"
#include "hlslim/util/errors.hpp"
#include "hlslim/util/logging.hpp"
#include "hlslim/version.hpp"

namespace hlslim {

int cli_main(int argc, const char* const* argv, const StageRegistry& registry) {
  CLI::App app{"hlslim: compresses neural networks into FPGA-ready trigger models.", "hlslim"};
  app.require_subcommand(1);
  app.set_version_flag("--version",
                       std::string("hlslim ") + version() + " (commit " + git_commit() + ")");
  bool verbose = false;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "Show debug messages.");
  app.add_flag("-q,--quiet", quiet, "Show only warnings and errors.");
  app.fallthrough();

  CliContext context;
  context.registry = &registry;
  add_run_command(app, context);
  add_validate_command(app, context);
  add_dump_config_command(app, context);
  add_stages_command(app, context);
  add_simulate_command(app, context);
  add_report_command(app, context);
  add_sweep_command(app, context);
  add_collect_command(app, context);
  app.parse_complete_callback([&] {
    init_console_logging(quiet     ? Verbosity::kQuiet
                         : verbose ? Verbosity::kVerbose
                                   : Verbosity::kNormal);
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitConfig;
  } catch (const ConfigError& e) {
    std::cerr << e.what() << std::flush;
    return e.exit_code();
  } catch (const Interrupted& e) {
    spdlog::warn("{}; the run directory is resumable with --resume", e.what());
    return e.exit_code();
  } catch (const Error& e) {
    spdlog::error("{}", e.what());
    return e.exit_code();
  } catch (const std::filesystem::filesystem_error& e) {
    // A file or directory hlslim must write or read is unusable (read-only, under a file, a name
    // too long, a full disk): a problem of the location, not of hlslim.
    std::string message = e.code().message();
    if (!e.path1().empty()) message = "'" + e.path1().string() + "': " + message;
    spdlog::error("cannot use {}", message);
    return kExitRunDir;
  } catch (const std::bad_alloc&) {
    spdlog::error("out of memory");
    return kExitRuntime;
  } catch (const std::exception& e) {
    spdlog::error("internal error: {}", e.what());
    return kExitRuntime;
  }
  return context.exit_code;
}

}  // namespace hlslim
