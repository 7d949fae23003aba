"""scripts/bench_overhead.py without running anything: its arguments and its report."""

from __future__ import annotations

import json
import sys

import pytest
from conftest import load_script



@pytest.fixture(scope="module")
def bench():
    yield load_script("bench_overhead")
    sys.modules.pop("bench_overhead_script", None)


def results(bench):
    r = bench.Result
    return [r("go", "off", 4000, 4000, 200.0, 0.4, 0.9, 50.0),
            r("go", "always_on", 4000, 4000, 200.0, 0.6, 1.4, 90.0),
            r("go", "ratio_0.1", 4000, 3990, 199.5, 0.5, 1.0, 55.0),
            r("java", "off", 4000, 4000, 200.0, 0.8, 2.0, 100.0),
            r("java", "always_on", 4000, 4000, 200.0, 2.0, 9.0, 300.0)]


def test_defaults_and_language_subset(bench):
    args = bench.parse_args([])
    assert (args.rate, args.duration, args.languages) == (200.0, 20.0, ["node", "python", "java", "go"])
    assert bench.parse_args(["--languages", "go, node", "--rate", "50"]).languages == ["go", "node"]


@pytest.mark.parametrize("argv", [["--languages", "ruby"], ["--rate", "0"], ["--duration", "1000"],
                                  ["--languages", ","]])
def test_bad_arguments_exit_2(bench, argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        bench.parse_args(argv)
    assert exit_info.value.code == 2
    assert "--" in capsys.readouterr().err


def test_added_figures_are_over_the_same_languages_floor(bench):
    rows = {(row.result.language, row.result.variant): row for row in bench.rows(results(bench))}
    go_on = rows[("go", "always_on")]
    assert go_on.added_p95_ms == pytest.approx(0.5)
    assert go_on.added_cpu_us == pytest.approx(40.0)
    assert go_on.added_cpu_percent == pytest.approx(0.8)     # 40 µs x 200 req/s = 8 ms/s of a core
    assert go_on.within_budget is True
    java_on = rows[("java", "always_on")]
    assert java_on.added_p95_ms == pytest.approx(7.0) and java_on.within_budget is False
    assert rows[("go", "off")].added_p95_ms is None and rows[("go", "off")].within_budget is None


def test_text_report_names_what_breaks_the_budget(bench):
    text = bench.render(results(bench), "text", {"rate": 200, "duration": 20, "warmup": 8})
    assert "OVER BUDGET with always-on: java" in text
    assert "go  " in text and "+0.50" in text
    assert "OVER BUDGET with always-on: go" not in text


def test_markdown_and_json_reports(bench):
    markdown = bench.render(results(bench), "markdown", {"rate": 200, "duration": 20, "warmup": 8})
    lines = markdown.splitlines()
    assert lines[0].startswith("| language | variant |") and lines[1].startswith("| --- |")
    assert len(lines) == 2 + 5 and "| OVER |" in markdown
    data = json.loads(bench.render(results(bench), "json", {"rate": 200}))
    assert data["budget"] == {"p95_ms": 5.0, "cpu_percent": 2.0}
    java_on = next(r for r in data["results"] if r["language"] == "java" and r["variant"] == "always_on")
    assert java_on["within_budget"] is False and java_on["added_p95_ms"] == pytest.approx(7.0)
