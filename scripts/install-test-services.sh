#!/usr/bin/env bash
# Install the services the end-to-end tests run as real processes, from Debian's packages, when
# they are missing: rabbitmq-server (it pulls Erlang), the broker of
# tests/e2e/test_cross_service_e2e.py, and prometheus for its promtool (tests/e2e/test_prometheus_rules_e2e.py).
# Called by scripts/test.sh before pytest.
#
# Idempotent and quick when everything is installed (a dpkg query, no network). Where it cannot
# install (no apt-get, not root and no passwordless sudo) it says so and exits 0: the broker tests
# then skip with that reason instead of failing the whole run. On this project's machines and CI
# (Debian, root) it installs; there a failed apt-get exits non-zero, and the tests, which run
# anyway, fail on CI rather than skip. The system-wide broker is never started (policy-rc.d): the
# tests run their own node on loopback with private data, log and cookie directories.
set -uo pipefail

PACKAGES=(rabbitmq-server prometheus)   # prometheus: promtool checks and unit-tests the generated rules

missing=()
for package in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q '^install ok installed$'; then
    missing+=("$package")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-services: no apt-get here; not installing ${missing[*]} (broker tests will skip)" >&2
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root=(sudo -n)
  else
    echo "install-test-services: not root and no passwordless sudo; not installing ${missing[*]}" \
         "(broker tests will skip)" >&2
    exit 0
  fi
else
  as_root=()
fi

export DEBIAN_FRONTEND=noninteractive
echo "install-test-services: installing ${missing[*]} from Debian" >&2
# policy-rc.d 101: the package's postinst must not start the system-wide broker (port 5672, a
# cluster cookie in /var/lib/rabbitmq); the tests run their own. Removed again afterwards unless it
# was there before.
policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | "${as_root[@]}" tee "$policy" >/dev/null && "${as_root[@]}" chmod 755 "$policy" \
    && created_policy=1
fi
status=0
timeout 600 "${as_root[@]}" apt-get update -qq >/dev/null || status=$?
if [ "$status" -eq 0 ]; then
  timeout 900 "${as_root[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
fi
if [ "$created_policy" -eq 1 ]; then
  "${as_root[@]}" rm -f "$policy"
fi
if [ "$status" -ne 0 ]; then
  echo "install-test-services: apt-get failed ($status); ${missing[*]} not installed" >&2
  exit 1
fi
echo "install-test-services: installed ${missing[*]}" >&2
