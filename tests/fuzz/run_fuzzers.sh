#!/usr/bin/env bash
# Runs every libFuzzer target of a JOBFACADE_FUZZ build for a bounded time from its seed corpus,
# two at a time; fails when any target finds a crash, a leak, a sanitizer report, a time-out or a
# broken invariant (its input is kept in <build>/fuzz-runs/<target>/ with the log).
#
# Usage: tests/fuzz/run_fuzzers.sh BUILD_DIR [SECONDS_PER_TARGET] [TARGET...]
#   SECONDS_PER_TARGET defaults to 20; TARGETs default to all of them.
# A failing input is kept as BUILD_DIR/fuzz-runs/<target>/crash-* (or leak-*, timeout-*); run
# BUILD_DIR/tests/fuzz/<target>_fuzzer on that file to see it again, and once fixed add it to
# tests/fuzz/corpus/<target>/, named for what must become of it, so that corpus_test keeps it.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
build_dir="$(cd "${1:?usage: run_fuzzers.sh BUILD_DIR [SECONDS] [TARGET...]}" && pwd)"
seconds="${2:-20}"
shift $(( $# >= 2 ? 2 : $# ))
targets=("$@")
if [[ "${#targets[@]}" -eq 0 ]]; then
  targets=(filter page_token name qbraid ionq praisonai sse)
fi
readonly kParallel=2

runs="${build_dir}/fuzz-runs"
rm -rf "${runs}"

run_target() {
  local target="$1"
  local dir="${runs}/${target}"
  mkdir -p "${dir}/corpus"
  local dict=()
  if [[ -f "${repo}/tests/fuzz/dicts/${target}.dict" ]]; then
    dict=(-dict="${repo}/tests/fuzz/dicts/${target}.dict")
  fi
  # New inputs go to the scratch corpus (first folder); the seeds are only read. -timeout bounds
  # one input, -rss_limit_mb the memory of the whole run. A fixed seed and run count make CI
  # explore the same inputs on every machine (the time only caps a slow one);
  # JOBFACADE_FUZZ_RUNS=0 and another JOBFACADE_FUZZ_SEED fuzz further.
  local limit=()
  if [[ "${JOBFACADE_FUZZ_RUNS:-20000}" != "0" ]]; then
    limit=(-runs="${JOBFACADE_FUZZ_RUNS:-20000}")
  fi
  "${build_dir}/tests/fuzz/${target}_fuzzer" \
    -max_total_time="${seconds}" -seed="${JOBFACADE_FUZZ_SEED:-1}" "${limit[@]}" \
    -timeout=10 -rss_limit_mb=4096 -print_final_stats=1 \
    "${dict[@]}" -artifact_prefix="${dir}/" "${dir}/corpus" "${repo}/tests/fuzz/corpus/${target}" \
    >"${dir}/log" 2>&1
}

declare -A pids=()
failed=()
finish_one() {
  local pid status=0
  wait -n -p pid "${!pids[@]}" || status=$?
  local target="${pids[${pid}]}"
  unset "pids[${pid}]"
  local execs
  execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "${runs}/${target}/log")"
  if [[ "${status}" -eq 0 ]]; then
    echo "run_fuzzers: ${target}: ok, ${execs:-?} inputs in ${seconds}s"
  else
    echo "run_fuzzers: ${target}: FAILED (exit ${status}); the end of ${runs}/${target}/log:"
    tail -n 60 "${runs}/${target}/log"
    failed+=("${target}")
  fi
}

for target in "${targets[@]}"; do
  if [[ ! -x "${build_dir}/tests/fuzz/${target}_fuzzer" ]]; then
    echo "run_fuzzers: ${build_dir}/tests/fuzz/${target}_fuzzer is not built" >&2
    exit 2
  fi
  while [[ "${#pids[@]}" -ge "${kParallel}" ]]; do finish_one; done
  run_target "${target}" &
  pids[$!]="${target}"
done
while [[ "${#pids[@]}" -gt 0 ]]; do finish_one; done

passed=$(( ${#targets[@]} - ${#failed[@]} ))
echo "fuzz: ${passed} passed, ${#failed[@]} failed"
[[ "${#failed[@]}" -eq 0 ]]
