#!/usr/bin/env bash
# Lints the public contract (proto/, configured by buf.yaml) and checks it for breaking changes
# against the previous commit's proto/ (JOBFACADE_BUF_AGAINST_REF, default HEAD~1). Without a
# git checkout, or without that commit (the first commit, a shallow clone), it says so and
# only lints.
#
# Usage: tests/proto/check_buf.sh [BUF]   (default: node_modules/.bin/buf of the repository)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
buf="${1:-${BUF:-${repo}/node_modules/.bin/buf}}"
against_ref="${JOBFACADE_BUF_AGAINST_REF:-HEAD~1}"
if [[ ! -x "${buf}" ]]; then
  echo "$0: buf not found at ${buf} (npm ci installs @bufbuild/buf)" >&2
  exit 1
fi
# A private cache: nothing is downloaded (buf.yaml has no deps), and parallel runs do not share
# state.
if [[ -z "${BUF_CACHE_DIR:-}" ]]; then
  BUF_CACHE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/jobfacade-buf-cache.XXXXXX")"
  export BUF_CACHE_DIR
  trap 'rm -rf "${BUF_CACHE_DIR}"' EXIT
fi
cd "${repo}"

"${buf}" lint
echo "buf lint: clean"

skip() {
  echo "buf breaking: skipped, $*; only the lint ran"
  exit 0
}
command -v git > /dev/null || skip "no git on PATH"
[[ -e .git ]] || skip "${repo} is not a git checkout (no .git)"
toplevel="$(git rev-parse --show-toplevel 2> /dev/null)" || skip "git cannot read ${repo}/.git"
[[ "$(cd "${toplevel}" && pwd -P)" == "$(pwd -P)" ]] \
  || skip "${repo} is not the top of its git checkout"
against="$(git rev-parse --verify --quiet "${against_ref}^{commit}")" \
  || skip "no commit ${against_ref} (the first commit, or a shallow clone: fetch more history)"
git cat-file -e "${against}:proto" 2> /dev/null || skip "${against_ref} has no proto/"

# subdir=proto: the module's files keep the same paths (jobfacade/v1/...) whether or not that
# commit already had buf.yaml.
"${buf}" breaking --against ".git#ref=${against},subdir=proto"
echo "buf breaking: no breaking change against ${against_ref} (${against:0:12})"
