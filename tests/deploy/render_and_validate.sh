#!/usr/bin/env bash
# Renders one overlay with `kubectl kustomize` and validates the result.
# Usage: render_and_validate.sh KUBECTL NODE OVERLAY_DIR [validate_manifests.js flags...]
set -euo pipefail
kubectl="$1" node="$2" overlay="$3"
shift 3
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rendered="$(mktemp)"
trap 'rm -f "${rendered}"' EXIT
# kustomize v5 warns on stderr about the old field names kept for v2.0.3: drop those lines only.
"${kubectl}" kustomize "${overlay}" > "${rendered}" 2> >(grep -v "^# Warning: '[A-Za-z0-9]*' is deprecated" >&2)
echo "rendered ${overlay}: $(grep -c '^kind:' "${rendered}") objects"
"${node}" "${here}/validate_manifests.js" "$@" "${rendered}"
