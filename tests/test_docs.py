"""The README, docs/ and BENCHMARKS.md against what they describe: the install, the page's limits, their links."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from web.limits import MAX_SIZE

ROOT = Path(__file__).resolve().parents[1]
# The documents a reader follows: the README, the measurements, and every page under docs/.
DOCUMENTS = ["README.md", "BENCHMARKS.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]


def test_the_readme_says_how_to_get_torchs_cpu_build_with_the_pinned_versions():
    readme = (ROOT / "README.md").read_text()
    pins = dict(re.findall(r"^(torch|torchvision)==(\S+)$", (ROOT / "requirements.txt").read_text(), re.MULTILINE))
    command = f"pip install torch=={pins['torch']} torchvision=={pins['torchvision']} --index-url " \
              "https://download.pytorch.org/whl/cpu"
    assert command in readme
    assert "CUDA build" in readme and "5.8 GB" in readme


def test_no_document_gives_the_page_a_larger_output_than_it_allows():
    for name in DOCUMENTS:
        text = " ".join((ROOT / name).read_text().split())
        for size in re.findall(r"(?:largest|biggest) (?:output|picture|run) the (?:app|page) allows,? (\d+)", text):
            assert int(size) <= MAX_SIZE, f"{name} says the page allows {size} px; it stops at {MAX_SIZE}"


FENCE = re.compile(r"^(```|~~~).*?^\1[^\n]*$", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"(`+)[^`]+?\1")
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s.*)?$", re.MULTILINE)
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)


def prose(text: str) -> str:
    """The text outside code blocks: a `#` comment in a shell example is not a heading, nor `[x](y)` a link."""
    return FENCE.sub("", text)


def anchor(heading: str) -> str:
    """GitHub's anchor for a heading: its text without markup, lowercased, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link or picture in a heading keeps its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text.lower())
    return text.replace(" ", "-")


def anchors(text: str) -> set[str]:
    """Every heading's anchor in a Markdown file, repeated headings numbered as GitHub numbers them."""
    seen: dict[str, int] = {}
    found = set()
    for _, heading in HEADING.findall(prose(text)):
        base = anchor(heading)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def links(text: str) -> list[str]:
    """Every link and picture target in a Markdown file's prose, inline code left out."""
    body = INLINE_CODE.sub("", prose(text))
    return LINK.findall(body) + REFERENCE.findall(body)


def broken_links(name: str, root: Path = ROOT) -> list[str]:
    """The links of one document that lead nowhere: a missing file, or an anchor no heading has."""
    source = root / name
    problems = []
    for target in links(source.read_text()):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):  # https:, mailto:: no network here
            continue
        path, _, fragment = unquote(target).partition("#")
        resolved = (source.parent / path).resolve() if path else source
        if root.resolve() not in resolved.parents:
            problems.append(f"{name}: {target} (outside the repository)")
        elif not resolved.exists():
            problems.append(f"{name}: {target} (no file {resolved.relative_to(root.resolve())})")
        elif fragment and resolved.suffix == ".md" and fragment not in anchors(resolved.read_text()):
            problems.append(f"{name}: {target} (no heading of {resolved.name} has the anchor #{fragment})")
    return problems


def test_github_anchors_follow_githubs_rule():
    assert anchor("Print size: pictures up to 8192 px") == "print-size-pictures-up-to-8192-px"
    assert anchor("A tool for AI agents (MCP)") == "a-tool-for-ai-agents-mcp"
    assert anchor("The full profile of one step, 2026-11-28 code") == "the-full-profile-of-one-step-2026-11-28-code"
    assert anchor("`nst/` and [the guide](docs/guide.md)") == "nst-and-the-guide"
    assert anchors("# Targets\n```\n# not a heading\n```\n## Targets\n") == {"targets", "targets-1"}


def test_a_broken_link_is_found(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "page.md").write_text("# A page\n\n## Its part\n")
    (tmp_path / "README.md").write_text(
        "# Read me\n\n[ok](docs/page.md#its-part) [ok too](#read-me) [web](https://example.org/x)\n"
        "[gone](docs/missing.md) [wrong](docs/page.md#no-such-part) [here](#nowhere)\n"
        "`[in code](nowhere.md)`\n```\n[in a block](nowhere.md)\n```\n"
    )
    assert [problem.split(" ")[1] for problem in broken_links("README.md", tmp_path)] == [
        "docs/missing.md", "docs/page.md#no-such-part", "#nowhere",
    ]


def test_every_link_in_the_documents_leads_somewhere():
    problems = [problem for name in DOCUMENTS for problem in broken_links(name)]
    assert not problems, "broken links:\n" + "\n".join(problems)


def test_the_readme_is_a_newcomers_page_that_points_to_the_rest():
    readme = (ROOT / "README.md").read_text()
    assert len(readme.splitlines()) < 300
    for page in ("docs/guide.md", "docs/architecture.md", "BENCHMARKS.md"):
        assert f"]({page}" in readme, f"README does not link {page}"
