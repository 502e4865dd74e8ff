"""Graph → files outside NetBuilder: ONNX, TorchScript, weights, and model.py with train.py beside it.

Every function refuses what a person can fix (an invalid network, weights of another network, a missing
optional package, a path that cannot be written) with ExportError and one sentence.
"""

from __future__ import annotations

import importlib
import io
import os
import sys
import warnings
from collections.abc import Mapping
from pathlib import Path

import torch

from netbuilder.core.atomic import check_target, write_atomic, write_text_atomic
from netbuilder.core.document import Document
from netbuilder.core.errors import error_summary
from netbuilder.core.graph import Graph
from netbuilder.pytorch import FORMATS
from netbuilder.pytorch.build import BuildError, GraphModule, build
from netbuilder.pytorch.codegen import generate, rename_state_dict
from netbuilder.pytorch.train_script import TrainScriptError, generate_train_script

ONNX_HINT = 'ONNX export needs the onnx and onnxscript packages: pip install "netbuilder[onnx]".'

StateDict = dict[str, torch.Tensor]


class ExportError(Exception):
    """An export that cannot be done; the message is one sentence saying why and what to do."""


def _require_onnx() -> None:
    for name in ("onnx", "onnxscript"):
        try:
            importlib.import_module(name)
        except ImportError:
            raise ExportError(ONNX_HINT) from None


def _write_bytes(path: Path, data: bytes) -> None:
    """Write atomically (core.atomic), so a failed export leaves no half file."""
    try:
        write_atomic(path, lambda f: f.write(data))
    except OSError as e:
        raise ExportError(f"{path} cannot be written ({e.strerror or e}).") from None


def network(graph: Graph, state_dict: Mapping[str, torch.Tensor] | None = None) -> GraphModule:
    """build(graph) in eval mode, with state_dict's weights when given (keys as build() names them)."""
    try:
        net = build(graph)
    except BuildError as e:
        raise ExportError(str(e)) from None
    if state_dict is not None:
        try:
            net.load_state_dict(state_dict)
        except RuntimeError as e:  # torch lists what differs on the lines after its first
            lines = str(e).splitlines()
            detail = " ".join(lines[1:2] or lines).strip()[:200]
            raise ExportError(
                f"These weights are not the weights of this network ({detail}); give the run that trained this network."
            ) from None
    return net.eval()


def _example(net: GraphModule) -> torch.Tensor:
    return torch.randn(2, *net.input_shape)  # 2, not 1: a batch of one would fix the batch size in ONNX


def export_onnx(graph: Graph, path: str | os.PathLike, state_dict: Mapping[str, torch.Tensor] | None = None) -> None:
    """An .onnx file (torch.onnx's torch.export-based exporter) with a dynamic batch size, input named
    "input" and output "output" (logits: a trailing softmax is left out, as in forward()), checked with
    onnx.checker before it is written. Needs the onnx extra (onnx and onnxscript)."""
    _require_onnx()
    net = network(graph, state_dict)
    batch = torch.export.Dim("batch")
    try:
        program = torch.onnx.export(
            net,
            (_example(net),),
            dynamo=True,
            verbose=False,
            input_names=["input"],
            output_names=["output"],
            dynamic_shapes=({0: batch},),
            external_data=False,
        )
        proto = program.model_proto
        import onnx  # start-up time: only an ONNX export loads it

        onnx.checker.check_model(proto, full_check=True)
    except Exception as e:  # torch.export, the ONNX translation and the checker raise many kinds
        raise ExportError(f"PyTorch could not export this network to ONNX ({error_summary(e)}).") from None
    _write_bytes(Path(path), proto.SerializeToString())


def export_torchscript(
    graph: Graph, path: str | os.PathLike, state_dict: Mapping[str, torch.Tensor] | None = None
) -> None:
    """A TorchScript file (torch.jit.trace of the built network) that torch.jit.load runs without NetBuilder.

    TorchScript is deprecated in recent PyTorch (in favour of torch.export and ONNX) but still the format
    C++ and older deployments load; the deprecation warnings are silenced because the user asked for it."""
    net = network(graph, state_dict)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", r"`torch\.jit\.\w+` is deprecated", FutureWarning)
        traced = torch.jit.trace(net, _example(net))
        torch.jit.save(traced, buffer)
    _write_bytes(Path(path), buffer.getvalue())


def _safetensors_available() -> bool:
    try:
        importlib.import_module("safetensors.torch")
    except ImportError:
        return False
    return True


def weights_suffix() -> str:
    """.safetensors where the safetensors package is installed, else .pt (a torch.save'd state_dict)."""
    return ".safetensors" if _safetensors_available() else ".pt"


def save_weights(state_dict: Mapping[str, torch.Tensor], path: str | os.PathLike) -> None:
    """Write a state_dict: safetensors for a .safetensors path, else torch.save of a plain dict."""
    path = Path(path)
    tensors = {key: t.detach().cpu().contiguous() for key, t in state_dict.items()}
    if path.suffix == ".safetensors":
        if not _safetensors_available():
            raise ExportError(
                f"{path.name} needs the safetensors package (pip install safetensors); or save to a .pt file."
            )
        from safetensors.torch import save  # start-up time: only a weights export loads it

        _write_bytes(path, save(tensors))
        return
    buffer = io.BytesIO()
    torch.save(tensors, buffer)
    _write_bytes(path, buffer.getvalue())


def load_weights(path: str | os.PathLike) -> StateDict:
    """Read a state_dict written by save_weights (or torch.save; a run's checkpoint gives its "model"), never
    unpickling code (weights_only)."""
    path = Path(path)
    try:
        if path.suffix == ".safetensors":
            if not _safetensors_available():
                raise ExportError(f"{path.name} needs the safetensors package: pip install safetensors.")
            from safetensors.torch import load_file  # start-up time: only when weights are read

            loaded = load_file(path)
        else:
            loaded = torch.load(path, map_location="cpu", weights_only=True)
    except ExportError:
        raise
    except Exception as e:  # a missing, damaged or foreign file: torch and safetensors raise many kinds
        raise ExportError(f"{path} cannot be read as weights ({type(e).__name__}).") from None
    if isinstance(loaded, dict) and isinstance(loaded.get("model"), dict):  # a run's checkpoint: its network's
        loaded = loaded["model"]
    if not isinstance(loaded, dict) or not all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in loaded.items()
    ):
        raise ExportError(f"{path} holds no state_dict (a dictionary of named tensors).")
    return loaded


def python_paths(out: str | os.PathLike) -> tuple[Path, Path]:
    """Where model.py and train.py go for -o OUT: OUT itself when it ends in .py, else OUT/model.py."""
    out = Path(out)
    if out.suffix not in ("", ".py") and not out.is_dir():
        raise ExportError(f"{out} is neither a .py file nor a folder; give model.py or a folder for it.")
    model_py = out if out.suffix == ".py" else out / "model.py"
    taken = {"train", "torch", "torchvision", *sys.stdlib_module_names}
    if not model_py.stem.isidentifier() or model_py.stem in taken:
        raise ExportError(f"train.py cannot import {model_py.name} as a module; name it model.py.")
    return model_py, model_py.with_name("train.py")


def export_python(
    document: Document, out: str | os.PathLike, state_dict: Mapping[str, torch.Tensor] | None = None
) -> list[Path]:
    """model.py, train.py beside it (for classifiers) and, with state_dict, the weights renamed for model.py.

    Returns the files written. A network whose output is not a vector of class scores gets no train.py."""
    graph = document.graph
    model_py, train_py = python_paths(out)
    weights = None if state_dict is None else model_py.with_name(f"{model_py.stem}_weights{weights_suffix()}")
    try:
        source = generate(graph, title=document.name, weights=weights and weights.name)
    except BuildError as e:
        raise ExportError(str(e)) from None
    try:
        script: str | None = generate_train_script(graph, model_py.stem)
    except TrainScriptError:
        script = None
    if state_dict is not None:
        network(graph, state_dict)  # refuses weights of another network before anything is written
    try:
        for path in (model_py, train_py, weights):  # a device, folder or link loop is refused before any write
            if path is not None:
                check_target(path)
    except OSError as e:
        raise ExportError(str(e)) from None
    try:
        model_py.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(model_py, source)
        if script is not None:
            write_text_atomic(train_py, script)
    except OSError as e:
        raise ExportError(f"{model_py.parent} cannot be written ({e.strerror or e}).") from None
    if weights is not None:
        assert state_dict is not None
        save_weights(rename_state_dict(state_dict, graph), weights)
    return [p for p in (model_py, train_py if script is not None else None, weights) if p is not None]


def export(
    document: Document, to: str, out: str | os.PathLike, state_dict: Mapping[str, torch.Tensor] | None = None
) -> list[Path]:
    """Export a document's network in one of FORMATS to out; returns the files written."""
    if to == "py":
        return export_python(document, out, state_dict)
    writers = {"onnx": export_onnx, "torchscript": export_torchscript}
    if to not in writers:
        raise ExportError(f"'{to}' is not an export format (formats: {', '.join(FORMATS)}).")
    try:
        check_target(out)  # before the export's work
    except OSError as e:
        raise ExportError(str(e)) from None
    writers[to](document.graph, out, state_dict)
    return [Path(out)]
