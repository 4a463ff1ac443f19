#!/usr/bin/env bash
# Builds jobfacade if needed and runs it. With no vendor configured in the environment it runs
# in sandbox mode: a built-in vendor emulator with demo jobs on loopback. Arguments are passed
# to the server (e.g. --listen=127.0.0.1:50051, --sandbox).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# Setup's progress goes to stderr so that the server's stdout stays clean for scripts.
bash "${repo}/deploy/setup.sh" --server-only >&2
exec "${JOBFACADE_BUILD_DIR:-${repo}/build}/service/jobfacade" "$@"
