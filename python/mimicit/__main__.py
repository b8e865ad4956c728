"""``python -m mimicit ARGS``: the ``mimicit`` command."""

from ._cli import main

main()
