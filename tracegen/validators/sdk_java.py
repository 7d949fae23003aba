"""Java SDK output checked by Maven and the real Java agent, in a scratch copy of the module.

`mvn compile` resolves the instrumentation BOM and the agent jar (from ~/.m2, then Maven Central when
something is missing), copies the agent to target/otel/ and compiles the helpers with javac. Then a
trivial main class starts under the agent three ways: `java @jvm-flags.txt` (the flags and the
properties file), `run-with-otel.sh`, and `-Dotel.config.file=otel-config.yaml` (the declarative
configuration); the agent refuses a bad setting by printing "OpenTelemetry Javaagent failed to
start". logback.xml is only read by logback: tests/e2e/test_sdk_java.py runs it in a Spring Boot app.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

from tracegen.validators import Check

NAME = "mvn compile"
AGENT = "java agent"
TIMEOUT_S = 1200
RUN_TIMEOUT_S = 120
AGENT_JAR = "target/otel/opentelemetry-javaagent.jar"
# Maven's words when an artifact is not in the local repository and it may not (or cannot) fetch it.
_UNRESOLVED = re.compile(r"offline mode|Could not resolve|Could not transfer|has not been downloaded|"
                         r"Cannot access .* in offline|Non-resolvable", re.IGNORECASE)
_MAIN = "TracegenAgentCheck"
_MAIN_SOURCE = (f"public class {_MAIN} {{ public static void main(String[] a) "
                f'{{ System.out.println("{_MAIN} ran"); }} }}\n')
_AGENT_FAILED = "OpenTelemetry Javaagent failed to start"


def _env() -> dict[str, str]:
    # The files under test, not the caller's OTEL_* variables, must decide.
    return {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "JAVA_TOOL_OPTIONS"))}


def _run(command: list[str], folder: Path, timeout_s: int) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=timeout_s,
                          stdin=subprocess.DEVNULL, env=_env())


def _mvn(mvn: str, folder: Path, offline: bool) -> subprocess.CompletedProcess:
    return _run([mvn, "-B", "-q", "-Dstyle.color=never", *(["-o"] if offline else []), "compile"], folder, TIMEOUT_S)


def _tail(result: subprocess.CompletedProcess, lines: int = 40) -> str:
    return "\n".join((result.stdout + result.stderr).strip().splitlines()[-lines:])


def _agent_verdict(result: subprocess.CompletedProcess) -> tuple[str, str]:
    output = result.stdout + result.stderr
    if result.returncode != 0 or _AGENT_FAILED in output or f"{_MAIN} ran" not in output:
        lines = [line for line in output.splitlines() if not line.lstrip().startswith(("at ", "..."))]
        return "fail", "\n".join(lines[-15:])
    warnings = [line.split(" - ", 1)[-1] for line in output.splitlines() if "] WARN " in line]
    return "ok", "the agent started with it" + (": " + "; ".join(warnings) if warnings else "")


def check(directory: Path, service_dir: str, entries: list[dict]) -> Iterator[Check]:
    by_name = {e["path"].rsplit("/", 1)[-1]: e for e in entries}
    compiled = [e for e in entries if e["kind"] == "sdk-deps" or e["path"].endswith(".java")]
    runtime = [(by_name[name], how) for name, how in (
        ("jvm-flags.txt", ["java", "@jvm-flags.txt"]),
        ("otel-javaagent.properties", ["java", "@jvm-flags.txt"]),
        ("run-with-otel.sh", ["sh", "run-with-otel.sh"]),
        ("otel-config.yaml", ["java", f"-javaagent:{AGENT_JAR}", "-Dotel.config.file=otel-config.yaml"]),
    ) if name in by_name]
    mvn, javac = shutil.which("mvn"), shutil.which("javac")
    if not mvn or not javac or not shutil.which("java"):
        for entry in compiled + [e for e, _ in runtime]:
            yield Check(entry["path"], NAME, "skip", "needs Maven (mvn) and a JDK (java, javac) on PATH")
        return
    if "pom.xml" not in by_name:
        return
    with tempfile.TemporaryDirectory(prefix="tracegen-java-") as scratch:
        folder = Path(scratch) / "module"
        shutil.copytree(directory / service_dir, folder)
        try:
            result = _mvn(mvn, folder, offline=True)
            if result.returncode != 0 and _UNRESOLVED.search(result.stdout + result.stderr):
                result = _mvn(mvn, folder, offline=False)   # first run: fetch into ~/.m2
        except subprocess.TimeoutExpired:
            for entry in compiled:
                yield Check(entry["path"], NAME, "fail", f"mvn compile took over {TIMEOUT_S}s")
            return
        output = result.stdout + result.stderr
        if result.returncode != 0 and _UNRESOLVED.search(output) and "COMPILATION ERROR" not in output:
            for entry in compiled + [e for e, _ in runtime]:
                yield Check(entry["path"], NAME, "skip", "dependencies unavailable (offline, Maven Central "
                            "unreachable):\n" + _tail(result, 10))
            return
        agent_copied = (folder / AGENT_JAR).is_file()
        ok = result.returncode == 0 and agent_copied
        detail = ("compiled; the agent jar resolved and copied" if ok else
                  _tail(result) if result.returncode else f"built, but the agent jar was not copied to {AGENT_JAR}")
        for entry in compiled:
            yield Check(entry["path"], NAME, "ok" if ok else "fail", detail)
        if not ok:
            return
        yield from _run_under_agent(javac, folder, Path(scratch) / "main", runtime)


def _run_under_agent(javac: str, folder: Path, classes: Path, runtime: list[tuple[dict, list[str]]]) -> Iterator[Check]:
    classes.mkdir()
    (classes / f"{_MAIN}.java").write_text(_MAIN_SOURCE, encoding="utf-8")
    built = _run([javac, "-d", str(classes), str(classes / f"{_MAIN}.java")], classes, RUN_TIMEOUT_S)
    if built.returncode != 0:
        for entry, _ in runtime:
            yield Check(entry["path"], AGENT, "fail", "javac of the check class failed:\n" + _tail(built))
        return
    verdicts: dict[tuple[str, ...], tuple[str, str]] = {}
    for entry, how in runtime:
        key = tuple(how)
        if key not in verdicts:
            try:
                verdicts[key] = _agent_verdict(_run([*how, "-cp", str(classes), _MAIN], folder, RUN_TIMEOUT_S))
            except subprocess.TimeoutExpired:
                verdicts[key] = ("fail", f"{' '.join(how)} did not finish in {RUN_TIMEOUT_S}s")
        status, detail = verdicts[key]
        yield Check(entry["path"], AGENT, status, f"{' '.join(how)}: {detail}")
