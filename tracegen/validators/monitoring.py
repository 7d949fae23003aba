"""Alerting rules and dashboards against their consumers: `promtool check rules` on each Prometheus
rule file and on the groups of each PrometheusRule (promtool is in Debian's `prometheus` package;
without it those checks are skipped, naming it); each dashboard JSON loaded into
grafana-foundation-sdk's Dashboard model; the sidecar ConfigMaps' copies compared with the files."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import yaml

from tracegen.validators import Check

NAME = "monitoring"
KINDS = {"prometheus-rules", "grafana-dashboard"}
TIMEOUT = 120
PROMTOOL_HINT = "needs promtool: apt-get install prometheus (Debian), or a Prometheus release's promtool on PATH"


def _promtool(rule_file: Path) -> tuple[bool, str]:
    promtool = shutil.which("promtool")
    assert promtool is not None
    try:
        run = subprocess.run([promtool, "check", "rules", str(rule_file)], capture_output=True, text=True,
                             timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        return False, f"promtool check rules did not finish in {TIMEOUT}s"
    output = (run.stdout + run.stderr).strip()
    return run.returncode == 0, output.splitlines()[-1] if run.returncode == 0 and output else output


def _rules(path: Path) -> Check:
    if shutil.which("promtool") is None:
        return Check("", NAME, "skip", PROMTOOL_HINT)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if isinstance(data, dict) and data.get("kind") == "PrometheusRule":
        with tempfile.TemporaryDirectory() as scratch:
            groups = Path(scratch) / "groups.yaml"
            groups.write_text(yaml.safe_dump({"groups": data["spec"]["groups"]}), encoding="utf-8")
            ok, detail = _promtool(groups)
    else:
        ok, detail = _promtool(path)
    return Check("", NAME, "ok" if ok else "fail", f"promtool check rules: {detail}")


def _dashboard(path: Path) -> Check:
    from grafana_foundation_sdk.models.dashboard import Dashboard

    data = json.loads(path.read_text(encoding="utf-8"))
    model = Dashboard.from_json(data)
    if model.uid != data.get("uid") or len(model.panels or []) != len(data.get("panels") or []):
        return Check("", NAME, "fail", "grafana-foundation-sdk's Dashboard model does not keep it")
    return Check("", NAME, "ok", f"loads into grafana-foundation-sdk's Dashboard model ({len(model.panels)} panels)")


def _config_maps(path: Path) -> Check:
    documents = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    for document in documents:
        for key, text in (document.get("data") or {}).items():
            beside = path.parent / "dashboards" / key
            if not beside.is_file() or json.loads(text) != json.loads(beside.read_text(encoding="utf-8")):
                return Check("", NAME, "fail", f"ConfigMap {document['metadata']['name']}: {key} differs from "
                                               f"dashboards/{key}")
    return Check("", NAME, "ok", f"{len(documents)} ConfigMap(s) carry the dashboards byte for byte")


def validate(directory: Path, entries: list[dict]) -> Iterator[Check]:
    for entry in sorted(entries, key=lambda e: e["path"]):
        path = directory / entry["path"]
        if entry["kind"] == "prometheus-rules":
            check = _rules(path)
        elif path.suffix == ".json":
            check = _dashboard(path)
        elif path.name == "configmaps.yaml":
            check = _config_maps(path)
        else:
            check = Check("", NAME, "ok", "Grafana provisioning file (YAML parsed)") \
                if isinstance(yaml.safe_load(path.read_text(encoding="utf-8")), dict) else \
                Check("", NAME, "fail", "not a YAML mapping")
        yield Check(entry["path"], check.validator, check.status, check.detail)
