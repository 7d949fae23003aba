"""Supported collector versions live in versions.py; a blueprint asking for another is a positioned
error from `check`, never an internal error."""

from __future__ import annotations

import pytest

from tracegen import components, versions
from tracegen.blueprint.loader import load_text
from tracegen.errors import BlueprintError

BLUEPRINT = """\
schema_version: 1
name: versions
topology:
  collector_version: "{version}"
services:
  hello: {{version: 1.0.0, language: python, edge: true, peak_rps: 5, inbound: [http],
          owner: {{team: platform, oncall: "pagerduty:platform"}}}}
environments:
  dev:
    platform:
      local: {{base_port: 24300}}
"""


def test_the_pinned_version_is_inside_the_verified_range():
    assert components.check_supported(versions.COLLECTOR_VERSION) == versions.COLLECTOR_VERSION
    for edge in (versions.MIN_SUPPORTED_COLLECTOR_VERSION, versions.NEWEST_VERIFIED_COLLECTOR_VERSION):
        load_text(BLUEPRINT.format(version=edge), "v.yaml")


@pytest.mark.parametrize("version, why", [("0.119.0", "older than 0.120.0"), ("0.166.0", "newer than 0.165.0"),
                                          ("1.2.3", "only 0.N.P")])
def test_an_unverified_version_is_a_positioned_error(version, why):
    with pytest.raises(BlueprintError, match=why) as caught:
        load_text(BLUEPRINT.format(version=version), "v.yaml")
    assert str(caught.value).startswith("v.yaml:4:")
