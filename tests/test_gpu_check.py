"""tests/gpu/check.py is honest without CUDA: it says so, and nothing else."""

import os
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).parent / "gpu" / "check.py"


def test_without_cuda_the_gpu_check_prints_only_that():
    env = os.environ | {"CUDA_VISIBLE_DEVICES": ""}  # no GPU, even on a machine that has one
    proc = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120)
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, '{"cuda": false}\n', "")
