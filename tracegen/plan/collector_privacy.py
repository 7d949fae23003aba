"""Agent-side processors that enrich spans and strip what must not leave the node: PII, secrets in
values, SQL literals, high-cardinality keys."""

from __future__ import annotations

import json
import re

from tracegen.plan import model as pm
from tracegen.plan import collector_common as cc

# The redaction processor's `db_sanitizer` (a real SQL obfuscator) exists from contrib 0.135.0;
# older collectors get the transform processor's regex fallback.
DB_SANITIZER_SINCE = "0.135.0"
# The query attribute under current semantic conventions, and its deprecated name.
SQL_ATTRIBUTES = ("db.query.text", "db.statement")
K8S_NODE_ENV = "K8S_NODE_NAME"
K8S_METADATA = ("k8s.namespace.name", "k8s.pod.name", "k8s.pod.uid", "k8s.pod.start_time",
                "k8s.deployment.name", "k8s.node.name")
# Literals in SQL: quoted strings, then numbers that stand alone (not parts of identifiers).
SQL_LITERAL_PATTERNS = (r"'(?:[^']|'')*'", r"\b[0-9]+(?:\.[0-9]+)?\b")


def k8s_attributes() -> dict:
    return {
        "auth_type": "serviceAccount",
        "passthrough": False,
        "filter": {"node_from_env_var": K8S_NODE_ENV},
        "extract": {"metadata": list(K8S_METADATA)},
        "pod_association": [
            {"sources": [{"from": "resource_attribute", "name": "k8s.pod.ip"}]},
            {"sources": [{"from": "resource_attribute", "name": "k8s.pod.uid"}]},
            {"sources": [{"from": "connection"}]},
        ],
    }


def resource_detection() -> dict:
    return {"detectors": ["env", "system"], "timeout": "2s", "override": False}


def resource(env: pm.EnvironmentPlan) -> dict:
    return {"attributes": [{"key": key, "value": value, "action": "upsert"}
                           for key, value in env.resource_attributes]}


def attributes(privacy: pm.Privacy) -> dict | None:
    """Delete and hash PII, drop high-cardinality keys (the attributes processor hashes with SHA-256)."""
    actions = [{"key": key, "action": "delete"} for key in sorted(set(privacy.delete_keys) | set(privacy.drop_keys))]
    actions += [{"key": key, "action": "hash"} for key in privacy.hash_keys]
    return {"actions": actions} if actions else None


def _uses_db_sanitizer(privacy: pm.Privacy, collector_version: str) -> bool:
    return privacy.sanitize_sql and cc.version_at_least(collector_version, DB_SANITIZER_SINCE)


def redaction(privacy: pm.Privacy, collector_version: str) -> dict | None:
    """Mask values of PII keys and values that look like secrets; sanitise SQL where supported."""
    sql = _uses_db_sanitizer(privacy, collector_version)
    if not (privacy.mask_keys or privacy.blocked_value_patterns or sql):
        return None
    config: dict = {
        # Keep every key: deletion is the attributes processor's job, this one only masks.
        "allow_all_keys": True,
        # No summary attributes: they would add keys (and name the masked ones) on every span.
        "summary": "silent",
    }
    if privacy.mask_keys:
        config["blocked_key_patterns"] = [f"^{re.escape(key)}$" for key in privacy.mask_keys]
    if privacy.blocked_value_patterns:
        config["blocked_values"] = list(privacy.blocked_value_patterns)
    if sql:
        # Fires on CLIENT/SERVER spans that carry db.system(.name), as database instrumentation does.
        config["db_sanitizer"] = {"sql": {"enabled": True, "attributes": list(SQL_ATTRIBUTES)}}
    return config


def sql_transform(privacy: pm.Privacy, collector_version: str) -> dict | None:
    """Regex fallback for collectors whose redaction processor cannot sanitise SQL."""
    if not privacy.sanitize_sql or _uses_db_sanitizer(privacy, collector_version):
        return None
    statements = [f'replace_pattern(attributes[{json.dumps(attribute)}], {json.dumps(pattern)}, "?")'
                  for attribute in SQL_ATTRIBUTES for pattern in SQL_LITERAL_PATTERNS]
    return {"error_mode": "ignore", "trace_statements": [{"context": "span", "statements": statements}]}


def processors(c: cc.Components, env: pm.EnvironmentPlan, tier: pm.Tier) -> list[tuple[str, dict]]:
    """The agent's processors after memory_limiter, in pipeline order."""
    chain: list[tuple[str, dict]] = []
    if tier.platform == "kubernetes":
        chain.append((c.name(cc.K8S_ATTRIBUTES), k8s_attributes()))
    elif tier.platform == "vm":
        chain.append((c.name(cc.RESOURCE_DETECTION), resource_detection()))
    if env.resource_attributes:
        chain.append((c.name(cc.RESOURCE), resource(env)))
    if (config := attributes(env.privacy)) is not None:
        chain.append((c.name(cc.ATTRIBUTES, "pii"), config))
    if (config := redaction(env.privacy, env.collector_version)) is not None:
        chain.append((c.name(cc.REDACTION, "pii"), config))
    if (config := sql_transform(env.privacy, env.collector_version)) is not None:
        chain.append((c.name(cc.TRANSFORM, "sql"), config))
    return chain
