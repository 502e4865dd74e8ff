"""The networks that ship in presets/: listing and loading them."""

from __future__ import annotations

from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

from netbuilder.core.document import Document, DocumentError, load

PRESETS_DIR = Path(str(files("netbuilder._presets")))  # the checkout's presets/, shipped inside the package
DEFAULT = "vgg_cifar"


@dataclass(frozen=True)
class Preset:
    key: str  # the file's stem, e.g. vgg_cifar
    name: str
    description: str
    path: Path


def list_presets(folder: Path = PRESETS_DIR) -> list[Preset]:
    """Every readable preset in the folder, the default first, then by key."""
    found = []
    for path in sorted(folder.glob("*.json")):
        try:
            doc = load(path)
        except DocumentError:
            continue
        found.append(Preset(path.stem, doc.name, doc.description, path))
    return sorted(found, key=lambda p: (p.key != DEFAULT, p.key))


def preset_path(key: str, folder: Path = PRESETS_DIR) -> Path:
    path = folder / f"{key}.json"
    if not path.is_file():
        keys = ", ".join(p.stem for p in sorted(folder.glob("*.json")))
        raise DocumentError(f"There is no preset '{key}' (presets: {keys}).")
    return path


def load_preset(key: str = DEFAULT, folder: Path = PRESETS_DIR) -> Document:
    return load(preset_path(key, folder))
