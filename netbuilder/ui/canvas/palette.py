"""The block palette: grouped, searchable, a drag source for the canvas."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QAbstractItemView, QLineEdit, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from netbuilder.core.blocks import REGISTRY
from netbuilder.ui.canvas.templates import SQUEEZE_EXCITE

RESOURCES = Path(str(files("netbuilder._resources")))  # the checkout's resources/, shipped inside the package
MIME_BLOCK = "application/x-netbuilder-block"


@dataclass(frozen=True)
class Entry:
    """One palette item: a block type with starting parameters."""

    label: str
    block_type: str
    icon: str
    tip: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    template: str = ""  # a unit of several blocks (ui/canvas/templates.py) rather than one block of block_type

    def tooltip(self) -> str:
        """What the entry does in a line, and the idea behind it with its paper, where it has one."""
        text = self.tip or REGISTRY[self.block_type].help
        idea = REGISTRY[self.block_type].idea(self.params)
        return f"{text}\nIdea: {idea[0]} — {idea[1]}" if idea else text

    def mime(self) -> QMimeData:
        data = QMimeData()
        payload = {
            "type": self.block_type,
            "params": self.params,
            **({"template": self.template} if self.template else {}),
        }
        data.setData(MIME_BLOCK, json.dumps(payload).encode())
        data.setText(self.label)
        return data


def _act(label: str, function: str, tip: str) -> Entry:
    return Entry(label, "Activation", "activation", tip, {"function": function})


GROUPS: list[tuple[str, list[Entry]]] = [
    ("Input", [Entry("Input", "Input", "input")]),
    ("Convolution", [Entry("Conv2d", "Conv2d", "conv")]),
    (
        "Activation",
        [
            _act("ReLU", "relu", "max(0, x): the default choice for hidden layers."),
            _act("LeakyReLU", "leaky_relu", "Like ReLU, with a small slope for negative values."),
            _act("ELU", "elu", "Smooth ReLU that goes slightly negative."),
            _act("GELU", "gelu", "Smooth ReLU used by transformers."),
            _act("SiLU", "silu", "x·sigmoid(x), also called swish."),
            _act("ReLU6", "relu6", "ReLU capped at 6 (MobileNetV2)."),
            _act("Hardswish", "hardswish", "A cheap swish made of straight pieces (MobileNetV3)."),
            _act("Mish", "mish", "x·tanh(softplus(x)): a smooth, self-gated ReLU."),
            _act("Sigmoid", "sigmoid", "Squashes values into (0, 1)."),
            _act(
                "Hardsigmoid", "hardsigmoid", "A cheap sigmoid made of straight pieces: the gate of MobileNetV3's SE."
            ),
            _act("Tanh", "tanh", "Squashes values into (−1, 1)."),
            _act("Softmax", "softmax", "Turns scores into probabilities that sum to 1 (at the end of a classifier)."),
        ],
    ),
    (
        "Pooling",
        [
            Entry(
                "MaxPool2d", "Pool2d", "pool", "Keeps the maximum of each window.", {"mode": "max", "kernel_size": 2}
            ),
            Entry(
                "AvgPool2d", "Pool2d", "pool", "Keeps the average of each window.", {"mode": "avg", "kernel_size": 2}
            ),
            Entry(
                "AdaptiveAvgPool2d",
                "AdaptivePool2d",
                "pool",
                "Averages each channel down to a fixed size whatever comes in (1×1: global average pooling).",
                {"mode": "avg", "output_size": 1},
            ),
            Entry("Upsample", "Upsample", "pool"),
        ],
    ),
    ("Fully-connected", [Entry("Linear", "Linear", "linear")]),
    (
        "Normalization and regularization",
        [
            Entry("BatchNorm", "BatchNorm", "norm"),
            Entry("GroupNorm", "GroupNorm", "norm"),
            Entry("LayerNorm2d", "LayerNorm2d", "norm"),
            Entry("LayerScale", "LayerScale", "norm"),
            Entry("Rescale", "Rescale", "norm"),
            Entry("Dropout", "Dropout", "dropout"),
            Entry("StochasticDepth", "StochasticDepth", "dropout"),
        ],
    ),
    (
        "Structure",
        [
            Entry("Flatten", "Flatten", "flatten"),
            Entry("Add", "Add", "add"),
            Entry("Multiply", "Multiply", "multiply"),
            Entry("Concat", "Concat", "concat"),
            Entry("ChannelShuffle", "ChannelShuffle", "shuffle"),
            Entry("Narrow", "Narrow", "narrow"),
        ],
    ),
    (
        "Units",
        [
            Entry(
                "Squeeze-and-excitation",
                "Multiply",
                "squeeze",
                "Gates the channels of the selected block's volume (or the block above where it is dropped): "
                "AdaptivePool2d → Conv2d 1×1 → ReLU → Conv2d 1×1 → Hardsigmoid → Multiply, as one group.",
                template=SQUEEZE_EXCITE,
            )
        ],
    ),
]


def entry_from_mime(data: QMimeData) -> Entry | None:
    """The palette entry a drag carries, or None for anything else (or anything malformed)."""
    if not data.hasFormat(MIME_BLOCK):
        return None
    try:
        payload = json.loads(bytes(data.data(MIME_BLOCK)).decode("utf-8"))
        block_type, params, template = payload["type"], payload.get("params", {}), payload.get("template", "")
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    if block_type not in REGISTRY or not isinstance(params, dict) or template not in ("", SQUEEZE_EXCITE):
        return None
    return next(
        (
            e
            for _, es in GROUPS
            for e in es
            if e.block_type == block_type and e.params == params and e.template == template
        ),
        Entry(block_type, block_type, "", "", params),
    )


def all_entries() -> list[Entry]:
    return [e for _, entries in GROUPS for e in entries]


class _Tree(QTreeWidget):
    def mimeData(self, items: list[QTreeWidgetItem]) -> QMimeData:  # noqa: N802 (Qt's name)
        entry = items[0].data(0, Qt.ItemDataRole.UserRole) if items else None
        return entry.mime() if isinstance(entry, Entry) else QMimeData()

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [MIME_BLOCK]


class Palette(QWidget):
    """Drag an entry onto the canvas, or double-click it to add it under the selected block."""

    activated = Signal(object)  # Entry

    def __init__(self) -> None:
        super().__init__()
        self.search = QLineEdit(placeholderText="Search blocks…", clearButtonEnabled=True)
        self.tree = _Tree()
        self.tree.setHeaderHidden(True)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setIndentation(12)
        self.tree.setIconSize(self.tree.iconSize().expandedTo(self.tree.iconSize()))
        for group, entries in GROUPS:
            top = QTreeWidgetItem([group])
            top.setFlags(Qt.ItemFlag.ItemIsEnabled)
            self.tree.addTopLevelItem(top)
            for entry in entries:
                item = QTreeWidgetItem([entry.label])
                item.setData(0, Qt.ItemDataRole.UserRole, entry)
                item.setToolTip(0, entry.tooltip())
                item.setIcon(0, QIcon(str(RESOURCES / "icons" / f"{entry.icon}.svg")))
                item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsDragEnabled)
                top.addChild(item)
        self.tree.expandAll()
        self.tree.itemDoubleClicked.connect(self._double_clicked)
        self.search.textChanged.connect(self.filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)

    def _double_clicked(self, item: QTreeWidgetItem, column: int) -> None:
        entry = item.data(0, Qt.ItemDataRole.UserRole)
        if isinstance(entry, Entry):
            self.activated.emit(entry)

    def filter(self, text: str) -> None:
        """Show the entries whose name, type or help mentions the text; hide empty groups."""
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            shown = 0
            for j in range(top.childCount()):
                child = top.child(j)
                entry: Entry = child.data(0, Qt.ItemDataRole.UserRole)
                hay = f"{entry.label} {entry.block_type} {entry.tooltip()} {top.text(0)}".lower()
                child.setHidden(bool(needle) and needle not in hay)
                shown += not child.isHidden()
            top.setHidden(shown == 0)

    def visible_labels(self) -> list[str]:
        return [
            self.tree.topLevelItem(i).child(j).text(0)
            for i in range(self.tree.topLevelItemCount())
            for j in range(self.tree.topLevelItem(i).childCount())
            if not self.tree.topLevelItem(i).isHidden() and not self.tree.topLevelItem(i).child(j).isHidden()
        ]
