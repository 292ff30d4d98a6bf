#!/usr/bin/env bash
# Makes sure the virtual environment DIR exists and holds exactly the pinned PyPI packages given — tools for tests
# and lint only; the shipped Python client needs nothing but the standard library. Creates the venv when missing
# and rebuilds it when the pins changed (a stamp file remembers them), so a fresh machine gets it automatically.
# Usage: scripts/venv.sh DIR PACKAGE==VERSION...   (PYTHON picks the interpreter; default python3)
set -euo pipefail
dir=$1
shift
pins="$*"
stamp="$dir/.datadist-pins"
if [ -x "$dir/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$pins" ]; then
    exit 0
fi
echo "venv $dir: installing $pins"
rm -rf "$dir"
"${PYTHON:-python3}" -m venv "$dir"
"$dir/bin/pip" install -q --disable-pip-version-check "$@"
printf '%s' "$pins" >"$stamp"
