#!/bin/sh
# Builds and runs the C simulation of tiny_ag with g++ and SystemC instead of vendor tools:
#   sh csim/build_csim.sh
# Environment: CXX (default g++), CXXFLAGS (default -O1), SYSTEMC_INCLUDE and SYSTEMC_LIB
# (directories, when SystemC is not installed system-wide; Debian: libsystemc-dev).
# SystemC checks at link time that it is used with the C++ standard it was built with: Debian's
# library needs -std=c++17, which is the default here.
# Exit status: the testbench's, 0 when every output equals the engine's bit for bit.
set -e
cd "$(dirname "$0")/.."
CXX="${CXX:-g++}"
FLAGS="-std=c++17 ${CXXFLAGS:--O1} -Wno-unknown-pragmas -DHLSLIM_CSIM_SYSTEMC -Icsim -Ifirmware"
LIBS="-lsystemc"
if [ -n "$SYSTEMC_INCLUDE" ]; then FLAGS="$FLAGS -I$SYSTEMC_INCLUDE"; fi
if [ -n "$SYSTEMC_LIB" ]; then LIBS="-L$SYSTEMC_LIB -Wl,-rpath,$SYSTEMC_LIB $LIBS"; fi
$CXX $FLAGS -o csim/tiny_ag_csim tiny_ag_test.cpp firmware/tiny_ag.cpp csim/hlslim_sc_main.cpp $LIBS
exec ./csim/tiny_ag_csim tb_data
