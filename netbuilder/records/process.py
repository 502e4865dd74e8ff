"""The setup of a process that trains, done before it imports torch."""

import os


def prepare() -> None:
    """Let idle OpenMP threads sleep instead of spin (unless OMP_WAIT_POLICY is set already): on a machine busy
    with other work, such as the app's own window, spinning threads made CPU training several times slower."""
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
