"""How each consumer of tracegen's output reads a file back, for the injection corpus.

In-process readers follow the consumer's documented rules (systemd's env-file parser, the
collector's `$$` / `${...}` resolution, OpenTelemetry's resource-attribute list); the `Real*`
functions hand files and literals to the real tools (node, javac/java, gofmt/go, sh).
"""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import unquote

import yaml

EXPANDED = "\x00EXPANDED:"
SHA256 = re.compile(r"^[0-9a-f]{64}$")   # marks text a consumer would substitute (never equal to a payload)


# ------------------------------------------------------------------ systemd EnvironmentFile=
def systemd_env(text: str) -> dict[str, str]:
    """systemd's parse_env_file (src/basic/env-file.c), state for state."""
    newline, whitespace, need_escape = "\n\r", " \t\n\r", '"\\`$'
    state, key, value, out = "PRE_KEY", "", "", {}
    last_ws = -1

    def push():
        nonlocal key, value
        if key:
            out[key.strip()] = value
        key, value = "", ""

    for c in text + "\n":
        if state == "PRE_KEY":
            if c in "#;":
                state = "COMMENT"
            elif c not in whitespace:
                state, key = "KEY", c
        elif state == "KEY":
            if c in newline:
                state, key = "PRE_KEY", ""
            elif c == "=":
                state, last_ws = "PRE_VALUE", -1
            else:
                key += c
        elif state == "PRE_VALUE":
            if c in newline:
                push()
                state = "PRE_KEY"
            elif c == "'":
                state = "SINGLE"
            elif c == '"':
                state = "DOUBLE"
            elif c == "\\":
                state = "VALUE_ESCAPE"
            elif c not in whitespace:
                state, value = "VALUE", value + c
        elif state == "VALUE":
            if c in newline:
                if last_ws >= 0:
                    value = value[:last_ws]
                push()
                state, last_ws = "PRE_KEY", -1
            elif c == "\\":
                state, last_ws = "VALUE_ESCAPE", -1
            else:
                if c in whitespace:
                    if last_ws < 0:
                        last_ws = len(value)
                else:
                    last_ws = -1
                value += c
        elif state == "VALUE_ESCAPE":
            state = "VALUE"
            if c not in newline:
                value += c
        elif state == "SINGLE":
            if c == "'":
                state = "PRE_VALUE"
            else:
                value += c
        elif state == "DOUBLE":
            if c == '"':
                state = "PRE_VALUE"
            elif c == "\\":
                state = "DOUBLE_ESCAPE"
            else:
                value += c
        elif state == "DOUBLE_ESCAPE":
            state = "DOUBLE"
            if c in need_escape:
                value += c
            elif c != "\n":
                value += "\\" + c
        elif state == "COMMENT":
            if c in newline:
                state = "PRE_KEY"
    return out


# ------------------------------------------------------------------ ${...} resolution
def resolve_dollars(text: str) -> str:
    """What the collector (confmap) and the SDK declarative-config loader make of a string: `$$` is a
    literal `$`; an unescaped `${...}` is substituted (marked here)."""
    out, i = [], 0
    while i < len(text):
        if text.startswith("$$", i):
            out.append("$")
            i += 2
        elif text.startswith("${", i) and "}" in text[i:]:
            end = text.index("}", i)
            out.append(EXPANDED + text[i + 2:end])
            i = end + 1
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


RESOURCE_KEYS = {"OTEL_RESOURCE_ATTRIBUTES", "otel.resource.attributes"}


def resource_attributes(text: str) -> dict[str, str]:
    """OTEL_RESOURCE_ATTRIBUTES as the SDKs read it: `k=v` pairs split on `,`, percent-decoded."""
    pairs = {}
    for item in text.split(","):
        if item:
            key, _, value = item.partition("=")
            pairs[unquote(key)] = unquote(value)
    return pairs


# ------------------------------------------------------------------ views of whole files
# ------------------------------------------------------------------ Prometheus alert templating
TEMPLATE = "\x00TEMPLATE:"
_GO_STRING = re.compile(r'^"((?:[^"\\\n]|\\.)*)"$|^`([^`]*)`$', re.S)


def _action_end(text: str, i: int) -> int:
    """Where the action opened before `i` closes (text/template's lexer: quoted strings, raw strings
    and character constants inside an action may hold `}}`)."""
    while i < len(text):
        if text.startswith("}}", i):
            return i
        quote = text[i]
        if quote in "\"'`":
            i += 1
            while i < len(text) and text[i] != quote:
                i += 2 if text[i] == "\\" and quote != "`" else 1
        i += 1
    raise AssertionError("unclosed action: Prometheus refuses the template")


def alert_template(text: str) -> str:
    """What Prometheus prints for an alert's label or annotation (Go text/template): text outside
    `{{ }}` as written, an action that is one string constant as that string, any other action
    marked (it runs: `$labels`, functions, queries); trim markers (`{{- `, ` -}}`) marked."""
    out, i = [], 0
    while (start := text.find("{{", i)) >= 0:
        out.append(text[i:start])
        end = _action_end(text, start + 2)
        action, i = text[start + 2:end], end + 2
        constant = _GO_STRING.match(action.strip())
        if action.startswith("- ") or action.endswith(" -") or constant is None:
            out.append(TEMPLATE + action)
        else:
            out.append(constant.group(2) if constant.group(2) is not None else json.loads('"' + constant.group(1) + '"'))
    return "".join(out) + text[i:]


def _templated(rule: dict) -> dict:
    """An alerting rule with its labels and annotations as Prometheus renders them."""
    return {key: ({k: alert_template(v) if isinstance(v, str) else v for k, v in value.items()}
                  if key in ("labels", "annotations") and isinstance(value, dict) else value)
            for key, value in rule.items()}


def _walk(data, collector: bool, ansible: bool, jinja_payload: bool, payload: str, embedded: bool = False):
    if isinstance(data, dict):
        if isinstance(data.get("alert"), str):
            data = _templated(data)
        if data.get("kind") == "OpenTelemetryCollector" and isinstance(data.get("spec", {}).get("config"), dict):
            # The Operator hands spec.config to the collector, which resolves it (nothing else in it).
            spec = {**data["spec"], "config": _walk(data["spec"]["config"], True, ansible, jinja_payload, payload)}
            data = {**data, "spec": spec}
        out = {}
        for key, value in data.items():
            if key in RESOURCE_KEYS and isinstance(value, str):
                out[key] = resource_attributes(value)
            elif isinstance(data.get("name"), str) and data["name"] in RESOURCE_KEYS and key == "value":
                out[key] = resource_attributes(value)
            else:
                out[key] = _walk(value, collector, ansible, jinja_payload, payload, embedded)
        return out
    if isinstance(data, list):
        return [_walk(item, collector, ansible, jinja_payload, payload, embedded) for item in data]
    if isinstance(data, str):
        if ansible and jinja_payload and payload in data:
            raise AssertionError("blueprint text with Jinja delimiters reached an Ansible YAML file")
        if embedded and "\n" in data:
            # A ConfigMap's data: the collector configs and mode overlays it mounts.
            parsed = yaml.safe_load(data)
            if isinstance(parsed, dict):
                return _walk(parsed, True, ansible, jinja_payload, payload)
        if SHA256.match(data):
            return "<sha256>"   # checksums of configs (pod annotations) change with any value
        return resolve_dollars(data) if collector else data
    return data


def yaml_view(path: str, text: str, payload: str):
    collector = "/collector/" in path or path.endswith("otel-config.yaml")
    ansible = "/ansible/" in path
    jinja = any(mark in payload for mark in ("{{", "{%", "{#"))
    return _walk(list(yaml.safe_load_all(text)), collector, ansible, jinja, payload, "/kubernetes/" in path)


def xml_view(text: str):
    def tree(node):
        return (node.tag, sorted(node.attrib.items()), (node.text or "").strip(), [tree(c) for c in node],
                (node.tail or "").strip())
    return tree(ET.fromstring(text))


def properties(text: str) -> dict[str, str]:
    """java.util.Properties.load: logical lines, `\\` escapes, `=`/`:`/space separators."""
    lines, out = text.split("\n"), {}
    index = 0
    while index < len(lines):
        line = lines[index].lstrip(" \t\f")
        index += 1
        if not line or line[0] in "#!":
            continue
        while (len(line) - len(line.rstrip("\\"))) % 2 == 1 and index < len(lines):   # continuation
            line = line[:-1] + lines[index].lstrip(" \t\f")
            index += 1
        key, value, i = [], None, 0
        chars = list(line)
        text_out: list[str] = []
        while i < len(chars):
            c = chars[i]
            if c == "\\" and i + 1 < len(chars):
                nxt = chars[i + 1]
                if nxt == "u":
                    text_out.append(chr(int("".join(chars[i + 2:i + 6]), 16)))
                    i += 6
                    continue
                text_out.append({"t": "\t", "n": "\n", "r": "\r", "f": "\f"}.get(nxt, nxt))
                i += 2
                continue
            if value is None and c in "=: \t\f":
                key = text_out
                text_out = []
                i += 1
                while i < len(chars) and chars[i] in " \t\f":
                    i += 1
                if c in " \t\f" and i < len(chars) and chars[i] in "=:":
                    i += 1
                    while i < len(chars) and chars[i] in " \t\f":
                        i += 1
                value = ""
                continue
            text_out.append(c)
            i += 1
        if value is None:
            key, text_out = text_out, []
        joined = "".join(text_out)
        # a non-BMP character is written as a surrogate pair of two \\u escapes
        out["".join(key)] = joined.encode("utf-16", "surrogatepass").decode("utf-16")
    return {k: resource_attributes(v) if k in RESOURCE_KEYS else v for k, v in out.items()}


def env_view(text: str):
    return {k: resource_attributes(v) if k in RESOURCE_KEYS else v for k, v in systemd_env(text).items()}


def replace_strings(data, payload: str, placeholder: str):
    """`data` with every string equal to or containing `payload` rewritten to hold `placeholder`."""
    if isinstance(data, dict):
        return {replace_strings(k, payload, placeholder): replace_strings(v, payload, placeholder)
                for k, v in data.items()}
    if isinstance(data, list):
        return [replace_strings(item, payload, placeholder) for item in data]
    if isinstance(data, tuple):
        return tuple(replace_strings(item, payload, placeholder) for item in data)
    if isinstance(data, str):
        return data.replace(payload, placeholder)
    return data


# ------------------------------------------------------------------ real tools
def have(tool: str) -> bool:
    return shutil.which(tool) is not None


def run(args: list[str], **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, capture_output=True, text=True, timeout=600, **kwargs)


NODE_CHECK = """
const fs = require('fs'); const vm = require('vm'); let bad = 0;
for (const f of process.argv.slice(1)) {
  try { new vm.Script(fs.readFileSync(f, 'utf8'), { filename: f }); }
  catch (e) { bad++; console.log(f + ': ' + e.message); }
}
process.exit(bad ? 1 : 0);
"""
NODE_EVAL = """
const lits = JSON.parse(require('fs').readFileSync(0, 'utf8'));
process.stdout.write(JSON.stringify(lits.map((l) => (0, eval)(l))));
"""


def node_check(files: list[Path]) -> str:
    result = run(["node", "-e", NODE_CHECK, *map(str, files)])
    return "" if result.returncode == 0 else result.stdout + result.stderr


def node_eval(literals: list[str]) -> list[str]:
    result = run(["node", "-e", NODE_EVAL], input=json.dumps(literals))
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def python_check(text: str) -> None:
    ast.parse(text)


def python_eval(literal: str) -> str:
    return ast.literal_eval(literal)


def gofmt_check(files: list[Path]) -> str:
    result = run(["gofmt", "-e", "-l", *map(str, files)])
    return "" if result.returncode == 0 else result.stderr


def go_eval(literals: list[str], work: Path) -> list[str]:
    """Compile the literals as Go source and print them: the Go compiler's reading of each."""
    source = ("package main\n\nimport (\n\t\"encoding/json\"\n\t\"os\"\n)\n\nvar lits = []string{\n"
              + "".join(f"\t{lit},\n" for lit in literals) + "}\n\nfunc main() { json.NewEncoder(os.Stdout).Encode(lits) }\n")
    work.mkdir(parents=True, exist_ok=True)
    (work / "main.go").write_text(source)
    (work / "go.mod").write_text("module lits\n\ngo 1.21\n")
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOTOOLCHAIN": "local"}
    result = run(["go", "run", "."], cwd=work, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def javac_parse(files: list[Path], out: Path) -> str:
    """javac up to the parser only (imports are not resolved): syntax, unicode escapes included."""
    result = run(["javac", "-XDshould-stop.ifNoError=PARSE", "-XDshould-stop.ifError=PARSE", "-d", str(out),
                  *map(str, files)])
    return "" if result.returncode == 0 else result.stderr


JAVA_HELPER = """
import java.io.*; import java.nio.charset.StandardCharsets; import java.util.*;
public class Consumers {
  static String json(String s) {
    StringBuilder b = new StringBuilder("\\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\\\') b.append('\\\\').append(c);
      else if (c < 0x20 || c > 0x7e) b.append(String.format("\\\\u%04x", (int) c));
      else b.append(c);
    }
    return b.append('"').toString();
  }
  public static void main(String[] args) throws Exception {
    StringBuilder out = new StringBuilder("[");
    if (args[0].equals("props")) {
      for (int i = 1; i < args.length; i++) {
        Properties p = new Properties();
        try (InputStream in = new FileInputStream(args[i])) { p.load(in); }
        out.append(i > 1 ? "," : "").append("{");
        int n = 0;
        for (String k : new TreeSet<>(p.stringPropertyNames()))
          out.append(n++ > 0 ? "," : "").append(json(k)).append(":").append(json(p.getProperty(k)));
        out.append("}");
      }
    } else {
      for (int i = 0; i < Lits.L.length; i++) out.append(i > 0 ? "," : "").append(json(Lits.L[i]));
    }
    System.out.print(out.append("]"));
  }
}
"""


def java_run(work: Path, literals: list[str], property_files: list[Path]) -> tuple[list[str], list[dict]]:
    """javac the literals (as Java source) and a Properties.load helper; run both modes."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "Consumers.java").write_text(JAVA_HELPER)
    (work / "Lits.java").write_text("class Lits {\n  static final String[] L = {\n"
                                    + "".join(f"    {lit},\n" for lit in literals) + "  };\n}\n")
    compiled = run(["javac", "-encoding", "UTF-8", "-d", str(work), str(work / "Consumers.java"), str(work / "Lits.java")])
    assert compiled.returncode == 0, compiled.stderr
    lits = run(["java", "-cp", str(work), "Consumers", "lits"])
    assert lits.returncode == 0, lits.stderr
    props: list[dict] = []
    if property_files:
        loaded = run(["java", "-cp", str(work), "Consumers", "props", *map(str, property_files)])
        assert loaded.returncode == 0, loaded.stderr
        props = json.loads(loaded.stdout)
    return json.loads(lits.stdout), props


def sh_env(files: list[Path]) -> list[dict[str, str]]:
    """Source each env file in an empty POSIX shell (`set -a; . file`) and read the environment."""
    script = 'for f; do (set -a; . "$f"; env -0; printf "\\001") ; done'
    result = subprocess.run(["env", "-i", "/bin/sh", "-c", script, "sh", *map(str, files)], capture_output=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    out = []
    for chunk in result.stdout.decode("utf-8", "surrogateescape").split("\x01")[: len(files)]:
        pairs = dict(item.split("=", 1) for item in chunk.split("\x00") if "=" in item)
        for noise in ("PWD", "SHLVL", "_", "OLDPWD"):
            pairs.pop(noise, None)
        out.append(pairs)
    return out


def sh_syntax(files: list[Path]) -> str:
    bad = [f"{f}: {r.stderr}" for f in files if (r := run(["sh", "-n", str(f)])).returncode != 0]
    return "\n".join(bad)


def unsafe_in(text: str) -> list[str]:
    from tracegen.encoding.text import unsafe_characters
    return unsafe_characters(text, "\n\t")




# ------------------------------------------------------------------ Grafana dashboards
_GRAFANA_VARIABLE = re.compile(r"\$\{[^}]*\}|\$[A-Za-z_]\w*|\[\[[^\]]*\]\]")


def _interpolated(data):
    if isinstance(data, dict):
        return {key: _interpolated(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_interpolated(item) for item in data]
    if isinstance(data, str):
        return _GRAFANA_VARIABLE.sub(lambda m: "\x00VARIABLE:" + m.group(0), data)
    return data


def grafana_view(text: str):
    """A dashboard as Grafana reads it: JSON whose strings (titles, queries, legends) interpolate
    `$var`, `${var}`, `${var:format}` and `[[var]]` (Grafana has no escape for them), marked."""
    return _interpolated(json.loads(text))


# ------------------------------------------------------------------ Rust source
_RUST_ESCAPE = re.compile(r"""\\(?:[nrt\\0'"]|x[0-7][0-9A-Fa-f]|u\{[0-9A-Fa-f]{1,6}\}|\n\s*)""")


def rust_string_value(literal: str) -> str:
    """A Rust string literal ("...", the Reference's escapes) as rustc reads it."""
    assert literal.startswith('"') and literal.endswith('"'), literal
    body, out, i = literal[1:-1], [], 0
    while i < len(body):
        if body[i] == "\\":
            match = _RUST_ESCAPE.match(body, i)
            assert match, f"bad escape at {body[i:i + 8]!r}"
            esc = match.group(0)
            if esc[1] == "u":
                code = int(esc[3:-1], 16)
                assert code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF, esc
                out.append(chr(code))
            elif esc[1] == "x":
                out.append(chr(int(esc[2:], 16)))
            elif esc[1] == "\n":
                pass
            else:
                out.append({"n": "\n", "r": "\r", "t": "\t", "0": "\0"}.get(esc[1], esc[1]))
            i = match.end()
        else:
            assert body[i] != '"', "unescaped quote"
            out.append(body[i])
            i += 1
    return "".join(out)


def rust_strings_check(text: str) -> list[str]:
    """Lex Rust source far enough to find every string literal (comments, raw strings, char
    literals and lifetimes skipped) and read each one; an unterminated literal or comment fails."""
    values, i, n = [], 0, len(text)
    while i < n:
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = n if i < 0 else i
        elif text.startswith("/*", i):
            depth, i = 1, i + 2
            while depth:
                assert i < n, "unterminated block comment"
                if text.startswith("/*", i):
                    depth, i = depth + 1, i + 2
                elif text.startswith("*/", i):
                    depth, i = depth - 1, i + 2
                else:
                    i += 1
        elif raw := re.match(r'b?r(#*)"', text[i:i + 300]):
            end = text.find('"' + raw.group(1), i + raw.end())
            assert end >= 0, "unterminated raw string"
            i = end + 1 + len(raw.group(1))
        elif text[i] == '"' and not text[i - 1:i].isalnum():
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            assert j < n, "unterminated string"
            values.append(rust_string_value(text[i:j + 1]))
            i = j + 1
        elif text[i] == "'":
            char = re.match(r"'(?:[^\\'\n]|\\(?:[nrt\\0'\"]|x[0-7][0-9A-Fa-f]|u\{[0-9A-Fa-f]{1,6}\}))'", text[i:])
            i += char.end() if char else 1   # else a lifetime or label
        else:
            i += 1
    return values


def rustc_eval(rustc: str, literals: list[str], work: Path) -> list[str]:
    """Compile the literals with rustc and print them as JSON: the Rust compiler's reading of each."""
    work.mkdir(parents=True, exist_ok=True)
    source = ("const LITS: &[&str] = &[\n" + "".join(f"    {lit},\n" for lit in literals) + "];\n"
              "fn main() {\n    let mut out = String::from(\"[\");\n"
              "    for (i, s) in LITS.iter().enumerate() {\n"
              "        if i > 0 { out.push(','); }\n        out.push('\"');\n"
              "        for c in s.chars() { match c { '\"' => out.push_str(\"\\\\\\\"\"), '\\\\' => out.push_str(\"\\\\\\\\\"),\n"
              "            c if (c as u32) < 0x20 || (c as u32) > 0x7e => { let mut b = [0u16; 2];\n"
              "                for u in c.encode_utf16(&mut b) { out.push_str(&format!(\"\\\\u{:04x}\", u)); } }\n"
              "            c => out.push(c) } }\n        out.push('\"');\n    }\n"
              "    out.push(']');\n    print!(\"{}\", out);\n}\n")
    (work / "lits.rs").write_text(source)
    compiled = run([rustc, "--edition", "2021", "-o", str(work / "lits"), str(work / "lits.rs")])
    assert compiled.returncode == 0, compiled.stderr
    result = run([str(work / "lits")])
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
