#!/usr/bin/env bash
# The supported Pythons (3.11 and later) installed under pyenv: one line per minor version
# ("3.12"), or with --path MINOR the interpreter of its newest patch release.
set -euo pipefail
root="${PYENV_ROOT:-$HOME/.pyenv}/versions"
[ -d "$root" ] || exit 0
newest() { ls -d "$root/$1".[0-9]* 2>/dev/null | sort -V | tail -n 1; }
if [ "${1:-}" = "--path" ]; then
    echo "$(newest "$2")/bin/python"
    exit 0
fi
for dir in "$root"/3.*; do
    minor="$(basename "$dir" | cut -d. -f1-2)"
    case "$minor" in 3.1[1-9] | 3.[2-9][0-9]) [ -x "$dir/bin/python" ] && echo "$minor" ;; esac
done | sort -uV
