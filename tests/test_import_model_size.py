"""import-model without --input picks the size the model, made without weights, runs at."""

import pytest

from netbuilder.cli import main
from netbuilder.pytorch.trace import torchvision_input


def test_a_vision_transformer_runs_at_its_image_size_not_its_weights_crop():
    assert torchvision_input("vit_h_14") == (3, 224, 224)  # its weights' crop is 518
    assert torchvision_input("inception_v3") == (3, 299, 299)  # no image_size: its weights' crop


@pytest.mark.slow
def test_import_model_of_a_transformer_lists_the_operations_that_have_no_block(tmp_path, capsys):
    assert main(["import-model", "torchvision:vit_b_16", "-o", str(tmp_path / "vit.json")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: vit_b_16 uses ") and " operations NetBuilder has no block for: LayerNorm" in err
    assert "MultiheadAttention" in err and not (tmp_path / "vit.json").exists()
