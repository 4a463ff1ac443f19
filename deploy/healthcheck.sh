#!/bin/sh
# The image's HEALTHCHECK: asks the gRPC health service whether jobfacade.v1.JobService is
# SERVING. Prefers the plaintext health-only port (JOBFACADE_HEALTH_LISTEN); without it, the
# main port, with --tls when the server serves TLS (JOBFACADE_PROBE_CA names the CA to trust,
# default the system's).
set -eu
probe=/usr/local/bin/jobfacade-probe
health="${JOBFACADE_HEALTH_LISTEN:-off}"
if [ "${health}" != "off" ]; then
  exec "${probe}" --addr "127.0.0.1:${health##*:}" --service jobfacade.v1.JobService
fi
addr="127.0.0.1:${JOBFACADE_LISTEN##*:}"
if [ -n "${JOBFACADE_TLS_CERT_FILE:-}" ]; then
  if [ -n "${JOBFACADE_PROBE_CA:-}" ]; then
    exec "${probe}" --addr "${addr}" --tls --ca "${JOBFACADE_PROBE_CA}" \
      --service jobfacade.v1.JobService
  fi
  exec "${probe}" --addr "${addr}" --tls --service jobfacade.v1.JobService
fi
exec "${probe}" --addr "${addr}" --service jobfacade.v1.JobService
