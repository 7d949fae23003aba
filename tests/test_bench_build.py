"""scripts/bench_build.py without timing anything big: its synthetic estate, growth fit and report."""

from __future__ import annotations

import sys

import pytest
from conftest import load_script

from tracegen.blueprint.loader import load_text
from tracegen.standards.engine import check



@pytest.fixture(scope="module")
def bench():
    yield load_script("bench_build")
    sys.modules.pop("bench_build_script", None)


def test_the_synthetic_estate_passes_check(bench):
    loaded = load_text(bench.synthetic(12), "synthetic-12.yaml")
    assert len(loaded.blueprint.services) == 12
    assert set(loaded.blueprint.environments) == {"prod", "staging", "dev"}
    assert not [f for f in check(loaded).findings if f.severity == "error" and not f.suppressed]


@pytest.mark.parametrize("power", [0.5, 1.0, 2.0])
def test_exponent_recovers_the_power_of_a_growth(bench, power):
    sizes = [100, 1000, 10000]
    assert bench.exponent(sizes, [3.5 * n ** power for n in sizes]) == pytest.approx(power)


def test_exponent_needs_two_distinct_sizes(bench):
    with pytest.raises(ValueError):
        bench.exponent([100], [1.0])
    with pytest.raises(ValueError):
        bench.exponent([100, 100], [1.0, 2.0])


def row(bench, services: int, build: float, cp: float, check: float = 0.2, rss: float = 80.0):
    figures = bench.Row(services, files=services * 30, mib=services * 0.05)
    for _ in range(3):
        figures.add("check", bench.Run(check, check, rss / 2))
        figures.add("build", bench.Run(build, build * 0.9, rss))
        figures.add("nosync", bench.Run(build * 0.8, build * 0.8, rss))
        figures.add("cp", bench.Run(cp, cp / 2, 4.0))
        figures.add("loop", bench.Run(cp * 1.5, cp, 30.0))
    return figures


def test_report_prints_ratios_growth_and_verdicts(bench):
    text = bench.report([row(bench, 100, 0.5, 0.2), row(bench, 1000, 3.0, 1.5),
                         row(bench, 10000, 30.0, 15.0, rss=450.0)])
    lines = text.splitlines()
    thousand = next(line for line in lines if line.split()[0] == "1,000")
    assert thousand.split()[1] == "30,000"          # files
    assert "1.6" in thousand.split()                 # build / cp -r
    assert "its cpu 0.89" in text                    # (0.4, 2.4, 24 s) over 100..10,000 services
    assert "target build <= 2x cp -r at 1,000 services: 1.6x, met" in text
    assert "target check <= 0.3 s at 1,000 services: 0.20 s, met" in text
    assert "target peak RSS <= 200 MiB at 1,000 services (check or build): 80 MiB, met" in text
    assert "target peak RSS <= 200 MiB at 10,000 services (check or build): 450 MiB, NOT met" in text
    assert "build CPU grows as services^1.00 from 1,000 to 10,000, met" in text


def test_report_says_which_targets_are_missed(bench):
    text = bench.report([row(bench, 1000, 9.0, 1.5, check=0.9, rss=250.0),
                         row(bench, 10000, 900.0, 15.0, check=9.0, rss=900.0)])
    assert "4.8x, NOT met" in text
    assert "0.90 s, NOT met" in text
    assert "900 MiB, NOT met" in text
    assert "services^2.00 from 1,000 to 10,000, NOT met" in text
