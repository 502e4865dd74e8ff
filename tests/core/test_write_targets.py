"""Writers write in place only to a regular file or a new name: a device, a named pipe, a folder or a loop of
symbolic links is refused with a sentence and left as it was (issue 20, part 4). The device case is played with
a named pipe (a FIFO), which the old writers replaced as they replaced /dev/null: no system file is touched."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

import pytest

from netbuilder.cli import main
from netbuilder.core.atomic import WriteRefused, write_text_atomic
from netbuilder.core.document import save
from netbuilder.core.presets import load_preset, preset_path

ROOT = Path(__file__).resolve().parents[2] / "netbuilder"


def _targets(tmp_path: Path, suffix: str) -> dict[str, Path]:
    """name → a path that must not be replaced: a FIFO, a link to it, a loop of links, a folder."""
    fifo = tmp_path / f"pipe{suffix}"
    os.mkfifo(fifo)
    (tmp_path / f"to_pipe{suffix}").symlink_to(fifo)
    (tmp_path / f"loop_a{suffix}").symlink_to(tmp_path / f"loop_b{suffix}")
    (tmp_path / f"loop_b{suffix}").symlink_to(tmp_path / f"loop_a{suffix}")
    (tmp_path / f"folder{suffix}").mkdir()
    return {
        "named pipe": fifo,
        "link to a named pipe": tmp_path / f"to_pipe{suffix}",
        "loop of symbolic links": tmp_path / f"loop_a{suffix}",
        "folder": tmp_path / f"folder{suffix}",
    }


def _untouched(tmp_path: Path, suffix: str) -> None:
    assert stat.S_ISFIFO(os.lstat(tmp_path / f"pipe{suffix}").st_mode)
    assert os.readlink(tmp_path / f"to_pipe{suffix}") == str(tmp_path / f"pipe{suffix}")
    assert os.readlink(tmp_path / f"loop_a{suffix}") == str(tmp_path / f"loop_b{suffix}")
    assert (tmp_path / f"folder{suffix}").is_dir() and not list((tmp_path / f"folder{suffix}").iterdir())
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_the_atomic_writer_refuses_what_is_not_a_file(tmp_path):
    for what, path in _targets(tmp_path, ".json").items():
        with pytest.raises(WriteRefused) as caught:
            write_text_atomic(path, "x")
        sentence = str(caught.value)
        assert "cannot be written: it is a " in sentence and sentence.endswith("."), what
    _untouched(tmp_path, ".json")


def test_new_names_regular_files_and_links_to_them_are_written(tmp_path):
    write_text_atomic(tmp_path / "new.json", "a")
    (tmp_path / "link.json").symlink_to(tmp_path / "new.json")
    write_text_atomic(tmp_path / "link.json", "b")
    (tmp_path / "dangling.json").symlink_to(tmp_path / "made.json")
    write_text_atomic(tmp_path / "dangling.json", "c")
    assert (tmp_path / "new.json").read_text() == "b" and (tmp_path / "link.json").is_symlink()
    assert (tmp_path / "made.json").read_text() == "c" and (tmp_path / "dangling.json").is_symlink()


def test_save_through_a_loop_keeps_the_link(tmp_path):
    for path in _targets(tmp_path, ".json").values():
        with pytest.raises(OSError, match="cannot be written"):
            save(load_preset("seed_cnn"), path)
    _untouched(tmp_path, ".json")


@pytest.mark.parametrize(
    ("command", "suffix"),
    [
        (["render"], ".png"),
        (["render"], ".svg"),
        (["export", "--to", "onnx"], ".onnx"),
        (["export", "--to", "py"], ".py"),
    ],
    ids=["render png", "render svg", "export onnx", "export py"],
)
def test_commands_refuse_a_target_that_is_not_a_file(tmp_path, capsys, command, suffix):
    seed = str(preset_path("seed_cnn"))
    for what, path in _targets(tmp_path, suffix).items():
        code = main([command[0], seed, *command[1:], "-o", str(path)])
        err = capsys.readouterr().err
        assert code in (1, 2) and "Traceback" not in err, what
        assert err.startswith("error: ") and "cannot be written" in err and err.count("\n") == 1, (what, err)
    _untouched(tmp_path, suffix)


# Every writer goes through core.atomic: no other module opens a file for writing or saves a picture to a path.
_DIRECT_WRITE = re.compile(
    r"open\([^)]*[\"'][wax]b?[\"']|\.write_text\(|\.write_bytes\(|\.save\(str\(|grab\(\)\.save\(|setFileName\("
    r"|\.save\(args\.|torch\.save\([^,]+, *args"
)
_ALLOWED = {
    "core/atomic.py": 'os.fdopen(fd, "wb")',  # the one writer
    "records/runs.py": 'open(self.path / METRICS, "a"',  # appends a line to the run folder the app made
    "pytorch/train_script.py": "torch.save(net.state_dict(), args.out)",  # the user's generated train.py
}


def test_every_writer_goes_through_core_atomic():
    found = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT).as_posix()
        for line in path.read_text(encoding="utf-8").splitlines():
            if _DIRECT_WRITE.search(line) and not line.strip().startswith(('"""', "#")):
                if not (rel in _ALLOWED and _ALLOWED[rel] in line):
                    found.append(f"{rel}: {line.strip()}")
    assert not found, found


def test_a_device_like_dev_null_is_refused_by_every_command(tmp_path, capsys):
    """-o /dev/null, played on a device of its own (the same device numbers, made in the test's folder)."""
    devices = {suffix: tmp_path / f"null{suffix}" for suffix in (".png", ".pt", ".json")}
    try:
        for device in devices.values():
            os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device file needs root (as the issue's case does)")
    seed = str(preset_path("seed_cnn"))
    for argv in (
        ["render", seed, "-o", str(devices[".png"])],
        ["export", seed, "--to", "torchscript", "-o", str(devices[".pt"])],
        ["import-model", "torchvision:alexnet", "-o", str(devices[".json"])],
    ):
        assert main(argv) in (1, 2)
        err = capsys.readouterr().err
        assert "cannot be written: it is a device, not a file" in err and "Traceback" not in err, err
    with pytest.raises(WriteRefused, match="it is a device"):
        save(load_preset("seed_cnn"), devices[".json"])
    assert all(stat.S_ISCHR(os.lstat(device).st_mode) for device in devices.values())
