"""Sources: the module a source names, "torchvision:NAME" (a torchvision classification model, random weights,
nothing downloaded), "timm:NAME" (a timm model, random weights, nothing downloaded; timm is an optional extra) or
"package.module:ClassName" (a class, or a function, of the user's own code that returns an nn.Module when called
without arguments; importing it runs that code), and the input size it is imported at."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import importlib
import os
import sys
import warnings

import torch
from torch import nn

from netbuilder.core.blocks import Shape
from netbuilder.core.errors import error_summary
from netbuilder.core.text import quote
from netbuilder.pytorch.trace.refusals import MissingPackage, ModelImportError
from netbuilder.pytorch.trace.translation import import_module, translate
from netbuilder.pytorch.trace.weights import Imported, load_pretrained, pretrained

TORCHVISION = "torchvision:"
TIMM = "timm:"


def torchvision_names() -> list[str]:
    """torchvision's classification models."""
    import torchvision.models  # start-up time: only torchvision imports load it

    return torchvision.models.list_models(module=torchvision.models)


def torchvision_input(name: str, module: nn.Module | None = None) -> Shape:
    """The input a torchvision model, made without weights, runs at: 3 × its image_size when it has one (a vision
    transformer is made for 224×224 whatever its weights' crop: vit_h_14's is 518), else 3 × the crop size of its
    pretrained weights. module is the model when it is made already (else its structure is made, on meta)."""
    import torchvision.models  # start-up time: only torchvision imports load it

    size = getattr(module if module is not None else _structure(name), "image_size", None)
    if isinstance(size, int):
        return (3, size, size)
    crop = torchvision.models.get_model_weights(name).DEFAULT.transforms().crop_size[0]
    return (3, crop, crop)


def _structure(name: str) -> nn.Module:
    """A torchvision model on the meta device: its structure, without weights or arithmetic."""
    try:
        with torch.device("meta"):
            return _made(name)
    except NotImplementedError:  # RegNet computes its widths with tensors, which have no values on meta
        return _made(name).to("meta")


def _torchvision_model(name: str) -> nn.Module:
    names = torchvision_names()
    if name not in names:
        hint = _did_you_mean(name, names) or f"it has {len(names)}, such as resnet18 and vgg16"
        raise ModelImportError(
            f"torchvision has no classification model {quote(name)} ({hint}); segmentation, "
            f"detection and video models cannot be imported."
        )
    return _made(name)


def _did_you_mean(name: str, names: list[str]) -> str | None:
    """ "did you mean resnet18, resnet18d or skresnet18?", None when no name is close."""
    close = difflib.get_close_matches(name, names, n=3)
    return f"did you mean {' or '.join(filter(None, [', '.join(close[:-1]), close[-1]]))}?" if close else None


def _made(name: str) -> nn.Module:
    import torchvision.models  # start-up time: only torchvision imports load it

    with warnings.catch_warnings():  # googlenet and inception_v3 warn that their initialisation will change
        warnings.filterwarnings("ignore", "The default weight initialization", FutureWarning)
        return torchvision.models.get_model(name, weights=None)


def _timm_model(name: str) -> nn.Module:
    """A timm model with random weights (nothing downloaded)."""
    try:
        import timm  # an optional extra; start-up time: only timm imports load it
    except ImportError:
        raise MissingPackage("timm is not installed; install it with pip install 'netbuilder[timm]'.") from None
    names = timm.list_models()
    if name not in names:
        hint = _did_you_mean(name, names)
        raise ModelImportError(f"timm has no model {quote(name)}{f' ({hint})' if hint else ''}.")
    try:
        return timm.create_model(name, pretrained=False)
    except Exception as e:  # timm's model code can raise anything while it builds
        raise ModelImportError(f"timm cannot make {quote(name)} ({error_summary(e)}).") from None


def _timm_input(source: str, module: nn.Module) -> Shape:
    """The input a timm model is made for: its pretrained_cfg's input_size."""
    size = getattr(module, "pretrained_cfg", {}).get("input_size")
    if not (isinstance(size, (tuple, list)) and all(isinstance(n, int) for n in size)):
        raise ModelImportError(f"Give the input size of {source}, such as --input 3,224,224.")
    return tuple(size)


def _user_model(source: str) -> nn.Module:
    path, _, attribute = source.partition(":")
    if not path or not attribute:
        raise ModelImportError(f"'{source}' is not a model source; give torchvision:NAME or package.module:ClassName.")
    added = os.getcwd() not in sys.path
    if added:  # the user's own modules are usually in the current folder
        sys.path.insert(0, os.getcwd())
    try:
        factory = getattr(importlib.import_module(path), attribute)
        module = factory()
    except Exception as e:  # the user's code can raise anything while it is imported or constructed
        raise ModelImportError(f"{source} cannot be loaded ({error_summary(e)}).") from None
    finally:
        if added:
            sys.path.remove(os.getcwd())
    if not isinstance(module, nn.Module):
        raise ModelImportError(f"{source}() gives a {type(module).__name__}, not a torch.nn.Module.")
    return module


def load_source(source: str) -> nn.Module:
    """The module a source names: torchvision:NAME, timm:NAME or package.module:ClassName (which runs the user's
    code)."""
    if source.startswith(TORCHVISION):
        return _torchvision_model(source.removeprefix(TORCHVISION))
    if source.startswith(TIMM):
        return _timm_model(source.removeprefix(TIMM))
    return _user_model(source)


def import_model(source: str, input_shape: Shape | None = None, weights: str | None = None) -> Imported:
    """The network of a source; input_shape defaults to a torchvision or timm model's own and is needed otherwise.
    With weights (a file, or DEFAULT or a weights name of a torchvision model), the import holds them as
    pretrained; weights that cannot be had are core.initial's InitError."""
    if input_shape is None and not source.startswith((TORCHVISION, TIMM)):
        raise ModelImportError(f"Give the input size of {source}, such as --input 3,32,32.")
    module = load_source(source)
    label = source.removeprefix(TORCHVISION)
    shape = input_shape or (
        _timm_input(source, module) if source.startswith(TIMM) else torchvision_input(label, module)
    )
    given = pretrained(label if source.startswith(TORCHVISION) else None, weights, shape) if weights else None
    if given is not None:
        load_pretrained(module, given)
    imported = import_module(module, shape, label)  # its output check runs with the given weights
    if given is not None:
        imported.pretrained = dataclasses.replace(given, state=imported.state_dict(module))
    return imported


@functools.cache
def torchvision_models() -> tuple[tuple[str, Shape], ...]:
    """(name, input shape) of every torchvision classification model that imports at its own input size.

    Slow (about a minute on two CPU cores; 68 of torchvision 0.29's 80 models: all but the transformers): every
    model is made, moved to the meta device (no weights, no arithmetic), traced and translated; import_model
    then also compares outputs. Run it off the UI thread; the result is cached for the process."""
    found = []
    for name in torchvision_names():
        module = _structure(name)
        shape = torchvision_input(name, module)
        try:
            translate(module, shape, name)
        except ModelImportError:
            continue
        found.append((name, shape))
    return tuple(found)
