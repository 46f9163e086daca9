#include "hlslim/cli/cli.hpp"
#include "hlslim/stages/registry.hpp"

int main(int argc, char** argv) { return hlslim::cli_main(argc, argv, hlslim::builtin_stages()); }
