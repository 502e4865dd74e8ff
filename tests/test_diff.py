from helpers import chain, image

from netbuilder.core.diff import graph_diff, settings_diff
from netbuilder.core.graph import Node


def test_graph_diff_names_every_change():
    a = chain(image(), ("conv", "Conv2d", {"out_channels": 8}), ("relu", "Activation", {}))
    b = chain(image(), ("conv", "Conv2d", {"out_channels": 16, "padding": 1}), ("fc", "Linear", {}))
    b.add_node(Node("relu", "Flatten", {}))
    assert graph_diff(a, b) == [
        "added Linear 'fc'",
        "'conv' out_channels: 8 → 16",
        "'conv' padding: default → 1",
        "'relu' changed from Activation to Flatten",
        "disconnected 'conv' → 'relu'",
        "connected 'conv' → 'fc'",
    ]
    assert graph_diff(a, a.copy()) == []


def test_settings_diff():
    assert settings_diff({"lr": 0.1, "epochs": 3}, {"lr": 0.01, "epochs": 3}) == ["lr: 0.1 → 0.01"]
