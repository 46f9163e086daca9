# Included by the top-level CMakeLists.txt before src/ when HLSLIM_FUZZ is ON: every library is
# compiled with libFuzzer's coverage instrumentation and with AddressSanitizer and
# UndefinedBehaviorSanitizer, so the feedback and the checks reach the loaders themselves, not
# only the harnesses. The harnesses in fuzz/ add -fsanitize=fuzzer, which links libFuzzer's main.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "HLSLIM_FUZZ needs clang (libFuzzer), not ${CMAKE_CXX_COMPILER_ID}: "
                      "configure with -DCMAKE_CXX_COMPILER=clang++ (scripts/fuzz.sh does)")
endif()
set(HLSLIM_SANITIZERS address,undefined)
add_compile_options(-fsanitize=fuzzer-no-link,${HLSLIM_SANITIZERS} -fno-sanitize-recover=undefined
                    -fno-omit-frame-pointer)
add_link_options(-fsanitize=${HLSLIM_SANITIZERS})
