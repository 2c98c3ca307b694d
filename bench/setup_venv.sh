#!/usr/bin/env bash
# Create the peers' virtualenv ($PEERS_VENV, default ~/.peers-venv) from PyPI.
# Used by the comparison scripts in bench/ and the fixture scripts in fixtures/.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${PEERS_VENV:-$HOME/.peers-venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q -r "$here/requirements.txt"
echo "peers installed in $venv"
