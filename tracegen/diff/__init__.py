"""`tracegen diff`: what changes between two builds, by meaning rather than by line.

Python API (stable; `tracegen migrate` shows each phase's diff with it)::

    from tracegen.diff import Build, diff_trees, render, from_blueprint

    tree = diff_trees(old, new)            # -> TreeDiff
    text = render(tree, "text")            # or "json"; terminal-safe, secrets redacted
    tree.changed                           # False when nothing differs (exit 0), else True (exit 1)
    tree.data_loss()                       # [(FileDiff, Change)] of changes that can lose data

Each side of `diff_trees(old, new, *, old_label=None, new_label=None)` is one of:

- a build directory (`Path` or `str`): the files its `tracegen-manifest.json` lists, with their kinds;
- a list of `tracegen.targets.artifact.Artifact` (e.g. `build_all(plan)`: two phase builds are
  compared in memory, nothing written);
- a `Build` (`Build.from_artifacts(artifacts, label)`, `Build.from_mapping({path: bytes|str},
  kinds={path: kind}, label)`, `Build.from_directory(dir)`);
- a mapping path -> bytes|str (kinds guessed from content).

`from_blueprint(path, display=None)` builds what `tracegen build` would write now, in memory.

A `TreeDiff` has `old`/`new` labels, `files` (FileDiff: path, kind, status added|changed|removed,
environment, service, `changes`, or `text` — a redacted unified diff — for source code and docs),
`summary()` (per artifact kind: added/changed/removed file counts), `totals()` and `data_loss()`.
A `Change` has `op` (added|changed|removed|reordered), `path` (segments inside the document; keyed
list items read `[identity]`), `where` (the path joined), `old`/`new` (redacted) and `data_loss`
(why the change can lose data, or None).

Identity: Kubernetes objects by `apiVersion/kind/namespace/name`; collector configs by component ID
and pipeline (a ConfigMap holding a collector config is compared as one); lists of named items by
name (tail-sampling policies, env vars, containers), builder modules by module path; SDK source
code and docs as text. What counts as data loss: tracegen.diff.risks. Redaction: tracegen.diff.redact.
"""

from __future__ import annotations

from tracegen.diff.model import Change, FileDiff, TreeDiff
from tracegen.diff.render import FORMATS, as_json, render
from tracegen.diff.source import Build, from_blueprint
from tracegen.diff.tree import diff_trees

__all__ = ["FORMATS", "Build", "Change", "FileDiff", "TreeDiff", "as_json", "diff_trees", "from_blueprint",
           "render"]
