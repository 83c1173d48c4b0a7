#!/usr/bin/env python3
"""Strata's quick start, with nothing but Python 3.11+:

    python3 dev.py serve    # install on first use, then run Strata on http://127.0.0.1:8000
    python3 dev.py test     # install on first use, then run the test suite

The first run makes a virtual environment in .venv and installs Strata with its dev extras
from pyproject.toml; later runs reinstall only when pyproject.toml changed. Any other
arguments go to the ``strata`` command (``python3 dev.py db upgrade``), and arguments after
``test`` go to pytest (``python3 dev.py test -k crm``).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if sys.platform == "win32" else "bin")
STAMP = VENV / ".strata-install-stamp"


def _install_fingerprint() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_installed() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - runs before anything checks the version
        sys.exit(f"Strata needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    fingerprint = _install_fingerprint()
    if STAMP.is_file() and STAMP.read_text().strip() == fingerprint:
        return
    if not (BIN / "python").exists():
        print("creating .venv ...", file=sys.stderr)
        venv.create(VENV, with_pip=True)
    python = str(BIN / "python")
    print("installing Strata and its dependencies into .venv ...", file=sys.stderr)
    subprocess.run([python, "-m", "pip", "install", "-q", "--upgrade", "pip"], check=True)
    subprocess.run([python, "-m", "pip", "install", "-q", "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(fingerprint)


def main(argv: list[str]) -> int:
    ensure_installed()
    os.chdir(ROOT)
    if argv[:1] == ["test"]:
        command = [str(BIN / "python"), "-m", "pytest", *argv[1:]]
    elif argv[:1] == ["install"]:
        return 0
    else:
        command = [str(BIN / "strata"), *(argv or ["--help"])]
    if sys.platform == "win32":
        return subprocess.call(command)
    os.execv(command[0], command)
    return 0  # not reached: execv replaces this process


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
