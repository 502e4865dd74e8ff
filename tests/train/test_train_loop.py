import pytest
import torch
from train_fakes import write_fake_mnist, write_image_folder

from netbuilder.core.document import Document
from netbuilder.core.graph import Edge
from netbuilder.records.config import recommend
from netbuilder.records.events import (
    BatchMetrics,
    Checkpoint,
    EpochMetrics,
    Evaluated,
    Failed,
    Finished,
    Health,
    Started,
)
from netbuilder.records.runner import Runner
from netbuilder.records.runs import Run
from netbuilder.train.job import execute
from netbuilder.train.loop import Trainer


def run_job(document, config, out, **kwargs):
    seen = []
    last = execute(document, config, out, listener=seen.append, **kwargs)
    assert seen[-1] is last
    return seen


def assert_complete_and_ordered(events, epochs, first_epoch=1):
    """Started; per epoch: batch metrics with rising steps ending at the last, epoch metrics, checkpoint;
    then the test and Finished. (Health records come between batches: test_health_training.py checks them.)"""
    assert isinstance(events[0], Started)
    steps = events[0].steps_per_epoch
    rest = [e for e in events[1:] if not isinstance(e, Health)]
    for epoch in range(first_epoch, epochs + 1):
        batches = []
        while isinstance(rest[0], BatchMetrics):
            batches.append(rest.pop(0))
        assert batches and all(b.epoch == epoch for b in batches)
        assert [b.step for b in batches] == sorted({b.step for b in batches}) and batches[-1].step == steps
        epoch_event, checkpoint = rest.pop(0), rest.pop(0)
        assert isinstance(epoch_event, EpochMetrics) and epoch_event.epoch == epoch
        assert isinstance(checkpoint, Checkpoint) and checkpoint.epoch == epoch
    assert [type(e) for e in rest] == [Evaluated, Finished]


@pytest.mark.slow
def test_seed_cnn_learns_shapes10_in_a_few_epochs(seed_cnn, tmp_path):
    """The acceptance test: the whole shapes10 set, the settings a user gets by pressing Start, 4 epochs, run as
    the app runs it (a child process). (Its time, under a minute, is bench_train.py's c_shapes10_epoch_s_cpu.)"""
    runner = Runner(seed_cnn, recommend(seed_cnn.graph).replace(epochs=4), tmp_path / "run")
    runner.start()
    events = runner.wait(timeout=120)
    epochs = [e for e in events if isinstance(e, EpochMetrics)]
    assert isinstance(events[-1], Finished) and events[0].train_size == 18_000 and len(epochs) == 4
    assert epochs[-1].val_accuracy >= 0.70, [e.val_accuracy for e in epochs]
    assert events[-1].test_accuracy >= 0.70


def test_events_are_complete_ordered_and_logged(seed_cnn, quick, tmp_path):
    events = run_job(seed_cnn, quick.replace(epochs=2), tmp_path / "run")
    assert_complete_and_ordered(events, epochs=2)
    started, evaluated, finished = events[0], events[-2], events[-1]
    assert (started.train_size, started.val_size, started.test_size) == (900, 100, 4000)
    assert started.steps_per_epoch == 900 // 64 and started.device == "cpu" and started.precision == "fp32"
    assert len(evaluated.confusion) == 10 and sum(map(sum, evaluated.confusion)) == 4000
    assert evaluated.per_class_accuracy[0] == evaluated.confusion[0][0] / sum(evaluated.confusion[0])
    wrong = evaluated.wrong
    assert 0 < len(wrong) <= 64 and all(w["label"] != w["predicted"] for w in wrong)
    assert [w["confidence"] for w in wrong] == sorted((w["confidence"] for w in wrong), reverse=True)
    cells: dict = {}
    for s in evaluated.samples:
        cells.setdefault((s["label"], s["predicted"]), []).append(s["confidence"])
    assert all(len(c) <= 8 and c == sorted(c, reverse=True) for c in cells.values())
    assert all(len(cells.get((t, p), [])) == min(8, evaluated.confusion[t][p]) for t in range(10) for p in range(10))
    assert not finished.stopped and finished.epochs_done == 2 and finished.test_accuracy == evaluated.accuracy

    run = Run.open(tmp_path / "run")
    assert run.events() == events
    pictures = run.samples()
    assert set(pictures) == {s["index"] for s in evaluated.samples}
    assert all(p.shape == (3, 32, 32) and p.dtype == "uint8" for p in pictures.values())
    assert run.config == quick.replace(epochs=2) and list(run.document.graph.nodes) == list(seed_cnn.graph.nodes)
    summary = run.summary
    assert summary["status"] == "completed" and summary["test"]["accuracy"] == evaluated.accuracy
    last = torch.load(run.checkpoint_path("last"), weights_only=True)
    assert last["epoch"] == 2 and set(last) >= {"model", "optimizer"}
    assert "model" in torch.load(run.checkpoint_path("best"), weights_only=True)


def test_a_huge_learning_rate_is_caught_as_divergence(seed_cnn, quick, tmp_path):
    events = run_job(seed_cnn, quick.replace(optimizer="sgd", lr=100.0, epochs=3), tmp_path / "run")
    failed = events[-1]
    assert isinstance(failed, Failed)
    assert "diverged at epoch 1, step" in failed.message and "lower learning rate" in failed.message
    assert Run.open(tmp_path / "run").summary["status"] == "failed"


def test_a_resumed_run_continues_the_same_curve(seed_cnn, quick, tmp_path):
    config = quick.replace(epochs=3, schedule="cosine")
    straight = run_job(seed_cnn, config, tmp_path / "straight")

    first = []  # interrupted once epoch 2's checkpoint is written
    execute(
        seed_cnn,
        config,
        tmp_path / "resumed",
        listener=first.append,
        should_stop=lambda: any(isinstance(e, Checkpoint) and e.epoch == 2 for e in first),
    )
    assert first[-1].stopped and first[-1].epochs_done == 2  # stopped at the first step of epoch 3
    second = run_job(seed_cnn, config, tmp_path / "resumed", resume=True)
    assert second[0].start_epoch == 2
    assert_complete_and_ordered(second, epochs=3, first_epoch=3)

    def curve(events):
        return [value for e in events if isinstance(e, EpochMetrics) for value in (e.epoch, e.train_loss, e.val_loss)]

    assert curve(second) == pytest.approx(curve(straight)[6:])
    logged = Run.open(tmp_path / "resumed").events()
    assert curve(logged) == pytest.approx(curve(straight))
    assert [type(e) for e in logged].count(Finished) == 1 and [type(e) for e in logged].count(Started) == 2


def test_a_stop_checked_every_step_ends_the_run_cleanly(seed_cnn, quick, tmp_path):
    events = run_job(seed_cnn, quick, tmp_path / "run", should_stop=lambda: True)
    assert [type(e) for e in events] == [Started, Finished] and events[-1].stopped
    assert Run.open(tmp_path / "run").summary["status"] == "stopped"


def test_mistakes_are_one_sentence_and_leave_no_folder(seed_cnn, quick, tmp_path):
    seed_cnn.graph.nodes["fc1"].params["out_features"] = 5
    failed = run_job(seed_cnn, quick, tmp_path / "a")[-1]
    assert failed.message == (
        "The network ends in 5 outputs but shapes10 has 10 classes; set the last Linear's out_features to 10."
    )
    seed_cnn.graph.nodes["fc1"].params["out_features"] = 10

    failed = run_job(seed_cnn, quick.replace(dataset="cifar10", data_dir=str(tmp_path / "data")), tmp_path / "b")[-1]
    assert failed.message.startswith(f"CIFAR-10 is not in {tmp_path / 'data'}")

    broken = Document(seed_cnn.graph.copy())
    broken.graph.remove_edge(Edge("relu1", "pool1"))
    assert "has no input" in run_job(broken, quick, tmp_path / "c")[-1].message
    assert not any((tmp_path / n).exists() for n in "abc")


def test_a_vector_input_takes_flattened_images(tmp_path, quick):
    from helpers import chain

    graph = chain(("input", "Input", {"shape": [3072]}), ("fc", "Linear", {"out_features": 10}))
    events = run_job(Document(graph), quick, tmp_path / "run")
    assert isinstance(events[-1], Finished)


def test_out_of_memory_becomes_advice(seed_cnn, quick, tmp_path, monkeypatch):
    def exhausted(self, x):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")

    monkeypatch.setattr(torch.nn.Conv2d, "forward", exhausted)
    failed = run_job(seed_cnn, quick, tmp_path / "run")[-1]
    assert failed.message == "The computer ran out of memory at batch size 64; try --batch-size 32 or less."


def test_the_memory_estimate_counts_weights_state_and_activations(seed_cnn, quick):
    trainer = Trainer(seed_cnn, quick.replace(batch_size=100))
    trainer.setup()
    estimate = trainer.estimate
    assert estimate.weights == 4 * 31_066 and estimate.optimizer == 2 * estimate.weights  # AdamW: two moments
    # per image, fp32: the input 3·32·32 and the outputs 12·32·32 (conv, relu), 12·16·16 (pool), 10 (fc),
    # plus twice the largest
    assert estimate.activations == 100 * 4 * (3 * 32 * 32 + 2 * 12 * 32 * 32 + 12 * 16 * 16 + 10 + 2 * 12 * 32 * 32)
    assert estimate.data == (1_000 + 4_000) * (3 * 32 * 32 + 8)  # uint8 images and int64 labels


def test_mnist_into_a_colour_network_is_explained_then_resized(seed_cnn, quick, tmp_path):
    write_fake_mnist(tmp_path / "data", n=200, n_test=50)
    config = quick.replace(dataset="mnist", data_dir=str(tmp_path / "data"))
    failed = run_job(seed_cnn, config, tmp_path / "a")[-1]
    assert failed.message == (
        "MNIST images are 1×28×28 but the network's Input is 3×32×32; convert them "
        "(--resize, or “convert images” in the app), or set the Input block to [1, 28, 28]."
    )
    events = run_job(seed_cnn, config.replace(resize=True), tmp_path / "b")
    assert isinstance(events[-1], Finished) and events[0].train_size == 180


def test_an_image_folder_trains_through_a_dataloader(seed_cnn, quick, tmp_path):
    write_image_folder(tmp_path / "images", per_class=20)
    seed_cnn.graph.nodes["fc1"].params["out_features"] = 2
    config = quick.replace(dataset=f"folder:{tmp_path / 'images'}", workers=1, crop_padding=2, flip=True, batch_size=8)
    events = run_job(seed_cnn, config, tmp_path / "a")
    assert isinstance(events[-1], Finished)
    assert (events[0].train_size, events[0].val_size, events[0].test_size) == (29, 3, 8)
    assert events[0].classes == ["cats", "dogs"]

    (tmp_path / "images" / "dogs" / "broken.png").write_bytes(b"not a png")
    failed = run_job(seed_cnn, config.replace(workers=0), tmp_path / "b")[-1]
    broken = tmp_path / "images" / "dogs" / "broken.png"
    assert failed.message == f"The image {broken} cannot be read; delete or replace it."
