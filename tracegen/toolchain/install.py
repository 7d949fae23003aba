"""`python3 -m tracegen.toolchain.install collector|jaeger [VERSION]`: build a tool the end-to-end
tests need into the cache (scripts/install-collector-tools.sh and scripts/install-jaeger.sh call
this). Re-running reuses the cache and takes a second; exit 1 with one line when the build fails."""

from __future__ import annotations

import sys
import time

from tracegen.errors import ToolError


def _collector(version: str | None, progress) -> tuple[str, object]:
    from tracegen.toolchain import collector
    from tracegen.versions import COLLECTOR_VERSION

    version = version or COLLECTOR_VERSION
    return f"collector {version} test distribution", collector.build_test_distribution(version, progress=progress)


def _jaeger(version: str | None, progress) -> tuple[str, object]:
    from tracegen.toolchain import jaeger
    from tracegen.versions import JAEGER_VERSION

    version = version or JAEGER_VERSION
    return f"Jaeger {jaeger.release_name(version)} (module {version})", jaeger.ensure_jaeger(version, progress=progress)


TOOLS = {"collector": _collector, "jaeger": _jaeger}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in TOOLS or len(argv) > 2:
        print(f"usage: python3 -m tracegen.toolchain.install {{{'|'.join(TOOLS)}}} [VERSION]", file=sys.stderr)
        return 2
    start = time.monotonic()
    try:
        what, binary = TOOLS[argv[0]](argv[1] if len(argv) > 1 else None, lambda line: print(line, flush=True))
    except ToolError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{what}: {binary} ({time.monotonic() - start:.0f}s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
