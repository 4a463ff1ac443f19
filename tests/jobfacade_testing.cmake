# Test helpers shared by every test folder (included from the top-level CMakeLists.txt).
include(GoogleTest)

# jobfacade_add_test(NAME SOURCES ... LIBS ... [TIMEOUT seconds])
# A gtest binary whose tests each run under their own ctest time bound.
function(jobfacade_add_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 60)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    JOBFACADE_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    JOBFACADE_SHARED_DIR="${CMAKE_SOURCE_DIR}/../shared"
    JOBFACADE_BINARY_DIR="${CMAKE_BINARY_DIR}")
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    DISCOVERY_TIMEOUT 30
    PROPERTIES TIMEOUT ${ARG_TIMEOUT} LABELS "${ARG_LABELS}")
endfunction()

