#!/usr/bin/env bash
# Generates the Python messages of the jobfacade contract (jobfacade.v1 and the google.rpc
# error details) into OUT_DIR with protoc --python_out. Put OUT_DIR on sys.path (or call
# jobfacade_client.use_generated(OUT_DIR)) before using jobfacade_client.
#
# Usage: client/python/gen.sh OUT_DIR     (PROTOC overrides the protoc binary)
set -euo pipefail

if [[ $# -ne 1 ]]; then
  echo "usage: $0 OUT_DIR" >&2
  exit 2
fi
out="$1"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
protoc="${PROTOC:-protoc}"
mkdir -p "${out}"
# The well-known types (google/protobuf/*.proto) come with protoc's own include directory;
# /usr/include is named too for protoc builds that do not add it themselves.
includes=(-I "${repo}/proto")
if [[ -f /usr/include/google/protobuf/any.proto ]]; then
  includes+=(-I /usr/include)
fi
"${protoc}" "${includes[@]}" --python_out="${out}" \
  "${repo}/proto/jobfacade/v1/job_service.proto" \
  "${repo}/proto/google/rpc/status.proto" \
  "${repo}/proto/google/rpc/error_details.proto"
# No __init__.py files on purpose: `google` must stay a namespace package so that
# google.protobuf (installed) and google.rpc (generated here) import side by side.
