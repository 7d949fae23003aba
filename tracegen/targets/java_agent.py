"""The OpenTelemetry Java agent as the VM rollout and the Kubernetes Components attach it to a JVM
they did not build: a pinned jar (tracegen/versions.py) and `JAVA_TOOL_OPTIONS=-javaagent:<jar>`,
which every JVM reads at start-up, so no start script or image has to change. The agent then reads
the service's OTEL_* variables (plan/otel_env.py).

`JAVA_TOOL_OPTIONS` replaces whatever the service had in that variable; a service that already
starts with `-javaagent` (e.g. tracegen's own Java SDK output) must not get a second agent."""

from __future__ import annotations

from tracegen import languages, versions
from tracegen.plan import model as pm

LANGUAGE = "java"
VERSION = versions.SDK_VERSIONS_JAVA["opentelemetry-javaagent"]
SHA256 = versions.JAVA_AGENT_SHA256[VERSION]
# Maven Central's layout: <repository>/<group as path>/<artifact>/<version>/<artifact>-<version>.jar.
MAVEN_REPOSITORY = "https://repo.maven.apache.org/maven2"
JAR = f"{versions.JAVA_AGENT_ARTIFACT}-{VERSION}.jar"
URL = (f"{MAVEN_REPOSITORY}/{versions.JAVA_AGENT_GROUP.replace('.', '/')}/{versions.JAVA_AGENT_ARTIFACT}/"
       f"{VERSION}/{JAR}")
# On VMs each version has its own directory, so the previous env file (kept for rollback) still names
# a jar that is there.
VM_DIRECTORY = "/opt/opentelemetry-javaagent"
VM_JAR = f"{VM_DIRECTORY}/{VERSION}/{versions.JAVA_AGENT_ARTIFACT}.jar"
# In pods: the Operator's image holds the agent at /javaagent.jar; an init container copies it into an
# emptyDir mounted here in the app container.
IMAGE = f"{versions.JAVA_AGENT_IMAGE}:{versions.JAVA_AGENT_IMAGE_VERSION}"
IMAGE_JAR = "/javaagent.jar"
POD_DIRECTORY = "/otel-auto-instrumentation-java"
POD_JAR = f"{POD_DIRECTORY}/javaagent.jar"
VARIABLE = "JAVA_TOOL_OPTIONS"


def wanted(service: pm.ServicePlan) -> bool:
    """JVM languages (Java, Kotlin, Scala: languages.Language.sdk_output), unless the Operator injects
    the agent (sdk.mode operator), which would make it a second one."""
    return languages.get(service.language).sdk_output == LANGUAGE and service.sdk_mode != "operator"


def tool_options(jar: str) -> str:
    return f"-javaagent:{jar}"
