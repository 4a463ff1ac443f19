#!/usr/bin/env bash
# Installs the build and test tools that are missing, builds, and runs the whole test suite
# under ctest (each test has its own time bound in CMake). Exits with ctest's code.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${JOBFACADE_BUILD_DIR:-${repo}/build}"
# Every test must be registered: a missing test tool fails configuration instead of
# silently dropping its tests.
JOBFACADE_CMAKE_ARGS="-DJOBFACADE_REQUIRE_ALL_TESTS=ON ${JOBFACADE_CMAKE_ARGS:-}" \
  bash "${repo}/deploy/setup.sh" --with-test-tools

echo "run_all: ctest in ${build_dir}"
status=0
ctest --test-dir "${build_dir}" --output-on-failure --no-tests=error -j2 </dev/null || status=$?
echo "run_all: ctest exit code ${status}"
exit "${status}"
