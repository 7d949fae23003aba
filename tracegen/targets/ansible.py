"""Ansible rollout of the collectors on VM platforms, per environment, under `<env>/ansible/`.

- `site.yml` (ansible-playbook): gateways first, then agents, each tier in batches (`serial`, a
  canary host first) with `max_fail_percentage`, so a bad change stops early. Both run the
  repository's `roles/otel_collector` role, which validates the new config with the new binary
  before it replaces anything, restarts through a handler, waits for the health check and rolls
  back when it fails. After an agent is healthy, the services on its host get their OTEL_* variables.
- `inventory/hosts.yml` (ansible-inventory): the blueprint's gateways (`otel_gateways`) and its host
  groups (`app_<group>`, children of `otel_agents`).
- `inventory/group_vars/<group>/tracegen.yml`, `inventory/host_vars/<host>.yml` (ansible-vars): which
  config each tier runs, its TLS files, its credentials (Vault references, never values), systemd
  resource limits from the blueprint's tier resources, and the services on each host.
- `files/otel-env/<service>.env` (sdk-env): the OTEL_* variables of a service, installed as
  `/etc/default/opentelemetry-<service>` and loaded by a systemd drop-in for the service's unit.
- `README.md`: how to run it.

Environments without a vm platform get none of this.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath


from tracegen.errors import RefusedError
from tracegen import encoding
from tracegen.plan import model as pm
from tracegen.plan import collector_common as cc
from tracegen.plan import collector_exporters as ex
from tracegen.targets import java_agent, templating
from tracegen.targets.artifact import Artifact
from tracegen.targets.serialize import to_yaml

TEMPLATE_FILE_PATH = "ansible/README.md.j2"
ROLE = "otel_collector"
APP_ROLE = "otel_app"
GATEWAYS_GROUP = "otel_gateways"
AGENTS_GROUP = "otel_agents"
APP_GROUP_PREFIX = "app_"
ENV_FILE_DIR = "files/otel-env"
# Where the env files land on the hosts, and the drop-in that loads one into its service's unit.
ENV_FILE_DEST = "/etc/default/opentelemetry-{service}"
DROP_IN = "10-opentelemetry.conf"
# Batches: one canary host, then growing slices. max_fail_percentage is per batch: any failing
# gateway, or more than a tenth of an agent batch (so any failure in the canary), stops the rollout.
GATEWAY_BATCHES = [1, "50%"]
AGENT_BATCHES = [1, "10%", "25%"]
GATEWAY_MAX_FAIL = 0
AGENT_MAX_FAIL = 10
# The collectors' configs expect these (collector_common / collector_exporters): the role must agree.
CONFIG_DIR = ex.TLS_DIRECTORY.rsplit("/", 1)[0]
STATE_DIR = cc.QUEUE_DIRECTORY.rsplit("/", 1)[0]


class AnsibleTargetError(RefusedError):
    """The VM platform cannot be rolled out as asked."""


def _group(name: str) -> str:
    return APP_GROUP_PREFIX + re.sub(r"[^A-Za-z0-9_]", "_", name)


def _vault_var(name: str) -> str:
    return "vault_" + name.lower()


def _memory(tier: pm.Tier) -> str:
    return f"{tier.memory_mib}M"


def _cpu_quota(cpu: str) -> str:
    """Kubernetes-style CPU ("250m", "2") as systemd's CPUQuota= ("25%", "200%")."""
    millis = int(cpu[:-1]) if cpu.endswith("m") else int(float(cpu) * 1000)
    return f"{max(1, round(millis / 10))}%"


def _comment(text: str) -> str:
    return "".join(f"# {line}".rstrip() + "\n" for line in text.strip().splitlines())


def _yaml(data: object, source: str, comment: str = "", sort_keys: bool = True) -> str:
    """A YAML document with tracegen's header, then `comment` (the file's instructions)."""
    header, _, body = to_yaml(data, source=source, sort_keys=sort_keys, indent_lists=True).partition("\n")
    return f"---\n{header}\n{_comment(comment)}{body}"


def _hosts(env: pm.EnvironmentPlan) -> tuple[dict[str, str], dict[str, str]]:
    """(agent host -> address, gateway host -> address) of the VM tiers."""
    agents = {i.name: i.host for t in env.agents if t.platform == "vm" for i in t.instances}
    gateways = {i.name: i.host for i in env.gateway.instances} \
        if env.gateway is not None and env.gateway.platform == "vm" else {}
    both = sorted(agents.keys() & gateways.keys())
    if both:
        raise AnsibleTargetError(
            f"environment '{env.name}': {', '.join(both)} is both a gateway and an application host; "
            "one host runs one collector, so give the gateways hosts of their own")
    return agents, gateways


def tls_files(files: pm.TlsFiles | None) -> list[str]:
    """The certificate files the role copies from otel_collector_tls_src_dir into its TLS directory:
    those the blueprint (topology.tls.vm) puts there. Files elsewhere are placed by your own PKI."""
    if files is None:
        return []
    paths = [PurePosixPath(p) for p in (files.cert_file, files.key_file, files.ca_file)]
    return sorted({p.name for p in paths if p.parent == PurePosixPath(ex.TLS_DIRECTORY)})


def _host_entry(name: str, address: str) -> dict:
    return {"ansible_host": address} if address != name else {}


def inventory(env: pm.EnvironmentPlan) -> dict:
    agents, gateways = _hosts(env)
    children: dict = {}
    if gateways:
        children[GATEWAYS_GROUP] = {"hosts": {h: _host_entry(h, a) for h, a in sorted(gateways.items())}}
    groups: dict = {}
    for name, hosts in env.vm_groups:
        group = _group(name)
        if group in groups:
            raise AnsibleTargetError(f"environment '{env.name}': host groups collide as Ansible group '{group}'")
        groups[group] = {"hosts": {h: _host_entry(h, agents.get(h, h)) for h in sorted(hosts)}}
    children[AGENTS_GROUP] = {"children": groups}
    return {"all": {"children": children}}


def _secrets(env: pm.EnvironmentPlan, *configs: str) -> list[str]:
    """The variables these collector configs reference (CollectorConfig.secrets): the tier that
    exports to the backends needs the credentials, an agent that balances to gateways none."""
    assert env.collectors is not None, "the planner computes every environment's collectors"
    return sorted({name for c in env.collectors.configs if c.path in configs for name in c.secrets})


def _tier_vars(env: pm.EnvironmentPlan, tier: pm.Tier, config: str) -> dict:
    assert env.collectors is not None, "the planner computes every environment's collectors"
    data: dict = {
        "otel_collector_config_src": f"{{{{ playbook_dir }}}}/../collector/{config}",
        "otel_collector_memory_max": _memory(tier),
        "otel_collector_cpu_quota": _cpu_quota(tier.cpu),
        "otel_collector_health_url": f"http://127.0.0.1:{tier.ports.health}/",
        "otel_collector_environment": {},
    }
    data["otel_collector_environment"] = {name: f"{{{{ {_vault_var(name)} }}}}" for name in _secrets(env, config)}
    args = next((c.args for c in env.collectors.configs if c.path == config), ())
    if args:
        data["otel_collector_extra_args"] = list(args)   # e.g. a feature gate the tail sampler needs
    return data


def group_vars(env: pm.EnvironmentPlan, source: str) -> dict[str, str]:
    """group name -> the content of `inventory/group_vars/<group>/tracegen.yml`."""
    _, gateways = _hosts(env)
    vm_agent = next(t for t in env.agents if t.platform == "vm")
    files = {"all": _yaml({
        "otel_collector_version": env.collector_version,
        "otel_collector_binary_src": "",
        "otel_collector_binary_url": "",
        "otel_collector_binary_checksum": "",
        "otel_collector_config_dir": CONFIG_DIR,
        "otel_collector_state_dir": STATE_DIR,
        "otel_collector_tls_src_dir": "{{ playbook_dir }}/tls",
    }, source, comment=(
        "Set where the collector binary comes from, one of:\n"
        "  otel_collector_binary_src: the binary `tracegen collector install` built (copied from here), or\n"
        "  otel_collector_binary_url + otel_collector_binary_checksum (sha256:<hex>).\n"
        "Override in your own inventory or with -e; the role refuses to run until one is set."))}
    if gateways:
        assert env.gateway is not None
        data = _tier_vars(env, env.gateway, "gateway.yaml")
        modes = [m for m, _ in env.tail_sampling.modes] if env.tail_sampling else []
        data["otel_collector_tls_files"] = tls_files(env.transport.gateway_tls)
        data["tracegen_sampling_mode"] = ""
        data["otel_collector_overlay_srcs"] = (
            "{{ [playbook_dir ~ '/../collector/modes/' ~ tracegen_sampling_mode ~ '.yaml'] "
            "if tracegen_sampling_mode else [] }}")
        files[GATEWAYS_GROUP] = _yaml(data, source, comment=(
            "Gateway tier: tail sampling and export to the backends.\n"
            + (f"tracegen_sampling_mode switches the sampling mode ({', '.join(modes)}); empty: the blueprint's own.\n"
               if modes else "")
            + "Credentials come from Ansible Vault: define the vault_* variables below (e.g. with -e @vault.yml)."))
    data = _tier_vars(env, vm_agent, "agent-vm.yaml")
    if env.gateway is not None:
        resolver = env.resolver_for("vm")
        endpoints = list(resolver.hostnames) if resolver and resolver.kind == "static" else (
            [encoding.host_port(resolver.hostname, resolver.port)] if resolver and resolver.hostname else [])
        # Agent -> gateway is mutual TLS (plan/transport.py): the host's certificate, key and the CA.
        data["otel_collector_tls_files"] = tls_files(env.transport.client("vm"))
        data["tracegen_gateway_endpoints"] = endpoints
    else:
        data["tracegen_gateway_endpoints"] = []
    data.update(_app_vars(env))
    files[AGENTS_GROUP] = _yaml(data, source, comment=(
        "Agent tier: one collector per application host, routing each trace by ID to one gateway\n"
        "(the load-balancing exporter lists the gateways in agent-vm.yaml)." if env.gateway is not None else
        "Agent tier: one collector per application host, exporting straight to the backends."))
    return files


def _app_vars(env: pm.EnvironmentPlan) -> dict:
    """What the agent play needs to restart and check the services (see the README)."""
    apps = {s.name: {"unit": s.unit, "health_url": s.health_url or "", "java_agent": java_agent.wanted(s)}
            for s in env.services if s.hosts}
    data: dict = {"tracegen_apps": apps, "tracegen_restart_apps": True, "tracegen_app_service_manager": "systemd"}
    if any(app["java_agent"] for app in apps.values()):
        # Another Maven repository (a mirror) may serve it: the checksum stays the pinned one.
        data["tracegen_java_agent_url"] = java_agent.URL
        data["tracegen_java_agent_checksum"] = f"sha256:{java_agent.SHA256}"
    return data


def host_vars(env: pm.EnvironmentPlan, source: str) -> dict[str, str]:
    """host -> `inventory/host_vars/<host>.yml`: the services that run there."""
    services: dict[str, list[str]] = {}
    for service in env.services:
        for host in service.hosts:
            services.setdefault(host, []).append(service.name)
    return {host: _yaml({"tracegen_services": sorted(names)}, source) for host, names in sorted(services.items())}


def env_file(service: pm.ServicePlan, source: str) -> str:
    lines = [f"# Generated by tracegen from {encoding.comment(source)}. Do not edit: change the blueprint and rebuild.",
             f"# OpenTelemetry SDK settings of {service.name}: systemd EnvironmentFile= format (NAME=value).",
             "# The agents run a traces pipeline only: the SDKs export no metrics or logs over OTLP."]
    lines += [f"{name}={encoding.env_file_value(value)}" for name, value in service.otel_env]
    if java_agent.wanted(service):
        lines += ["# The pinned OpenTelemetry Java agent (site.yml installs it), which reads the OTEL_* variables above.",
                  f"{java_agent.VARIABLE}={encoding.env_file_value(java_agent.tool_options(java_agent.VM_JAR))}"]
    return "\n".join(lines) + "\n"


def _role_play(name: str, hosts: str, batches: list, max_fail: int, batches_var: str, max_fail_var: str) -> dict:
    return {
        "name": name,
        "hosts": hosts,
        "become": True,
        "gather_facts": False,
        "serial": f"{{{{ {batches_var} }}}}",
        "max_fail_percentage": f"{{{{ {max_fail_var} }}}}",
        "vars": {batches_var: batches, max_fail_var: max_fail},
        "roles": [{"role": ROLE}],
    }


def _java_tasks() -> list[dict]:
    """The pinned Java agent on hosts that run a JVM service, before any env file names it."""
    when = "tracegen_services | default([]) | map('extract', tracegen_apps) | selectattr('java_agent') | list | length > 0"
    return [
        {"name": "Create the Java agent's directory",
         "ansible.builtin.file": {"path": java_agent.VM_JAR.rsplit("/", 1)[0], "state": "directory",
                                  "owner": "root", "group": "root", "mode": "0755"},
         "when": when},
        {"name": "Download the OpenTelemetry Java agent (the checksum is verified before the file is put in place)",
         "ansible.builtin.get_url": {"url": "{{ tracegen_java_agent_url }}",
                                     "checksum": "{{ tracegen_java_agent_checksum }}",
                                     "dest": java_agent.VM_JAR, "owner": "root", "group": "root", "mode": "0644"},
         "when": when},
    ]


def _app_tasks(env: pm.EnvironmentPlan) -> list[dict]:
    """After the host's agent is healthy: each service's OTEL_* file and the drop-in that loads it, then
    a restart of each service whose setup changed, health-checked, rolled back by the otel_app role."""
    # Defaults inline, not as play vars: play vars would override the inventory's host_vars.
    service_loop = "{{ tracegen_services | default([]) }}"
    unit = "{{ tracegen_apps[item].unit }}"
    service = "tracegen_service"
    java = [s for s in env.services if s.hosts and java_agent.wanted(s)]
    return [*(_java_tasks() if java else []),
        # Keeps the file it replaces (backup_file): the otel_app role puts it back when the service fails.
        {"name": "Install the OTEL_* environment of the services on this host",
         "ansible.builtin.copy": {"src": f"{ENV_FILE_DIR}/{{{{ item }}}}.env",
                                  "dest": ENV_FILE_DEST.format(service="{{ item }}"),
                                  "owner": "root", "group": "root", "mode": "0644", "backup": True},
         "loop": service_loop, "register": "tracegen_env_files", "notify": "Reload systemd units"},
        {"name": "Create the drop-in directory of each service's unit",
         "ansible.builtin.file": {"path": f"/etc/systemd/system/{unit}.d", "state": "directory",
                                  "owner": "root", "group": "root", "mode": "0755"},
         "loop": service_loop},
        {"name": "Load the OTEL_* environment into each service's unit",
         "ansible.builtin.copy": {
             "content": "[Service]\nEnvironmentFile=" + ENV_FILE_DEST.format(service="{{ item }}") + "\n",
             "dest": f"/etc/systemd/system/{unit}.d/{DROP_IN}", "owner": "root", "group": "root", "mode": "0644"},
         "loop": service_loop, "register": "tracegen_drop_ins", "notify": "Reload systemd units"},
        {"name": "Restart each service whose tracing setup changed, check it and roll it back when unhealthy",
         "ansible.builtin.include_role": {"name": APP_ROLE},
         "loop": ("{{ (tracegen_env_files.results + tracegen_drop_ins.results) | selectattr('changed') "
                  "| map(attribute='item') | unique | list }}"),
         "loop_control": {"loop_var": service},
         "vars": {
             "otel_app_service": f"{{{{ {service} }}}}",
             "otel_app_unit": f"{{{{ tracegen_apps[{service}].unit }}}}",
             "otel_app_health_url": f"{{{{ tracegen_apps[{service}].health_url }}}}",
             "otel_app_env_file": ENV_FILE_DEST.format(service=f"{{{{ {service} }}}}"),
             "otel_app_env_backup": (f"{{{{ tracegen_env_files.results | selectattr('item', 'equalto', {service}) "
                                     "| map(attribute='backup_file', default='') | first | default('') }}"),
             "otel_app_env_created": (f"{{{{ tracegen_env_files.results | selectattr('item', 'equalto', {service}) "
                                      "| selectattr('changed') | rejectattr('backup_file', 'defined') | list | length > 0 }}"),
             "otel_app_service_manager": "{{ tracegen_app_service_manager }}",
         },
         # --check shows the new files; restarting and probing belong to a real run.
         "when": "tracegen_restart_apps | bool and not ansible_check_mode"},
    ]


def playbook(env: pm.EnvironmentPlan) -> list[dict]:
    _, gateways = _hosts(env)
    plays = []
    if gateways:
        plays.append(_role_play("Roll out the gateway tier (before the agents that send to it)", GATEWAYS_GROUP,
                                GATEWAY_BATCHES, GATEWAY_MAX_FAIL, "tracegen_gateway_batches",
                                "tracegen_gateway_max_fail_percentage"))
    play = _role_play("Roll out the agent tier and point the services on each host at it", AGENTS_GROUP,
                      AGENT_BATCHES, AGENT_MAX_FAIL, "tracegen_agent_batches", "tracegen_agent_max_fail_percentage")
    play_roles = play.pop("roles")
    play["pre_tasks"] = [{
        "name": "Wait until the gateways accept connections from this host",
        # host:port with an IPv6 host in brackets (encoding.host_port): wait_for wants the bare address.
        "ansible.builtin.wait_for": {"host": ("{{ item | regex_replace(':[0-9]+$', '') "
                                              "| replace('[', '') | replace(']', '') }}"),
                                     "port": "{{ item | regex_replace('^.*:', '') | int }}", "timeout": 60},
        "loop": "{{ tracegen_gateway_endpoints | default([]) }}",
    }]
    play["roles"] = play_roles
    play["tasks"] = _app_tasks(env)
    play["handlers"] = [{
        "name": "Reload systemd units",
        "ansible.builtin.systemd_service": {"daemon_reload": True},
        "when": "otel_collector_service_manager | default('systemd') == 'systemd'",
    }]
    plays.append(play)
    return plays


def _java_readme(env: pm.EnvironmentPlan) -> dict | None:
    if not any(s.hosts and java_agent.wanted(s) for s in env.services):
        return None
    return {"version": java_agent.VERSION, "jar": java_agent.VM_JAR, "options": java_agent.tool_options(java_agent.VM_JAR)}


def _readme(env: pm.EnvironmentPlan, gateways: dict[str, str], secrets: list[str]) -> str:
    jinja = templating.environment()
    return jinja.get_template(TEMPLATE_FILE_PATH).render(
        env=env, gateways=sorted(gateways), groups=[(_group(g), hosts) for g, hosts in env.vm_groups],
        apps=[s for s in env.services if s.hosts], app_role=APP_ROLE, java=_java_readme(env),
        secrets=[(name, _vault_var(name)) for name in secrets], role=ROLE,
        gateway_batches=GATEWAY_BATCHES, agent_batches=AGENT_BATCHES, gateway_max_fail=GATEWAY_MAX_FAIL,
        agent_max_fail=AGENT_MAX_FAIL, env_dest=ENV_FILE_DEST.format(service="<service>"), drop_in=DROP_IN,
        modes=[m for m, _ in env.tail_sampling.modes] if env.tail_sampling else [],
        tls=env.transport.client("vm"), tls_copied=tls_files(env.transport.client("vm")),
        exposure=encoding.host_port(env.transport.exposure.address, env.transport.exposure.port)
        if env.transport.exposure else None)


def environment(env: pm.EnvironmentPlan, source: str) -> list[Artifact]:
    if not any(t.platform == "vm" for t in env.agents):
        return []
    base = f"{env.name}/ansible"
    _, gateways = _hosts(env)
    artifacts = [
        # Plays and tasks keep Ansible's conventional key order (name first), which ansible-lint checks.
        Artifact(f"{base}/site.yml", "ansible-playbook", _yaml(playbook(env), source, sort_keys=False),
                 environment=env.name),
        Artifact(f"{base}/inventory/hosts.yml", "ansible-inventory", _yaml(inventory(env), source),
                 environment=env.name),
    ]
    for group, content in group_vars(env, source).items():
        role = {GATEWAYS_GROUP: "gateway", AGENTS_GROUP: "agent"}.get(group)
        artifacts.append(Artifact(f"{base}/inventory/group_vars/{group}/tracegen.yml", "ansible-vars", content,
                                  environment=env.name, role=role))
    for host, content in host_vars(env, source).items():
        artifacts.append(Artifact(f"{base}/inventory/host_vars/{host}.yml", "ansible-vars", content,
                                  environment=env.name, role="agent"))
    for service in env.services:
        if service.hosts:
            artifacts.append(Artifact(f"{base}/{ENV_FILE_DIR}/{service.name}.env", "sdk-env",
                                      env_file(service, source), environment=env.name, service=service.name,
                                      language=service.language))
    secrets = _secrets(env, "agent-vm.yaml", *(["gateway.yaml"] if gateways else []))   # the VM tiers' own
    artifacts.append(Artifact(f"{base}/README.md", "docs", _readme(env, gateways, secrets), environment=env.name))
    return artifacts


def build(plan: pm.Plan) -> list[Artifact]:
    return [a for env in plan.environments for a in environment(env, plan.source_file)]
