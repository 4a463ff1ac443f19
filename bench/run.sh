#!/usr/bin/env bash
# The GetJob benchmark in one command (README, "Performance"): installs what it needs when it is
# missing (nginx with its echo module, wrk, Python's aiohttp, matplotlib and grpcio), builds
# jobfacade, the load driver, gRPC's floor server, the engine driver and the emulator in Release
# into ./build-release, and runs bench/run.py, which writes
# bench/results/{results.json,results.md,concurrency.png}.
#
# Usage: bench/run.sh [--smoke] [run.py arguments...]
# Environment: JOBFACADE_BENCH_BUILD_DIR (default ./build-release).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="${JOBFACADE_BENCH_BUILD_DIR:-${repo}/build-release}"

# The build packages and the benchmark's own (deploy/setup.sh owns both lists).
bash "${repo}/deploy/setup.sh" --bench-tools --no-build

cmake -S "${repo}" -B "${build_dir}" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "${build_dir}" --target jobfacade grpc_load grpc_floor engine_load watch_load jobfacade-emulator -- -j"$(nproc)"
# Debian's interpreter: a python3 earlier on PATH (pyenv) may lack grpcio and aiohttp.
exec /usr/bin/python3 "${repo}/bench/run.py" --build-dir "${build_dir}" "$@"
