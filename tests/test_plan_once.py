"""The planner decides each environment once per loaded blueprint (tracegen/plan/once.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import yaml

from tracegen.blueprint.loader import load_text
from tracegen.plan import builder
from tracegen.plan.refusals import PlanRefusal
from tracegen.standards.engine import check

ROOT = Path(__file__).resolve().parent.parent


def loaded_checkout():
    return load_text((ROOT / "blueprints" / "checkout.yaml").read_text(encoding="utf-8"), "checkout.yaml")


@pytest.fixture
def planned_calls(monkeypatch):
    calls: list[str] = []
    original = builder._planned

    def counted(loaded, view):
        calls.append(view.name)
        return original(loaded, view)

    monkeypatch.setattr(builder, "_planned", counted)
    return calls


def test_check_then_build_plans_each_environment_once(planned_calls):
    loaded = loaded_checkout()
    check(loaded)
    plan = builder.build_plan(loaded, "checkout.yaml")
    assert sorted(planned_calls) == sorted(loaded.environments)
    assert [env.name for env in plan.environments] == sorted(loaded.environments)
    # the same decision, not a second one: the plan check judged is the plan build writes
    again = builder.build_plan(loaded, "checkout.yaml")
    assert again.environments == plan.environments and sorted(planned_calls) == sorted(loaded.environments)


def test_another_source_name_rebuilds_only_the_collector_configs(planned_calls):
    loaded = loaded_checkout()
    first = builder.build_plan(loaded, "checkout.yaml")
    second = builder.build_plan(loaded, "elsewhere/checkout.yaml")
    assert sorted(planned_calls) == sorted(loaded.environments)
    for a, b in zip(first.environments, second.environments):
        assert dataclasses.replace(a, collectors=None) == dataclasses.replace(b, collectors=None)
        assert a.collectors != b.collectors      # the configs name the blueprint they came from


def test_a_new_loaded_blueprint_or_view_is_planned_afresh(planned_calls):
    first, second = loaded_checkout(), loaded_checkout()
    builder.build_plan(first)
    builder.build_plan(second)
    view = first.environments["prod"]
    builder.plan_environment(first, dataclasses.replace(view))       # a what-if view of `plan`
    assert planned_calls.count("prod") == 3


def test_a_refusal_is_raised_again_from_the_cache(planned_calls):
    data = yaml.safe_load((ROOT / "blueprints" / "checkout.yaml").read_text(encoding="utf-8"))
    data["topology"]["gateway"] = {"enabled": False}
    loaded = load_text(yaml.safe_dump(data, sort_keys=False), "checkout.yaml")
    view = loaded.environments["prod"]
    with pytest.raises(PlanRefusal) as first:
        builder.plan_environment(loaded, view)
    with pytest.raises(PlanRefusal) as second:
        builder.plan_environment(loaded, view)
    assert second.value is first.value and planned_calls == ["prod"]
