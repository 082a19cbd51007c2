"""The one test command: set up everything the tests need, then lint and test.

Run `python3 scripts/test.py` on a machine with nothing but Python 3.10+.
It makes the virtual environment `.venv` (the same one the README's run
command uses) if there is none, installs requirements.txt and
requirements-dev.txt into it, makes sure the browser tests have a Chromium to
drive, then runs `ruff check .` and `pytest` (extra arguments go to pytest).
By default the tests marked slow (each over about 15 s on a 2-core CPU
without bf16: long runs, large pictures, the browser's longest visits) are
left out, so the everyday run takes minutes; `--all`, CI (the CI variable
set), naming tests or choosing markers with -m runs them too.
Running it again repeats only what is missing, so it is also the everyday
command. Only the standard library is used: nothing else exists yet.

Chromium, in order of preference: one already on PATH (`chromium`); Debian's
package when we are root and apt-get exists (CI's case); Playwright's own
download where the network allows it. If none works, it stops before the
tests with a message naming the commands that would fix it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = ROOT / ".venv"
VENV_PYTHON = VENV / "bin" / "python"
REQUIREMENTS = ["requirements.txt", "requirements-dev.txt"]

NO_CHROMIUM = """\
The browser tests need Chromium and none could be installed here.
Install one of these, then run this command again:
  - Debian or Ubuntu, as root:  apt-get install -y chromium
  - anywhere with a network:    {python} -m playwright install --with-deps chromium
"""


def step(message: str) -> None:
    """Say what is happening: a fresh machine spends minutes in some of these steps."""
    print(f"[test] {message}", flush=True)


def run(*command: str | Path, check: bool = True, quiet: bool = False) -> bool:
    """Run a command from the repository root; whether it succeeded (or stop here if `check`)."""
    output = subprocess.DEVNULL if quiet else None
    result = subprocess.run([str(part) for part in command], cwd=ROOT, stdout=output, stderr=output)
    if check and result.returncode != 0:
        sys.exit(result.returncode)
    return result.returncode == 0


def ensure_environment() -> None:
    """Create .venv if needed and install the pinned requirements into it (a no-op when they are there)."""
    if not VENV_PYTHON.exists():
        step(f"creating the virtual environment {VENV.name}")
        run(sys.executable, "-m", "venv", VENV)
    step("installing requirements (the first time takes several minutes: PyTorch is large)")
    requirements = [arg for name in REQUIREMENTS for arg in ("-r", name)]
    run(VENV_PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *requirements)


def ensure_chromium() -> None:
    """Make sure the browser tests can start Chromium, or stop with what to do about it."""
    if shutil.which("chromium"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        step("installing Debian's chromium package")
        installed = run("apt-get", "update", "-qq", check=False) and run(
            "apt-get", "install", "-y", "-qq", "chromium", check=False, quiet=True
        )
        if installed and shutil.which("chromium"):
            return
    step("no chromium on PATH: trying Playwright's own Chromium download")
    if run(VENV_PYTHON, "-m", "playwright", "install", "chromium", check=False):
        return
    sys.exit(NO_CHROMIUM.format(python=VENV_PYTHON.relative_to(ROOT)))


def selection(pytest_args: list[str]) -> list[str]:
    """pytest's arguments: the slow tests left out unless --all, CI, named tests or -m say otherwise."""
    everything = "--all" in pytest_args or bool(os.environ.get("CI"))
    arguments = [arg for arg in pytest_args if arg != "--all"]
    chosen = any(not arg.startswith("-") for arg in arguments) or any(arg.startswith("-m") for arg in arguments)
    return arguments if everything or chosen else [*arguments, "-m", "not slow"]


def main(pytest_args: list[str]) -> None:
    pytest_args = selection(pytest_args)
    ensure_environment()
    ensure_chromium()
    step("ruff check .")
    run(VENV_PYTHON, "-m", "ruff", "check", ".")
    step("pytest " + " ".join(pytest_args))
    os.chdir(ROOT)
    os.execv(VENV_PYTHON, [str(VENV_PYTHON), "-m", "pytest", *pytest_args])


if __name__ == "__main__":
    main(sys.argv[1:])
