"""Issue 22 §3: a network that starts from learned weights fine-tunes — its new blocks train alone for head_epochs
(the learned ones frozen, BatchNorm statistics kept), then every block trains, earlier learned ones slower."""

from dataclasses import replace

import pytest
import torch
from test_freezing import small_bn_net

from netbuilder.core.initial import InitWeights
from netbuilder.pytorch.build import build
from netbuilder.records.events import EpochMetrics, Finished, Started
from netbuilder.records.train_error import TrainError
from netbuilder.train.loop import Trainer

LEARNED = ("conv1", "bn1", "conv2", "bn2")


@pytest.fixture
def pretrained(tmp_path):
    """small_bn_net's weights from a 5-class head: every block but fc takes them."""
    doc = small_bn_net()
    doc.graph.nodes["fc"].params["out_features"] = 5
    torch.manual_seed(7)
    path = tmp_path / "weights.pt"
    torch.save(build(doc.graph).state_dict(), path)
    fresh = small_bn_net()
    fresh.init = InitWeights.of_file(path)
    return fresh, torch.load(path)


def layer_state(net, nid):
    return {k: v.clone() for k, v in net.layers[net.names[nid]].state_dict().items()}


def test_the_head_trains_alone_first_then_everything_earlier_blocks_slower(pretrained, quick):
    doc, weights = pretrained
    trainer = Trainer(doc, replace(quick, limit=300, epochs=2, head_epochs=1))
    trainer.setup(init=doc.init)
    assert trainer.init_report.loaded == list(LEARNED) and list(trainer.init_report.fresh) == ["fc"]
    rates = {
        nid: g["lr_mult"]
        for g in trainer.optimizer.param_groups
        for nid in LEARNED + ("fc",)
        if any(p is q for p in g["params"] for q in trainer.net.layers[trainer.net.names[nid]].parameters())
    }
    assert rates == pytest.approx(
        {"conv1": 0.01, "bn1": 0.01 ** (2 / 3), "conv2": 0.01 ** (1 / 3), "bn2": 1.0, "fc": 1.0}
    )
    events = trainer.events()
    started = next(events)
    assert isinstance(started, Started) and started.unfreeze_epoch == 2 and started.init
    head = {nid: layer_state(trainer.net, nid) for nid in (*LEARNED, "fc")}
    for event in events:
        if isinstance(event, EpochMetrics) and event.epoch == 1:
            break
    for nid in LEARNED:  # weights and running statistics as the file had them
        for key, value in layer_state(trainer.net, nid).items():
            assert torch.equal(value, head[nid][key]), f"{nid}.{key}"
    assert not torch.equal(layer_state(trainer.net, "fc")["weight"], head["fc"]["weight"])
    last = [e for e in events if isinstance(e, Finished)]
    assert last and not last[0].stopped
    for nid in ("conv1", "bn2"):  # the second epoch trained them too
        assert not torch.equal(layer_state(trainer.net, nid)["weight"], head[nid]["weight"])


def test_fine_tune_off_trains_every_block_from_the_first_epoch(pretrained, quick):
    doc, _ = pretrained
    trainer = Trainer(doc, replace(quick, limit=300, fine_tune="off"))
    trainer.setup(init=doc.init)
    before = layer_state(trainer.net, "conv1")["weight"]
    started = next(trainer.events())
    assert started.unfreeze_epoch is None
    list(trainer.events())
    assert not torch.equal(layer_state(trainer.net, "conv1")["weight"], before)
    assert {g["lr_mult"] for g in trainer.optimizer.param_groups} == {1.0}


def test_fine_tune_on_without_learned_weights_is_a_sentence(quick):
    with pytest.raises(TrainError, match="fine_tune on needs a network that starts from learned weights"):
        Trainer(small_bn_net(), replace(quick, fine_tune="on")).setup()
