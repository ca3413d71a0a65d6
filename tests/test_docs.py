"""The docs match the code: error anchors, the configuration table, --help, the mkdocs build."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_batchkeys import errors
from pytest_batchkeys.settings import OPTIONS, Settings

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
PACKAGE = ROOT / "pytest_batchkeys"
NONE = "—"

ANCHOR_IN_CODE = re.compile(r"""\banchor\s*=\s*["']([a-z0-9-]+)["']""")
EXPLICIT_ID = re.compile(r"^#{1,6} .*\{#([a-z0-9-]+)\}\s*$", re.MULTILINE)
CODE_SPAN = re.compile(r"`([^`]*)`")
ENV_LITERAL = re.compile(r"""["']((?:BATCHKEYS|AZURE)_[A-Z_]+)["']""")


def package_sources() -> dict[Path, str]:
    return {path: path.read_text(encoding="utf-8") for path in sorted(PACKAGE.rglob("*.py"))}


def code_anchors() -> dict[str, list[str]]:
    """Every anchor the package's errors point at (keyword or class attribute) → where."""
    found: dict[str, list[str]] = {}
    for path, text in package_sources().items():
        for match in ANCHOR_IN_CODE.finditer(text):
            found.setdefault(match.group(1), []).append(path.name)
    return found


def doc_anchors(page: str) -> list[str]:
    return EXPLICIT_ID.findall((DOCS / page).read_text(encoding="utf-8"))


def config_table() -> list[list[str]]:
    """Rows (cells as text) of the one settings table in configuration.md."""
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    start = text.index("| Command line | ini key | Environment variable |")
    rows = []
    for line in text[start:].splitlines()[2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def first_code(cell: str) -> str:
    match = CODE_SPAN.search(cell)
    return match.group(1) if match else cell


def flag_names(flag: str) -> set[str]:
    """'--batch-live / --batch-record' → both names; '--batch-spec=PATH' → '--batch-spec'."""
    return {part.split("=")[0].strip() for part in flag.split(" / ")}


# --- troubleshooting anchors ------------------------------------------------------------------


def test_every_error_anchor_in_the_code_has_one_troubleshooting_section():
    used = code_anchors()
    assert len(used) >= 15, f"the anchor scan found too few anchors: {sorted(used)}"
    documented = doc_anchors("troubleshooting.md")
    duplicated = sorted({a for a in documented if documented.count(a) > 1})
    assert not duplicated, f"anchors with more than one section: {duplicated}"
    missing = {anchor: where for anchor, where in used.items() if anchor not in documented}
    assert not missing, (
        f"anchors used in the code without a section in troubleshooting.md: {missing}"
    )


def test_error_messages_point_at_the_troubleshooting_page():
    assert (ROOT / errors.TROUBLESHOOTING).is_file()
    message = str(errors.CassetteError("x", anchor="missing-cassette"))
    assert message.endswith("[see: batchkeys explain missing-cassette]")


def test_every_anchor_is_explained_by_the_command_the_message_names():
    from pytest_batchkeys.cli.explain import sections, troubleshooting_text

    known = sections(troubleshooting_text())
    assert sorted(known) == sorted(doc_anchors("troubleshooting.md"))
    assert set(code_anchors()) <= set(known)
    assert "--batch-record" in known["missing-cassette"]
    assert "### " not in known["missing-cassette"]  # one section, not the rest of the page


def test_every_docs_page_named_in_a_message_exists():
    named = {
        match
        for text in package_sources().values()
        for match in re.findall(r"docs/([a-z][a-z0-9_-]*\.md)", text)
    }
    assert "troubleshooting.md" in named or errors.TROUBLESHOOTING.endswith("troubleshooting.md")
    missing = sorted(page for page in named if not (DOCS / page).is_file())
    assert not missing, f"messages point at docs pages that do not exist: {missing}"


# --- configuration table ----------------------------------------------------------------------


def test_configuration_table_has_one_row_per_option_in_order():
    rows = [row for row in config_table() if first_code(row[0]) != NONE and row[0] != NONE]
    expected = [
        (option.flag + (f"={option.metavar}" if option.metavar else ""), option.ini, option.env)
        for option in OPTIONS
    ]
    documented = [(first_code(r[0]), first_code(r[1]), first_code(r[2])) for r in rows]
    assert documented == expected


def test_configuration_table_defaults_match_settings():
    defaults = Settings()
    rows = {first_code(row[1]): row for row in config_table() if row[1] != NONE}
    for option in OPTIONS:
        value = getattr(defaults, option.field)
        if value is None:
            continue
        shown = first_code(rows[option.ini][3])
        if isinstance(value, bool):
            assert shown == str(value).lower(), option.ini
        elif isinstance(value, Path):
            assert shown == str(value), option.ini
        else:
            assert shown == str(value), option.ini


def test_every_environment_variable_the_code_reads_is_in_the_table():
    assigned = set()
    read = set()
    for text in package_sources().values():
        read |= set(ENV_LITERAL.findall(text))
        assigned |= set(re.findall(r"^\s*((?:BATCHKEYS|AZURE)_[A-Z_]+)\s*[:=]", text, re.M))
    read -= assigned  # module constants such as AZURE_CHECKS are names, not variables
    documented = {first_code(row[2]) for row in config_table()}
    assert {option.env for option in OPTIONS if option.env} <= documented
    assert read - documented == set()
    assert "BATCHKEYS_ACCESS_TOKEN" in read  # the scan itself works


def test_configuration_table_is_in_step_with_pytest_help(pytester: pytest.Pytester):
    out = pytester.runpytest("--help").stdout.str()
    group = out[out.index("batchkeys: Azure Batch listKeys") :]
    group = group[: group.index("\n\n")]
    help_flags = set(re.findall(r"^  (--batch-[a-z-]+)", group, re.MULTILINE))
    help_ini = set(re.findall(r"^  (batchkeys_[a-z_]+) \(", out, re.MULTILINE))
    rows = [row for row in config_table() if row[0] != NONE]
    table_flags = set().union(*(flag_names(first_code(row[0])) for row in rows))
    table_ini = {first_code(row[1]) for row in rows}
    assert help_flags == table_flags
    assert help_ini == table_ini


PRECEDENCE_STEPS = [
    # (arguments, BATCHKEYS_CASSETTE_DIR or None, the line docs/configuration.md shows)
    (["--batch-cassette-dir=from-cli"], "from-env", "cassette dir: from-cli"),
    ([], "from-env", "cassette dir: from-ini"),
    (["-o", "batchkeys_cassette_dir="], "from-env", "cassette dir: from-env"),
    (["-o", "batchkeys_cassette_dir="], None, "cassette dir: cassettes"),
]


def test_precedence_worked_example_runs_as_documented(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
):
    page = (DOCS / "configuration.md").read_text(encoding="utf-8")
    pytester.makeini("[pytest]\nbatchkeys_cassette_dir = from-ini\n")
    pytester.makepyfile(
        test_where="""
        def test_where(batchkeys_settings):
            print("cassette dir:", batchkeys_settings.cassette_dir.name)
        """
    )
    for args, env, line in PRECEDENCE_STEPS:
        assert line in page
        if env is None:
            monkeypatch.delenv("BATCHKEYS_CASSETTE_DIR", raising=False)
        else:
            monkeypatch.setenv("BATCHKEYS_CASSETTE_DIR", env)
        result = pytester.runpytest("-q", "-s", *args)
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines([line])


# --- the site -------------------------------------------------------------------------------


def test_mkdocs_builds_in_strict_mode(tmp_path: Path):
    pytest.importorskip("mkdocs")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-d", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (tmp_path / "site" / "troubleshooting" / "index.html").is_file()


def test_every_docs_page_is_in_the_nav():
    nav = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    pages = sorted(path.name for path in DOCS.glob("*.md"))
    assert [page for page in pages if f": {page}" not in nav] == []
