"""The tensor lab: the shapes flowing through the network on a batch, the rules behind them, the values.

The steps come from :func:`core.analysis.digits.digits.shape_flow` (any Sequential, not only MNIST's):
``(128, 784) · (784, 512) + (512,) → relu → (128, 512) · (512, 10) + (10,) → softmax → (128, 10)``.
The batch is the first ``batch_size`` training digits (the run's batch size), pushed
through the shown weights; clicking a tensor in the list shows its values as an image.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtWidgets

from core.datasets import describe_tensor
from core.analysis.digits.digits import image_levels, symmetric_levels
from core.analysis.digits.shape_flow import broadcast_explanation, dot_shape_rule, flow_line, shape_flow
from viz import style
from viz.views.digits.digits_view import GRAY, DigitsView

SIGNED = pg.colormap.get("CET-D1")


def _tensors(model, x, side) -> list[tuple[str, np.ndarray, str]]:
    """``(name, values, how it was made)`` for every tensor of the forward pass, and the reshape/transpose demos."""
    out = [("x", x, "the batch of flattened digits")]
    name, h = "x", x
    dense = [l for l in model.layers if hasattr(l, "kernel")]
    for i, (layer, t) in enumerate(zip(dense, model.trace(x)), start=1):
        out.append((f"W{i}", layer.kernel, f"layer {i}'s kernel: one column per unit"))
        out.append((f"b{i}", layer.bias, f"layer {i}'s bias: one value per unit, broadcast over the batch"))
        dot = f"{name}·W{i}"
        out.append((dot, t.dot, dot_shape_rule(h.shape, layer.kernel.shape)))
        out.append((f"{dot} + b{i}", t.biased, broadcast_explanation(t.dot.shape, layer.bias.shape)))
        name, h = (f"h{i}" if i < len(dense) else "y"), t.output
        out.append((name, h, f"{t.activation}({dot} + b{i})"))
    if x.shape[1] == side * side:
        out.append((f"x[0].reshape({side}, {side})", x[0].reshape(side, side),
                    f"reshape: the same {side * side} values seen as {side} rows of {side}: the first digit"))
    k = dense[0].kernel
    out.append(("W1.T", k.T, f"transpose: rows become columns; {k.shape} → {k.T.shape}, no value changes"))
    return out


class TensorLab(DigitsView):
    """Shapes, rules and values of the tensors of one forward pass.

    Public: ``flow`` (QLabel with :func:`core.analysis.digits.digits.flow_line`), ``steps`` (QLabel, one
    line per operation), ``rules`` (QLabel), ``tensor_list`` (QListWidget; click to show),
    ``image``, ``colorbar``, ``detail`` (QLabel), ``tensors`` (list of (name, array, note)),
    ``show_tensor(name)``.
    """

    #: seconds between two forward passes shown, at least
    min_interval = 1.0

    def __init__(self, digits=None, parent=None):
        super().__init__(digits, parent)
        self.tensors: list = []
        mono = "QLabel { font-family: monospace; font-size: 11pt; }"
        self.flow = QtWidgets.QLabel("")
        self.flow.setStyleSheet(mono)
        self.flow.setWordWrap(True)
        self.flow.setToolTip("The shapes of one forward pass on a batch: dot with the kernel, add the bias, "
                             "apply the activation, layer after layer.")
        self.steps = QtWidgets.QLabel("")
        self.steps.setTextFormat(QtCore.Qt.TextFormat.RichText)
        self.steps.setWordWrap(True)
        self.steps.setToolTip("Every operation with its shape rule.")
        self.rules = QtWidgets.QLabel(
            "<b>Broadcasting</b> (the book's example): " + broadcast_explanation((32, 10), (10,)) +
            "<br><b>Dot product</b>: " + dot_shape_rule((32, 784), (784, 512)) +
            " — the inner sizes must match.<br><b>Reshape</b> keeps the values and their order, changing only "
            "the shape: (60000, 28, 28) → (60000, 784). <b>Transpose</b> swaps the axes: (784, 512) → (512, 784).")
        self.rules.setWordWrap(True)
        self.rules.setToolTip("The tensor operations of the book's chapter 2, in one paragraph.")
        self.tensor_list = QtWidgets.QListWidget()
        self.tensor_list.setToolTip("Click a tensor to see its values as an image.")
        self.tensor_list.setMaximumWidth(260)
        self.tensor_list.currentRowChanged.connect(self._show_row)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumSize(300, 220)
        self.plot = self.graphics.addPlot(row=0, col=0)
        style.apply_plot_style(self.plot)
        self.plot.invertY(True)
        self.plot.setMenuEnabled(False)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.plot.addItem(self.image)
        self.colorbar = pg.ColorBarItem(values=(-1.0, 1.0), colorMap=SIGNED, label="value", interactive=False,
                                        colorMapMenu=False, width=14)
        self.colorbar.setImageItem(self.image, insert_in=self.plot)
        self.graphics.setToolTip("The chosen tensor's values: rows down, columns across (a 1-D tensor is one row).")
        self.detail = QtWidgets.QLabel("")
        self.detail.setWordWrap(True)
        self.detail.setTextFormat(QtCore.Qt.TextFormat.RichText)
        mid = QtWidgets.QHBoxLayout()
        mid.addWidget(self.tensor_list)
        right = QtWidgets.QVBoxLayout()
        right.addWidget(self.graphics, 1)
        right.addWidget(self.detail)
        mid.addLayout(right, 1)
        self._stack(self.flow, self.steps, mid, self.rules, stretch=mid)

    def clear(self) -> None:
        super().clear()
        self.tensors = []
        self.tensor_list.clear()
        self.flow.setText("")
        self.steps.setText("")
        self.detail.setText("")
        self.image.clear()

    def draw(self) -> bool:
        """The forward pass of the run's batch size through the newest weights."""
        if not self._should_draw():
            return False
        d = self.digits
        model = self._model()
        if model is None:
            return False
        n = max(1, min(d.batch_size, len(d.x_train)))
        steps = shape_flow(model, n)
        self.flow.setText(flow_line(steps))
        self.steps.setText("<br>".join(f"<code>{st.name}</code>: {st.formula}" for st in steps[1:]
                                       if st.kind != "bias") +
                           f"<br>bias: {steps[2].note}")
        with np.errstate(all="ignore"):
            self.tensors = _tensors(model, d.x_train[:n], d.side)
        names = [t[0] for t in self.tensors]
        if [self.tensor_list.item(i).text().split("  ")[0] for i in range(self.tensor_list.count())] != names:
            row = self.tensor_list.currentRow()
            self.tensor_list.blockSignals(True)
            self.tensor_list.clear()
            for name, a, _ in self.tensors:
                self.tensor_list.addItem(f"{name}  {tuple(np.shape(a))}")
            self.tensor_list.setCurrentRow(row if 0 <= row < len(names) else 0)
            self.tensor_list.blockSignals(False)
        self._show_row(self.tensor_list.currentRow())
        self.message.setText(f"A batch of the first {n} training digits through the weights of epoch "
                             f"{d.epoch}." if not d.message else d.message)
        return True

    def show_tensor(self, name: str) -> bool:
        """Select the tensor called ``name`` (as in the list) and show it; False if there is none."""
        for i, t in enumerate(self.tensors):
            if t[0] == name:
                self.tensor_list.setCurrentRow(i)
                self._show_row(i)
                return True
        return False

    def _show_row(self, row: int) -> None:
        if not 0 <= row < len(self.tensors):
            return
        name, a, note = self.tensors[row]
        v = np.asarray(a, np.float32)
        img = np.ascontiguousarray(v.reshape(1, -1) if v.ndim == 1 else v.reshape(v.shape[0], -1))
        finite = img[np.isfinite(img)]
        signed = finite.size and finite.min() < 0
        levels = symmetric_levels(img) if signed else image_levels(img)
        lut = (SIGNED if signed else GRAY).getLookupTable(nPts=256)
        self.image.setLookupTable(lut)
        self.image.setImage(np.nan_to_num(img, nan=levels[0]), levels=levels, autoLevels=False)
        self.colorbar.setColorMap(SIGNED if signed else GRAY)
        self.colorbar.setLevels(values=levels)
        self.image.setRect(QtCore.QRectF(0, 0, img.shape[1], img.shape[0]))
        # very wide strips (a bias) would be one pixel tall: give them some height
        self.plot.setAspectLocked(False)
        self.plot.setRange(xRange=(0, img.shape[1]), yRange=(0, img.shape[0]), padding=0.02)
        style.label(self.plot, "bottom", "column")
        style.label(self.plot, "left", "row")
        self.detail.setText(f"<b><code>{name}</code></b>: <code>{describe_tensor(v)}</code> — {note}")
