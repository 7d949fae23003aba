"""Encoders: one function per output language context, the only way blueprint text reaches output.

Validation (tracegen.blueprint.model) already refuses control characters and restricts names,
hosts, topics and URLs; these encoders are the second wall, so that even a value validation let
through comes back from the consumer as the same data and never as code.

- `network`: `host:port` joins (IPv6 literals in brackets).
- `text`: what counts as an unsafe character, and terminal-safe messages.
- `code`: string literals of JavaScript, Java, Go, Python, Rust and TOML, and comment text.
- `config`: java.util.Properties, shell words, environment files (systemd EnvironmentFile= and POSIX `sh` read them
  alike), collector config (`$` -> `$$`), SDK declarative config (`$` -> `$$`) and Prometheus alert
  templates (`{{` -> `{{ "{{" }}`).

Ansible needs no encoder: no blueprint text reaches a place Jinja evaluates, because everything
the Ansible target writes from the blueprint is a validated name, host or address (the env files it
copies are not templated); tests/injection/test_ansible_templating.py proves it with ansible-core itself.
"""

from tracegen.encoding.code import (comment, go_string, java_string, js_string, python_string, rust_string,
                                    toml_string)
from tracegen.encoding.config import (collector_config, collector_text, declarative_text, env_file_value,
                                      properties_key, properties_value, prometheus_template_text, shell_word)
from tracegen.encoding.network import host_port
from tracegen.encoding.text import terminal_safe, unsafe_characters

__all__ = [
    "collector_config", "collector_text", "comment", "declarative_text", "env_file_value", "go_string",
    "host_port", "java_string", "js_string", "properties_key", "properties_value", "prometheus_template_text",
    "python_string", "rust_string",
    "shell_word", "terminal_safe", "toml_string", "unsafe_characters",
]
