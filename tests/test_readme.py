"""The README is the manual, so it is checked against the program: its command tables against the real argument
parsers (both ways), its JSON examples through the document loader, its sample output against the command's
output, its menu paths against the window's menu bar, its block table against the block registry, its set-up
packages against .ci/run, its module list against the package, and its weight-loading recipes by running them."""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import pytest

from netbuilder import cli
from netbuilder.core.blocks import REGISTRY
from netbuilder.core.check.shapes import check
from netbuilder.core.document import parse
from netbuilder.records.config import saved_settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
FENCED = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)
PROSE = FENCED.sub("", README)  # inline code spans and bold text live outside the fenced blocks
MENU_BAR = ("File", "Edit", "View", "Network", "Help")
TEST_TOOLS = {"xvfb", "xauth", "xdotool"}  # what .ci/run installs for the tests only


def section(heading: str) -> str:
    """A `## heading` section of the README, up to the next `## ` heading."""
    start = README.index(f"\n## {heading}")
    end = README.find("\n## ", start + 1)
    return README[start : end if end > 0 else len(README)]


def spans(text: str) -> list[str]:
    """The inline code spans of some Markdown text (table cells' `\\|` read as `|`), whitespace made single."""
    text = FENCED.sub("", text).replace("\\|", "|")
    return [" ".join(s.split()) for s in re.findall(r"(?<!`)`([^`]+)`(?!`)", text)]


def parsers() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand's parser, and the app's under the name "netbuilder"."""
    top = cli._subcommands()
    (sub,) = (a for a in top._actions if isinstance(a, argparse._SubParsersAction))
    return {**sub.choices, "netbuilder": cli._app_parser(cli._commands(top))}


PARSERS = parsers()


def options(command: str) -> dict[str, argparse.Action]:
    return {s: a for a in PARSERS[command]._actions for s in a.option_strings}


def command_of(span: str) -> str | None:
    """The subcommand a `netbuilder …` code span runs ("netbuilder" for the app), or None for other text."""
    words = span.split()
    if words[0] != "netbuilder":
        return None
    return words[1] if len(words) > 1 and words[1] in PARSERS else "netbuilder"


def flags_with_values(span: str) -> list[tuple[str, str | None]]:
    """Each flag a code span names, with the value written after it (None when there is none)."""
    found = []
    for m in re.finditer(r"(?<![\w\-./])(--?[A-Za-z][\w-]*)(?:[ =]([^\s\[\]]+))?", span):
        value = m.group(2)
        found.append((m.group(1), None if value is None or value.startswith("-") else value))
    return found


def assert_flags(command: str, span: str, where: str) -> None:
    known = options(command)
    for flag, value in flags_with_values(span):
        assert flag in known, f"{where}: `{span}` names {flag}, which `netbuilder {command}` does not take"
        choices = known[flag].choices
        if choices is not None and value is not None:
            for choice in value.split("|"):
                assert choice in map(str, choices), f"{where}: {flag} {choice} is not one of {sorted(choices)}"


def table_rows(text: str) -> list[list[str]]:
    """The body rows of the Markdown tables in text, as their cells."""
    rows = []
    for line in text.splitlines():
        if line.startswith("|") and not re.fullmatch(r"\|[-| ]+\|", line):
            rows.append([c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]])
    return rows


def command_rows() -> list[tuple[str, list[str]]]:
    """The command table: each row's command and its code spans."""
    found = []
    for row in table_rows(section("Command line")):
        row_spans = spans(" | ".join(row))
        if row_spans and command_of(row_spans[0]):
            found.append((command_of(row_spans[0]), row_spans))
    return found


def settings_rows() -> list[list[str]]:
    """The training settings table: the rows whose first cell names flags."""
    return [row for row in table_rows(section("Command line")) if row[0].startswith("`--")]


def setting_commands(flag: str, description: str) -> set[str]:
    """The commands that take a training setting: all three, less those its row says do not take it."""
    excepted = re.findall(rf"`{re.escape(flag)}` is not taken by `([\w-]+)`", description)
    return {"train", "lr-find", "search"} - set(excepted)


# The command line --------------------------------------------------------------------------------------------


def test_every_command_row_names_only_flags_and_choices_its_command_takes():
    rows = command_rows()
    assert len(rows) >= len(PARSERS)
    for command, row_spans in rows:
        for span in row_spans:
            if span.startswith("-"):  # a flag in the description: the row's command
                assert_flags(command, span, f"the `netbuilder {command}` row")
            elif command_of(span):
                assert_flags(command_of(span), span, f"the `netbuilder {command}` row")


def test_every_netbuilder_command_written_anywhere_takes_the_flags_it_shows():
    commands = [s for s in spans(README) if command_of(s)]
    assert any("--weights" in s for s in commands)
    for span in commands:
        assert_flags(command_of(span), span, "README")


def test_the_settings_table_names_flags_that_train_lr_find_and_search_take():
    rows = settings_rows()
    assert rows
    for row in rows:
        for flag in spans(row[0]):
            for command in setting_commands(flag, row[1]):
                assert flag in options(command), f"settings table: `netbuilder {command}` does not take {flag}"


def test_every_subcommand_has_a_row_in_the_command_table():
    listed = {command for command, _ in command_rows()}
    assert set(PARSERS) - listed == set()


def documented_flags() -> dict[str, set[str]]:
    """The flags the README shows for each command: in its row of the command table, in any `netbuilder
    COMMAND …` written elsewhere, and (for the commands that take training settings) in the settings table."""
    shown: dict[str, set[str]] = {command: set() for command in PARSERS}
    for command, row_spans in command_rows():
        for span in row_spans:
            if span.startswith("-"):
                shown[command] |= {flag for flag, _ in flags_with_values(span)}
    for span in spans(README):
        if command_of(span):
            shown[command_of(span)] |= {flag for flag, _ in flags_with_values(span)}
    for row in settings_rows():
        for flag in spans(row[0]):
            for command in setting_commands(flag, row[1]):
                shown[command].add(flag)
    return shown


def test_every_flag_of_every_command_is_in_the_readme_with_its_command():
    shown = documented_flags()
    missing = []
    for command, parser in PARSERS.items():
        for action in parser._actions:
            names = [s for s in action.option_strings if s not in ("-h", "--help")]
            if names and not shown[command] & set(names):
                missing.append(f"netbuilder {command} {names[-1]}")
    assert missing == []


def test_the_check_json_keys_are_the_ones_it_prints(capsys):
    (described,) = [s for s in spans(section("Command line")) if s.startswith('{"valid"')]
    assert cli.main(["check", str(ROOT / "presets" / "resnet_cifar.json"), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    keys = set(printed) | {k for node in printed["nodes"] for k in node}
    assert set(re.findall(r'"(\w+)"', described)) == keys


def test_sample_output_is_what_the_command_prints(capsys, monkeypatch):
    samples = re.findall(r"`(netbuilder [^`]+)` prints( \(shortened\))?:\n\n```\n(.*?)```", README, re.DOTALL)
    assert samples
    monkeypatch.chdir(ROOT)
    for command, shortened, sample in samples:
        cli.main(command.split()[1:])
        printed = [line.rstrip() for line in capsys.readouterr().out.splitlines()]
        shown = [line.rstrip() for line in sample.splitlines()]
        if not shortened:
            assert shown == printed
            continue
        assert shown[0] == printed[0] and shown[-1] == printed[-1], command
        at = 0
        for line in (line for line in shown if line != "..."):
            assert line in printed[at:], f"`{command}` does not print, in this order: {line!r}"
            at = printed.index(line, at) + 1


# The file format ---------------------------------------------------------------------------------------------


def json_examples() -> tuple[list[str], list[tuple[str, str, str]]]:
    """The README's JSON examples: complete files (fenced json blocks with a "format"), and fragments as
    (how they go in, the key they go in, the JSON), each labelled "a fragment: an entry of `key`" or "a
    fragment: the value of `key`" just before it. An inline span that is not JSON (a list of keys) is no
    example."""
    complete = [body for lang, body in FENCED.findall(README) if lang == "json"]
    fragments = []
    for m in re.finditer(r"(?<!`)`(\{[^`]+)`(?!`)", PROSE):
        try:
            json.loads(m.group(1))
        except ValueError:
            continue
        if PROSE[: m.start()].rstrip().endswith("prints"):  # what a command prints, not a file
            continue
        before = " ".join(PROSE[max(0, m.start() - 200) : m.start()].split())
        label = re.search(r"a fragment: (an entry|the value) of `(\w+)`[^`]*$", before)
        assert label, f"a JSON example that is no complete file is not labelled as a fragment: {m.group(1)[:60]}"
        fragments.append((label.group(1), label.group(2), m.group(1)))
    return complete, fragments


def test_every_complete_json_example_loads_and_is_a_valid_network():
    complete, _ = json_examples()
    assert complete
    for text in complete:
        assert '"format": "netbuilder"' in text
        result = check(parse(text, "README example").graph)
        assert result.valid, result


def test_every_json_fragment_merged_into_the_example_file_loads_and_is_valid():
    complete, fragments = json_examples()
    assert {key for _, key, _ in fragments} >= {"groups", "search", "training"}
    for how, key, text in fragments:
        data = json.loads(complete[0])
        if how == "an entry":
            data.setdefault(key, []).append(json.loads(text))
        else:
            data[key] = json.loads(text)
        document = parse(json.dumps(data), f"README example with its {key} fragment")
        assert check(document.graph).valid
        assert saved_settings(document.training) == document.training  # train's and the window's reader


def test_the_block_table_is_the_block_registry_with_its_defaults():
    rows = {row[0].strip("`"): row[1] for row in table_rows(section("File format")) if row[0] != "type"}
    assert set(rows) == set(REGISTRY)
    for name, cell in rows.items():
        specs = {p.name: p for p in REGISTRY[name].params}
        shown = dict(re.findall(r"`(\w+)` (\[[^\]]*\]|[^\s,(]+)?", cell))
        assert set(shown) == set(specs), name
        for param, value in shown.items():
            spec = specs[param]
            if not value or value.startswith("("):
                continue
            first = value.split("/")[0]
            expected = json.dumps(spec.default) if spec.default is not None else None
            if first in ("true", "false") or first[0] in "[-0123456789":
                assert json.loads(first) == spec.default, f"{name}.{param}: the README says {value}"
            else:
                assert first == spec.default, f"{name}.{param}: the README says {value}, the default is {expected}"
            if "/" in value:
                assert set(value.split("/")) == set(spec.choices), f"{name}.{param}"


# The window --------------------------------------------------------------------------------------------------


def menu_paths(menu, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """Every path of the menu bar (its submenus and its actions), each item's text as a person reads it."""
    found = set()
    for action in menu.actions():
        if action.isSeparator():
            continue
        text = re.sub(r" \([^)]*\)$", "", action.text().replace("&", "").rstrip("…"))
        found.add((*path, text))
        if action.menu() is not None:
            found |= menu_paths(action.menu(), (*path, text))
    return found


def test_every_menu_path_in_the_readme_is_in_the_menu_bar(qtbot):
    from netbuilder.core.presets import load_preset
    from netbuilder.ui.app.app import application
    from netbuilder.ui.app.main_window import MainWindow

    bold = [" ".join(b.split()) for b in re.findall(r"\*\*(.+?)\*\*", PROSE, re.DOTALL)]
    named = {tuple(p.strip().rstrip("…") for p in b.split(" → ")) for b in bold if b.split(" → ")[0] in MENU_BAR}
    written = len(re.findall(rf"\b(?:{'|'.join(MENU_BAR)}) →", " ".join(PROSE.split())))
    assert written == sum(len(re.findall(rf"^(?:{'|'.join(MENU_BAR)}) →", b)) for b in bold), (
        "a menu path is written without bold (**File → Export → PyTorch code**), so this test cannot read it"
    )
    assert len(named) >= 10
    application()
    window = MainWindow(load_preset("seed_cnn"))
    qtbot.addWidget(window)
    real = menu_paths(window.menuBar())
    assert sorted(" → ".join(p) for p in named if p not in real) == []


# Set-up and the architecture ---------------------------------------------------------------------------------


def test_the_set_up_installs_the_system_libraries_that_ci_installs_and_the_app_names():
    from netbuilder.ui.app.display import GUI_LIBRARIES, XCB_LIBRARIES

    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_packages = set(re.search(r"apt-get install (.*?)>/dev/null", ci, re.DOTALL).group(1).replace("\\", " ").split())
    ci_packages = {p for p in ci_packages if not p.startswith("-")} - TEST_TOOLS
    named = set(GUI_LIBRARIES.values()) | set(XCB_LIBRARIES.values())  # the packages its sentences may name
    (line,) = [b for lang, b in FENCED.findall(section("Two commands")) if "apt-get install" in b]
    readme_packages = set(line.split("apt-get install", 1)[1].split())
    assert (ci_packages | named) - readme_packages == set()
    assert readme_packages - ci_packages - named == {"python3-venv"}


def test_every_dependency_and_extra_is_in_the_dependencies_section():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    named = {b.lower() for b in re.findall(r"\*\*([\w.-]+)\*\*", section("Dependencies"))}
    wanted = [*project["dependencies"], *(d for extra in project["optional-dependencies"].values() for d in extra)]
    missing = {re.match(r"[\w.-]+", d).group(0).lower() for d in wanted} - named
    assert missing == set()
    for extra in project["optional-dependencies"]:
        assert f"Extra `{extra}`" in section("Dependencies")


def test_the_architecture_draws_the_floors_that_pyproject_enforces():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    (layers,) = [c["layers"] for c in contracts["contracts"] if c["type"] == "layers"]
    diagram = next(body for lang, body in FENCED.findall(section("Architecture")) if not lang)
    drawn = re.findall(r"^\s+(\w+)/\s", diagram, re.MULTILINE)
    assert drawn == [layer.removeprefix("netbuilder.") for layer in layers]


def test_every_module_is_in_the_architecture_and_every_file_it_names_exists():
    architecture = section("Architecture")
    package = ROOT / "netbuilder"
    modules = [p for p in package.rglob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    unnamed = [str(p.relative_to(ROOT)) for p in modules if not re.search(rf"`(?:[\w/]*/)?{p.name}`", architecture)]
    assert unnamed == []
    exported = {"model.py", "train.py"}  # what `netbuilder export` writes
    files = {p.name for p in [*package.rglob("*.py"), *(ROOT / "tests").rglob("*.py")]} | exported
    named = {Path(m).name for m in re.findall(r"`([\w/.]+\.py)`", architecture)}
    assert named - files == set()


# Loading trained weights, as the README says -----------------------------------------------------------------


def test_the_weight_loading_recipes_load_a_run_folders_checkpoint(tmp_path, monkeypatch, capsys):
    """A run folder of the README's example network (with its group, so model.py's names differ from build's),
    its checkpoint saved as training saves it; then the README's recipes: the checkpoint into build's network,
    and `export --weights` into model.py's Net. Both compute what the saved weights compute."""
    import torch

    from netbuilder.pytorch.build import build
    from netbuilder.records.config import TrainConfig
    from netbuilder.records.runs import Run
    from netbuilder.train import checkpoints

    complete, fragments = json_examples()
    data = json.loads(complete[0])
    data["groups"] = [json.loads(text) for how, key, text in fragments if key == "groups"]
    document = parse(json.dumps(data), "README example")
    monkeypatch.chdir(tmp_path)
    trained = build(document.graph).eval()
    run = Run.create(tmp_path / "RUN_DIR", document, TrainConfig())  # the recipes' name for the run folder
    checkpoints.save(run, {"model": trained.state_dict(), "epoch": 1}, best=True)
    loading = section("Command line").split("### Loading trained weights", 1)[1]
    build_recipe, model_recipe = [body for lang, body in FENCED.findall(loading) if lang == "python"]
    (export,) = [s for s in spans(loading) if s.startswith("netbuilder export")]
    assert cli.main(export.split()[1:]) == 0
    capsys.readouterr()

    built: dict = {}
    exec(build_recipe, built)
    out = tmp_path / export.split("-o ")[1].strip()
    monkeypatch.chdir(out)
    monkeypatch.syspath_prepend(str(out))
    monkeypatch.delitem(sys.modules, "model", raising=False)
    exported: dict = {}
    try:
        exec(model_recipe, exported)
    finally:
        sys.modules.pop("model", None)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected = trained(x)
        assert torch.allclose(built["net"](x), expected, atol=1e-6)
        assert torch.allclose(exported["model"](x), expected, atol=1e-6)
