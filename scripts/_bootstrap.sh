# Sourced by scripts/run and scripts/test: make .venv and install the project into it.
# Needs only python3 >= 3.11. Re-installs when pyproject.toml changes.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
extras=${SYNCWRIGHT_EXTRAS:-}
if [ ! -x .venv/bin/python ]; then
    echo "syncwright: creating .venv" >&2
    python3 -m venv .venv
fi
want=$(python3 -c 'import hashlib,sys; print(hashlib.sha256(open("pyproject.toml","rb").read()).hexdigest())')
stamp=".venv/.syncwright-installed-${extras:-base}"
full=".venv/.syncwright-installed-test,dev"
# An install with the test extras also serves scripts/run.
if [ -f "$full" ] && [ "$(cat "$full")" = "$want" ] && [ -z "$extras" ]; then
    :
elif [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    echo "syncwright: installing the project into .venv" >&2
    .venv/bin/python -m pip install --quiet --upgrade pip >&2
    if [ -n "$extras" ]; then
        .venv/bin/python -m pip install --quiet -e ".[$extras]" >&2
    else
        .venv/bin/python -m pip install --quiet -e . >&2
    fi
    echo "$want" > "$stamp"
fi
