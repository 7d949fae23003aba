#!/usr/bin/env bash
# Install what the tests need, then run every test (unit and e2e). Extra arguments go to pytest,
# e.g. `bash ./scripts/test.sh -m "not e2e"` for the quick run.
set -uo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]' || exit 1
bash ./scripts/install-test-services.sh || echo "scripts/install-test-services.sh failed; running the tests anyway" >&2
bash ./tests/e2e/ansible_harness/install-deps.sh || echo "the Ansible e2e dependencies failed to install" >&2
bash ./scripts/install-jaeger.sh >/dev/null || echo "scripts/install-jaeger.sh failed: the Jaeger e2e test will build it or fail" >&2
# --durations: every run (a cold CI run above all) says where its time went.
python3 -m pytest --durations=40 "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit "$status"
