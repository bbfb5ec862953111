"""daemon/gctune.py: start-up objects frozen, young collections in larger steps, and cyclic
garbage still collected without anyone calling gc.collect(). Runs in a child interpreter so
the test process keeps its own collector settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import gc, weakref
from syncwright.daemon.gctune import YOUNG, MIDDLE, OLD, tune

tune()
assert gc.get_threshold() == (YOUNG, MIDDLE, OLD), gc.get_threshold()
assert gc.get_freeze_count() > 0

class Node:
    pass

freed = []
def cycle():
    a, b = Node(), Node()
    a.other, b.other = b, a  # only the cycle collector can free these
    weakref.finalize(a, freed.append, 1)

for _ in range(100):
    cycle()
for _ in range(3 * YOUNG):  # allocations, net of frees, that outlive this loop
    cycle.__dict__.setdefault("keep", []).append([])
print(len(freed))
"""


def test_tune_freezes_and_still_collects_cycles() -> None:
    out = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip()) == 100
