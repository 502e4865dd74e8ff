"""Groups at scale (issue 20, part 4): loading G groups and showing their cards cost O(G), not O(G²); a group
whose blocks do not run one after another draws in the Volumes view and `render --style volumes`; deep nesting
renders in O(log depth) scene builds and exports a model.py that imports (nesting past plan.MAX_NESTING stays
flat). Cost is asserted by counting executed lines at two sizes, never by a clock."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from group_files import flat_groups, grows_linearly, lines_run, nested_groups, split_group

from netbuilder.cli import main
from netbuilder.core.check.shapes import check
from netbuilder.core.document import parse
from netbuilder.core.drawing.volumes import build
from netbuilder.core.graph import blocks_in
from netbuilder.core.groups import depths, facts, shown_as
from netbuilder.core.plan import MAX_NESTING


def test_loading_groups_is_linear():
    texts = {n: flat_groups(n) for n in (400, 800)}
    grows_linearly(lambda n: lines_run(lambda: parse(texts[n])), 400)
    nested = {n: nested_groups(n) for n in (200, 400)}
    grows_linearly(lambda n: lines_run(lambda: parse(nested[n])), 200)


def test_twenty_thousand_groups_load():
    document = parse(flat_groups(20_000))
    assert len(document.graph.groups) == 20_000 and blocks_in(document.graph, "g19999") == ["r19999"]


def test_what_the_canvas_asks_of_every_group_is_linear():
    graphs = {n: parse(flat_groups(n)).graph for n in (300, 600)}
    results = {n: check(g) for n, g in graphs.items()}

    def cards(n: int) -> int:
        graph, result = graphs[n], results[n]
        return lines_run(lambda: [facts(graph, result, gid) for gid in graph.groups] and shown_as(graph))

    grows_linearly(cards, 300)
    nested = {n: parse(nested_groups(n)).graph for n in (200, 400)}
    grows_linearly(lambda n: lines_run(lambda: (shown_as(nested[n]), depths(nested[n]))), 200)


def test_group_edits_keep_the_parent_index_current():
    graph = parse(flat_groups(3)).graph
    from netbuilder.core.graph import Group

    assert graph.parents()["r1"] == "g1"
    graph.remove_group("g1")
    assert "r1" not in graph.parents()
    graph.add_group(Group("outer", "outer", ["g0", "r1"]), 0)
    assert graph.parents()["g0"] == "outer" and list(graph.groups)[0] == "outer"
    graph.set_group(Group("outer", "outer", ["r1"]))
    assert "g0" not in graph.parents() and graph.parents()["r1"] == "outer"


# A group whose blocks are not contiguous --------------------------------------------------------------


@pytest.mark.parametrize("folded", [True, False])
def test_a_group_that_is_not_contiguous_draws_as_volumes(folded):
    graph = parse(split_group(folded)).graph
    picture = build(graph, check(graph))
    drawn = [b for c in picture.cuboids for b in c.blocks] + [band.block for c in picture.cuboids for band in c.bands]
    assert sorted(drawn) == sorted(graph.nodes)
    if folded:
        assert picture.cuboid("g").blocks == ["conv1", "conv2"]


def test_render_volumes_of_a_group_that_is_not_contiguous(tmp_path, capsys):
    path = tmp_path / "split.json"
    path.write_text(split_group(True))
    for style in ("volumes", "canvas"):
        assert main(["render", str(path), "-o", str(tmp_path / f"{style}.png"), "--style", style]) == 0
        assert (tmp_path / f"{style}.png").stat().st_size > 1000


# Deep nesting: check, render, export --------------------------------------------------------------------


def _exports_and_imports(path: Path, out: Path) -> None:
    """`export --to py` writes a model.py that a fresh Python imports and runs, computing what build() does."""
    assert main(["export", str(path), "--to", "py", "-o", str(out)]) == 0
    script = (
        "import torch, model\n"
        "from netbuilder.core.document import load\n"
        "from netbuilder.pytorch.build import build\n"
        "from netbuilder.pytorch.codegen import rename_state_dict\n"
        f"graph = load({str(path)!r}).graph\n"
        "built = build(graph).eval()\n"
        "net = model.Net().eval()\n"
        "net.load_state_dict(rename_state_dict(built.state_dict(), graph))\n"
        "x = torch.randn(2, 3, 8, 8)\n"
        "assert torch.allclose(net(x), built(x)), 'outputs differ'\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=out, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]
    source = (out / "model.py").read_text()
    assert f"nested {MAX_NESTING} groups deep" in " ".join(source.replace("#", " ").split())
    assert max(len(line) for line in source.splitlines()) <= 79


def _deep(tmp_path: Path, capsys, d: int) -> None:
    path = tmp_path / f"nested{d}.json"
    path.write_text(nested_groups(d))
    assert main(["check", str(path)]) == 0
    assert "Valid: yes" in capsys.readouterr().out
    _exports_and_imports(path, tmp_path / "export")


def test_250_nested_groups_check_and_export(tmp_path, capsys):
    _deep(tmp_path, capsys, 250)


@pytest.mark.slow
def test_1000_nested_groups_check_export_and_render(tmp_path, capsys):
    _deep(tmp_path, capsys, 1000)
    assert main(["render", str(tmp_path / "nested1000.json"), "-o", str(tmp_path / "n.png")]) == 0


def test_render_builds_log_depth_scenes_and_draws_a_bounded_nesting(tmp_path, monkeypatch):
    from netbuilder.ui.app import render as render_module
    from netbuilder.ui.app.app import application

    application()
    built: list[int] = []
    make_scene = render_module._scene

    def counted(document):
        built.append(
            max((d for g, d in depths(document.graph).items() if not document.graph.groups[g].folded), default=-1)
        )
        return make_scene(document)

    monkeypatch.setattr(render_module, "_scene", counted)
    document = parse(nested_groups(250))
    render_module.plan(document, 2.0, 2_000, expand=False)
    assert 1 <= len(built) <= 5  # bisection over at most MAX_DRAWN_DEPTH + 1 foldings
    assert max(built) < render_module.MAX_DRAWN_DEPTH  # deeper groups are always folded
