"""Compiling graphs to nn.Modules."""

import pytest
import torch
from helpers import chain, image

from netbuilder.core.check.shapes import check
from netbuilder.core.presets import list_presets, load_preset
from netbuilder.pytorch.build import build


@pytest.mark.parametrize("key", [p.key for p in list_presets()])
def test_presets_compile_and_run_with_the_predicted_shapes(key):
    graph = load_preset(key).graph
    res = check(graph)
    model = build(graph)
    assert sum(p.numel() for p in model.parameters()) == res.total_params
    with torch.no_grad():
        values = model.eval().forward_all(torch.randn(2, *model.input_shape))
    assert {n: tuple(v.shape[1:]) for n, v in values.items()} == {n: res.nodes[n].output_shape for n in res.order}


def test_trailing_softmax_gives_logits_for_training_and_probabilities_for_prediction():
    g = chain(image(3, 8, 8), ("fc", "Linear", {"out_features": 5}), ("sm", "Activation", {"function": "softmax"}))
    model = build(g).eval()
    x = torch.randn(4, 3, 8, 8)
    logits = model(x)
    assert torch.allclose(logits, model.layers["fc"](x.flatten(1)))
    probs = model.predict(x)
    assert torch.allclose(probs.sum(dim=1), torch.ones(4))
    assert torch.allclose(probs, torch.softmax(logits, dim=1))
    assert torch.allclose(model.forward_all(x)["sm"], probs)


def test_without_softmax_predict_still_gives_probabilities():
    g = chain(image(3, 8, 8), ("fc", "Linear", {"out_features": 5}))
    model = build(g).eval()
    x = torch.randn(2, 3, 8, 8)
    assert torch.allclose(model.predict(x), torch.softmax(model(x), dim=1))


def test_module_trains():
    g = chain(
        image(3, 8, 8),
        ("conv", "Conv2d", {"out_channels": 4, "padding": 1}),
        ("bn", "BatchNorm", {}),
        ("relu", "Activation", {}),
        ("fc", "Linear", {"out_features": 3}),
    )
    model = build(g)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x, y = torch.randn(16, 3, 8, 8), torch.randint(0, 3, (16,))
    first = None
    for _ in range(20):
        loss = torch.nn.functional.cross_entropy(model(x), y)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first


def test_ids_that_are_module_attributes_build_under_a_suffixed_name():
    g = chain(
        image(3, 8, 8),
        ("forward", "Conv2d", {"out_channels": 4}),
        ("keys", "Activation", {}),
        ("training", "Linear", {"out_features": 2}),
    )
    model = build(g).eval()
    assert set(model.layers.keys()) == {"forward_", "keys_", "training_"}
    assert model(torch.randn(2, 3, 8, 8)).shape == (2, 2)


def test_forward_frees_each_output_after_its_last_reader():
    graph = load_preset("resnet_cifar").graph
    model = build(graph).eval()
    x = torch.randn(2, *model.input_shape)
    with torch.no_grad():
        kept = model.forward_all(x, keep_all=False)
        everything = model.forward_all(x)
        assert list(kept) == [model.output_id]  # nothing else held at the end
        assert torch.equal(kept[model.output_id], everything[model.output_id])
        assert torch.equal(model(x), everything[model.output_id])


def test_a_softmax_straight_after_the_input():
    g = chain(("input", "Input", {"shape": [5]}), ("sm", "Activation", {"function": "softmax"}))
    model = build(g)
    x = torch.randn(3, 5)
    assert torch.equal(model(x), x) and torch.allclose(model.predict(x), torch.softmax(x, dim=1))
