"""Java services: the OpenTelemetry Java agent 2.x route, under `sdk/<service>/` (every environment).

- `pom.xml` (sdk-deps): a small Maven module `<service>-tracing` that imports the instrumentation
  BOM (so opentelemetry-api and -instrumentation-annotations match the agent), holds the helpers
  below, and copies the agent jar from Maven Central to `target/otel/opentelemetry-javaagent.jar`.
- `otel-javaagent.properties`: the agent's settings that are the same in every environment (service
  name, shared resource attributes, propagators, OTLP http/protobuf; the sampler and endpoint at the
  OpenTelemetry defaults, which each environment's OTEL_* variables override),
  log correlation (trace_id/span_id in the logback MDC) and the instrumentations for the messaging
  systems and datastores the service declares. Traces only: the collectors run no metrics or logs
  pipeline, so the agent's metrics and logs exporters are off.
- `jvm-flags.txt` (a `java @argfile`) and `run-with-otel.sh`: `-javaagent` plus the properties file.
- `otel-config.yaml`: the same settings as declarative configuration (file_format 1.0), for
  `-Dotel.config.file=` (agent 2.26+; the agent still calls its support experimental).
- `logback.xml`: a console pattern that prints trace_id and span_id.
- `src/main/java/.../TracingMessaging.java` (services with messaging): inject/extract W3C context
  in message headers for transports the agent does not instrument, and producer/consumer spans.
- `src/main/java/.../TracingMetrics.java`: a Prometheus client_java 1.x histogram; under the agent
  it attaches the current trace_id/span_id as exemplars by itself.
- `README.md`: how to adopt it.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from jinja2 import Environment

from tracegen import encoding
from tracegen.plan import model as pm
from tracegen.targets import templating
from tracegen.targets.artifact import Artifact
from tracegen.plan.otel_env import ratio_text, resource_attributes_text
from tracegen.targets.sdk import common, declarative
from tracegen.targets.sdk.common import MESSAGING_SYSTEMS
from tracegen.versions import SDK_VERSIONS_JAVA as V

TEMPLATE_DIR = "sdk/java"
AGENT_JAR = "target/otel/opentelemetry-javaagent.jar"
PROPERTIES = "otel-javaagent.properties"
DECLARATIVE = declarative.FILE_NAME
GROUP_ID = "tracing.generated"

# The agent instrumentations (otel.instrumentation.<name>.enabled) behind each declared system.
MESSAGING_INSTRUMENTATIONS = {
    "kafka": ("kafka",), "rabbitmq": ("rabbitmq",), "sqs": ("aws-sdk",),
}
SPRING_MESSAGING = {"kafka": ("spring-kafka",), "rabbitmq": ("spring-rabbit",)}
DATASTORE_INSTRUMENTATIONS = {
    "postgres": ("jdbc",), "mysql": ("jdbc",), "mssql": ("jdbc",), "oracle": ("jdbc",), "sqlite": ("jdbc",),
    "redis": ("jedis", "lettuce"), "mongodb": ("mongo",), "memcached": ("spymemcached",),
}
SQL_DATASTORES = {"postgres", "mysql", "mssql", "oracle", "sqlite"}
LOG_PATTERN = ("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{36} "
               "trace_id=%X{trace_id} span_id=%X{span_id} trace_flags=%X{trace_flags} - %msg%n")


def _constant(text: str) -> str:
    name = re.sub(r"[^A-Z0-9]+", "_", text.upper()).strip("_")
    return f"_{name}" if name[:1].isdigit() else name


def java_package(service: pm.ServicePlan) -> str:
    ident = re.sub(r"[^a-z0-9_]", "_", service.name.lower())
    return f"tracing.{'_' + ident if ident[0].isdigit() else ident}"


def artifact_id(service: pm.ServicePlan) -> str:
    return f"{service.name}-tracing"


def agent_settings(code: common.ServiceCode) -> list[tuple[str, str]]:
    """(key, value) for otel-javaagent.properties, in a stable order. The agent reads the OTEL_*
    variables over this file, so each environment's otel.env (or env patch) sets its own sampler,
    endpoint, propagators and deployment.environment.name."""
    service = code.service
    settings = [
        ("otel.service.name", service.name),
        ("otel.resource.attributes", resource_attributes_text(service)),
        ("otel.propagators", ",".join(service.propagators)),
        ("otel.traces.sampler", service.sampler),
        ("otel.traces.exporter", "otlp"),
        ("otel.exporter.otlp.protocol", service.otlp_protocol),
        ("otel.exporter.otlp.endpoint", service.otlp_endpoint),
        ("otel.metrics.exporter", "none"),
        ("otel.logs.exporter", "none"),
        ("otel.instrumentation.logback-mdc.enabled", "true"),
        ("otel.instrumentation.log4j-context-data.enabled", "true"),
    ]
    names: list[str] = []
    systems = sorted({system for system, _ in service.produces + service.consumes})
    for system in systems:
        names += MESSAGING_INSTRUMENTATIONS.get(system, ())
        if service.framework == "spring":
            names += SPRING_MESSAGING.get(system, ())
    for store in sorted(set(service.datastores)):
        names += DATASTORE_INSTRUMENTATIONS.get(store, ())
    settings += [(f"otel.instrumentation.{name}.enabled", "true") for name in sorted(set(names))]
    if "kafka" in systems:
        settings.append(("otel.instrumentation.kafka.producer-propagation.enabled", "true"))
    if "sqs" in systems:
        settings.append(("otel.instrumentation.aws-sdk.experimental-use-propagator-for-messaging", "true"))
    if SQL_DATASTORES & set(service.datastores):
        settings.append(("otel.instrumentation.common.db.query-sanitization.enabled",
                         "true" if code.sanitize_sql else "false"))
    return settings


def _properties(code: common.ServiceCode) -> str:
    lines = [f"# Generated by tracegen (blueprint {code.blueprint}), the same for every environment. Do not edit:",
             "# change the blueprint and rebuild. System properties and OTEL_* variables override these.",
             *(f"{encoding.properties_key(key)}={encoding.properties_value(value)}"
               for key, value in agent_settings(code))]
    return "\n".join(lines) + "\n"


def _element(parent: ET.Element, tag: str, text: str | None = None, **children: str) -> ET.Element:
    node = ET.SubElement(parent, tag)
    if text is not None:
        node.text = text
    for child, value in children.items():
        ET.SubElement(node, child).text = value
    return node


def _xml(root: ET.Element, comment: str) -> str:
    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<!-- {comment} -->\n{body}\n'


def _plugin(plugins: ET.Element, artifact: str, version: str) -> ET.Element:
    return _element(plugins, "plugin", groupId="org.apache.maven.plugins", artifactId=artifact, version=version)


def _pom(blueprint: str, service: pm.ServicePlan) -> str:
    ns = "http://maven.apache.org/POM/4.0.0"
    project = ET.Element("project", {
        "xmlns": ns, "xmlns:xsi": "http://www.w3.org/2001/XMLSchema-instance",
        "xsi:schemaLocation": f"{ns} https://maven.apache.org/xsd/maven-4.0.0.xsd"})
    _element(project, "modelVersion", "4.0.0")
    _element(project, "groupId", GROUP_ID)
    _element(project, "artifactId", artifact_id(service))
    _element(project, "version", service.version)
    _element(project, "packaging", "jar")
    _element(project, "name", f"{service.name} tracing")
    props = _element(project, "properties")
    for key, value in (("maven.compiler.release", V["java-release"]),
                       ("project.build.sourceEncoding", "UTF-8"),
                       ("otel.javaagent.version", V["opentelemetry-javaagent"]),
                       ("otel.instrumentation.version", V["opentelemetry-instrumentation-bom"]),
                       ("prometheus.metrics.version", V["prometheus-metrics"])):
        _element(props, key, value)
    managed = _element(_element(project, "dependencyManagement"), "dependencies")
    _element(managed, "dependency", groupId="io.opentelemetry.instrumentation",
             artifactId="opentelemetry-instrumentation-bom", version="${otel.instrumentation.version}",
             type="pom", scope="import")
    deps = _element(project, "dependencies")
    # Versions from the BOM: the application's API calls go to the agent's SDK, so they must match it.
    _element(deps, "dependency", groupId="io.opentelemetry", artifactId="opentelemetry-api")
    _element(deps, "dependency", groupId="io.opentelemetry.instrumentation",
             artifactId="opentelemetry-instrumentation-annotations")
    _element(deps, "dependency", groupId="io.prometheus", artifactId="prometheus-metrics-core",
             version="${prometheus.metrics.version}")
    plugins = _element(_element(project, "build"), "plugins")
    _plugin(plugins, "maven-compiler-plugin", V["maven-compiler-plugin"])
    _plugin(plugins, "maven-resources-plugin", V["maven-resources-plugin"])
    _plugin(plugins, "maven-jar-plugin", V["maven-jar-plugin"])
    copy = _plugin(plugins, "maven-dependency-plugin", V["maven-dependency-plugin"])
    execution = _element(_element(copy, "executions"), "execution", id="copy-opentelemetry-javaagent",
                         phase="generate-resources")
    _element(_element(execution, "goals"), "goal", "copy")
    config = _element(execution, "configuration")
    item = _element(_element(config, "artifactItems"), "artifactItem", groupId="io.opentelemetry.javaagent",
                    artifactId="opentelemetry-javaagent", version="${otel.javaagent.version}", type="jar")
    _element(item, "outputDirectory", "${project.build.directory}/otel")
    _element(item, "destFileName", "opentelemetry-javaagent.jar")
    _element(config, "overWriteReleases", "false")
    return _xml(project, f"Generated by tracegen (blueprint {blueprint}), the same for every environment. "
                         "Do not edit: change the blueprint and rebuild.")


def _logback(blueprint: str) -> str:
    root = ET.Element("configuration")
    appender = ET.SubElement(root, "appender", {"name": "CONSOLE", "class": "ch.qos.logback.core.ConsoleAppender"})
    _element(ET.SubElement(appender, "encoder"), "pattern", LOG_PATTERN)
    ET.SubElement(ET.SubElement(root, "root", {"level": "INFO"}), "appender-ref", {"ref": "CONSOLE"})
    return _xml(root, f"Generated by tracegen (blueprint {blueprint}). The Java agent puts trace_id, "
                      "span_id and trace_flags into the MDC of every log event inside a span.")


def _jinja() -> Environment:
    return templating.environment((("java_string", encoding.java_string), ("comment", encoding.comment)))


def files(code: common.ServiceCode) -> list[Artifact]:
    service = code.service
    package = java_package(service)
    source_dir = f"src/main/java/{package.replace('.', '/')}"
    messaging = sorted({system for system, _ in service.produces + service.consumes})
    jinja = _jinja()
    destinations = sorted({(_constant(f"{system}_{topic}"), system, topic)
                           for system, topic in service.produces + service.consumes})
    systems = [(_constant(f"system_{system}"), MESSAGING_SYSTEMS[system]) for system in messaging]
    context = dict(blueprint=code.blueprint, service=service, package=package, messaging=messaging,
                   destinations=destinations, systems=systems,
                   produces=sorted(set(service.produces)), consumes=sorted(set(service.consumes)),
                   agent_jar=AGENT_JAR, properties=PROPERTIES, declarative=DECLARATIVE,
                   artifact_id=artifact_id(service), group_id=GROUP_ID, versions=V,
                   ratio=ratio_text(service.sampler_ratio), settings=agent_settings(code))

    def render(name: str) -> str:
        return jinja.get_template(f"{TEMPLATE_DIR}/{name}.j2").render(**context)

    flags = f"-javaagent:{AGENT_JAR}\n-Dotel.javaagent.configuration-file={PROPERTIES}\n"
    out = [
        common.artifact(code, "pom.xml", "sdk-deps", _pom(code.blueprint, service)),
        common.artifact(code, PROPERTIES, "sdk-code", _properties(code)),
        common.artifact(code, "jvm-flags.txt", "sdk-code", flags),
        common.artifact(code, "run-with-otel.sh", "sdk-code", render("run-with-otel.sh"), executable=True),
        common.declarative_artifact(code, source=f"blueprint {code.blueprint}"),
        common.artifact(code, "logback.xml", "sdk-code", _logback(code.blueprint)),
        common.artifact(code, f"{source_dir}/TracingMetrics.java", "sdk-code", render("TracingMetrics.java")),
        common.artifact(code, "README.md", "docs", render("README.md")),
    ]
    if messaging:
        out.append(common.artifact(code, f"{source_dir}/TracingMessaging.java", "sdk-code", render("TracingMessaging.java")))
    return out
