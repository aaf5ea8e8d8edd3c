"""The layer editor of the controls panel, and the small editors the panel is built from.

:class:`ArchitectureEditor` edits a list of hidden layers (units + activation each);
:class:`LogSpinBox`, :func:`float_spin_box`, :func:`choice_combo`, :func:`mark_invalid`
(red border + error tooltip) are shared with :mod:`viz.panels.controls`.

>>> editor = ArchitectureEditor()
>>> editor.set_hidden(((16, "relu"), (8, "relu")))
>>> editor.hidden()
((16, 'relu'), (8, 'relu'))

The editor only edits ``TrainingConfig.hidden``; :class:`viz.panels.controls.ControlsPanel`
turns its ``changed`` signal into a new config and tells it the whole network's shape.
"""
from __future__ import annotations

import html
import math
import numbers
import re

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDoubleSpinBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSpinBox,
                               QToolButton, QVBoxLayout, QWidget)

from core.engine.activations import ACTIVATIONS
from core.run.config import MAX_LAYERS, MAX_UNITS
from viz import style


def rich(text: str) -> str:
    """``text`` as a rich-text paragraph, so that Qt word-wraps it in a tooltip."""
    return f"<p>{html.escape(text)}</p>"


UNITS_TIP = ("How many neurons this layer has. More units let the network bend its decision "
             "boundary into more complicated shapes, but they take longer to train.")
ACTIVATION_TIP = ("The non-linear function applied to this layer's weighted sums. Without one "
                  "(linear), stacked layers collapse into a single straight cut.")
ACTIVATION_ITEM_TIPS = {
    "linear": "No bending at all: the output is the weighted sum itself.",
    "relu": "max(0, x): keeps positive values and zeroes the rest. Fast and popular.",
    "leaky_relu": "Like relu, but lets a small slope through for negative values so units never go silent.",
    "sigmoid": "Squashes any value into 0..1. Saturates for large inputs, which can slow learning.",
    "tanh": "Squashes any value into -1..1, centred on zero. A good default for small networks.",
    "softmax": "Turns the layer's values into proportions that add up to 1 (unusual in a hidden layer).",
}
REMOVE_TIP = "Remove this hidden layer from the network."
ADD_TIP = "Add another hidden layer after the last one (a copy of it, or 8 tanh units)."
ADD_FULL_TIP = f"The network already has the maximum of {MAX_LAYERS} hidden layers."
SHAPE_TIP = ("The whole network from inputs to output: each arrow is one layer of weights. "
             "The output layer follows from the loss; for regression it is one linear unit, the predicted number.")
_ERROR_AT = re.compile(r"hidden\[(\d+)\]\.(units|activation)")


_ARROW = ":/qt-project.org/styles/commonstyle/images/arrow-{}-16.png"   # Qt's own resources
INVALID_STYLE = """
QAbstractSpinBox[invalid="true"], QComboBox[invalid="true"], QLineEdit[invalid="true"],
QPushButton[invalid="true"] {
    border: 2px solid ERROR; border-radius: 3px; background: palette(base); padding: 1px 3px; }
QLabel[invalid="true"], QCheckBox[invalid="true"] { color: ERROR; }
QAbstractSpinBox[invalid="true"] { padding-right: 15px; }
QAbstractSpinBox[invalid="true"]::up-button, QAbstractSpinBox[invalid="true"]::down-button {
    subcontrol-origin: padding; width: 14px; border: none; }
QAbstractSpinBox[invalid="true"]::up-button { subcontrol-position: top right; }
QAbstractSpinBox[invalid="true"]::down-button { subcontrol-position: bottom right; }
QAbstractSpinBox[invalid="true"]::up-arrow { image: url(UP); width: 7px; height: 7px; }
QAbstractSpinBox[invalid="true"]::down-arrow { image: url(DOWN); width: 7px; height: 7px; }
QComboBox[invalid="true"] { padding-right: 18px; }
QComboBox[invalid="true"]::drop-down { subcontrol-origin: padding; subcontrol-position: center right;
    width: 16px; border: none; }
QComboBox[invalid="true"]::down-arrow { image: url(DOWN); width: 8px; height: 8px; }
""".replace("UP", _ARROW.format("up")).replace("DOWN", _ARROW.format("down"))
"""Invalid fields: a red border (Qt then draws the spin/combo arrows from the sheet, so they are restyled too).
``ERROR`` stands for the theme's error colour: use :func:`invalid_style`."""


def invalid_style() -> str:
    """:data:`INVALID_STYLE` in the current theme's error colour (light or dark)."""
    return INVALID_STYLE.replace("ERROR", style.palette().error_color)


class TrimmedDoubleSpinBox(QDoubleSpinBox):
    """A ``QDoubleSpinBox`` that shows ``0.01`` rather than ``0.01000``."""

    def textFromValue(self, value: float) -> str:
        text = super().textFromValue(value)
        point = self.locale().decimalPoint()
        if point in text:
            text = text.rstrip("0").rstrip(point)
        return text


class LogSpinBox(TrimmedDoubleSpinBox):
    """Steps through 1-2-5 values (0.001, 0.002, 0.005, 0.01, …) instead of a fixed step."""

    def stepBy(self, steps: int) -> None:
        value = self.value()
        smallest = 10.0 ** -self.decimals()
        ladder = [round(m * 10.0 ** e, self.decimals())
                  for e in range(-self.decimals(), 4) for m in (1, 2, 5)]
        ladder = [v for v in ladder if v >= smallest]
        for _ in range(abs(steps)):
            if steps > 0:
                value = next((v for v in ladder if v > value * (1 + 1e-9)), self.maximum())
            else:
                value = next((v for v in reversed(ladder) if v < value * (1 - 1e-9)), self.minimum())
        self.setValue(value)


def int_spin_box(low: int, high: int, step: int) -> QSpinBox:
    """An integer spin box that reports a value on Enter, focus-out or an arrow (not per keystroke)."""
    box = QSpinBox()
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setKeyboardTracking(False)
    box.setAccelerated(True)
    return box


def float_spin_box(low: float, high: float, step: float, decimals: int, log: bool = False) -> QDoubleSpinBox:
    """A double spin box with trimmed zeros; ``log`` steps through 1-2-5 values."""
    box = LogSpinBox() if log else TrimmedDoubleSpinBox()
    box.setDecimals(decimals)
    box.setRange(low, high)
    box.setSingleStep(step)
    box.setKeyboardTracking(False)
    box.setAccelerated(True)
    return box


def set_invalid(widget: QWidget, invalid: bool) -> None:
    """Set the ``invalid`` dynamic property and re-polish so the style sheet's red border follows."""
    if bool(widget.property("invalid")) != invalid:
        widget.setProperty("invalid", invalid)
        widget.style().unpolish(widget)
        widget.style().polish(widget)
        widget.update()


def mark_invalid(widget: QWidget, message: str) -> None:
    """Red border and the error message in the tooltip, or back to normal when ``message`` is empty."""
    base = widget.property("baseToolTip")
    if base is None:
        base = widget.toolTip()
        widget.setProperty("baseToolTip", base)
    set_invalid(widget, bool(message))
    warning = f'<p style="color:{style.palette().error_color}"><b>{html.escape(message)}</b></p>' if message else ""
    widget.setToolTip(warning + base)


def narrow_combo() -> QComboBox:
    """A combo box whose width does not follow its longest item (the popup still shows it whole)."""
    combo = QComboBox()
    combo.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(8)
    return combo


def choice_combo(names, item_tips: dict) -> QComboBox:
    """A narrow combo of ``names`` (item data = the name), each item with its tooltip."""
    combo = narrow_combo()
    for i, name in enumerate(names):
        combo.addItem(name, name)
        combo.setItemData(i, rich(item_tips.get(name, name)), Qt.ToolTipRole)
    return combo


def select_data(combo: QComboBox, value, quiet: bool = False) -> None:
    """Select the item whose data is ``value`` (if any), without signals when ``quiet``."""
    index = combo.findData(value)
    if index >= 0:
        was = combo.blockSignals(quiet or combo.signalsBlocked())
        combo.setCurrentIndex(index)
        combo.blockSignals(was)


def set_number(box, value) -> None:
    """Put ``value`` in a spin box, clamped; a non-number leaves the box as it is.

    A positive value too small for the box's decimals becomes its smallest step rather than 0.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        return
    if isinstance(box, QSpinBox):
        box.setValue(int(max(box.minimum(), min(box.maximum(), value))))
        return
    if 0 < value < 10.0 ** -box.decimals():
        value = 10.0 ** -box.decimals()
    box.setValue(float(value))


class LayerRow(QWidget):
    """One hidden layer: its number, a units spin box, an activation combo and a remove button.

    Parameters
    ----------
    units : int
    activation : str
        A key of :data:`core.engine.activations.ACTIVATIONS`; an unknown name is added to the
        combo so that the value is kept (and reported by validation).
    """

    changed = Signal()
    remove_requested = Signal(object)   # the row

    def __init__(self, units: int = 8, activation: str = "tanh", parent=None):
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        self.number = QLabel("1")
        self.number.setMinimumWidth(14)
        self.number.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.units = QSpinBox()
        self.units.setRange(0, MAX_UNITS)   # 0 is allowed so that validation can show it
        self.units.setKeyboardTracking(False)
        self.units.setAccelerated(True)
        self.units.setSuffix(" units")
        self.units.setToolTip(rich(UNITS_TIP))
        self.activation = QComboBox()
        for i, name in enumerate(ACTIVATIONS):
            self.activation.addItem(name, name)
            self.activation.setItemData(i, rich(ACTIVATION_ITEM_TIPS.get(name, name)), Qt.ToolTipRole)
        self.activation.setToolTip(rich(ACTIVATION_TIP))
        self.activation.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.activation.setMinimumContentsLength(5)
        self.remove = QToolButton()
        self.remove.setText("✕")
        self.remove.setAutoRaise(True)
        self.remove.setToolTip(rich(REMOVE_TIP))
        self.remove.setAccessibleName("Remove layer")
        layout.addWidget(self.number)
        layout.addWidget(self.units, 1)
        layout.addWidget(self.activation, 1)
        layout.addWidget(self.remove)
        self.set_layer(units, activation)
        self.units.valueChanged.connect(self.changed)
        self.activation.currentIndexChanged.connect(self.changed)
        self.remove.clicked.connect(lambda: self.remove_requested.emit(self))

    def set_layer(self, units, activation) -> None:
        """Show ``(units, activation)`` without emitting ``changed``."""
        blockers = (self.units.blockSignals(True), self.activation.blockSignals(True))
        try:
            self.units.setValue(int(units) if _is_int(units) else 0)
            index = self.activation.findData(activation)
            if index < 0:
                self.activation.addItem(str(activation), activation)
                index = self.activation.count() - 1
            self.activation.setCurrentIndex(index)
        finally:
            self.units.blockSignals(blockers[0])
            self.activation.blockSignals(blockers[1])

    def layer(self) -> tuple:
        """``(units, activation)``."""
        return (self.units.value(), self.activation.currentData())


class ArchitectureEditor(QWidget):
    """Edits the hidden layers of a network; emits ``changed`` after every user edit.

    Signals
    -------
    changed()
        A layer was added, removed, or its units or activation edited.
    """

    changed = Signal()

    def __init__(self, hidden=((8, "tanh"), (8, "tanh")), parent=None):
        super().__init__(parent)
        self._rows: list[LayerRow] = []
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(4)
        self._title = QLabel("Hidden layers")
        self._title.setToolTip(rich("The layers between the inputs and the output, in order. "
                                    "With no hidden layer the network can only draw a straight line."))
        self._rows_box = QVBoxLayout()
        self._rows_box.setSpacing(3)
        self._empty = QLabel("none: the network is a single straight cut (logistic regression)")
        self._empty.setWordWrap(True)
        self._empty.setEnabled(False)
        self.add_button = QPushButton("Add layer")
        self.add_button.setToolTip(rich(ADD_TIP))
        self.add_button.setSizePolicy(QSizePolicy.Maximum, QSizePolicy.Fixed)
        self.add_button.clicked.connect(self._on_add)
        self.shape_label = QLabel()
        self.shape_label.setWordWrap(True)
        self.shape_label.setToolTip(rich(SHAPE_TIP))
        self.shape_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.shape_label.setStyleSheet("QLabel { font-weight: 600; }")
        outer.addWidget(self._title)
        outer.addLayout(self._rows_box)
        outer.addWidget(self._empty)
        outer.addWidget(self.add_button)
        outer.addWidget(self.shape_label)
        self.set_hidden(hidden)

    # ---- public -----------------------------------------------------------------------------------
    def hidden(self) -> tuple:
        """The edited layers as ``((units, activation), ...)``."""
        return tuple(row.layer() for row in self._rows)

    def set_hidden(self, hidden) -> None:
        """Show ``hidden`` (a sequence of ``(units, activation)``) without emitting ``changed``."""
        layers = []
        for item in tuple(hidden or ())[:MAX_LAYERS]:
            try:
                units, activation = item
            except (TypeError, ValueError):
                continue
            layers.append((units, activation))
        while len(self._rows) > len(layers):
            self._drop(self._rows[-1])
        while len(self._rows) < len(layers):
            self._append(*layers[len(self._rows)])
        for row, (units, activation) in zip(self._rows, layers):
            row.set_layer(units, activation)
        self._renumber()

    def rows(self) -> list[LayerRow]:
        """The row widgets, first hidden layer first."""
        return list(self._rows)

    def set_shape_text(self, text: str) -> None:
        """Show the whole network's shape, e.g. ``"2 → 8 tanh → 1 sigmoid"``."""
        self.shape_label.setText(text)

    def invalid_widgets(self, message: str) -> list[QWidget]:
        """The widgets an error message about ``hidden`` points at (the whole editor if none)."""
        match = _ERROR_AT.search(message or "")
        if match and int(match.group(1)) < len(self._rows):
            row = self._rows[int(match.group(1))]
            return [row.units if match.group(2) == "units" else row.activation]
        return [self.add_button] if "layers" in (message or "") else [row.units for row in self._rows]

    # ---- internals --------------------------------------------------------------------------------
    def _append(self, units, activation) -> LayerRow:
        row = LayerRow(units, activation)
        row.changed.connect(self.changed)
        row.remove_requested.connect(self._on_remove)
        self._rows.append(row)
        self._rows_box.addWidget(row)
        return row

    def _drop(self, row: LayerRow) -> None:
        self._rows.remove(row)
        self._rows_box.removeWidget(row)
        row.hide()
        row.deleteLater()

    def _renumber(self) -> None:
        for i, row in enumerate(self._rows, start=1):
            row.number.setText(str(i))
        full = len(self._rows) >= MAX_LAYERS
        self.add_button.setEnabled(not full)
        tip = rich(ADD_FULL_TIP if full else ADD_TIP)
        self.add_button.setToolTip(tip)
        self.add_button.setProperty("baseToolTip", tip)    # what mark_invalid restores
        self._empty.setVisible(not self._rows)

    def _on_add(self) -> None:
        if len(self._rows) >= MAX_LAYERS:
            return
        units, activation = self._rows[-1].layer() if self._rows else (8, "tanh")
        self._append(units, activation)
        self._renumber()
        self.changed.emit()

    def _on_remove(self, row: LayerRow) -> None:
        if row in self._rows:
            self._drop(row)
            self._renumber()
            self.changed.emit()


def _is_int(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and 0 <= value <= MAX_UNITS
