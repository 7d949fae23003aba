"""Exporters: one per backend (the same builder serves the gateway and a gateway-less agent), and the
agents' trace-ID load balancer in front of the gateway tier."""

from __future__ import annotations

from tracegen import backends, secrets
from tracegen.errors import RefusedError
from tracegen.plan import model as pm
from tracegen.plan import collector_common as cc
from tracegen.plan import transport

# Where collectors on VMs find their TLS material (the Ansible role copies files there), and where a
# Kubernetes collector finds the operator's own otel-collector-tls Secret (e.g. a backend's CA).
TLS_DIRECTORY = "/etc/otelcol/tls"


def server_tls(files: pm.TlsFiles) -> dict:
    """An OTLP receiver that requires and verifies client certificates (configtls.ServerConfig)."""
    tls = {"cert_file": files.cert_file, "key_file": files.key_file, "client_ca_file": files.ca_file}
    if files.reload:
        tls.update({"reload_interval": transport.RELOAD_INTERVAL, "client_ca_file_reload": True})
    return tls


def client_tls(files: pm.TlsFiles, server_name: str | None = None) -> dict:
    """An exporter that verifies the gateway against the CA and presents its own certificate
    (configtls.ClientConfig)."""
    tls: dict = {"insecure": False, "cert_file": files.cert_file, "key_file": files.key_file,
                 "ca_file": files.ca_file}
    if server_name:
        tls["server_name_override"] = server_name
    if files.reload:
        tls["reload_interval"] = transport.RELOAD_INTERVAL
    return tls


class SecretInConfig(RefusedError):
    """A credential would be written into a collector config as a literal."""


def _require_reference(exporter: pm.Exporter, what: str, value: str) -> None:
    if not secrets.is_header_reference(value):
        raise SecretInConfig(
            f"backend '{exporter.name}': {what} must be an environment reference like "
            "${env:NAME}, never the secret itself; tracegen will not write it into a config")


def _tls(exporter: pm.Exporter) -> dict:
    tls: dict = {"insecure": exporter.insecure}
    if exporter.ca_file:
        tls["ca_file"] = exporter.ca_file
    if exporter.server_name:
        tls["server_name_override"] = exporter.server_name
    return tls


def backend(c: cc.Components, exporter: pm.Exporter, queue: dict) -> tuple[str, dict]:
    """(name, config) of the exporter that delivers to one backend."""
    for key, value in exporter.headers:
        # The build guard applies the one policy (tracegen.secrets) that TG503 and the model apply.
        if secrets.secret_name(key) or secrets.secret_value(value):
            _require_reference(exporter, f"header {key}", value)
    common = {"retry_on_failure": cc.retry(), "sending_queue": queue, "timeout": "10s"}
    # Every backend speaks OTLP: jaeger (its own exporter is gone), tempo, honeycomb, datadog (OTLP
    # intake, HTTP only) and generic otlp.
    config = {**common, "tls": _tls(exporter)}
    if exporter.headers:
        config["headers"] = dict(exporter.headers)
    if exporter.protocol == "http":
        # The backend type knows its URL shape: a whole traces URL goes into traces_endpoint (used
        # as written), a base URL into endpoint (the exporter appends /v1/traces).
        config.update(backends.get(exporter.backend_type).http_fields(exporter.endpoint, exporter.insecure))
        return c.name(cc.OTLP_HTTP, exporter.name), config
    config["endpoint"] = exporter.endpoint
    return c.name(cc.OTLP_GRPC, exporter.name), config


def attribute_mapping(c: cc.Components, env: pm.EnvironmentPlan) -> tuple[str, dict] | None:
    """A migration away from a vendor's resource names: insert each semantic-convention key from the
    vendor's key where only that is set (never overwriting). It sits in the exporting pipeline, which
    every backend shares: the collector's `forward` connector, which would give the new backend a
    pipeline of its own, is not served by the module proxy at the pinned version
    (components.PROXY_GAPS), and an insert-only mapping gives the old backend nothing it does not
    already derive itself."""
    if not env.attribute_mapping:
        return None
    return c.name(cc.RESOURCE, "migration"), {"attributes": [
        {"key": semconv, "from_attribute": vendor, "action": "insert"} for semconv, vendor in env.attribute_mapping]}


def debug(c: cc.Components) -> tuple[str, dict]:
    """Stand-in when an environment names no backend: a pipeline needs an exporter."""
    return c.name(cc.DEBUG), {"verbosity": "basic"}


def _resolver(resolver: pm.Resolver) -> dict:
    if resolver.kind == "k8s":
        return {"k8s": {"service": resolver.service, "ports": [resolver.port]}}
    if resolver.kind == "dns":
        return {"dns": {"hostname": resolver.hostname, "port": str(resolver.port)}}
    if not resolver.hostnames:
        raise RefusedError("the agents' static resolver has no gateway addresses (the gateway tier "
                            "runs on a platform whose instances are not listed)")
    return {"static": {"hostnames": list(resolver.hostnames)}}


def load_balancer(c: cc.Components, resolver: pm.Resolver, env: pm.EnvironmentPlan, tier: pm.Tier,
                  queue: dict) -> tuple[str, dict]:
    """Route every span of a trace to the same gateway instance, so tail sampling sees it whole."""
    files = env.transport.client(tier.platform)
    # Mutual TLS wherever the hop leaves a host or the cluster (plan/transport.py); plaintext only on
    # loopback, on the pod network, or where the blueprint turned TLS off (TG512).
    tls = client_tls(files, env.transport.server_name) if files else {"insecure": True}
    config = {
        "routing_key": "traceID",
        "resolver": _resolver(resolver),
        # The balancer's own retry and (persistent) queue: a failed send comes back here and is
        # re-routed over the current ring, so a gateway that scaled away does not strand data.
        "retry_on_failure": cc.retry(),
        "sending_queue": queue,
        "timeout": "10s",
        "protocol": {"otlp": {
            "tls": tls,
            "timeout": "5s",
            # Per-gateway exporters fail fast and hand failures back to the balancer above.
            "retry_on_failure": {"enabled": False},
            "sending_queue": {"enabled": False},
        }},
    }
    return c.name(cc.LOAD_BALANCING), config
