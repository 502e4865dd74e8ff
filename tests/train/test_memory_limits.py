"""The memory a run may take is the least of the machine's, the process's and its cgroup's; the refusal before a
run and the sentence after running out of memory suggest the same batch size."""

import re
import subprocess
import sys

import torch

from netbuilder.records import memory
from netbuilder.records.events import Failed
from netbuilder.train.job import execute

MB = 1_000_000


def test_an_address_space_limit_lowers_the_free_memory():
    code = (
        "import resource\n"
        "from netbuilder.records import memory\n"
        "used = memory._status_bytes('VmSize:')\n"
        "resource.setrlimit(resource.RLIMIT_AS, (used + 200_000_000, resource.RLIM_INFINITY))\n"
        "print(memory.available_ram())\n"
    )
    free = int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert 0 < free <= 200 * MB


def _cgroup_tree(tmp_path, lines: str, files: dict[str, str]):
    (tmp_path / "cgroup").write_text(lines)
    for name, text in files.items():
        path = tmp_path / "root" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return str(tmp_path / "root"), str(tmp_path / "cgroup")


def test_a_cgroup_v2_memory_max_lowers_the_free_memory(tmp_path):
    root, membership = _cgroup_tree(
        tmp_path,
        "0::/user.slice/job\n",
        {
            "user.slice/job/memory.max": "max\n",
            "user.slice/job/memory.current": "5000000\n",
            "user.slice/memory.max": "300000000\n",  # the limit of the group above applies too
            "user.slice/memory.current": "100000000\n",
        },
    )
    assert memory._cgroup_left(root, membership) == 200 * MB


def test_a_cgroup_v1_memory_limit_lowers_the_free_memory(tmp_path):
    root, membership = _cgroup_tree(
        tmp_path,
        "5:devices:/\n4:memory:/box\n0::/\n",
        {"memory/box/memory.limit_in_bytes": "400000000\n", "memory/box/memory.usage_in_bytes": "150000000\n"},
    )
    assert memory._cgroup_left(root, membership) == 250 * MB
    unlimited, membership = _cgroup_tree(
        tmp_path,
        "4:memory:/\n",
        {"memory/memory.limit_in_bytes": "9223372036854771712\n", "memory/memory.usage_in_bytes": "1\n"},
    )
    assert memory._cgroup_left(unlimited, membership) is None


def test_the_least_of_the_limits_is_the_free_memory(monkeypatch):
    monkeypatch.setattr(memory, "_machine_free", lambda: 8_000 * MB)
    monkeypatch.setattr(memory, "_address_space_left", lambda: None)
    monkeypatch.setattr(memory, "_cgroup_left", lambda: 300 * MB)
    assert memory.available_ram() == 300 * MB


def test_running_out_of_memory_suggests_the_batch_size_the_refusal_does(seed_cnn, quick, tmp_path, monkeypatch):
    config = quick.replace(device="cpu", batch_size=500)
    from netbuilder.core.check.shapes import check

    need = memory.estimate(check(seed_cnn.graph), 500, config.optimizer, config.momentum, False, 0)
    free = need.total - need.activations + need.activations // 5  # room for about 100 images
    monkeypatch.setattr(memory, "available_ram", lambda: free)
    refused = execute(seed_cnn, config, tmp_path / "refused")
    assert isinstance(refused, Failed)
    (said,) = re.findall(r"a batch size of (\d+) or less", refused.message)
    assert int(said) == memory.suggested_batch_size(need, 500, free) and 90 <= int(said) <= 100

    def exhausted(self, x):
        raise torch.OutOfMemoryError("out of memory")

    monkeypatch.setattr(torch.nn.Conv2d, "forward", exhausted)
    failed = execute(seed_cnn, config, tmp_path / "forced", force=True)
    assert isinstance(failed, Failed)
    assert failed.message == f"The computer ran out of memory at batch size 500; try --batch-size {said} or less."
