import os
import re

import pytest

from netbuilder.records.config import TrainConfig
from netbuilder.records.events import Checkpoint, EpochMetrics, Failed, Finished, from_dict
from netbuilder.records.runs import Run, list_runs, new_path, summarize
from netbuilder.records.train_error import TrainError
from netbuilder.train import checkpoints


def test_a_run_folder_keeps_settings_network_and_events(tmp_path, seed_cnn):
    run = Run.create(tmp_path / "r", seed_cnn, TrainConfig(epochs=3))
    assert Run.open(tmp_path / "r").config.epochs == 3
    assert list(run.document.graph.nodes) == list(seed_cnn.graph.nodes)
    events = [EpochMetrics(1, 3, 1.0, 0.5, 0.9, 0.6, 0.01, 2.0), Checkpoint(1, "last.pt", True)]
    for e in events:
        run.log(e)
    with open(run.path / "metrics.jsonl", "a") as f:
        f.write('{"event": "batch", "epo')  # a line cut short by a crash
    assert run.events() == events


def test_an_existing_run_is_never_overwritten(tmp_path, seed_cnn):
    Run.create(tmp_path / "r", seed_cnn, TrainConfig())
    with pytest.raises(TrainError, match="already holds files; choose another --out, or continue a run there"):
        Run.create(tmp_path / "r", seed_cnn, TrainConfig())


def test_rewind_forgets_what_came_after_a_checkpoint(tmp_path, seed_cnn):
    run = Run.create(tmp_path / "r", seed_cnn, TrainConfig())
    for epoch in (1, 2):
        run.log(EpochMetrics(epoch, 3, 1.0, 0.5, 0.9, 0.6, 0.01, 2.0))
        run.log(Checkpoint(epoch, "last.pt", True))
    run.log(Failed("killed"))
    run.rewind({"epoch": 1, "model": {}})
    assert [type(e) for e in run.events()] == [EpochMetrics, Checkpoint]


def test_events_round_trip_through_dicts():
    event = Finished(False, 3, 0.8, 0.79, 12.5)
    assert from_dict({**event.to_dict(), "time": 1.0}) == event


def test_summaries_say_how_a_run_ended():
    assert summarize(Failed("diverged"), None) == {"status": "failed", "message": "diverged"}
    stopped = summarize(Finished(True, 2, 0.5, None, 3.0), None)
    assert stopped == {
        "status": "stopped",
        "epochs_done": 2,
        "best_val_accuracy": 0.5,
        "test_accuracy": None,
        "seconds": 3.0,
    }


def test_runs_are_listed_newest_first_and_named_by_time(tmp_path, seed_cnn):
    old = Run.create(tmp_path / "a", seed_cnn, TrainConfig())
    os.utime(old.path / "config.json", (1, 1))
    Run.create(tmp_path / "b", seed_cnn, TrainConfig())
    (tmp_path / "not-a-run").mkdir()
    assert [r.path.name for r in list_runs(tmp_path)] == ["b", "a"]
    assert list_runs(tmp_path / "nowhere") == []
    assert re.fullmatch(r"my-net-\d{8}-\d{6}", new_path(tmp_path, "my net!").name)


@pytest.mark.parametrize(
    "name, start",
    [
        ("a\x00b\nc\rd\te", "a-b-c-d-e-"),
        ("../../etc/passwd", "etc-passwd-"),
        ("..", "run-"),
        ("/", "run-"),
        ('a\\b:c*d?e|f<g>h"i', "a-b-c-d-e-f-g-h-i-"),
        ("\x1b[31mred\x1b[0m", "31mred-0m-"),
        ("-rf ~", "rf-"),
        ("Réseau_été 2", "Réseau_été-2-"),
        ("evil\u202etxt.exe", "evil-txt-exe-"),
        ("名前" * 150, "名前" * 13 + "-"),
    ],
)
def test_run_folders_are_named_safely_whatever_the_network_is_called(tmp_path, name, start):
    path = new_path(tmp_path, name)
    assert path.parent == tmp_path and path.name.startswith(start)
    assert re.fullmatch(r"[\w-]+-\d{8}-\d{6}", path.name) and len(path.name.encode()) <= 100
    path.mkdir()
    assert path.is_dir()


def test_missing_or_damaged_checkpoints_are_sentences(tmp_path, seed_cnn):
    run = Run.create(tmp_path / "r", seed_cnn, TrainConfig())
    with pytest.raises(TrainError, match="has no last checkpoint yet"):
        checkpoints.load(run)
    run.checkpoint_path("last").write_bytes(b"garbage")
    with pytest.raises(TrainError, match="cannot be read"):
        checkpoints.load(run)
    with pytest.raises(TrainError, match="is not a run folder"):
        Run.open(tmp_path)
