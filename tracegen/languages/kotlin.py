"""Kotlin on the JVM: the Java agent path (the agent instruments JVM bytecode whatever language
compiled it; the generated helpers are Java classes Kotlin calls as they are). The CPU figure is the
Java agent's measured one: the same agent does the same work."""

from tracegen.languages.base import Language
from tracegen.languages.java import JAVA_AGENT

LANGUAGE = Language(name="kotlin", summary="Java agent 2.x (Kotlin on the JVM)",
                    **{**JAVA_AGENT, "recording_cpu_source": "the Java agent's figure, measured by "
                                                              "scripts/bench_overhead.py"})
