#!/usr/bin/env bash
# What the Ansible rollout e2e test (tests/e2e/test_ansible_rollout.py) needs from Debian beyond
# Python: sshd for the test hosts, sudo for `become`, iproute2 for the namespaces. Idempotent and
# quick when all is there. Where it cannot install (no apt-get, not root) it says so and exits 0:
# the test then skips, naming what is missing. The packaged sshd service is never started (no
# systemd here, policy-rc.d on build machines): the test runs one sshd per test host.
set -uo pipefail
need=()
[ -x /usr/sbin/sshd ] || need+=(openssh-server)
command -v ssh >/dev/null 2>&1 || need+=(openssh-client)
command -v sudo >/dev/null 2>&1 || need+=(sudo)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
[ "${#need[@]}" -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: cannot install ${need[*]} here (needs apt-get and root); the Ansible rollout test will skip" >&2
  exit 0
fi
apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
