"""`netbuilder render` keeps every picture within --max-side (16,384 by default): it folds groups, the innermost
first, then scales; densenet121 renders with defaults to a PNG that Pillow opens."""

from __future__ import annotations

import pytest
from PIL import Image

from netbuilder.cli import main
from netbuilder.core.document import Document, save
from netbuilder.core.presets import load_preset
from netbuilder.ui.app.render import plan


@pytest.fixture(scope="session")
def densenet(tmp_path_factory):
    from netbuilder.pytorch.trace import import_model

    path = tmp_path_factory.mktemp("render") / "densenet121.json"
    save(import_model("torchvision:densenet121").document, path)
    return path


def opened(path) -> tuple[int, int]:
    with Image.open(path) as image:
        image.load()
        return image.size


@pytest.mark.slow
def test_densenet121_renders_within_the_limit_and_opens(densenet, tmp_path, capsys):
    out = tmp_path / "d.png"
    assert main(["render", str(densenet), "-o", str(out)]) == 0
    width, height = opened(out)
    assert max(width, height) <= 16_384 and min(width, height) > 100


@pytest.mark.slow
def test_max_side_is_respected_by_folding_or_scaling(densenet, tmp_path, capsys):
    for extra in ([], ["--expand"]):
        out = tmp_path / "small.png"
        assert main(["render", str(densenet), "-o", str(out), "--max-side", "2000", *extra]) == 0
        assert max(opened(out)) <= 2000


def test_a_network_that_fits_is_drawn_expanded_and_one_that_does_not_is_folded_first(qapp):
    doc = load_preset("vgg_cifar")
    assert doc.graph.groups
    scene, source, scale = plan(doc, 2.0, 16_384, expand=False)
    assert scale == 2.0 and not any(g.folded for g in scene.editor.graph.groups.values())
    scene, source, scale = plan(doc, 2.0, 1200, expand=False)
    assert any(g.folded for g in scene.editor.graph.groups.values())
    assert max(source.width(), source.height()) * scale <= 1200


def test_svg_and_small_png_within_max_side(tmp_path, capsys):
    path = tmp_path / "vgg.json"
    save(load_preset("vgg_cifar"), path)
    for name in ("v.png", "v.svg"):
        assert main(["render", str(path), "-o", str(tmp_path / name), "--max-side", "600"]) == 0
    assert max(opened(tmp_path / "v.png")) <= 600
    assert 'width="' in (tmp_path / "v.svg").read_text()
    with pytest.raises(SystemExit) as refused:  # argparse's refusal of a flag's value: exit 2 and a sentence
        main(["render", str(path), "-o", str(tmp_path / "x.png"), "--max-side", "3"])
    assert refused.value.code == 2
    assert "--max-side" in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_render_leaves_the_document_as_it_was(qapp, tmp_path):
    doc = load_preset("vgg_cifar")
    before = {gid: g.folded for gid, g in doc.graph.groups.items()}
    plan(doc, 2.0, 800, expand=False)
    assert {gid: g.folded for gid, g in doc.graph.groups.items()} == before
    assert isinstance(doc, Document)
