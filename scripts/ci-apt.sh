#!/usr/bin/env bash
# Debian packages the test suite needs as real peers (called by .ci/run; safe to rerun).
#   rsyslog    — test/audit/syslog-rsyslog.test.ts starts its own rsyslogd (imtcp on loopback)
#                to receive RFC 5424 records over TCP with octet-counting framing.
#   nginx      — test/scale starts nginx as a round-robin load balancer in front of replicas.
#   prometheus — test/scale starts a Prometheus server that scrapes the gateway's /metrics.
#   podman, buildah, mmdebstrap — test/deploy/image.e2e.test.ts (npm run test:image) builds the image
#                from deploy/Dockerfile on a Node base made from Debian packages, and runs it.
# Idempotent: packages already installed are skipped, and `apt-get update` runs at most once.
set -euo pipefail

PACKAGES=(rsyslog nginx-light prometheus ca-certificates podman buildah mmdebstrap)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  SUDO=(sudo -n)
fi
export DEBIAN_FRONTEND=noninteractive
echo "ci-apt: installing ${missing[*]}" >&2
"${SUDO[@]}" apt-get update -qq >/dev/null
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
