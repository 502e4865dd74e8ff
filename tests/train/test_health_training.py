"""Per-layer health while training: the recorder's numbers, a dying network, a healthy one, the metrics log."""

import io

import pytest
import torch
import torch.nn.functional as F
from helpers import chain

from netbuilder.core.document import Document
from netbuilder.core.health import judge, states
from netbuilder.pytorch.build import build
from netbuilder.train.config import TrainConfig, recommend
from netbuilder.train.events import BatchMetrics, Health
from netbuilder.train.health import HealthRecorder
from netbuilder.train.job import execute
from netbuilder.train.loop import Trainer
from netbuilder.train.report import Progress
from netbuilder.train.runs import Run


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
    recorder = HealthRecorder(net, document.graph, every=2)
    outputs = {}
    for nid in ("conv1", "relu1", "fc1", "relu2", "fc2", "tanh"):
        net.layers[nid].register_forward_hook(lambda m, i, o, nid=nid: outputs.__setitem__(nid, o.detach().clone()))
    x, y = torch.randn(8, 3, 32, 32), torch.arange(8)
    optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    fired = {}
    for step in (1, 2):  # the window: two steps, dead means never positive in either
        assert recorder.begin(step) == (step == 2)
        loss = F.cross_entropy(net(x if step == 1 else -x), y)
        optimizer.zero_grad()
        loss.backward()
        for nid in ("relu1", "relu2"):
            now = outputs[nid].amax(dim=[d for d in range(outputs[nid].dim()) if d != 1]) > 0
            fired[nid] = now | fired.get(nid, torch.zeros_like(now))
        if step == 2:
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
    assert [r.global_step for r in records] == [7, 14] and records[-1].window == 7
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
    assert f"health at step 14: {dying[0].sentence}" in lines and len(lines) == len(set(lines))


def test_a_healthy_seed_cnn_run_trips_no_rule_and_its_records_are_in_the_metrics_log(seed_cnn, tmp_path):
    config = recommend(seed_cnn.graph).replace(limit=1000, epochs=5, batch_size=64, log_every=5, health_every=10)
    seen = []
    execute(seed_cnn, config, tmp_path / "run", listener=seen.append)
    records = [e for e in seen if isinstance(e, Health)]
    assert [r.global_step for r in records] == list(range(10, 71, 10))
    assert set(records[0].blocks) == {"conv1", "relu1", "fc1"}
    tripped = [f.sentence for r in records for f in judge(r.blocks, r.window, r.lr, r.peak_lr, r.global_step)]
    assert tripped == []
    assert states([]) == {}
    logged = Run.open(tmp_path / "run").events()
    assert [e for e in logged if isinstance(e, Health)] == records
    at = logged.index(records[0])  # after the step's batch metrics when both fall on one step
    assert isinstance(logged[at - 1], BatchMetrics) and logged[at - 1].step == records[0].step


def test_health_every_zero_records_nothing(seed_cnn, tmp_path):
    seen = []
    execute(
        seed_cnn, TrainConfig(limit=500, epochs=1, batch_size=64, health_every=0), tmp_path / "r", listener=seen.append
    )
    assert not any(isinstance(e, Health) for e in seen)
