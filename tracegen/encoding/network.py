"""Network addresses in output: `host:port` as a URL authority, a gRPC target or a collector
`endpoint`. An IPv6 literal needs brackets there (RFC 3986 section 3.2.2; Go's net.JoinHostPort),
where an inventory, a TLS name or a resolver's hostname keeps it bare."""

from __future__ import annotations


def host_port(host: str, port: int | str) -> str:
    """`host:port`, with an IPv6 literal in brackets (a host already in brackets is kept)."""
    if ":" in host and not host.startswith("["):
        host = f"[{host}]"
    return f"{host}:{port}"
