"""A layout that wraps its widgets onto more lines when the dock is narrow, and the control
row with Image…/CSV… export buttons that the surface, race and slice views share.

A plain QHBoxLayout row of ten controls made those views 660–820 px wide at the least,
so in a ~500 px tab they scrolled sideways; a flow row wraps instead.
"""
from __future__ import annotations

from PySide6 import QtCore, QtWidgets

from viz.views.common.pictures import IMAGE_FILTER, ask_path, export_image


class FlowLayout(QtWidgets.QLayout):
    """Items left to right, wrapping to a new line when the width runs out (Qt's flow layout)."""

    def __init__(self, parent=None, spacing=6):
        super().__init__(parent)
        self._items: list[QtWidgets.QLayoutItem] = []
        self.setContentsMargins(0, 0, 0, 0)
        self.setSpacing(spacing)

    def addItem(self, item):  # noqa: N802 - Qt override
        self._items.append(item)

    def count(self):
        return len(self._items)

    def itemAt(self, i):  # noqa: N802 - Qt override
        return self._items[i] if 0 <= i < len(self._items) else None

    def takeAt(self, i):  # noqa: N802 - Qt override
        return self._items.pop(i) if 0 <= i < len(self._items) else None

    def expandingDirections(self):  # noqa: N802 - Qt override
        return QtCore.Qt.Orientation(0)

    def hasHeightForWidth(self):  # noqa: N802 - Qt override
        return True

    def heightForWidth(self, width):  # noqa: N802 - Qt override
        return self._place(QtCore.QRect(0, 0, width, 0), move=False)

    def setGeometry(self, rect):  # noqa: N802 - Qt override
        super().setGeometry(rect)
        self._place(rect, move=True)

    def sizeHint(self):  # noqa: N802 - Qt override
        return self.minimumSize()

    def minimumSize(self):  # noqa: N802 - Qt override
        size = QtCore.QSize()
        for item in self._items:
            size = size.expandedTo(item.minimumSize())
        m = self.contentsMargins()
        return size + QtCore.QSize(m.left() + m.right(), m.top() + m.bottom())

    def _place(self, rect, move):
        m = self.contentsMargins()
        area = rect.adjusted(m.left(), m.top(), -m.right(), -m.bottom())
        x, y, line = area.x(), area.y(), 0
        gap = self.spacing()
        for item in self._items:
            if item.widget() is not None and item.widget().isHidden():
                continue
            hint = item.sizeHint()
            if x + hint.width() > area.right() + 1 and line > 0:
                x, y, line = area.x(), y + line + gap, 0
            if move:
                item.setGeometry(QtCore.QRect(QtCore.QPoint(x, y), hint))
            x += hint.width() + gap
            line = max(line, hint.height())
        return y + line - rect.y() + m.bottom()


def ignore_height_hint(widget: QtWidgets.QWidget) -> QtWidgets.QWidget:
    """Let ``widget`` (a plot) take the height left over, whatever its size hint; returns it.

    A view with a wrapping row (or a word-wrapped label) reports height-for-width, and a
    QScrollArea then makes the view as tall as its layout's *preferred* height at the dock's
    width. A QGraphicsView's preferred size is its current size, so a plot once tall kept the
    view that tall and the dock scrolled; with the vertical policy Ignored only its minimum counts.
    """
    policy = widget.sizePolicy()
    policy.setVerticalPolicy(QtWidgets.QSizePolicy.Policy.Ignored)
    widget.setSizePolicy(policy)
    return widget


def _save_csv(view, title, name, export_csv) -> bool:
    """Ask for a path and write the CSV; a view with nothing to save says so instead of raising."""
    path = ask_path(view, title, "CSV (*.csv)", f"{name}.csv")
    if not path:
        return False
    try:
        export_csv(path)
    except (ValueError, OSError) as exc:   # a non-modal note: nothing blocks the window
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Icon.Information, title, f"Nothing was saved: {exc}",
                                    parent=view)
        box.setWindowModality(QtCore.Qt.WindowModality.NonModal)
        box.setAttribute(QtCore.Qt.WidgetAttribute.WA_DeleteOnClose)
        box.show()
        return False
    return True


def control_row(view, widgets, name, csv_title, csv_tip, export_csv) -> QtWidgets.QWidget:
    """``widgets`` then Image… (PNG/SVG of ``view.graphics``) and CSV… buttons, wrapping when narrow.

    ``name`` is the default file stem; ``export_csv(path)`` writes the CSV.
    """
    png = QtWidgets.QPushButton("Image…")
    png.setToolTip("Save a picture of this view as PNG or SVG.")
    png.clicked.connect(lambda: export_image(view.graphics, ask_path(view, "Export image", IMAGE_FILTER,
                                                              f"{name}.png")))
    csv_b = QtWidgets.QPushButton("CSV…")
    csv_b.setToolTip(csv_tip)
    csv_b.clicked.connect(lambda: _save_csv(view, csv_title, name, export_csv))
    row = QtWidgets.QWidget()
    flow = FlowLayout(row)
    for w in (*widgets, png, csv_b):
        flow.addWidget(w)
    return row
