"""Scala on the JVM: the Java agent path, as Kotlin (tracegen/languages/kotlin.py)."""

from tracegen.languages.base import Language
from tracegen.languages.java import JAVA_AGENT

LANGUAGE = Language(name="scala", summary="Java agent 2.x (Scala on the JVM)",
                    **{**JAVA_AGENT, "recording_cpu_source": "the Java agent's figure, measured by "
                                                              "scripts/bench_overhead.py"})
