#!/usr/bin/env bash
# Prepares a Debian 12 machine to build (and, with --with-test-tools, to test) jobfacade, then
# builds it into ./build. Idempotent: installs only what is missing and rebuilds incrementally.
#
# Usage: deploy/setup.sh [--with-test-tools] [--bench-tools] [--no-build | --server-only]
#   --with-test-tools  also Debian's python3-yaml, -venv, -setuptools, -wheel, -prometheus-client
#                      (Python client and metrics tests, deploy file checks), clang, libclang-rt-14-dev
#                      (fuzzing), node + npm when node is missing, and `npm ci` (Prism and
#                      the Node gRPC packages, for the contract and Node client tests)
#                      and the benchmark's tools (below: the suite runs its smoke test)
#   --bench-tools      nginx with its echo module (the vendor double), wrk, python3-aiohttp
#                      (the Python peer) and python3-matplotlib (the plot), for bench/run.sh
#   --no-build         install only; do not configure or build
#   --server-only      build only the jobfacade binary (not the tests)
# Environment: JOBFACADE_BUILD_DIR (default ./build), JOBFACADE_CMAKE_ARGS (extra cmake args).
set -euo pipefail

kRepo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
readonly kRepo
readonly kBuildPackages=(cmake g++ make pkg-config ccache libgrpc++-dev protobuf-compiler-grpc
  libprotobuf-dev protobuf-compiler libabsl-dev libcurl4-openssl-dev libssl-dev libsimdjson-dev
  libcpp-httplib-dev libspdlog-dev prometheus-cpp-dev libhiredis-dev libgtest-dev libgmock-dev
  libbenchmark-dev
  ca-certificates openssl)
# Python's gRPC, so that client/python runs on every machine (the README's first session).
readonly kClientPackages=(python3 python3-grpcio python3-protobuf)
readonly kPythonTestPackages=(python3-yaml python3-venv python3-setuptools python3-wheel
  python3-prometheus-client)
# A real Redis for the shared idempotency store's tests (started by the tests on loopback).
readonly kServiceTestPackages=(redis-server)
# clang with its libFuzzer and sanitizer runtimes, for the fuzz stage of tests/run_all.sh (gcc
# brings the ASan, UBSan and TSan runtimes of the sanitizer stages itself).
readonly kFuzzTestPackages=(clang libclang-rt-14-dev)
readonly kBenchPackages=(nginx libnginx-mod-http-echo wrk python3 python3-grpcio python3-protobuf
  python3-aiohttp python3-matplotlib)

with_test_tools=0
bench_tools=0
build=1
target=()
for arg in "$@"; do
  case "${arg}" in
    --with-test-tools) with_test_tools=1; bench_tools=1 ;;
    --bench-tools) bench_tools=1 ;;
    --no-build) build=0 ;;
    --server-only) target=(--target jobfacade) ;;
    -h|--help) sed -n '2,17p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "setup: unknown argument: ${arg}" >&2; exit 2 ;;
  esac
done

say() { echo "setup: $*"; }

# Installed means dpkg says "install ok installed"; anything else (absent, half-installed,
# removed with config left) gets installed again.
is_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" == "install ok installed" ]]
}

as_root() {
  if [[ "$(id -u)" -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

wanted=("${kBuildPackages[@]}" "${kClientPackages[@]}")
if [[ "${with_test_tools}" -eq 1 ]]; then
  wanted+=("${kPythonTestPackages[@]}" "${kFuzzTestPackages[@]}" "${kServiceTestPackages[@]}")
  # A node from elsewhere (e.g. nodesource) already brings its own npm and conflicts with
  # Debian's npm package, so Debian's node and npm are installed only when there is no node.
  if ! command -v node >/dev/null 2>&1; then
    wanted+=(nodejs npm)
  fi
  # kubectl renders the Kubernetes overlays (tests/deploy). A kubectl from elsewhere (the
  # Kubernetes apt repository, a download) owns /usr/bin/kubectl and conflicts with Debian's,
  # so Debian's kubernetes-client is installed only when there is no kubectl.
  if ! command -v kubectl >/dev/null 2>&1; then
    wanted+=(kubernetes-client)
  fi
fi
if [[ "${bench_tools}" -eq 1 ]]; then
  wanted+=("${kBenchPackages[@]}")
fi

missing=()
for pkg in "${wanted[@]}"; do
  is_installed "${pkg}" || missing+=("${pkg}")
done
if [[ "${#missing[@]}" -gt 0 ]]; then
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update
  as_root apt-get install -y --no-install-recommends "${missing[@]}"
else
  say "Debian packages already installed (${#wanted[@]} checked)"
fi

if [[ "${with_test_tools}" -eq 1 ]]; then
  if ! command -v npm >/dev/null 2>&1; then
    say "WARNING: node is present but npm is not; skipping npm ci (contract and Node client" \
        "tests will not be registered)"
  elif [[ ! -d "${kRepo}/node_modules" ||
          ! -f "${kRepo}/node_modules/.package-lock.json" ||
          "${kRepo}/package-lock.json" -nt "${kRepo}/node_modules/.package-lock.json" ]]; then
    # --ignore-scripts: nothing runs (or downloads) at install time; none of the test tools
    # needs an install script.
    say "npm ci (node $(node --version), npm $(npm --version))"
    (cd "${kRepo}" && npm ci --ignore-scripts --no-audit --no-fund)
  else
    say "node_modules is up to date with package-lock.json"
  fi
fi

if [[ "${build}" -eq 0 ]]; then
  exit 0
fi

build_dir="${JOBFACADE_BUILD_DIR:-${kRepo}/build}"
jobs="$(nproc 2>/dev/null || echo 2)"
# Configuring again every time is cheap and lets CMake notice test tools installed since the
# last run (the client and contract tests are registered only when their tools exist).
say "configuring ${build_dir}"
# shellcheck disable=SC2086  # JOBFACADE_CMAKE_ARGS is a list of words on purpose
cmake -S "${kRepo}" -B "${build_dir}" -DCMAKE_BUILD_TYPE=RelWithDebInfo ${JOBFACADE_CMAKE_ARGS:-}
say "building ${target[*]:-everything} with ${jobs} jobs"
cmake --build "${build_dir}" "${target[@]}" -- -j"${jobs}"
say "built ${build_dir}/service/jobfacade"
