"""The plan warns where recording traces breaks the playbook's CPU budget (measured figures)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tracegen import languages
from tracegen.blueprint.loader import load
from tracegen.plan import overhead
from tracegen.plan.builder import build_plan

ROOT = Path(__file__).resolve().parent.parent


def test_every_sdk_language_has_a_cost_and_go_is_within_budget():
    for language in languages.LANGUAGES.values():
        if language.kind == "proxy":      # a proxy's own tracer: no SDK cost to model
            assert language.recording_cpu_us is None, language.name
            continue
        assert language.recording_cpu_us and language.recording_cpu_us > 0, language.name
    for name in ("go", "java", "node", "python"):
        assert languages.get(name).recording_cpu_source == languages.base.MEASURED, name
    assert languages.get("go").recording_cpu_us <= overhead.BUDGET_CPU_US
    assert overhead.BUDGET_CPU_US == 100


def test_checkout_warns_for_its_node_java_and_python_services_but_not_go():
    loaded = load(ROOT / "blueprints" / "checkout.yaml")
    prod = next(e for e in build_plan(loaded).environments if e.name == "prod")
    peaks = {name: s.peak_rps for name, s in loaded.blueprint.services.items()}
    found = {w.service: w for w in overhead.warnings(prod, peaks)}
    assert set(found) == {"edge-gateway", "checkout", "payments", "inventory"}   # not fulfillment (go)
    inventory = found["inventory"]
    assert inventory.cores_at_peak == inventory.cpu_us_per_request * 280 / 1e6
    assert "inventory (python)" in inventory.text() and "% of a core at its declared peak" in inventory.text()
    assert "(measured by scripts/bench_overhead.py)" in inventory.text()


def test_an_estimated_figure_says_it_is_an_estimate():
    loaded = load(ROOT / "blueprints" / "otel-demo.yaml")
    demo = next(e for e in build_plan(loaded).environments if e.name == "demo")
    peaks = {name: s.peak_rps for name, s in loaded.blueprint.services.items()}
    found = {w.service: w for w in overhead.warnings(demo, peaks)}
    assert "(estimate: " in found["email"].text()                        # ruby
    assert not {"frontend-proxy", "image-provider", "flagd", "load-generator"} & set(found)   # proxies


def test_tracegen_plan_prints_the_warnings_in_text_and_json():
    def plan(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "tracegen", "plan", "blueprints/checkout.yaml", *args],
                                cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "Warnings (application overhead):" in plan("--env", "prod")
    data = json.loads(plan("--format", "json"))
    services = {w["service"] for w in data["environments"]["prod"]["overhead_warnings"]}
    assert "inventory" in services and "fulfillment" not in services
