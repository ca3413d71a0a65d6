#!/usr/bin/env bash
# Packaging checks: build wheel and sdist, install the wheel into fresh virtual environments and
# use it from there (console script, a replay test, the shipped contract suite), check the
# metadata, and run the plugin's tests under the oldest supported and the newest pytest.
# Called by .ci/run; runs on its own too: bash .ci/packaging.sh
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
python="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=
work="$(mktemp -d "${TMPDIR:-/tmp}/batchkeys-packaging.XXXXXX")"
trap 'rm -rf "$work"' EXIT
pip_q() { "$1/bin/python" -m pip install -q "${@:2}" 2> >(grep -v '^WARNING: Location' >&2); }
started=$SECONDS

echo "== packaging: build wheel and sdist"
"$python" -m build --outdir "$work/dist" "$repo" > "$work/build.log" 2>&1 || {
    cat "$work/build.log"
    exit 1
}
wheel="$(ls "$work"/dist/pytest_batchkeys-*.whl)"
sdist="$(ls "$work"/dist/pytest_batchkeys-*.tar.gz)"
echo "built $(basename "$wheel") and $(basename "$sdist")"

echo "== packaging: wheel and sdist contents and metadata"
"$python" - "$wheel" "$sdist" << 'EOF'
import sys, tarfile, zipfile

wheel, sdist = sys.argv[1:3]
names = zipfile.ZipFile(wheel).namelist()
meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
metadata = zipfile.ZipFile(wheel).read(meta).decode()
entry_points = zipfile.ZipFile(wheel).read(meta.replace("METADATA", "entry_points.txt")).decode()
problems = []
for required in ("pytest_batchkeys/py.typed", "pytest_batchkeys/plugin.py", "pytest_batchkeys/troubleshooting.md"):
    if required not in names:
        problems.append(f"wheel lacks {required}")
if not any(n.startswith("pytest_batchkeys/spec/bundled/") and n.endswith(".json") for n in names):
    problems.append("wheel lacks the bundled spec (pytest_batchkeys/spec/bundled/*.json)")
if any(n.startswith("tests/") or "__pycache__" in n for n in names):
    problems.append("wheel ships tests/ or __pycache__")
for classifier in ("Framework :: Pytest", "Typing :: Typed"):
    if f"Classifier: {classifier}" not in metadata:
        problems.append(f"classifier {classifier!r} missing")
if "Requires-Python: >=3.11" not in metadata:
    problems.append("Requires-Python >=3.11 missing")
if "batchkeys = pytest_batchkeys.plugin" not in entry_points:
    problems.append("pytest11 entry point batchkeys missing")
if "batchkeys = pytest_batchkeys.cli.main:main" not in entry_points:
    problems.append("console script batchkeys missing")
members = tarfile.open(sdist).getnames()
root = members[0].split("/")[0]
for required in ("pyproject.toml", "README.md", "CHANGELOG.md", "mkdocs.yml",
                 "pytest_batchkeys/py.typed", "tests/test_plugin.py", "docs/index.md"):
    if f"{root}/{required}" not in members:
        problems.append(f"sdist lacks {required}")
if problems:
    sys.exit("packaging problems:\n  " + "\n  ".join(problems))
print(f"wheel: {len(names)} files; sdist: {len(members)} members; metadata and entry points ok")
EOF

echo "== packaging: the wheel in a fresh virtual environment"
venv="$work/venv-wheel"
"$python" -m venv "$venv"
pip_q "$venv" "$wheel"
"$venv/bin/batchkeys" --version
host="$work/host"
mkdir -p "$host"
cat > "$host/test_host.py" << 'EOF'
import pytest
import pytest_batchkeys


def test_uses_the_installed_wheel():
    assert "site-packages" in pytest_batchkeys.__file__


@pytest.mark.batchkeys
def test_keys(batchkeys_client):
    response = batchkeys_client.list_keys()
    assert response.status_code == 200
    assert response.json()["accountName"] == "batchkeysacct"
EOF
(cd "$host" && "$venv/bin/python" - << 'EOF'
import json
from pathlib import Path
from pytest_batchkeys.secrets import placeholders as p
from pytest_batchkeys.recording.cassettes import serialize_cassette

path = (f"/subscriptions/{p.SUBSCRIPTION_ID}/resourceGroups/{p.RESOURCE_GROUP}"
        f"/providers/Microsoft.Batch/batchAccounts/{p.ACCOUNT_NAME}/listKeys")
body = {"accountName": p.ACCOUNT_NAME, "primary": p.FAKE_PRIMARY_KEY,
        "secondary": p.FAKE_SECONDARY_KEY}
interaction = {
    "request": {"method": "POST", "body": None, "headers": {},
                "uri": f"https://management.azure.com{path}?api-version=2026-08-01"},
    "response": {"status": {"code": 200, "message": "OK"},
                 "headers": {"Content-Type": ["application/json; charset=utf-8"]},
                 "body": {"string": json.dumps(body)}},
}
target = Path("cassettes/test_host/test_keys.yaml")
target.parent.mkdir(parents=True)
target.write_text(serialize_cassette([interaction], {}), encoding="utf-8")
EOF
)
(cd "$host" && "$venv/bin/pytest" -q -p no:cacheprovider)

if [ -d "$repo/pytest_batchkeys/contract" ]; then
    echo "== packaging: the shipped contract suite from the wheel"
    empty="$work/empty"
    mkdir -p "$empty"
    (cd "$empty" && "$venv/bin/pytest" -q -p no:cacheprovider --batch-contract \
        --batch-cassette-dir="$repo/cassettes")
    (cd "$empty" && "$venv/bin/pytest" -q -p no:cacheprovider --batch-contract \
        --batch-cassette-dir="$repo/cassettes" -p no:schemathesis -p no:hypothesispytest)
else
    echo "== packaging: no pytest_batchkeys/contract yet; contract suite skipped"
fi

# The plugin's own tests against the installed wheel, outside the source tree, so that
# `import pytest_batchkeys` cannot pick up the checkout.
plugin_tests() {
    local venv="$1"
    (cd "$work" && "$venv/bin/pytest" -q -p no:cacheprovider --rootdir="$repo" \
        -c "$repo/pyproject.toml" "$repo/tests/test_plugin.py" "$repo/tests/test_settings.py")
}
# The oldest pytest is the lower bound pyproject.toml declares (as X.Y.*): the two stay in step.
oldest="$("$python" - "$repo/pyproject.toml" << 'EOF'
import re, sys, tomllib

deps = tomllib.load(open(sys.argv[1], "rb"))["project"]["dependencies"]
bound = next(m for d in deps if (m := re.fullmatch(r"pytest\s*>=\s*(\d+\.\d+)[^,]*(,.*)?", d)))
print(f"pytest=={bound.group(1)}.*")
EOF
)"
for pin in "${OLDEST_PYTEST:-$oldest}" "pytest"; do
    echo "== packaging: tests/test_plugin.py and tests/test_settings.py under $pin"
    venv="$work/venv-$(echo "$pin" | tr -c 'a-z0-9' '_')"
    "$python" -m venv "$venv"
    pip_q "$venv" --upgrade "$wheel" "$pin" || {
        echo "cannot install $pin next to the wheel: is the pytest lower bound in pyproject.toml" \
            "installable with the other dependencies (schemathesis 4.32 needs pytest>=8.4)?" >&2
        exit 1
    }
    "$venv/bin/python" -c "import pytest; print('pytest', pytest.__version__)"
    plugin_tests "$venv"
done
echo "== packaging: done in $((SECONDS - started)) s"
