# Generates version_info.cpp at every build, rewriting it only when the commit changes, so the
# binary always names the commit it was built from without forcing needless relinks.
set(HLSLIM_VERSION_OUT ${CMAKE_CURRENT_BINARY_DIR}/generated/version_info.cpp)
add_custom_target(hlslim_version_gen
  COMMAND ${CMAKE_COMMAND} -DOUT=${HLSLIM_VERSION_OUT} -DVERSION=${PROJECT_VERSION}
          -DSRC=${CMAKE_CURRENT_SOURCE_DIR} -P ${CMAKE_CURRENT_SOURCE_DIR}/cmake/write_version.cmake
  BYPRODUCTS ${HLSLIM_VERSION_OUT}
  COMMENT "Stamping version and commit")
add_library(hlslim_version STATIC ${HLSLIM_VERSION_OUT})
target_include_directories(hlslim_version PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
add_dependencies(hlslim_version hlslim_version_gen)
