#ifndef JOBFACADE_TESTS_TESTING_TEMP_DIR_H_
#define JOBFACADE_TESTS_TESTING_TEMP_DIR_H_

#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "gtest/gtest.h"

namespace jobfacade::testing {

// A directory of this test process's own, made on first use under ::testing::TempDir() and
// removed when the process exits. ctest runs each test of a binary as its own process, several
// at once: tests that wrote fixed names in the shared temporary directory overwrote each
// other's files.
inline const std::string& TestTempDir() {
  struct Dir {
    Dir() {
      std::string pattern = ::testing::TempDir() + "/jobfacade-test-XXXXXX";
      if (mkdtemp(pattern.data()) == nullptr) {
        std::perror("mkdtemp");
        std::abort();
      }
      path = pattern;
    }
    ~Dir() {
      std::error_code ignored;
      std::filesystem::remove_all(path, ignored);
    }
    std::string path;
  };
  static const Dir dir;
  return dir.path;
}

}  // namespace jobfacade::testing

#endif  // JOBFACADE_TESTS_TESTING_TEMP_DIR_H_
