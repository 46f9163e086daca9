#include "hlslim/cli/cli.hpp"
#include "hlslim/pipeline/registry.hpp"

int main(int argc, char** argv) {
  return hlslim::cli_main(argc, argv, hlslim::builtin_stages());
}
