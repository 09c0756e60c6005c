"""The shape of the code, checked like behaviour: small modules, short functions, simple
branching, and a repository that explains itself without files from elsewhere.

The import rules and the types are checked by `lint-imports` and `mypy` in the same test
command (`./dev test`); these are the measures that no tool of the chain checks.
"""

from __future__ import annotations

import ast
import re
import subprocess
from pathlib import Path

import pytest
from radon.complexity import cc_rank, cc_visit

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "appliance"
MAX_MODULE_LINES = 600
MAX_FUNCTION_LINES = 60

# The standalone archive verifier is copied alone into every export: it cannot be split into
# modules of ours without the auditor needing them too.
LONG_MODULES_ALLOWED = {"ledger/verify.py"}
# Seed data of the sandbox: tables written as code, one entry a line.
LONG_FUNCTIONS_ALLOWED = {"kafinea/sandbox/modules.py:_build", "kafinea/sandbox/seed.py:seed_shop"}


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def name_of(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def long_modules() -> set[str]:
    return {name_of(p) for p in modules() if len(p.read_text().splitlines()) > MAX_MODULE_LINES}


def functions(path: Path) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    tree = ast.parse(path.read_text())
    return [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]


def long_functions() -> set[str]:
    return {
        f"{name_of(path)}:{node.name}"
        for path in modules()
        for node in functions(path)
        if (node.end_lineno or node.lineno) - node.lineno + 1 > MAX_FUNCTION_LINES
    }


def test_no_module_is_longer_than_600_lines() -> None:
    assert long_modules() - LONG_MODULES_ALLOWED == set()


def test_no_function_is_longer_than_60_lines() -> None:
    assert long_functions() - LONG_FUNCTIONS_ALLOWED == set()


def test_no_function_is_more_complex_than_grade_c() -> None:
    """Radon's cyclomatic complexity: A-C (up to 20) reads as one idea; the sandbox, which
    imitates a server's many quirks in one place, is left out."""
    complex_ = {
        f"{name_of(path)}:{block.name} {cc_rank(block.complexity)} ({block.complexity})"
        for path in modules()
        if "kafinea/sandbox/" not in path.as_posix()
        for block in cc_visit(path.read_text())
        if cc_rank(block.complexity) not in "ABC"
    }
    assert complex_ == set()


def test_the_allowances_are_still_needed() -> None:
    """An allowance outlives its reason only until this test: split something, drop its line."""
    assert long_modules() >= LONG_MODULES_ALLOWED
    assert long_functions() >= LONG_FUNCTIONS_ALLOWED


OUTSIDE = re.compile(
    r"\.\./shared|\bDESIGN\.md|\bSTYLE\.md|feasibility\.md|nf525\.md|vtiger-webservice\.md"
    r"|hardware-notes\.md|image-kiosk\.md|pos-anchors\.md|seed-kafinea-setup|kafinea\.md\b"
)


def tracked_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    return [REPO / name for name in listed.decode().split("\0") if name]


def test_nothing_in_the_repository_points_outside_it() -> None:
    """A reader with only this repository can follow every reference (docs/ holds them)."""
    offenders = []
    for path in tracked_files():
        if path == Path(__file__) or not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        offenders += [
            f"{path.relative_to(REPO)}:{number}"
            for number, line in enumerate(text.splitlines(), start=1)
            if OUTSIDE.search(line)
        ]
    assert offenders == []


# The last commit before subjects were held to 72 characters; older history stays as it was.
SUBJECTS_CHECKED_AFTER = "2e35fb4"


def test_commit_subjects_fit_in_72_characters() -> None:
    """A subject says what changed in one line that every tool shows whole; the why goes in
    the body."""
    try:
        subjects = subprocess.run(
            ["git", "log", "--format=%s", f"{SUBJECTS_CHECKED_AFTER}..HEAD"],
            cwd=REPO, capture_output=True, check=True, text=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout with this history (a shallow clone or an export)")
    assert [s for s in subjects if len(s) > 72] == []
