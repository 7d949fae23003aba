#!/usr/bin/env bash
# What the Ansible rollout e2e test (tests/e2e/test_ansible_rollout.py) needs from Debian beyond
# Python: sshd for the test hosts, sudo for `become`, iproute2 for the namespaces. Idempotent; root only.
set -euo pipefail
need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null || need+=(openssh-client)
command -v sudo >/dev/null || need+=(sudo)
command -v ip >/dev/null || need+=(iproute2)
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq
  # policy-rc.d on build machines keeps the packaged sshd service from starting; the test runs its own.
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
