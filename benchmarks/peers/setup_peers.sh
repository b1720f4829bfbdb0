#!/usr/bin/env bash
# Create the virtual environments of the peer simulators used by the
# benchmarks and by tests/reference/make_brian2_reference.py:
#
#   .peers/brian2   Brian2 (+ Cython for the runtime target; cpp_standalone needs g++)
#   .peers/brainpy  BrainPy 2.x with its [cpu] extra (JAX on CPU)
#
# .peers/ lives at the repository root and is git-ignored.  The script is
# idempotent: a venv whose packages already import is left as it is.
# Usage:  bash benchmarks/peers/setup_peers.sh [brian2|brainpy ...]
# Environment: PYTHON (default python3) picks the base interpreter.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PEERS="$ROOT/.peers"
PYTHON="${PYTHON:-python3}"

# Versions that were installed and checked together (see README.md).
BRIAN2_PKGS=("brian2==2.9.0" "numpy<2.4" "cython>=3")
BRAINPY_PKGS=("brainpy[cpu]==2.8.2" "jax==0.10.2" "jaxlib==0.10.2")

BRIAN2_CHECK='import brian2, numpy, Cython; print("brian2", brian2.__version__, "numpy", numpy.__version__, "cython", Cython.__version__)'
BRAINPY_CHECK='import brainpy, jax; print("brainpy", brainpy.__version__, "jax", jax.__version__)'

make_venv() {
    local name="$1" check="$2"; shift 2
    local venv="$PEERS/$name"
    if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c "$check" >/dev/null 2>&1; then
        echo "[setup_peers] $name: already set up ($("$venv/bin/python" -c "$check"))"
        return 0
    fi
    echo "[setup_peers] $name: creating $venv"
    rm -rf "$venv"
    mkdir -p "$PEERS"
    "$PYTHON" -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet "$@"
    "$venv/bin/python" -c "$check"
    "$venv/bin/python" -m pip freeze > "$venv/versions.txt"
    echo "[setup_peers] $name: ready (pip freeze in $venv/versions.txt)"
}

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(brian2 brainpy)

for t in "${targets[@]}"; do
    case "$t" in
        brian2)
            command -v g++ >/dev/null 2>&1 || echo "[setup_peers] warning: g++ not found; Brian2 cpp_standalone and Cython need a C++ compiler" >&2
            make_venv brian2 "$BRIAN2_CHECK" "${BRIAN2_PKGS[@]}"
            ;;
        brainpy)
            make_venv brainpy "$BRAINPY_CHECK" "${BRAINPY_PKGS[@]}"
            ;;
        *)
            echo "unknown peer: $t (expected brian2 or brainpy)" >&2
            exit 2
            ;;
    esac
done
