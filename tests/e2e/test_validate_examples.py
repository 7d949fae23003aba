"""The product's own output, judged by every real consumer: `tracegen validate --require-all` over
output/<example> (the committed build of each example blueprint) must pass with nothing skipped —
otelcol validate on the distribution the builder manifest describes, the Kubernetes / CRD schemas
and kustomize, ansible-lint and the syntax check, and each language's compiler or runtime."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.stem for p in (ROOT / "blueprints").glob("*.yaml"))

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_artifact_of_the_example_output_is_accepted(name):
    result = subprocess.run([sys.executable, "-m", "tracegen", "validate", "--require-all", f"output/{name}"],
                            cwd=ROOT, capture_output=True, text=True, timeout=1800)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert summary.endswith("0 failed, 0 skipped"), summary
    ok = int(summary.split()[0])
    manifest_entries = (ROOT / "output" / name / "tracegen-manifest.json").read_text().count('"path"')
    assert ok >= manifest_entries // 2, f"only {ok} checks for {manifest_entries} artifacts"
