"""Draw a digit: the drawing is preprocessed like MNIST and the network's 10 probabilities follow the pen.

:func:`core.analysis.digits.digits.preprocess_drawing` does the MNIST treatment (bounding box scaled
into 20×20, centre of mass at pixel (14, 14) of 28×28); the network's answer is
recomputed at most every :data:`THROTTLE_MS` while drawing (one digit: well under 1 ms).
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6 import QtCore, QtGui, QtWidgets

from core.analysis.digits.digits import predict_probs, preprocess_drawing
from viz import style
from viz.views.digits.digits_view import BAD, OTHER, DigitsView, bar_plot, image_plot

#: milliseconds between two predictions while drawing, at least
THROTTLE_MS = 60
CANVAS_SIDE = 280
#: the canvas shown this small at the least (pixels), and the probabilities' plots this wide
MIN_CANVAS, MIN_PLOTS_WIDTH = 160, 230
PEN_WIDTH = 26   # ~2.5 px once a digit-sized drawing is shrunk into 20x20, like MNIST strokes


class DrawCanvas(QtWidgets.QWidget):
    """A square of paper to draw on with a thick round pen (black ink on white).

    ``changed`` is emitted after every stroke segment and on :meth:`clear`.
    :meth:`ink` returns the drawing as (side, side) float32 ink in [0, 1].
    """

    changed = QtCore.Signal()

    def __init__(self, side=CANVAS_SIDE, parent=None):
        super().__init__(parent)
        self.side = int(side)
        self.image = QtGui.QImage(self.side, self.side, QtGui.QImage.Format.Format_Grayscale8)
        self.image.fill(255)
        self._last = None
        self.setFixedSize(self.side, self.side)
        self.setCursor(QtCore.Qt.CursorShape.CrossCursor)
        self.setToolTip("Draw a digit with the mouse (left button). It is shrunk to 20×20 pixels and "
                        "centred by its centre of mass in 28×28, as MNIST's digits were.")

    def clear(self) -> None:
        self.image.fill(255)
        self._last = None
        self.update()
        self.changed.emit()

    def set_display_side(self, px: int) -> None:
        """Show the drawing ``px`` pixels wide and high (the drawing itself stays ``side`` × ``side``)."""
        if px != self.width():
            self.setFixedSize(px, px)

    def _to_image(self, pos: QtCore.QPointF) -> QtCore.QPointF:
        """A point on the widget in the drawing's pixels."""
        return pos * (self.side / max(self.width(), 1))

    def ink(self) -> np.ndarray:
        """The drawing as ink (0 = paper, 1 = black) of shape (side, side) float32."""
        ptr = self.image.constBits()
        a = np.frombuffer(ptr, np.uint8, count=self.image.sizeInBytes()).reshape(
            self.side, self.image.bytesPerLine())[:, :self.side]
        return (255 - a.astype(np.float32)) / np.float32(255)

    def _stroke(self, a: QtCore.QPointF, b: QtCore.QPointF) -> None:
        p = QtGui.QPainter(self.image)
        p.setRenderHint(QtGui.QPainter.RenderHint.Antialiasing)
        p.setPen(QtGui.QPen(QtGui.QColor(0, 0, 0), PEN_WIDTH, QtCore.Qt.PenStyle.SolidLine,
                            QtCore.Qt.PenCapStyle.RoundCap, QtCore.Qt.PenJoinStyle.RoundJoin))
        p.drawLine(a, b)
        p.end()
        self.update()
        self.changed.emit()

    def mousePressEvent(self, ev) -> None:
        if ev.button() == QtCore.Qt.MouseButton.LeftButton:
            self._last = self._to_image(ev.position())
            self._stroke(self._last, self._last)

    def mouseMoveEvent(self, ev) -> None:
        if self._last is not None and ev.buttons() & QtCore.Qt.MouseButton.LeftButton:
            pos = self._to_image(ev.position())
            self._stroke(self._last, pos)
            self._last = pos

    def mouseReleaseEvent(self, ev) -> None:
        self._last = None

    def paintEvent(self, ev) -> None:
        p = QtGui.QPainter(self)
        p.setRenderHint(QtGui.QPainter.RenderHint.SmoothPixmapTransform)
        p.drawImage(self.rect(), self.image)
        p.setPen(QtGui.QPen(QtGui.QColor(style.palette().muted), 1, QtCore.Qt.PenStyle.DashLine))
        p.drawRect(0, 0, self.width() - 1, self.height() - 1)
        p.end()


class DrawView(DigitsView):
    """The canvas, the 28×28 input the network sees, and its 10 probabilities, live.

    Public: ``canvas``, ``clear_button``, ``input_image``, ``x`` (the (784,) input or None),
    ``probs`` ((10,) or None), ``bars``, ``answer`` (QLabel), ``update_prediction()``.
    """

    def __init__(self, digits=None, parent=None):
        super().__init__(digits, parent)
        self.x = self.probs = None
        self.canvas = DrawCanvas()
        self.canvas.changed.connect(self._schedule)
        self._throttle = QtCore.QTimer(self, singleShot=True, interval=THROTTLE_MS)
        self._throttle.timeout.connect(self.update_prediction)
        self.clear_button = QtWidgets.QPushButton("Clear")
        self.clear_button.setToolTip("Erase the drawing.")
        self.clear_button.clicked.connect(self.canvas.clear)
        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setMinimumSize(MIN_PLOTS_WIDTH, 260)
        self.input_plot, self.input_image = image_plot(self.graphics, 0, 0)
        self.input_plot.setMouseEnabled(x=False, y=False)
        style.title(self.input_plot, "What it sees (28×28)")
        self.box = QtWidgets.QGraphicsRectItem(4, 4, 20, 20)
        self.box.setPen(pg.mkPen(style.with_alpha(style.palette().muted, 120), width=0, style=QtCore.Qt.PenStyle.DotLine))
        self.input_plot.addItem(self.box)
        self.prob_plot, self.bars = bar_plot(self.graphics, 1, 0)
        style.label(self.prob_plot, "left", "probability")
        self.graphics.setToolTip("Top: your drawing after MNIST's preprocessing (dotted: the central 20×20 "
                                 "box). Bottom: the network's probability for each digit.")
        self.canvas.set_display_side(MIN_CANVAS)      # as large as the room allows: see resizeEvent
        self.answer = QtWidgets.QLabel("Draw a digit on the left.")
        self.answer.setWordWrap(True)
        self.answer.setStyleSheet("QLabel { font-size: 14pt; }")
        left = QtWidgets.QVBoxLayout()
        left.addWidget(self.canvas)
        left.addWidget(self.clear_button)
        left.addWidget(self.answer)
        left.addStretch(1)
        row = QtWidgets.QBoxLayout(QtWidgets.QBoxLayout.Direction.LeftToRight)
        self._row = row
        row.addLayout(left)
        row.addWidget(self.graphics, 1)
        self._stack(row, stretch=row)

    def resizeEvent(self, ev) -> None:  # noqa: N802 - Qt override
        """The canvas beside the probabilities when there is room (its answer under it, in view), above
        them in a narrow dock; the canvas shown as large as the room allows, up to :data:`CANVAS_SIDE`."""
        super().resizeEvent(ev)
        w, h = self.width(), self.height()
        wide = w >= MIN_CANVAS + MIN_PLOTS_WIDTH + 20
        if wide:
            side = min(w - MIN_PLOTS_WIDTH - 20, h - 110)
        else:
            side = min(w - 8, (h - 110) // 2)
        self.canvas.set_display_side(int(np.clip(side, MIN_CANVAS, CANVAS_SIDE)))
        direction = (QtWidgets.QBoxLayout.Direction.LeftToRight if wide
                     else QtWidgets.QBoxLayout.Direction.TopToBottom)
        if self._row.direction() != direction:
            self._row.setDirection(direction)

    def _schedule(self) -> None:
        if not self._throttle.isActive():
            self._throttle.start()

    def clear(self) -> None:
        super().clear()
        self.probs = None
        self.bars.setOpts(height=np.zeros(10))

    def draw(self) -> bool:
        """The drawing's probabilities under the newest weights."""
        if not self._should_draw():
            return False
        self.update_prediction()
        return True

    def update_prediction(self) -> None:
        """Preprocess the drawing and ask the network (now)."""
        self._throttle.stop()
        d = self.digits
        side = d.side or 28
        img = preprocess_drawing(self.canvas.ink(), size=side, box=round(side * 20 / 28))
        self.input_image.setImage(img, levels=(0.0, 1.0), autoLevels=False)
        self.input_plot.setRange(xRange=(0, side), yRange=(0, side), padding=0.02)
        self.x = img.reshape(-1)
        model = d.model() if d.ok else None
        if model is None or model.input_dim != self.x.size:
            self.probs = None
            self.bars.setOpts(height=np.zeros(10))
            self.message.setText(d.message if not d.ok or model is None
                                 else f"The network takes {model.input_dim} inputs, not {self.x.size}.")
            self.answer.setText("Draw a digit on the left.")
            return
        self.message.setText(d.message or f"The network of epoch {d.epoch}.")
        if not self.x.any():
            self.probs = None
            self.bars.setOpts(height=np.zeros(len(self.bars.opts["height"])))
            self.answer.setText("Draw a digit on the left.")
            return
        with np.errstate(all="ignore"):
            p = np.nan_to_num(predict_probs(model, self.x[None, :])[0].astype(np.float64))
        self.probs = p
        guess = int(p.argmax())
        brushes = [BAD if i == guess else OTHER for i in range(len(p))]
        self.bars.setOpts(x=np.arange(len(p)), height=p, brushes=brushes)
        self.answer.setText(f"It's a <b>{d.class_names[guess] if guess < 10 else guess}</b> "
                            f"({p[guess]:.0%} sure)")
