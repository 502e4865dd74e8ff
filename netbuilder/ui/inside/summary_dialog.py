"""Model summary: the torchinfo-style table of every block, with totals and errors."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from netbuilder.core.check.shapes import Check
from netbuilder.core.check.summary import HEADERS, rows, short, table
from netbuilder.core.document import Document
from netbuilder.ui import theme


class SummaryDialog(QDialog):
    def __init__(self, document: Document, result: Check, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(f"Model summary — {document.name}")
        self.resize(820, 600)
        body = rows(document.graph, result)
        self.table = QTableWidget(len(body), len(HEADERS))
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        for r, row in enumerate(body):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                if c >= 3:
                    item.setFont(theme.mono_font(9))
                if c >= 4:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                nid = row[0]
                if result.nodes[nid].error:
                    item.setForeground(theme.ERROR)
                    item.setToolTip(result.nodes[nid].error)
                self.table.setItem(r, c, item)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        totals = QLabel(
            f"Total params: {result.total_params:,} ({short(result.total_params)})    "
            f"Total MACs: {result.total_macs:,} ({short(result.total_macs)})    "
            + ("Valid" if result.valid else f"{len(result.errors)} error(s)")
        )
        totals.setFont(theme.ui_font(10, bold=True))
        errors = QLabel("\n".join(f"• {e}" for e in result.errors), wordWrap=True)
        errors.setStyleSheet(theme.status_style("error", bold=False))
        errors.setVisible(bool(result.errors))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("Copy as text")
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        text = table(document.graph, result, document.name)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(text))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for w in (self.table, totals, errors, buttons):
            layout.addWidget(w)
