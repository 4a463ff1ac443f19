# Test helpers shared by every test folder (included from the top-level CMakeLists.txt).
include(GoogleTest)

# jobfacade_add_test(NAME SOURCES ... LIBS ... [TIMEOUT seconds] [RUN_SERIAL])
# A gtest binary whose tests each run under their own ctest time bound. RUN_SERIAL keeps
# timing-sensitive tests (load, latency) from sharing the machine with other tests.
function(jobfacade_add_test name)
  cmake_parse_arguments(ARG "RUN_SERIAL" "TIMEOUT" "SOURCES;LIBS;LABELS" ${ARGN})
  set(_properties TIMEOUT ${ARG_TIMEOUT})
  if(ARG_LABELS)
    list(APPEND _properties LABELS "${ARG_LABELS}")
  endif()
  if(ARG_RUN_SERIAL)
    list(APPEND _properties RUN_SERIAL TRUE)
  endif()
  add_executable(${name} ${ARG_SOURCES})
  # The TSan stage builds every concurrency test at once through jobfacade_concurrency_tests
  # (tests/CMakeLists.txt): one make goal, so that make runs its jobs across all of them.
  if("concurrency" IN_LIST ARG_LABELS)
    set_property(GLOBAL APPEND PROPERTY JOBFACADE_CONCURRENCY_TESTS ${name})
  endif()
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gmock GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
    JOBFACADE_SOURCE_DIR="${CMAKE_SOURCE_DIR}"
    JOBFACADE_SHARED_DIR="${CMAKE_SOURCE_DIR}/../shared"
    JOBFACADE_BINARY_DIR="${CMAKE_BINARY_DIR}")
  gtest_discover_tests(${name}
    DISCOVERY_MODE PRE_TEST
    DISCOVERY_TIMEOUT 30
    PROPERTIES ${_properties})
endfunction()


# Reports a test that cannot be registered because its tool is missing: a configuration error
# when JOBFACADE_REQUIRE_ALL_TESTS is on (the full test run sets it, so no test is silently
# dropped), a note otherwise.
option(JOBFACADE_REQUIRE_ALL_TESTS "Fail configuration when a test's tool is missing" OFF)
function(jobfacade_test_tool_missing)
  string(JOIN "" _text ${ARGN})
  if(JOBFACADE_REQUIRE_ALL_TESTS)
    message(FATAL_ERROR "${_text}")
  else()
    message(STATUS "${_text}")
  endif()
endfunction()
