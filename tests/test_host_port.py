"""IPv6 VM addresses: bracketed wherever a `host:port` is formed (the load-balancing exporter's static
resolver, the agents' gateway list, URLs), bare where a host stands alone (the Ansible inventory)."""

from __future__ import annotations

from pathlib import Path

import yaml

from tracegen.blueprint.loader import load_text
from tracegen.encoding import host_port
from tracegen.plan.builder import build_plan
from tracegen.plan.remote_sampling import sdk_sampler
from tracegen.targets import ansible

ROOT = Path(__file__).resolve().parent.parent
V6_GATEWAYS = ("2001:db8::10", "fd00:1::2")


def test_host_port_brackets_ipv6_only():
    assert host_port("2001:db8::10", 4317) == "[2001:db8::10]:4317"
    assert host_port("[2001:db8::10]", 4317) == "[2001:db8::10]:4317"
    assert host_port("10.0.0.5", "4317") == "10.0.0.5:4317"
    assert host_port("otel-gw-1.prod.example.net", 4317) == "otel-gw-1.prod.example.net:4317"


def _plan():
    data = yaml.safe_load((ROOT / "blueprints" / "vm-fleet.yaml").read_text())
    vm = data["environments"]["prod"]["platform"]["vm"]
    vm["gateways"] = [{"name": f"otel-gw-{i}.prod.example.net", "address": a} for i, a in enumerate(V6_GATEWAYS, 1)]
    vm["groups"]["web"]["hosts"] = [{"name": "web-1.prod.example.net", "address": "2001:db8::21"}]
    return build_plan(load_text(yaml.safe_dump(data), "vm-fleet.yaml"))


def test_static_resolver_and_agent_gateway_list_bracket_ipv6_and_the_inventory_keeps_it_bare():
    plan = _plan()
    env = next(e for e in plan.environments if e.name == "prod")
    expected = [f"[{address}]:4317" for address in V6_GATEWAYS]
    assert list(env.resolver_for("vm").hostnames) == expected
    balancer = next(v for k, v in env.collectors.agent("vm").data["exporters"].items()
                    if k.startswith(("load_balancing", "loadbalancing")))
    assert balancer["resolver"]["static"]["hostnames"] == expected
    files = {a.path: a.content for a in ansible.build(plan)}
    agents = yaml.safe_load(files["prod/ansible/inventory/group_vars/otel_agents/tracegen.yml"])
    assert agents["tracegen_gateway_endpoints"] == expected
    inventory = yaml.safe_load(files["prod/ansible/inventory/hosts.yml"])["all"]["children"]
    gateways = inventory["otel_gateways"]["hosts"]
    assert [gateways[f"otel-gw-{i}.prod.example.net"]["ansible_host"] for i in (1, 2)] == list(V6_GATEWAYS)
    web = inventory["otel_agents"]["children"]["app_web"]["hosts"]["web-1.prod.example.net"]
    assert web == {"ansible_host": "2001:db8::21"}


def test_remote_sampler_endpoint_brackets_an_ipv6_export_endpoint():
    data = yaml.safe_load((ROOT / "blueprints" / "checkout.yaml").read_text())
    data["sampling"]["strategy"] = "edge_head"
    data["sampling"]["head"] = {"edge_rate": 0.1}
    data["services"]["fulfillment"]["export_endpoint"] = "http://[fd00::7]:4317"
    plan = build_plan(load_text(yaml.safe_dump(data), "checkout.yaml"))
    env = next(e for e in plan.environments if e.name == "prod")
    service = next(s for s in env.services if s.name == "fulfillment")
    remote = sdk_sampler(env, service)
    assert remote is not None and remote.endpoint.startswith("http://[fd00::7]:")


def test_the_gateway_wait_in_site_yml_gets_a_bare_ipv6_address_and_the_port():
    """site.yml splits each tracegen_gateway_endpoints entry for wait_for; ansible-core's Templar renders it."""
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar, trust_as_template

    site = yaml.safe_load({a.path: a.content for a in ansible.build(_plan())}["prod/ansible/site.yml"])
    wait = next(task for play in site for task in play.get("pre_tasks", []) if "ansible.builtin.wait_for" in task)
    args = wait["ansible.builtin.wait_for"]
    for endpoint, host in (("[2001:db8::10]:4317", "2001:db8::10"), ("10.0.0.5:4317", "10.0.0.5"),
                           ("gw-2.example.net:4317", "gw-2.example.net")):
        templar = Templar(loader=DataLoader(), variables={"item": endpoint})
        assert templar.template(trust_as_template(args["host"])) == host
        assert templar.template(trust_as_template(args["port"])) == 4317
