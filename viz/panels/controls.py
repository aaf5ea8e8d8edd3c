"""The controls panel: data set, network, optimizer and training settings → a ``TrainingConfig``.

Every edit rebuilds a frozen :class:`core.run.config.TrainingConfig` from the widgets, checks it with
``config.errors()`` (plus a file-exists check for a CSV path), marks the invalid fields with a red
border and a tooltip holding the message, and emits, in this order:

* ``validity_changed(ok, reason)`` when the validity or the first error message changed;
* ``hyperparameter_changed(name, value)`` for each edited field of
  :data:`core.run.config.LIVE_FIELDS` whose new value is valid (these can be sent to a running trainer);
* ``config_changed(config)`` with the new config (valid or not).

Anything outside :data:`core.run.config.LIVE_FIELDS` is structural: :func:`structural_difference`
tells whether two configs need a reset. No dialogs are opened except the CSV file chooser.

The *Task* choice (classification or regression, :data:`core.run.config.TASKS`) decides which data
sets and losses the combos list; switching it picks that task's last data set and loss (a sine and
``mse`` the first time) and keeps every other field. A CSV file whose label column holds real
numbers switches to regression and says so with ``notice(text)``.
"""
from __future__ import annotations

import dataclasses
import os

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QFileDialog, QFormLayout,
                               QFrame, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton,
                               QScrollArea, QToolButton, QVBoxLayout, QWidget)

from core.run.config import (IMAGE_CLASSES, IMAGE_DATASETS, LIVE_FIELDS, MAX_SAMPLES, OUTPUT_ACTIVATION,
                             TASKS, TrainingConfig, dataset_names, is_image_dataset, is_regression,
                             losses_for, optimizer_fields)
from core.datasets import DIMENSIONS, GENERATORS
from core.datasets.regression import REGRESSION_DIMENSIONS, REGRESSION_GENERATORS
from core.datasets.tabular import csv_task
from core.engine.optimizers import OPTIMIZERS
from viz import style
from viz.panels.architecture import (ArchitectureEditor, choice_combo, float_spin_box, int_spin_box, invalid_style,
                                     mark_invalid, narrow_combo, rich, select_data, set_invalid, set_number)
from viz.panels.control_tips import CSV_ITEM, ITEM_TIPS, REGRESSION_TIPS, TASK_TITLES, TIPS

OPTIMIZER_FIELDS = {name: tuple(f for f in optimizer_fields(name) if f != "learning_rate") for name in OPTIMIZERS}
"""Which optional hyperparameter rows each optimizer shows (learning rate is always shown),
read off the optimizer classes (:func:`core.run.config.optimizer_fields`)."""
_OPTIONAL_ROWS = tuple(f for f in optimizer_fields() if f != "learning_rate")

_FIELDS = [f.name for f in dataclasses.fields(TrainingConfig)]
#: what a task starts with the first time it is chosen (afterwards: its last data set and loss)
TASK_START = {"classification": ("spiral", "binary_crossentropy"), "regression": ("sine", "mse")}


def structural_difference(a: TrainingConfig, b: TrainingConfig) -> bool:
    """Whether ``a`` and ``b`` differ in a field that cannot change mid-run (so a reset is needed)."""
    return any(getattr(a, name) != getattr(b, name) for name in _FIELDS if name not in LIVE_FIELDS)


def shape_text(config: TrainingConfig) -> str:
    """The network's shape in words, e.g. ``"2 → 8 tanh → 8 tanh → 1 sigmoid"`` (a regression
    network ends in ``"1 linear"``)."""
    images = is_image_dataset(config)
    dims = {**DIMENSIONS, **REGRESSION_DIMENSIONS}
    inputs = "CSV" if config.csv_path else ("784" if images else str(dims.get(config.dataset, "?")))
    first = f"{inputs} input" if inputs == "1" else f"{inputs} inputs"
    if is_regression(config):
        return " → ".join([first, *(f"{u} {a}" for u, a in config.hidden), "1 linear"])
    output = OUTPUT_ACTIVATION.get(config.loss, "?")
    n_out = "1" if output == "sigmoid" else ("k" if config.csv_path else str(IMAGE_CLASSES) if images else "2")
    return " → ".join([first, *(f"{u} {a}" for u, a in config.hidden), f"{n_out} {output}"])


class ControlsPanel(QWidget):
    """Edits a :class:`~core.run.config.TrainingConfig`; see the module docstring for the signals.

    Parameters
    ----------
    config : TrainingConfig, optional
        What to show first (default ``TrainingConfig()``).
    """

    config_changed = Signal(object)
    validity_changed = Signal(bool, str)
    #: something the user should read in the status bar (the task switched for a CSV file)
    notice = Signal(str)
    regenerate_requested = Signal()
    hyperparameter_changed = Signal(str, object)
    #: the live fields this panel edits and sends with ``hyperparameter_changed``: all of
    #: :data:`core.run.config.LIVE_FIELDS` but ``epochs``, which it has no row for (a run file's
    #: epochs wait for the next Reset)
    live_fields = LIVE_FIELDS - {"epochs"}

    def __init__(self, config: TrainingConfig | None = None, parent=None):
        super().__init__(parent)
        self.widgets: dict[str, QWidget] = {}      # field name -> its editor
        self._labels: dict[str, QLabel] = {}
        self._forms: dict[str, QFormLayout] = {}
        self._updating = False
        self._base = TrainingConfig()              # carries the fields without a widget (epochs, …)
        self._generator = self._base.dataset       # last generator chosen (kept while a CSV is used)
        self._task_choice = dict(TASK_START)       # task -> (last data set, last loss) chosen in it
        self._dataset_index = 0
        self._last: TrainingConfig | None = None
        self._errors: dict[str, str] = {}
        self._validity: tuple[bool, str] | None = None
        self.setStyleSheet(invalid_style())
        self._build()
        self.set_config(config if config is not None else TrainingConfig())

    # ---- public -----------------------------------------------------------------------------------
    def config(self) -> TrainingConfig:
        """The config the widgets show (it may be invalid: see :meth:`errors`)."""
        w = self.widgets
        csv = self._csv_selected()
        images = not csv and self._generator in IMAGE_DATASETS
        return self._base.replace(
            task=self.task(), dataset=self._generator, csv_path=(w["csv_path"].text().strip() or None) if csv else None,
            n_samples=(w["n_samples"].value() or None) if images or csv else w["n_samples"].value(),
            noise=w["noise"].value(),
            validation_split=w["validation_split"].value(), hidden=self.architecture.hidden(),
            loss=w["loss"].currentData(), optimizer=w["optimizer"].currentData(),
            learning_rate=w["learning_rate"].value(), momentum=w["momentum"].value(),
            nesterov=w["nesterov"].isChecked(), rho=w["rho"].value(), beta_1=w["beta_1"].value(),
            beta_2=w["beta_2"].value(), batch_size=w["batch_size"].value(), l2=w["l2"].value(),
            dropout=w["dropout"].value(), seed=w["seed"].value())

    def set_config(self, config: TrainingConfig) -> None:
        """Show ``config`` in every widget, then emit ``config_changed`` once (and
        ``validity_changed`` if validity changed); ``hyperparameter_changed`` is not emitted.

        Values a widget cannot hold are clamped to its range; an unknown data set, loss or
        optimizer name leaves that combo unchanged.
        """
        if not isinstance(config, TrainingConfig):
            raise TypeError(f"Argument `config` must be a TrainingConfig. Received: {type(config).__name__}")
        w = self.widgets
        self._updating = True
        try:
            self._base = config
            task = config.task if config.task in TASKS else "classification"
            select_data(w["task"], task)
            self._fill_lists(task)
            if config.dataset in dataset_names(task):
                self._generator = config.dataset
            elif self._generator not in dataset_names(task):
                self._generator = self._task_choice[task][0]
            select_data(w["dataset"], CSV_ITEM if config.csv_path else self._generator)
            self._dataset_index = w["dataset"].currentIndex()
            w["csv_path"].setText(str(config.csv_path or ""))
            for name in ("n_samples", "noise", "validation_split", "learning_rate", "momentum", "rho",
                         "beta_1", "beta_2", "batch_size", "l2", "dropout", "seed"):
                set_number(w[name], getattr(config, name))
            if config.n_samples is None:
                w["n_samples"].setValue(0)       # "all"
            w["nesterov"].setChecked(config.nesterov is True)
            select_data(w["loss"], config.loss)
            select_data(w["optimizer"], config.optimizer)
            self.architecture.set_hidden(config.hidden)
        finally:
            self._updating = False
        cfg = self.config()
        self._last = cfg
        self._refresh(cfg)
        self.config_changed.emit(cfg)

    def errors(self) -> dict[str, str]:
        """Every invalid field of the shown config with its message (empty when valid)."""
        return dict(self._errors)

    def is_valid(self) -> bool:
        """Whether the shown config can be trained."""
        return not self._errors

    def task(self) -> str:
        """The task chosen: ``"classification"`` or ``"regression"``."""
        return self.widgets["task"].currentData()

    def field_widget(self, name: str) -> QWidget:
        """The editor of a ``TrainingConfig`` field (``"hidden"`` gives the architecture editor)."""
        return self.architecture if name == "hidden" else self.widgets[name]

    # ---- building ---------------------------------------------------------------------------------
    def _build(self) -> None:
        content = QWidget()
        column = QVBoxLayout(content)
        column.setContentsMargins(6, 6, 6, 6)
        column.setSpacing(6)

        data = self._group(column, "Data", "data")
        task = narrow_combo()
        for i, name in enumerate(TASKS):
            task.addItem(TASK_TITLES[name], name)
            task.setItemData(i, rich(ITEM_TIPS[name]), Qt.ToolTipRole)
        task.currentIndexChanged.connect(self._on_task)
        self._add(data, "task", "Task", task, TIPS["task"])
        combo = narrow_combo()
        combo.currentIndexChanged.connect(self._on_dataset)
        self._add(data, "dataset", "Data set", combo, TIPS["dataset"])
        path_row = QWidget()
        path_layout = QHBoxLayout(path_row)
        path_layout.setContentsMargins(0, 0, 0, 0)
        path_layout.setSpacing(2)
        path = QLineEdit()
        path.setPlaceholderText("path/to/data.csv")
        path.editingFinished.connect(self._on_path_typed)
        browse = QToolButton()
        browse.setText("…")
        browse.setToolTip(rich(TIPS["browse"]))
        browse.clicked.connect(self._browse_csv)
        path_layout.addWidget(path, 1)
        path_layout.addWidget(browse)
        self.browse_button = browse
        self._add(data, "csv_path", "CSV file", path, TIPS["csv_path"], row_widget=path_row)
        self._add(data, "n_samples", "Samples", int_spin_box(0, MAX_SAMPLES, 50), TIPS["n_samples"])
        self._add(data, "noise", "Noise", float_spin_box(0, 5, 0.05, 3), TIPS["noise"])
        self._add(data, "validation_split", "Validation split", float_spin_box(0, 1, 0.05, 3), TIPS["validation_split"])
        self.regenerate_button = QPushButton("Regenerate data")
        self.regenerate_button.setToolTip(rich(TIPS["regenerate"]))
        self.regenerate_button.clicked.connect(self.regenerate_requested)
        data.addRow(self.regenerate_button)

        net = self._group(column, "Network", "network")
        self.architecture = ArchitectureEditor()
        self.architecture.changed.connect(self._on_edit)
        net.addRow(self.architecture)
        self._add(net, "loss", "Loss", choice_combo(OUTPUT_ACTIVATION, ITEM_TIPS), TIPS["loss"])
        self._fill_lists("classification")

        opt = self._group(column, "Optimizer", "optimizer")
        self._add(opt, "optimizer", "Optimizer", choice_combo(OPTIMIZERS, ITEM_TIPS), TIPS["optimizer"])
        self._add(opt, "learning_rate", "Learning rate", float_spin_box(0, 10, 0.001, 5, log=True),
                  TIPS["learning_rate"])
        self._add(opt, "momentum", "Momentum", float_spin_box(0, 1, 0.05, 6), TIPS["momentum"])
        self._add(opt, "nesterov", "", QCheckBox("Nesterov momentum"), TIPS["nesterov"])
        self._add(opt, "rho", "rho", float_spin_box(0, 1, 0.01, 6), TIPS["rho"])
        self._add(opt, "beta_1", "beta_1", float_spin_box(0, 1, 0.01, 6), TIPS["beta_1"])
        self._add(opt, "beta_2", "beta_2", float_spin_box(0, 1, 0.001, 6), TIPS["beta_2"])

        train = self._group(column, "Training", "training")
        self._add(train, "batch_size", "Batch size", int_spin_box(0, MAX_SAMPLES, 1), TIPS["batch_size"])
        self._add(train, "l2", "L2 penalty", float_spin_box(0, 1, 0.0001, 5, log=True), TIPS["l2"])
        self._add(train, "dropout", "Dropout", float_spin_box(0, 1, 0.05, 3), TIPS["dropout"])
        self._add(train, "seed", "Seed", int_spin_box(0, 2**31 - 1, 1), TIPS["seed"])
        column.addStretch(1)
        width = max(label.sizeHint().width() for label in self._labels.values())
        for label in self._labels.values():    # one label column across the groups
            label.setMinimumWidth(width)

        scroll = QScrollArea()
        scroll.setWidget(content)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAsNeeded)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self.scroll_area = scroll
        self.error_label = QLabel()     # the first problem, always in sight (hover a red field for more)
        self.error_label.setWordWrap(True)
        self.error_label.setContentsMargins(8, 4, 8, 6)
        self.error_label.setStyleSheet(f"QLabel {{ color: {style.palette().error_color}; }}")
        self.error_label.setToolTip(rich("The first problem with these settings; Play stays off until "
                                         "every field marked in red is fixed."))
        self.error_label.hide()
        outer.addWidget(self.error_label)

        for name in ("n_samples", "noise", "validation_split", "loss", "optimizer", "learning_rate",
                     "momentum", "rho", "beta_1", "beta_2", "batch_size", "l2", "dropout", "seed"):
            widget = self.widgets[name]
            signal = widget.currentIndexChanged if isinstance(widget, QComboBox) else widget.valueChanged
            signal.connect(self._on_edit)
        self.widgets["nesterov"].toggled.connect(self._on_edit)

    def _group(self, column: QVBoxLayout, title: str, key: str) -> QFormLayout:
        box = QGroupBox(title)
        form = QFormLayout(box)
        form.setFieldGrowthPolicy(QFormLayout.AllNonFixedFieldsGrow)
        form.setRowWrapPolicy(QFormLayout.DontWrapRows)
        form.setLabelAlignment(Qt.AlignLeft | Qt.AlignVCenter)
        form.setContentsMargins(6, 6, 6, 6)
        form.setHorizontalSpacing(8)
        form.setVerticalSpacing(4)   # the Task row fits: the panel is not scrolled at 1280×800
        column.addWidget(box)
        self._forms[key] = form
        return form

    def _add(self, form: QFormLayout, name: str, label: str, widget: QWidget, tip: str,
             row_widget: QWidget | None = None) -> None:
        widget.setToolTip(rich(tip))
        widget.setProperty("baseToolTip", rich(tip))
        widget.setAccessibleName(label or name)
        self.widgets[name] = widget
        if label:
            caption = QLabel(label)
            caption.setToolTip(rich(tip))
            caption.setBuddy(widget)
            self._labels[name] = caption
            form.addRow(caption, row_widget or widget)
        else:
            form.addRow("", row_widget or widget)

    def _fill_lists(self, task: str) -> None:
        """List ``task``'s data sets and losses (signals blocked; the selection is the caller's), and
        give the fields whose meaning changes with the task their tooltips."""
        combo, loss = self.widgets["dataset"], self.widgets["loss"]
        if combo.property("task") == task:
            return
        was = combo.blockSignals(True), loss.blockSignals(True)
        try:
            combo.clear()
            if task == "regression":
                for name in REGRESSION_GENERATORS:
                    combo.addItem(f"{name} ({REGRESSION_DIMENSIONS[name]}D)", name)
                    combo.setItemData(combo.count() - 1, rich(ITEM_TIPS[name]), Qt.ToolTipRole)
            else:
                for name in GENERATORS:
                    combo.addItem(f"{name.replace('_', ' ')} ({DIMENSIONS[name]}D)", name)
                    combo.setItemData(combo.count() - 1, rich(ITEM_TIPS[name]), Qt.ToolTipRole)
                for name, title in (("mnist", "MNIST digits"), ("fashion_mnist", "Fashion-MNIST"),
                                    ("mnist_sample", "MNIST sample")):
                    combo.addItem(f"{title} (784)", name)
                    combo.setItemData(combo.count() - 1, rich(ITEM_TIPS[name]), Qt.ToolTipRole)
            combo.addItem("CSV file…", CSV_ITEM)
            combo.setItemData(combo.count() - 1, rich(ITEM_TIPS[CSV_ITEM]), Qt.ToolTipRole)
            combo.setProperty("task", task)
            loss.clear()
            tips = REGRESSION_TIPS if task == "regression" else ITEM_TIPS
            for name in losses_for(task):
                loss.addItem(name, name)
                loss.setItemData(loss.count() - 1, rich(tips.get(name, ITEM_TIPS.get(name, name))), Qt.ToolTipRole)
        finally:
            combo.blockSignals(was[0])
            loss.blockSignals(was[1])
        for name in ("dataset", "csv_path", "browse", "noise", "loss"):
            tip = rich((REGRESSION_TIPS if task == "regression" else TIPS).get(name, TIPS[name]))
            widget = self.browse_button if name == "browse" else self.widgets[name]
            widget.setToolTip(tip)
            widget.setProperty("baseToolTip", tip)
            if name in self._labels:
                self._labels[name].setToolTip(tip)

    # ---- reacting to edits --------------------------------------------------------------------------
    def _on_task(self, _index: int) -> None:
        """The task changed: list its data sets and losses, pick its last (or first) data set and loss,
        keep every other field; a CSV file stays chosen."""
        if self._updating:
            return
        old, task = self.widgets["dataset"].property("task"), self.task()
        if task == old:
            return
        self._task_choice[old] = (self._generator, self.widgets["loss"].currentData())
        csv = self._csv_selected()
        self._updating = True
        try:
            self._fill_lists(task)
            self._generator, loss = self._task_choice[task]
            select_data(self.widgets["dataset"], CSV_ITEM if csv else self._generator)
            self._dataset_index = self.widgets["dataset"].currentIndex()
            select_data(self.widgets["loss"], loss)
            if self._generator not in IMAGE_DATASETS and self.widgets["n_samples"].value() == 0 and not csv:
                self.widgets["n_samples"].setValue(TrainingConfig().n_samples)   # "all" means nothing here
        finally:
            self._updating = False
        self._on_edit()

    def _csv_selected(self) -> bool:
        return self.widgets["dataset"].currentData() == CSV_ITEM

    def _on_dataset(self, index: int) -> None:
        if self._updating:
            return
        combo = self.widgets["dataset"]
        if combo.itemData(index) == CSV_ITEM:
            if not self._choose_csv():
                select_data(combo, combo.itemData(self._dataset_index), quiet=True)   # cancelled: undo
                return
            index = combo.currentIndex()     # the file may have switched the task (and the list)
        if combo.itemData(index) != CSV_ITEM:
            self._generator = combo.itemData(index)
            if self._generator not in IMAGE_DATASETS and self.widgets["n_samples"].value() == 0:
                self.widgets["n_samples"].setValue(TrainingConfig().n_samples)   # "all" means nothing here
        self._dataset_index = index
        self._on_edit()

    def _browse_csv(self) -> None:
        if self._choose_csv():
            select_data(self.widgets["dataset"], CSV_ITEM, quiet=True)
            self._dataset_index = self.widgets["dataset"].currentIndex()
            self._on_edit()

    def _choose_csv(self) -> bool:
        """Ask for a CSV file; put it in the path field. False when cancelled."""
        current = self.widgets["csv_path"].text().strip()
        start = os.path.dirname(current) if current else os.getcwd()
        path, _ = QFileDialog.getOpenFileName(self, "Open a CSV data set", start,
                                              "CSV files (*.csv *.txt);;All files (*)")
        if not path:
            return False
        self.widgets["csv_path"].setText(path)
        self.widgets["n_samples"].setValue(0)   # "all" its rows (up to the cap of every data set)
        self._task_for_csv(path)
        return True

    def _on_path_typed(self) -> None:
        """A CSV path typed in: a new file found there may switch the task (:meth:`_task_for_csv`)."""
        path = self.widgets["csv_path"].text().strip()
        if path and path != (self._last.csv_path if self._last is not None else None) and os.path.isfile(path):
            self._task_for_csv(path)
        self._on_edit()

    def _task_for_csv(self, path: str) -> None:
        """A CSV file whose label column holds real numbers switches the task to regression (and says
        so with ``notice``); an unreadable file is left to the config's check."""
        try:
            regression = csv_task(path) == "regression"
        except (OSError, ValueError):
            return
        if regression and self.task() != "regression":
            select_data(self.widgets["task"], "regression")     # through _on_task: lists and loss follow
            self.notice.emit(f"The label column of {os.path.basename(path)} holds real numbers, "
                             "so the task is now Regression: the network predicts a number.")

    def _on_edit(self, *_args) -> None:
        if self._updating:
            return
        cfg = self.config()
        previous, self._last = self._last, cfg
        self._refresh(cfg)
        if cfg == previous:
            return
        for name in _FIELDS:
            if name in self.live_fields and name not in self._errors and getattr(cfg, name) != getattr(previous, name):
                self.hyperparameter_changed.emit(name, getattr(cfg, name))
        self.config_changed.emit(cfg)

    def _refresh(self, cfg: TrainingConfig) -> None:
        """Show/hide rows, update the shape line and the error marks; emit ``validity_changed``."""
        csv = bool(cfg.csv_path) or self._csv_selected()
        data, opt = self._forms["data"], self._forms["optimizer"]
        data.setRowVisible(self.widgets["csv_path"].parentWidget(), csv)
        images = not csv and cfg.dataset in IMAGE_DATASETS
        data.setRowVisible(self.widgets["n_samples"], True)   # a CSV too: a random sample of its rows
        data.setRowVisible(self.widgets["noise"], not csv and not images)
        data.setRowVisible(self.widgets["validation_split"], not images)   # the test set is the validation
        self.widgets["n_samples"].setSpecialValueText("all" if images or csv else "")
        shown = OPTIMIZER_FIELDS.get(cfg.optimizer, ())
        for name in _OPTIONAL_ROWS:
            opt.setRowVisible(self.widgets[name], name in shown)
        self.architecture.set_shape_text(shape_text(cfg))

        errors = {}
        if csv:
            path = cfg.csv_path or ""
            if not path:
                errors["csv_path"] = "Choose a CSV file (Browse…) or type its path."
            elif not os.path.isfile(path):
                errors["csv_path"] = f"CSV file not found: {path!r}"
        errors.update(cfg.errors())
        self._errors = errors
        marked = {}
        for name, widget in self.widgets.items():
            marked[widget] = errors.get(name, "")
        for row in self.architecture.rows():
            marked[row.units] = marked[row.activation] = ""
        marked[self.architecture.add_button] = ""
        if "hidden" in errors:
            for widget in self.architecture.invalid_widgets(errors["hidden"]):
                marked[widget] = errors["hidden"]
        for widget, message in marked.items():
            mark_invalid(widget, message)
        for name, label in self._labels.items():
            set_invalid(label, name in errors)
        self.regenerate_button.setEnabled(not errors)
        self.regenerate_button.setToolTip(rich(TIPS["regenerate"]) + ("<p>Fix the fields marked in red first.</p>"
                                                                      if errors else ""))

        validity = (not errors, next(iter(errors.values()), ""))
        self.error_label.setText(f"⚠ {validity[1]}" + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))
        self.error_label.setVisible(bool(errors))
        if validity != self._validity:
            self._validity = validity
            self.validity_changed.emit(*validity)
