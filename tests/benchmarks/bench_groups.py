"""Benchmark: files with many groups and deep nesting (issue 20, part 4).

Targets: 20,000 groups (each around one block) load in <= 2 s, and twice as many groups cost at most 2.5× the
time (linear, where the old O(G²) gave 4×); 1,000 nested groups export as a model.py in <= 10 s. The figures
come from generated files (tests/group_files.py).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from netbuilder.core.document import parse

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from group_files import flat_groups, nested_groups  # noqa: E402
from targets import Target, finish  # noqa: E402


def load_s(text: str, repeats: int) -> float:
    """The best of repeats loads of a file's text."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        parse(text)
        best = min(best, time.perf_counter() - start)
    return best


def export_s(depth: int) -> float:
    """`netbuilder export --to py` of `depth` nested groups, in a process of its own (torch's import included)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "nested.json"
        path.write_text(nested_groups(depth))
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "netbuilder", "export", str(path), "--to", "py", "-o", str(Path(folder) / "out")],
            check=True,
            capture_output=True,
        )
        return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes and fewer repeats (CI)")
    quick = parser.parse_args().quick
    n = 5_000 if quick else 20_000
    repeats = 1 if quick else 3
    single, double = load_s(flat_groups(n), repeats), load_s(flat_groups(2 * n), repeats)
    result = {
        "groups": n,
        "load_s": round(single, 3),
        "load_twice_as_many_ratio": round(double / single, 2),
        "export_1000_nested_s": round(export_s(1000), 2),
    }
    targets = [
        Target("load_s", 2, time=True),
        Target("load_twice_as_many_ratio", 2.5),
        Target("export_1000_nested_s", 10, time=True),
    ]
    finish(result, targets, quick)


if __name__ == "__main__":
    main()
