"""The import contracts (`lint-imports`, in `make lint`): kept by the tree as it is, and
broken, naming the contract, by a copy of it with wrong imports added."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import quanlu

PACKAGE = Path(quanlu.__file__).parent
PYPROJECT = PACKAGE.parents[1] / "pyproject.toml"
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"

pytestmark = pytest.mark.skipif(
    not PYPROJECT.is_file() or not LINT_IMPORTS.is_file(), reason="needs the source tree and import-linter"
)

LEDGER = "the ledger imports no quanlu app but core"
CORE = "core imports no other quanlu app"
BLOBS = "blobs import no quanlu app but core and the ledger"
LAYERS = "apps in layers"
TRANSPORT = "domain modules never import transport"
ACYCLIC = "no cycles between apps"

# Each wrong module, added to a copy of the package, and the contract it breaks.
WRONG = {
    "ledger/_wrong.py": ("from quanlu.cases.models import Case\n", LEDGER),
    "core/_wrong.py": ("from quanlu.org.models import Officer\n", CORE),
    "blobs/_wrong.py": ("from quanlu.org.models import Agency\n", BLOBS),
    "cases/_wrong.py": ("from quanlu.records.models import Document\n", LAYERS),
    # A domain module importing its own app's pages.
    "records/selectors.py": ("from quanlu.records import views\n", TRANSPORT),
    # A new app, in no layer yet, in a cycle with cases.
    "newapp/__init__.py": ("from quanlu.cases import services\n", ACYCLIC),
    "cases/_newapp.py": ("import quanlu.newapp\n", ACYCLIC),
}


def _lint(src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    shutil.copy(PYPROJECT, cwd / "pyproject.toml")
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo"],
        cwd=cwd,
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _copy(tmp_path: Path) -> Path:
    """The package's Python files (the graph is all lint-imports reads)."""
    src = tmp_path / "src"

    def skip(folder: str, names: list[str]) -> list[str]:
        return [n for n in names if n == "__pycache__" or (Path(folder, n).is_file() and n[-3:] != ".py")]

    shutil.copytree(PACKAGE, src / "quanlu", ignore=skip)
    return src


def test_it_keeps_every_contract_on_the_tree(tmp_path):
    done = _lint(PACKAGE.parent, tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


def test_it_fails_on_a_wrong_import_naming_the_contract(tmp_path):
    src = _copy(tmp_path)
    for path, (line, _) in WRONG.items():
        target = src / "quanlu" / path
        target.parent.mkdir(exist_ok=True)
        with target.open("a") as fh:
            fh.write(line)
    done = _lint(src, tmp_path)
    assert done.returncode != 0
    for contract in {c for _, c in WRONG.values()}:
        assert f"{contract} BROKEN" in done.stdout, done.stdout
    assert "quanlu.ledger._wrong -> quanlu.cases.models" in done.stdout
    assert "quanlu.core._wrong -> quanlu.org.models" in done.stdout
    assert "quanlu.blobs._wrong -> quanlu.org.models" in done.stdout
    assert "quanlu.cases._wrong -> quanlu.records.models" in done.stdout
    assert "quanlu.records.selectors -> quanlu.records.views" in done.stdout
    assert ".newapp" in done.stdout
