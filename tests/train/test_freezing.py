"""Issue 22 §3: frozen blocks are not trained (their BatchNorm keeps its running statistics), learning-rate
multipliers reach the optimizer, and the exported train.py does the same."""

import json
import subprocess
import sys
from dataclasses import replace

import pytest
import torch
from helpers import chain, image

from netbuilder.core.check.shapes import check
from netbuilder.core.document import Document, dumps
from netbuilder.core.graph import Group
from netbuilder.pytorch.build import build
from netbuilder.pytorch.export import export_python
from netbuilder.records.events import Finished
from netbuilder.records.runs import Run
from netbuilder.train import checkpoints
from netbuilder.train.job import execute
from netbuilder.train.loop import Trainer, make_optimizer


def small_bn_net() -> Document:
    """conv1 → bn1 → relu1 → pool → conv2 → bn2 → relu2 → gap → fc: a body and a head, with BatchNorms."""
    graph = chain(
        image(),
        ("conv1", "Conv2d", {"out_channels": 8, "padding": 1}),
        ("bn1", "BatchNorm", {}),
        ("relu1", "Activation", {}),
        ("pool", "Pool2d", {"kernel_size": 4}),
        ("conv2", "Conv2d", {"out_channels": 8, "padding": 1}),
        ("bn2", "BatchNorm", {}),
        ("relu2", "Activation", {}),
        ("gap", "AdaptivePool2d", {}),
        ("fc", "Linear", {"out_features": 10}),
    )
    graph.add_group(Group("body", "body", ["conv1", "bn1", "relu1", "pool"]))
    return Document(graph, "Small BN")


def trainable(module: torch.nn.Module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def test_the_check_counts_what_the_built_model_trains():
    doc = small_bn_net()
    graph = doc.graph
    assert check(graph).trainable_params == check(graph).total_params == trainable(build(graph))
    graph.groups["body"].frozen = True  # a group's freeze covers its blocks
    graph.set_learning("fc", True, None)
    result = check(graph)
    assert result.frozen == {"conv1", "bn1", "relu1", "pool", "fc"}
    assert result.trainable_params == trainable(build(graph)) == sum(result.nodes[n].params for n in ("conv2", "bn2"))
    assert result.trainable_params < result.total_params == sum(p.numel() for p in build(graph).parameters())


def test_lr_multipliers_reach_the_optimizer_groups_and_blocks_inherit_their_group(quick):
    graph = small_bn_net().graph
    graph.groups["body"].lr_mult = 0.1
    graph.set_learning("bn1", False, 0.5)  # its own beats its group's
    graph.set_learning("fc", False, 0)  # 0: in the optimizer, never moved; not frozen
    net = build(graph)
    optimizer = make_optimizer(net, quick)
    by_mult = {g["lr_mult"]: {id(p) for p in g["params"]} for g in optimizer.param_groups}
    assert by_mult[0.1] == {id(p) for p in net.layers["conv1"].parameters()}
    assert by_mult[0.5] == {id(p) for p in net.layers["bn1"].parameters()}
    assert by_mult[0] == {id(p) for p in net.layers["fc"].parameters()}
    assert {g["lr_mult"]: g["lr"] for g in optimizer.param_groups} == {
        0.1: pytest.approx(quick.lr * 0.1),
        0.5: quick.lr * 0.5,
        1.0: quick.lr,
        0: 0,
    }
    assert check(graph).trainable_params == check(graph).total_params  # lr 0 is not frozen


def test_training_leaves_frozen_weights_and_running_statistics_bit_identical(quick, tmp_path):
    doc = small_bn_net()
    doc.graph.groups["body"].frozen = True
    doc.graph.set_learning("fc", False, 0)
    torch.manual_seed(quick.seed)
    before = build(doc.graph).state_dict()  # the weights training starts from (the same seed)
    config = replace(quick, limit=300)
    last = execute(doc, config, tmp_path / "run")
    assert isinstance(last, Finished), last
    after = checkpoints.load(Run.open(tmp_path / "run"), "last")["model"]
    frozen = [k for k in before if k.startswith(("layers.conv1.", "layers.bn1.", "layers.fc."))]
    assert "layers.bn1.running_mean" in frozen and "layers.bn1.num_batches_tracked" in frozen
    for key in frozen:
        assert torch.equal(before[key], after[key]), key
    for key in ("layers.conv2.weight", "layers.bn2.weight", "layers.bn2.running_mean"):
        assert not torch.equal(before[key], after[key]), key
    summary = Run.open(tmp_path / "run").summary
    assert summary is not None
    assert summary["frozen"] == ["conv1", "bn1", "relu1", "pool"] and summary["lr_mult"] == {"fc": 0.0}


def test_a_network_with_every_block_frozen_is_one_sentence(quick):
    doc = small_bn_net()
    for nid in doc.graph.nodes:
        doc.graph.set_learning(nid, True, None)
    with pytest.raises(Exception, match="every block with parameters is frozen"):
        Trainer(doc, quick).setup()


@pytest.mark.slow
def test_the_exported_train_py_freezes_the_same_parameters(tmp_path):
    doc = small_bn_net()
    doc.graph.groups["body"].frozen = True
    doc.graph.set_learning("conv2", False, 0.25)
    (tmp_path / "net.json").write_text(dumps(doc))
    export_python(doc, tmp_path / "model.py")
    source = (tmp_path / "train.py").read_text()
    assert 'FROZEN = (\n    "body.0",\n    "body.1",\n    "body.2",\n    "body.3",\n)' in source
    assert 'LR_MULT = {\n    "conv2": 0.25,\n}' in source
    probe = """
import json, sys, torch
sys.argv = ["train.py"]
import train
from model import Net
torch.manual_seed(0)
model = Net()
before = {k: v.clone() for k, v in model.state_dict().items()}
train.freeze(model)
train.train_mode(model)
groups = train.parameter_groups(model, 0.1)
print(json.dumps({f"{g['lr']:.6g}": sum(p.numel() for p in g["params"]) for g in groups}))
print(json.dumps([model.body[1].training, model.bn2.training]))
optimizer = torch.optim.SGD(groups, lr=0.1, momentum=0.9)
for _ in range(3):
    loss = torch.nn.functional.cross_entropy(model(torch.randn(8, 3, 32, 32)), torch.randint(0, 10, (8,)))
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
after = model.state_dict()
print(json.dumps(sorted(k for k in before if torch.equal(before[k], after[k]))))
"""
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True, timeout=120, check=True
    ).stdout.splitlines()
    conv2 = 8 * 8 * 9 + 8
    assert json.loads(out[0]) == {"0.025": conv2, "0.1": 8 + 8 + 10 * 8 + 10}
    assert json.loads(out[1]) == [False, True]  # the frozen BatchNorm in eval mode, the other training
    body = [f"body.{i}.{p}" for i, p in [(0, "weight"), (0, "bias"), (1, "weight"), (1, "bias")]]
    body += [f"body.1.{s}" for s in ("running_mean", "running_var", "num_batches_tracked")]
    assert json.loads(out[2]) == sorted(body)  # the frozen parameters and statistics, and nothing else
