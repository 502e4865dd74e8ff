"""An import's refusal is one short sentence: operations grouped with counts, strings from the module escaped."""

import pytest
import torch
import torchvision
from torch import nn

from netbuilder.pytorch.trace import ModelImportError, import_model, torchvision_names, translate

LIMIT = 420


def refusal(module: nn.Module, shape: tuple[int, ...], label: str = "the model") -> str:
    with pytest.raises(ModelImportError) as info:
        translate(module, shape, label)
    return str(info.value)


def test_a_transformer_is_refused_by_operation_with_counts():
    with torch.device("meta"):  # the structure is all a refusal needs
        swin = torchvision.models.swin_t(weights=None)
    message = refusal(swin, (3, 224, 224), "swin_t")
    assert len(message) <= LIMIT and "\n" not in message
    assert message.startswith("swin_t uses 7 operations NetBuilder has no block for: ")
    assert "LayerNorm on a 4-dimensional tensor ×29 (first at features_0_2)" in message
    assert "a parameter or buffer used directly ×72" in message
    assert message.endswith(" more; the import was refused rather than give a different network.")
    assert "weight" not in message.replace("features_", "")  # never every weight tensor by name


def test_a_module_of_many_unknown_layers_with_a_hostile_name():
    """Forty distinct layer classes, 3 of one of them; the class names hold terminal escapes."""
    leaf = {"__module__": "torch.nn.mine"}  # torch.fx keeps torch.nn's layers whole (as calls to the layer)
    layers = [type(f"Layer{i}\x1b[2J", (nn.Identity,), leaf)() for i in range(40)]
    model = nn.Sequential(*layers, *[type(layers[0])() for _ in range(2)])
    message = refusal(model, (3, 8, 8), "evil\x1b]0;title\x07")
    assert len(message) <= LIMIT and "\x1b" not in message and "\x07" not in message
    assert message.startswith(
        "evil\\x1b]0;title\\x07 uses 40 operations NetBuilder has no block for: "
        "Layer0\\x1b[2J ×3 (first at _0), Layer1\\x1b[2J (at _1), "
    )
    assert " and 30 more; " in message  # the rest are counted, not listed


def test_a_model_that_is_no_classifier_is_refused_without_the_list_of_models():
    for name in ("fcn_resnet50", "fasterrcnn_resnet50_fpn", "raft_small"):
        with pytest.raises(ModelImportError) as info:
            import_model(f"torchvision:{name}")
        message = str(info.value)
        assert message.startswith(f"torchvision has no classification model '{name}' (")
        assert len(message) <= 200 and sum(m in message.split() for m in torchvision_names()) <= 3
    with pytest.raises(ModelImportError, match=r"'fcn_resnet50' \(did you mean resnet50, .*\?\); segmentation"):
        import_model("torchvision:fcn_resnet50")
