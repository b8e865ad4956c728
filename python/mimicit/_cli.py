"""The ``mimicit`` console script: runs the CLI binary installed inside the
package (``mimicit/bin/mimicit``, built with the module) in this process's
place, so arguments, exit status and signals are the binary's own.

Also ``python -m mimicit``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def binary() -> Path:
    """The CLI installed with this package."""
    return Path(__file__).resolve().parent / "bin" / "mimicit"


def main() -> None:
    path = binary()
    if not path.is_file():
        sys.exit(f"mimicit: the command was not installed with the Python package ({path} is missing)")
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(path, ["mimicit", *sys.argv[1:]])


if __name__ == "__main__":
    main()
