"""Write a large blueprint (YAML or HCL) for load-time measurements: blueprints/minimal.yaml with its
one service replaced by N services, each calling the next.

    python3 scripts/gen_large_blueprint.py 4000 /tmp/big.hcl
    time tracegen check /tmp/big.hcl
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from tracegen.blueprint.hcl import dumps

ROOT = Path(__file__).resolve().parent.parent


def blueprint(count: int) -> dict:
    data = yaml.safe_load((ROOT / "blueprints" / "minimal.yaml").read_text(encoding="utf-8"))
    template = data["services"].pop("hello")
    for i in range(count):
        service = {**template, "version": f"1.0.{i}", "edge": i == 0, "peak_rps": 5, "outbound": ["http"],
                   "owner": {"team": f"team-{i % 40}", "oncall": f"pagerduty:team-{i % 40}"}}
        if i + 1 < count:
            service["calls"] = [f"svc-{i + 1}"]
        data["services"][f"svc-{i}"] = service
    return data


def main() -> None:
    count, path = int(sys.argv[1]), Path(sys.argv[2])
    data = blueprint(count)
    text = dumps(data) if path.suffix in (".hcl", ".tf") else yaml.safe_dump(data, sort_keys=False)
    path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
