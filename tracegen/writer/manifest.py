"""`tracegen-manifest.json`, the record of what tracegen wrote, and its journal.

The manifest lists every artifact with its kind, environment, role, service, language and SHA-256
(tracegen.validators reads it). It is the writer's only licence to touch a file: a path it does not
list is the user's. The journal (`.tracegen-journal.json`) holds the manifest a build is about to
commit; it exists only while files are being replaced, so after a crash the next build knows both
the old and the new hash of every file and can finish the job.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

from tracegen import __version__
from tracegen.targets.artifact import Artifact
from tracegen.targets.serialize import to_json

MANIFEST = "tracegen-manifest.json"
JOURNAL = ".tracegen-journal.json"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def entry_of(artifact: Artifact, data: bytes) -> dict:
    entry = {"path": artifact.path, "kind": artifact.kind, "environment": artifact.environment,
             "sha256": sha256(data)}
    for key in ("role", "service", "language"):
        value = getattr(artifact, key)
        if value is not None:
            entry[key] = value
    return entry


_quoted = json.encoder.encode_basestring       # a JSON string, as json.dumps(ensure_ascii=False) writes it


def entry_text(entry: dict) -> str:
    """The entry exactly as the manifest prints it (inside "artifacts", hence indented by four). A
    build keeps this text, not the dict: a third of the memory for each of 100,000s of files."""
    if all(isinstance(v, str) or v is None for v in entry.values()):       # every entry tracegen writes
        return "{\n" + ",\n".join(f"      {_quoted(k)}: {'null' if entry[k] is None else _quoted(entry[k])}"
                                  for k in sorted(entry)) + "\n    }"
    return json.dumps(entry, indent=2, sort_keys=True, ensure_ascii=False).replace("\n", "\n    ")


def manifest_text(entries: dict[str, str], blueprint: str) -> str:
    """The manifest of these entries (path -> entry_text), byte for byte what to_json gives for the
    same data, but joined from the entries' texts: to_json's encoder holds a small string for every
    key and value of every entry at once (240 MB for 160,000 files)."""
    rest = to_json({"generator": "tracegen", "version": __version__, "blueprint": blueprint})[1:]
    if not entries:
        return '{\n  "artifacts": [],' + rest
    texts = [entries[path] for path in sorted(entries)]
    texts[0] = '{\n  "artifacts": [\n    ' + texts[0]
    texts[-1] += "\n  ]," + rest
    return ",\n    ".join(texts)           # one copy of the whole text, not one per concatenation


def manifest_data(artifacts: list[Artifact], blueprint: str) -> dict:
    """The manifest of a build of exactly these artifacts, as data."""
    entries = {a.path: entry_text(entry_of(a, a.content.encode())) for a in artifacts}
    return json.loads(manifest_text(entries, blueprint))


@dataclass
class Record:
    """What earlier builds left: the manifest's entries and, after a crash, the journal's."""

    entries: dict[str, dict] = field(default_factory=dict)
    journal: dict[str, dict] = field(default_factory=dict)
    unreadable: list[str] = field(default_factory=list)    # MANIFEST and/or JOURNAL, if not parseable

    def known(self, path: str) -> set[str]:
        """Every hash tracegen may have written at path (old manifest, interrupted build)."""
        return {e["sha256"] for e in (self.entries.get(path), self.journal.get(path)) if e}

    def paths(self) -> set[str]:
        return set(self.entries) | set(self.journal)


def _entries(text: str | None) -> dict[str, dict] | None:
    if text is None:
        return {}
    try:
        entries = json.loads(text)["artifacts"]
        parsed = {e["path"]: e for e in entries if isinstance(e["path"], str) and isinstance(e["sha256"], str)}
    except (ValueError, KeyError, TypeError):
        return None
    if any(p.startswith("/") or ".." in p.split("/") or p in (MANIFEST, JOURNAL) for p in parsed):
        return None
    return parsed


def read_record(manifest: str | None, journal: str | None) -> Record:
    """Parse the manifest and journal texts (None: absent). An unreadable one counts as edited by hand."""
    record = Record()
    for name, text, slot in ((MANIFEST, manifest, "entries"), (JOURNAL, journal, "journal")):
        parsed = _entries(text)
        if parsed is None:
            record.unreadable.append(name)
        else:
            setattr(record, slot, parsed)
    return record
