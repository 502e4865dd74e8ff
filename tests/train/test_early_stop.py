"""Early stopping: the run ends once validation accuracy stops improving, says so, and best.pt is the best epoch."""

import io

import pytest
import torch

from netbuilder.records.config import TrainConfig, recommend
from netbuilder.records.events import Checkpoint, EpochMetrics, Finished
from netbuilder.records.report import Progress
from netbuilder.records.runs import Run
from netbuilder.train.job import execute
from netbuilder.train.loop import Trainer


@pytest.fixture
def plateau() -> TrainConfig:
    """seed_cnn on 1,000 shapes10 images at a constant rate: validation accuracy peaks within a few epochs."""
    return TrainConfig(limit=1000, epochs=20, batch_size=64, log_every=5, schedule="constant", patience=2)


def test_auto_is_on_for_a_constant_rate_and_off_for_the_recipes(seed_cnn):
    assert TrainConfig(schedule="constant").stops_early
    assert not TrainConfig(schedule="cosine").stops_early and not recommend(seed_cnn.graph).stops_early
    assert TrainConfig(schedule="onecycle", early_stop="on").stops_early
    assert not TrainConfig(schedule="constant", early_stop="off").stops_early


def test_patience_ends_the_run_with_a_sentence_and_best_pt_holds_the_best_epoch(seed_cnn, plateau, tmp_path):
    run = Run.create(tmp_path / "run", seed_cnn, plateau)
    trainer = Trainer(seed_cnn, plateau)
    trainer.setup()
    weights, events = {}, []
    for event in trainer.events(run):
        events.append(event)
        if isinstance(event, Checkpoint):
            weights[event.epoch] = {k: v.clone() for k, v in trainer.net.state_dict().items()}
    finished = events[-1]
    accuracies = {e.epoch: e.val_accuracy for e in events if isinstance(e, EpochMetrics)}
    last, best = max(accuracies), finished.best_epoch
    assert isinstance(finished, Finished) and not finished.stopped and last < plateau.epochs
    assert last - best == plateau.patience and accuracies[best] == max(accuracies.values())
    assert all(accuracies[e] <= accuracies[best] for e in range(best + 1, last + 1))  # none improved on it
    assert finished.early_stop == f"stopped early at epoch {last}; best was epoch {best} ({accuracies[best]:.1%})"
    saved = torch.load(run.checkpoint_path("best"), weights_only=True)
    assert saved["epoch"] == best
    assert all(torch.equal(saved["model"][k], weights[best][k]) for k in weights[best])
    assert not all(torch.equal(saved["model"][k], weights[last][k]) for k in weights[last])

    text = io.StringIO()
    Progress(text, live=False)(finished)
    assert finished.early_stop in text.getvalue()


def test_the_sentence_reaches_summary_json_and_a_resumed_run_stops_at_the_same_epoch(seed_cnn, plateau, tmp_path):
    straight = []
    execute(seed_cnn, plateau, tmp_path / "straight", listener=straight.append)
    assert straight[-1].early_stop
    summary = Run.open(tmp_path / "straight").summary
    assert summary["status"] == "completed" and summary["early_stop"] == straight[-1].early_stop

    first = []  # interrupted once epoch 2's checkpoint is written, before patience runs out
    execute(
        seed_cnn,
        plateau,
        tmp_path / "resumed",
        listener=first.append,
        should_stop=lambda: any(isinstance(e, Checkpoint) and e.epoch == 2 for e in first),
    )
    assert first[-1].stopped and first[-1].early_stop is None
    second = []
    execute(seed_cnn, plateau, tmp_path / "resumed", resume=True, listener=second.append)
    assert second[0].start_epoch == 2
    assert (second[-1].early_stop, second[-1].best_epoch) == (straight[-1].early_stop, straight[-1].best_epoch)


def test_without_a_validation_split_or_when_off_the_run_goes_to_its_last_epoch(seed_cnn, plateau, tmp_path):
    for name, config in {"noval": plateau.replace(val_split=0.0), "off": plateau.replace(early_stop="off")}.items():
        events = []
        execute(seed_cnn, config.replace(epochs=6), tmp_path / name, listener=events.append)
        assert events[-1].epochs_done == 6 and events[-1].early_stop is None
