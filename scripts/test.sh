#!/usr/bin/env bash
# Install what the tests need, then run every test (unit and e2e). Extra arguments go to pytest,
# e.g. `bash ./scripts/test.sh -m "not e2e"` for the quick run.
set -uo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check -e '.[test]' || exit 1

# The two Go builds the e2e tests share through ~/.cache/tracegen (the collector test distribution,
# the Jaeger all-in-one) run in the background while the Debian packages install: a cold build's
# module downloads and the package installs overlap instead of queueing. Cached, each takes a second.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
jaeger=
collector=
case " $* " in
  *"not e2e"*) ;;   # the quick unit run builds neither
  *) bash ./scripts/install-jaeger.sh >"$logs/jaeger.log" 2>&1 & jaeger=$!
     bash ./scripts/install-collector-tools.sh >"$logs/collector.log" 2>&1 & collector=$! ;;
esac

bash ./scripts/install-test-services.sh || echo "scripts/install-test-services.sh failed; running the tests anyway" >&2
bash ./tests/e2e/ansible_harness/install-deps.sh || echo "the Ansible e2e dependencies failed to install" >&2
if [ -n "$jaeger" ] && ! wait "$jaeger"; then
  tail -n 20 "$logs/jaeger.log" >&2
  echo "scripts/install-jaeger.sh failed: the Jaeger e2e test will build it or fail" >&2
fi
if [ -n "$collector" ] && ! wait "$collector"; then
  tail -n 20 "$logs/collector.log" >&2
  echo "scripts/install-collector-tools.sh failed: the collector e2e tests will build it or fail" >&2
fi

# --durations: every run (a cold CI run above all) says where its time went.
python3 -m pytest --durations=40 "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "pytest collected no tests: that is a failure here" >&2
  exit 1
fi
exit "$status"
