"""The mutation list still applies to the code (issue 24): every entry's text is found exactly once
in its file, so `make mutation` can make each mistake. Text only: nothing is mutated or run here
(`make mutation` does that); this keeps a refactor from orphaning an entry unnoticed.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from conftest import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "tests" / "mutation"))
from mutations import MUTATIONS, Mutation, orphans  # noqa: E402


def test_every_mutation_entry_applies_to_the_code() -> None:
    assert orphans(PROJECT_DIR) == []


def copy_of(tmp_path: Path, mutations: list[Mutation]) -> Path:
    for mutation in mutations:
        for path, _, _ in mutation.edits():
            (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(PROJECT_DIR / path, tmp_path / path)
    return tmp_path


def test_a_refactor_that_changes_quoted_code_orphans_its_entry(tmp_path: Path) -> None:
    """Rewrite the line one entry quotes, as a refactor would: that entry, and only the entries
    quoting the same text, are reported, by name, with the file."""
    root = copy_of(tmp_path, MUTATIONS)
    target = next(m for m in MUTATIONS if m.name == "earth radius 6378 km")
    file = root / target.path
    file.write_text(file.read_text().replace(target.text, target.text.replace("6371.0", "6371.0088")))
    problems = orphans(root)
    assert problems == [
        f"earth radius 6378 km: its text is in {target.path} 0 times, not once: {target.text!r}"
    ]


def test_a_text_found_twice_a_missing_file_and_a_repeated_name_are_reported(tmp_path: Path) -> None:
    root = copy_of(tmp_path, MUTATIONS)
    target = next(m for m in MUTATIONS if m.name == "statuses not lower-cased")
    file = root / target.path
    file.write_text(file.read_text() + "\n" + target.text + "\n")
    moved = next(m for m in MUTATIONS if m.checks)
    (root / moved.path).unlink()
    duplicate = MUTATIONS[0]
    problems = orphans(root, [*MUTATIONS, duplicate])
    assert f"{duplicate.name}: the name is used twice" in problems
    assert any(p.startswith(f"{target.name}: its text is in {target.path} 2 times") for p in problems)
    assert f"{moved.name}: {moved.path} does not exist" in problems


def test_every_edit_of_a_multi_file_mistake_is_checked(tmp_path: Path) -> None:
    spanning = next(m for m in MUTATIONS if m.also)
    root = copy_of(tmp_path, [spanning])
    path, text, _ = spanning.also[0]
    (root / path).write_text((root / path).read_text().replace(text, ""))
    assert orphans(root, [spanning]) == [
        f"{spanning.name}: its text is in {path} 0 times, not once: {text!r}"
    ]
