#!/usr/bin/env bash
# Makes a Python virtual environment with a torch >= 2 for the scripts that need one
# (scripts/kernels/make_kernels.py; pytorch_reference.py with --attention sdpa), where Debian's
# python3-torch (1.13) is too old and PyPI may be out of reach: it installs from a folder of wheels.
#   scripts/torch-venv.sh [VENV_DIR]     (default /tmp/tlab-torch; prints the python to use)
#   WHEELS=/folder/of/wheels             (default /opt/pypi-more/files; empty: pip's own index)
# The torch wheel there is a CUDA build: its nvidia-* and cuda-* wheels come from the same folder,
# without dependency resolution (filelock and fsspec are optional for what these scripts do).
set -euo pipefail
venv="${1:-/tmp/tlab-torch}"
wheels="${WHEELS-/opt/pypi-more/files}"
python="${PYTHON:-$(command -v python3.11 || command -v python3)}"
if [[ ! -x "$venv/bin/python" ]]; then
    "$python" -m venv --system-site-packages "$venv"
fi
if ! "$venv/bin/python" -c 'import torch, sys; sys.exit(int(torch.__version__.split(".")[0]) < 2)' 2>/dev/null; then
    if [[ -n "$wheels" ]]; then
        shopt -s nullglob
        extra=("$wheels"/nvidia_*.whl "$wheels"/cuda_*.whl)
        "$venv/bin/pip" install -q --no-index --no-deps "$(ls "$wheels"/torch-2*.whl | sort -V | tail -n 1)" "${extra[@]}"
    else
        "$venv/bin/pip" install -q torch
    fi
fi
"$venv/bin/python" -c 'import torch; print("torch", torch.__version__, file=__import__("sys").stderr)'
echo "$venv/bin/python"
