"""Per-layer health while training: the recorder's numbers, a dying network, a healthy one, the metrics log."""

import io

import pytest
import torch
import torch.nn.functional as F
from helpers import chain

from netbuilder.core.check.health import judge, states
from netbuilder.core.document import Document
from netbuilder.pytorch.build import build
from netbuilder.records.config import TrainConfig, recommend
from netbuilder.records.events import BatchMetrics, Failed, Health
from netbuilder.records.report import Progress
from netbuilder.records.runs import Run
from netbuilder.train.health_recorder import HealthRecorder
from netbuilder.train.job import execute
from netbuilder.train.loop import Trainer


def mlp_cnn(tanh: bool = True) -> Document:
    blocks = [
        ("input", "Input", {"shape": [3, 32, 32]}),
        ("conv1", "Conv2d", {"out_channels": 16, "kernel_size": 3, "padding": 1}),
        ("relu1", "Activation", {"function": "relu"}),
        ("pool1", "Pool2d", {"mode": "max", "kernel_size": 2, "stride": 2}),
        ("fc1", "Linear", {"out_features": 64}),
        ("relu2", "Activation", {"function": "relu"}),
        ("fc2", "Linear", {"out_features": 10}),
    ]
    return Document(chain(*blocks, *[("tanh", "Activation", {"function": "tanh"})] * tanh))


def test_the_recorded_numbers_equal_a_hand_computation_on_a_fixed_batch():
    document = mlp_cnn()
    torch.manual_seed(0)
    net = build(document.graph)
    recorder = HealthRecorder(net, document.graph, every=4)
    outputs = {}
    for nid in ("conv1", "relu1", "fc1", "relu2", "fc2", "tanh"):
        net.layers[nid].register_forward_hook(lambda m, i, o, nid=nid: outputs.__setitem__(nid, o.detach().clone()))
    x, y = torch.randn(8, 3, 32, 32), torch.arange(8)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    fired = {}
    for step in (3, 4):  # the window: two steps (past the first ones), dead means never positive in either
        assert recorder.begin(step) == (step == 4)
        loss = F.cross_entropy(net(x if step == 3 else -x), y)
        optimizer.zero_grad()
        loss.backward()
        for nid in ("relu1", "relu2"):
            now = outputs[nid].amax(dim=[d for d in range(outputs[nid].dim()) if d != 1]) > 0
            fired[nid] = now | fired.get(nid, torch.zeros_like(now))
        if step == 4:
            grads = {nid: [p.grad.clone() for p in net.layers[nid].parameters()] for nid in ("conv1", "fc1", "fc2")}
            before = {nid: [p.detach().clone() for p in net.layers[nid].parameters()] for nid in grads}
            pending = recorder.before_step()
        optimizer.step()
    record = recorder.after_step(pending)

    assert list(record) == ["conv1", "relu1", "fc1", "relu2", "fc2", "tanh"]
    for nid in grads:
        after = list(net.layers[nid].parameters())
        grad_norm = torch.cat([g.flatten() for g in grads[nid]]).norm()
        delta = torch.cat([(a.detach() - b).flatten() for a, b in zip(after, before[nid])]).norm()
        ratio = delta / torch.cat([b.flatten() for b in before[nid]]).norm()
        assert record[nid]["grad_norm"] == pytest.approx(float(grad_norm), rel=1e-5)
        assert record[nid]["update_ratio"] == pytest.approx(float(ratio), rel=1e-4)
        assert record[nid]["params"] == sum(p.numel() for p in after)
    for nid in outputs:
        assert record[nid]["mean"] == pytest.approx(float(outputs[nid].mean()), rel=1e-5, abs=1e-7)
        assert record[nid]["std"] == pytest.approx(float(outputs[nid].std()), rel=1e-5)
    for nid in ("relu1", "relu2"):
        assert record[nid]["dead"] == pytest.approx(1 - float(fired[nid].float().mean()))
    saturated = (outputs["tanh"].abs() > 0.99).float().mean()
    assert record["tanh"]["saturated"] == pytest.approx(float(saturated))
    assert "dead" not in record["tanh"] and "grad_norm" not in record["relu1"]


def test_a_learning_rate_far_too_high_kills_the_relu_after_fc1_and_the_rule_names_it():
    config = TrainConfig(
        limit=1000, epochs=1, batch_size=64, optimizer="sgd", lr=0.5, schedule="constant", weight_decay=0.0
    ).replace(health_every=7, precision="fp32", early_stop="off")
    document = mlp_cnn(tanh=False)
    trainer = Trainer(document, config)
    trainer.setup()
    records = [e for e in trainer.events() if isinstance(e, Health)]
    assert [r.global_step for r in records] == [1, 2, 5, 7, 14] and records[-1].window == 7  # the first steps too
    findings = judge(records[-1].blocks, records[-1].window, records[-1].lr, records[-1].peak_lr, 14)
    dying = [f for f in findings if f.rule == "dying ReLU"]
    assert [f.block for f in dying] == ["relu2"] and dying[0].state == "problem"
    assert dying[0].sentence.startswith("relu2: ") and "of its ReLU outputs have been zero for the last 7 steps" in (
        dying[0].sentence
    )
    assert "lower the learning rate or try LeakyReLU" in dying[0].sentence

    text = io.StringIO()  # the command line prints each problem once, the first time it trips
    progress = Progress(text, live=False)
    for r in records:
        progress(r)
    lines = text.getvalue().splitlines()
    told = [line for line in lines if "relu2: " in line and "(dying ReLU)" in line]
    assert len(told) == 1 and told[0].startswith("health at step 5: relu2: ")  # the first record that shows it


def test_a_healthy_seed_cnn_run_trips_no_rule_and_its_records_are_in_the_metrics_log(seed_cnn, tmp_path):
    config = recommend(seed_cnn.graph).replace(limit=1000, epochs=5, batch_size=64, log_every=5, health_every=10)
    seen = []
    execute(seed_cnn, config, tmp_path / "run", listener=seen.append)
    records = [e for e in seen if isinstance(e, Health)]
    assert [r.global_step for r in records] == [1, 2, 5, *range(10, 71, 10)]
    assert set(records[0].blocks) == {"conv1", "relu1", "fc1"}
    tripped = [f.sentence for r in records for f in judge(r.blocks, r.window, r.lr, r.peak_lr, r.global_step)]
    assert tripped == []
    assert states([]) == {}
    logged = Run.open(tmp_path / "run").events()
    assert [e for e in logged if isinstance(e, Health)] == records
    at = logged.index(records[2])  # after the step's batch metrics when both fall on one step (5)
    assert isinstance(logged[at - 1], BatchMetrics) and logged[at - 1].step == records[2].step == 5


def test_health_every_zero_records_nothing(seed_cnn, tmp_path):
    seen = []
    execute(
        seed_cnn, TrainConfig(limit=500, epochs=1, batch_size=64, health_every=0), tmp_path / "r", listener=seen.append
    )
    assert not any(isinstance(e, Health) for e in seen)


def test_sgd_at_lr_5_diverges_with_the_health_of_the_steps_before_and_names_the_blocks(seed_cnn, tmp_path):
    config = TrainConfig(
        limit=2000, epochs=1, batch_size=64, optimizer="sgd", lr=5.0, schedule="constant", precision="fp32"
    )
    failed = execute(seed_cnn, config, tmp_path / "run")
    assert isinstance(failed, Failed) and failed.message.startswith("Training diverged at epoch 1, step ")
    bad = int(failed.message.split("step ")[1].split(":")[0])
    assert bad < 100  # before the first record of every health_every (100) steps
    logged = [e for e in Run.open(tmp_path / "run").events() if isinstance(e, Health)]
    assert logged and logged[0].global_step == 1 and all(r.global_step < bad for r in logged)
    before = logged[-1].global_step
    assert f"The health record of step {before}, before it: conv1 (updates " in failed.message
    assert "of its weights per step)" in failed.message and "Try a lower learning rate (it was 5)." in failed.message
