"""The repository's documents stand alone: every relative link in the README and under
docs/ resolves to a file of the repository, and the paths the README and the architecture
page name in code spans exist. Whoever deploys quanlu gets only this repository."""

import re
from pathlib import Path

import pytest

import quanlu

ROOT = Path(quanlu.__file__).parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
# Pages whose code spans name paths of this repository (the notes also cite other projects'
# files in code spans, as sources).
PATH_PAGES = [ROOT / "README.md", ROOT / "docs" / "ARCHITECTURE.md"]

LINK = re.compile(r"\]\(([^)\s]+)\)")
SPAN = re.compile(r"`((?:docs|src|testdata|bench|\.ci)/[^`\s*]*)`")

pytestmark = pytest.mark.skipif(not (ROOT / "docs").is_dir(), reason="needs the source tree")


def _links(page: Path) -> list[str]:
    return [t for t in LINK.findall(page.read_text(encoding="utf-8")) if not re.match(r"[a-z]+:|#", t)]


def test_the_docs_are_in_the_repository():
    names = {p.relative_to(ROOT).as_posix() for p in DOCS}
    assert {"README.md", "docs/ARCHITECTURE.md", "docs/REQUIREMENTS.md", "docs/GLOSSARY.md"} <= names


@pytest.mark.parametrize("page", DOCS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_relative_link_resolves_inside_the_repository(page):
    for target in _links(page):
        path = (page.parent / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT), f"{page.name}: {target} points outside the repository"
        assert path.exists(), f"{page.name}: {target} does not exist"


@pytest.mark.parametrize("page", PATH_PAGES, ids=lambda p: p.name)
def test_every_path_named_exists(page):
    for span in SPAN.findall(page.read_text(encoding="utf-8")):
        assert (ROOT / span).exists(), f"{page.name}: `{span}` does not exist"


def test_a_link_outside_the_repository_is_caught(tmp_path):
    page = tmp_path / "x.md"
    page.write_text("see [the spec](../shared/docs/REQUIREMENTS.md) and [web](https://example.org)")
    assert _links(page) == ["../shared/docs/REQUIREMENTS.md"]
