#!/bin/sh
# Prints a command that runs uv, installing uv into the user's Python first when it is missing.
set -e
if command -v uv >/dev/null 2>&1; then command -v uv; exit 0; fi
if [ -x "$HOME/.local/bin/uv" ]; then echo "$HOME/.local/bin/uv"; exit 0; fi
if python3 -m uv --version >/dev/null 2>&1; then echo "python3 -m uv"; exit 0; fi
echo "uv not found: installing it with pip --user" >&2
python3 -m pip install --user --quiet uv >&2 \
  || python3 -m pip install --user --quiet --break-system-packages uv >&2
if [ -x "$HOME/.local/bin/uv" ]; then echo "$HOME/.local/bin/uv"; else echo "python3 -m uv"; fi
