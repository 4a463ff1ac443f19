#!/usr/bin/env bash
# Installs the build and test tools that are missing, builds, and runs the tests in stages (each
# test has its own time bound in CMake):
#   normal  the whole suite, RelWithDebInfo, in $JOBFACADE_BUILD_DIR (default ./build)
#   asan    the whole suite under ASan + UBSan (JOBFACADE_SANITIZE=address) in <build>-asan,
#           the soak test for $JOBFACADE_ASAN_SOAK_SECONDS (30) of load
#   tsan    the tests labelled "concurrency" under TSan (JOBFACADE_SANITIZE=thread) in <build>-tsan
#   fuzz    every libFuzzer target (clang, JOBFACADE_FUZZ=ON) for $JOBFACADE_FUZZ_SECONDS (20)
#           from its seed corpus, in <build>-fuzz
# JOBFACADE_CI_STAGES picks the stages, in that order (default: all four); for a quick local run,
#   JOBFACADE_CI_STAGES=normal bash tests/run_all.sh
# A sanitizer report in any process (tests, and the servers and emulators they start) fails its
# stage: the runtimes write reports to <build dir>/sanitizer-reports, checked after each stage.
# Every chosen stage runs even when an earlier one failed; the exit code is 0 only when all passed.
# (Stages run in an `||` context, where bash ignores `set -e`: each failure is returned by hand.)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${JOBFACADE_BUILD_DIR:-${repo}/build}"
stages="${JOBFACADE_CI_STAGES:-normal asan tsan fuzz}"
fuzz_seconds="${JOBFACADE_FUZZ_SECONDS:-20}"
jobs="$(nproc 2>/dev/null || echo 2)"

for stage in ${stages}; do
  case "${stage}" in
    normal|asan|tsan|fuzz) ;;
    *) echo "run_all: unknown stage '${stage}' in JOBFACADE_CI_STAGES" >&2; exit 2 ;;
  esac
done
has_stage() { [[ " ${stages} " == *" $1 "* ]]; }

total_passed=0
total_failed=0
failed_stages=()
summary=()

# Runs ctest with `args` in `dir`; adds its counts to the totals. Returns ctest's status.
run_ctest() {
  local dir="$1"
  shift
  local log="${dir}/run_all-ctest.log"
  local status=0
  ctest --test-dir "${dir}" --output-on-failure --no-tests=error -j"${jobs}" "$@" </dev/null \
    2>&1 | tee "${log}" || status=$?
  # "100% tests passed, 0 tests failed out of 412"
  local line passed=0 failed=0
  line="$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "${log}" | tail -n 1)" || true
  if [[ -n "${line}" ]]; then
    failed="$(sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/' <<<"${line}")"
    passed=$(( $(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"${line}") - failed ))
  elif [[ "${status}" -eq 0 ]]; then
    status=1  # ctest ran nothing it reported
  fi
  total_passed=$(( total_passed + passed ))
  total_failed=$(( total_failed + failed ))
  return "${status}"
}

# Fails when any process of the build in `dir` wrote a sanitizer report; prints them.
check_reports() {
  local dir="$1/sanitizer-reports"
  local reports=()
  if [[ -d "${dir}" ]]; then
    mapfile -t reports < <(find "${dir}" -type f | sort)
  fi
  if [[ "${#reports[@]}" -eq 0 ]]; then
    return 0
  fi
  echo "run_all: ${#reports[@]} sanitizer report(s) in ${dir}:"
  for report in "${reports[@]}"; do
    echo "----- ${report}"
    head -c 20000 "${report}"
  done
  return 1
}

clear_reports() {
  rm -rf "$1/sanitizer-reports"
  mkdir -p "$1/sanitizer-reports"
}

# Configures a sanitizer build in `dir` with the extra cmake arguments that follow.
configure() {
  local dir="$1"
  shift
  mkdir -p "${dir}"
  cmake -S "${repo}" -B "${dir}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DJOBFACADE_REQUIRE_ALL_TESTS=ON "$@" >"${dir}/run_all-configure.log" 2>&1 ||
    { cat "${dir}/run_all-configure.log"; return 1; }
}

# The test executables of the build in `dir` whose tests carry ctest label `label`, read from
# the gtest discovery scripts that exist right after configuring (before anything is built).
labelled_targets() {
  local dir="$1" label="$2"
  find "${dir}" -name '*_include.cmake' -print0 |
    xargs -0 grep -l -E "TEST_PROPERTIES \[==\[.*LABELS;([^]]*;)?${label}(;|\])" |
    xargs -r grep -h -o -E 'TEST_EXECUTABLE \[==\[[^]]*\]==\]' |
    sed -E 's/.*\/([^/]*)\]==\]$/\1/' | sort -u
}

stage_normal() {
  # Every test must be registered: a missing test tool fails configuration instead of
  # silently dropping its tests.
  JOBFACADE_CMAKE_ARGS="-DJOBFACADE_REQUIRE_ALL_TESTS=ON ${JOBFACADE_CMAKE_ARGS:-}" \
    bash "${repo}/deploy/setup.sh" --with-test-tools || return
  run_ctest "${build_dir}"
}

stage_asan() {
  local dir="${build_dir}-asan"
  configure "${dir}" -DJOBFACADE_SANITIZE=address || return
  # Everything, as one make goal: given several goals, CMake's Makefile builds them one after
  # another (.NOTPARALLEL), which leaves a core idle for most of the build.
  cmake --build "${dir}" -- -j"${jobs}" || return
  clear_reports "${dir}"
  local status=0
  # The soak test's point under ASan is memory errors under rotating faults, not a long soak.
  JOBFACADE_SOAK_SECONDS="${JOBFACADE_ASAN_SOAK_SECONDS:-30}" run_ctest "${dir}" || status=$?
  check_reports "${dir}" || status=1
  return "${status}"
}

stage_tsan() {
  local dir="${build_dir}-tsan"
  configure "${dir}" -DJOBFACADE_SANITIZE=thread || return
  local targets
  mapfile -t targets < <(labelled_targets "${dir}" concurrency)
  if [[ "${#targets[@]}" -eq 0 ]]; then
    echo "run_all: no test is labelled concurrency" >&2
    return 1
  fi
  echo "run_all: tsan builds ${targets[*]}"
  # One goal that depends on them all (tests/CMakeLists.txt), so that make builds them in
  # parallel; the check below still catches a labelled test it did not build.
  cmake --build "${dir}" --target jobfacade_concurrency_tests -- -j"${jobs}" || return
  clear_reports "${dir}"
  local status=0
  run_ctest "${dir}" -L concurrency || status=$?
  if grep -q '_NOT_BUILT' "${dir}/run_all-ctest.log"; then
    echo "run_all: a concurrency test was not built" >&2
    status=1
  fi
  check_reports "${dir}" || status=1
  return "${status}"
}

stage_fuzz() {
  local dir="${build_dir}-fuzz"
  # Only the fuzz targets: no tests, so GoogleTest and the test tools are not needed.
  mkdir -p "${dir}"
  CC=clang CXX=clang++ cmake -S "${repo}" -B "${dir}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DJOBFACADE_FUZZ=ON -DJOBFACADE_BUILD_TESTS=OFF >"${dir}/run_all-configure.log" 2>&1 ||
    { cat "${dir}/run_all-configure.log"; return 1; }
  cmake --build "${dir}" --target jobfacade_fuzzers -- -j"${jobs}" || return
  local status=0
  local log="${dir}/run_all-fuzz.log"
  bash "${repo}/tests/fuzz/run_fuzzers.sh" "${dir}" "${fuzz_seconds}" 2>&1 | tee "${log}" ||
    status=$?
  local line
  line="$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed$' "${log}" | tail -n 1)" || true
  if [[ -n "${line}" ]]; then
    total_passed=$(( total_passed + $(sed -E 's/^fuzz: ([0-9]+) passed.*/\1/' <<<"${line}") ))
    total_failed=$(( total_failed + $(sed -E 's/.* ([0-9]+) failed$/\1/' <<<"${line}") ))
  else
    status=1
  fi
  return "${status}"
}

if ! has_stage normal; then
  # The normal stage installs the tools; without it, install them (and nothing else) here.
  bash "${repo}/deploy/setup.sh" --with-test-tools --no-build
fi

for stage in normal asan tsan fuzz; do
  has_stage "${stage}" || continue
  echo "run_all: ===== stage ${stage}"
  started="${SECONDS}"
  status=0
  "stage_${stage}" || status=$?
  took=$(( SECONDS - started ))
  if [[ "${status}" -eq 0 ]]; then
    summary+=("${stage}: passed in ${took}s")
  else
    summary+=("${stage}: FAILED (exit ${status}) in ${took}s")
    failed_stages+=("${stage}")
  fi
  echo "run_all: stage ${stage} ended with ${status} after ${took}s"
done

echo "run_all: stages ${stages}"
for line in "${summary[@]}"; do echo "run_all:   ${line}"; done
# A stage that failed without a failed test (a build error, a sanitizer report in a server
# process) still counts as one failure.
if [[ "${#failed_stages[@]}" -gt 0 && "${total_failed}" -eq 0 ]]; then
  total_failed="${#failed_stages[@]}"
fi
echo "run_all: ${total_passed} passed, ${total_failed} failed"
[[ "${#failed_stages[@]}" -eq 0 ]]
