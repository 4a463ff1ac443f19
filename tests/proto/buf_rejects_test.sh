#!/usr/bin/env bash
# Proves that the checks of check_buf.sh can fail: on a copy of buf.yaml and proto/, a
# renumbered field, a renamed enum value and a deleted (even reserved) field are reported by
# `buf breaking` against the repository's proto/, and a new RPC returning Job or a new enum
# with unprefixed values is reported by `buf lint` (the contract's exceptions cover only the
# elements that carry them). The unchanged copy passes both.
#
# Usage: tests/proto/buf_rejects_test.sh [BUF]   (default: node_modules/.bin/buf of the repository)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
buf="${1:-${BUF:-${repo}/node_modules/.bin/buf}}"
if [[ ! -x "${buf}" ]]; then
  echo "$0: buf not found at ${buf} (npm ci installs @bufbuild/buf)" >&2
  exit 1
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/jobfacade-buf-rejects.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
export BUF_CACHE_DIR="${work}/cache"
proto_file=proto/jobfacade/v1/job_service.proto
failures=0

# A fresh copy of the contract in ${work}/copy.
fresh_copy() {
  rm -rf "${work}/copy"
  mkdir -p "${work}/copy"
  cp "${repo}/buf.yaml" "${work}/copy/"
  cp -R "${repo}/proto" "${work}/copy/proto"
}

# edit NAME OLD NEW: replaces the first OLD in the copy's job_service.proto by NEW, and fails
# when OLD is not there any more (the proto changed under the test).
edit() {
  local path="${work}/copy/${proto_file}" text
  text="$(< "${path}")"
  if [[ "${text}" != *"$2"* ]]; then
    echo "FAIL $1: the text to edit is not in ${proto_file} any more"
    exit 1
  fi
  printf '%s\n' "${text/"$2"/"$3"}" > "${path}"
}

# expect_failure NAME EXPECTED_TEXT COMMAND...: COMMAND must fail and print EXPECTED_TEXT.
expect_failure() {
  local name="$1" expected="$2" output status=0
  shift 2
  output="$("$@" 2>&1)" || status=$?
  if [[ ${status} -ne 0 && "${output}" == *"${expected}"* ]]; then
    echo "ok   ${name}"
  else
    echo "FAIL ${name}: wanted a failure mentioning '${expected}', got exit ${status}:"
    echo "${output}"
    failures=$((failures + 1))
  fi
}

expect_success() {
  local name="$1" output
  shift
  if output="$("$@" 2>&1)"; then
    echo "ok   ${name}"
  else
    echo "FAIL ${name}:"
    echo "${output}"
    failures=$((failures + 1))
  fi
}

lint() { "${buf}" lint "${work}/copy" --error-format=json; }
breaking() { "${buf}" breaking "${work}/copy" --against "${repo}"; }

fresh_copy
expect_success "unchanged copy: lint" lint
expect_success "unchanged copy: breaking" breaking

fresh_copy
edit "renumber Job.vendor" '  string vendor = 2 [' '  string vendor = 23 ['
expect_failure "renumbered field Job.vendor (2 -> 23)" \
  'Previously present field "2" with name "vendor" on message "Job" was deleted' breaking

fresh_copy
edit "rename JOB_VIEW_FULL" '  JOB_VIEW_FULL = 2;' '  JOB_VIEW_ALL = 2;'
expect_failure "renamed enum value JOB_VIEW_FULL" 'JOB_VIEW_FULL' breaking

# FILE, not only WIRE_JSON: deleting a field breaks generated code even with its number and
# name reserved.
fresh_copy
edit "delete Job.batch_id" \
  '  string batch_id = 21 [(google.api.field_behavior) = OUTPUT_ONLY];' \
  $'  reserved 21;\n  reserved "batch_id";'
expect_failure "deleted field Job.batch_id, number and name reserved" \
  'Previously present field "21" with name "batch_id" on message "Job" was deleted' breaking

fresh_copy
watch_rpc='  rpc WatchJob(WatchJobRequest) returns (stream Job);'
edit "add PeekJob" "${watch_rpc}" \
  "${watch_rpc}"$'\n\n  // Reads one job.\n  rpc PeekJob(PeekJobRequest) returns (Job);'
cat >> "${work}/copy/${proto_file}" << 'PROTO'

// Request of PeekJob.
message PeekJobRequest {
  // The job's name.
  string name = 1;
}
PROTO
expect_failure "new RPC returning Job without an exception" \
  '"type":"RPC_RESPONSE_STANDARD_NAME"' lint

fresh_copy
cat >> "${work}/copy/${proto_file}" << 'PROTO'

// A colour.
enum Colour {
  // Not set.
  COLOUR_UNSPECIFIED = 0;
  // Red.
  RED = 1;
}
PROTO
expect_failure "new enum with unprefixed values" '"type":"ENUM_VALUE_PREFIX"' lint

if [[ ${failures} -ne 0 ]]; then
  echo "buf rejects: ${failures} case(s) failed"
  exit 1
fi
echo "buf rejects: every case passed"
