"""Leftovers of the directory swap earlier tracegen versions did, beside the output directory.

Those versions rendered into `.<out>.staging-XXXXXXXX` and moved the previous output aside to
`.<out>.old-XXXXXXXX`; a crash could leave either behind, or leave no output directory at all.
Staging held only tracegen's output and is removed. An `.old` directory is put back if the output
directory is missing; otherwise only the files its manifest lists (unchanged) are removed, and
anything else in it is left where it is.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

from tracegen.errors import WriteError
from tracegen.writer.files import Tree, parent_of
from tracegen.writer.manifest import MANIFEST, read_record


def _leftovers(root: Path) -> list[tuple[str, Path]]:
    pattern = re.compile(rf"^\.{re.escape(root.name)}\.(staging|old)-[a-z0-9_]{{8}}$")
    try:
        names = sorted(os.listdir(root.parent))
    except OSError:
        return []
    found = []
    for name in names:
        match = pattern.match(name)
        if match and stat.S_ISDIR(os.lstat(root.parent / name).st_mode):
            found.append((match[1], root.parent / name))
    return found


def _empty_old(old: Path) -> bool:
    """Remove what old's manifest lists (unchanged); True if nothing else was left in it."""
    tree = Tree(old, old)
    try:
        record = read_record(tree.read_text(MANIFEST), None)
        for rel, entry in record.entries.items():
            found = tree.inspect(rel)
            if found is not None and found.sha256 == entry["sha256"]:
                tree.remove(rel)
        if not record.unreadable:
            tree.remove(MANIFEST)
        tree.prune({parent_of(rel) for rel in record.entries})
        old.rmdir()
    except (OSError, WriteError):
        return False
    return True


def recover(root: Path) -> list[str]:
    """Clean up after an interrupted build of an earlier version; notes for the user."""
    notes = []
    for kind, path in _leftovers(root):
        if kind == "staging":
            shutil.rmtree(path, ignore_errors=True)
            notes.append(f"removed {path.name}, left by an interrupted build")
        elif not os.path.lexists(root):
            os.replace(path, root)
            notes.append(f"restored {root.name} from {path.name}, left by an interrupted build")
        elif _empty_old(path):
            notes.append(f"removed {path.name}, left by an interrupted build")
        else:
            notes.append(f"{path.name} beside the output holds files tracegen did not write; left in place")
    return notes
