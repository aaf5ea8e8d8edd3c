"""The monkey's catalogue of random user actions and the helpers that find what to act on.

:class:`MonkeyActions` is a mixin of :class:`monkey_driver.Monkey`: it reads ``self.window``,
``self.rng``, ``self.tmpdir``, ``self.skip``, ``self.skip_items``, ``self.unit_cap``,
``self.sample_cap`` and keeps ``self._files`` and ``self._saved``. Each action method returns
the line the monkey logs.
"""
from __future__ import annotations

import os

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (QAbstractButton, QAbstractSpinBox, QApplication, QCheckBox, QComboBox,
                               QDockWidget, QDoubleSpinBox, QLineEdit, QMenu, QSpinBox, QToolBar, QToolButton, QWidget,
                               QWidgetAction)

#: text typed into line edits and spin boxes besides numbers
GARBAGE = ("", "abc", "-", "1e999", "nan", "inf", "-0", "0x10", "1,5", "  7 ", "∞", "9" * 40, "1e-45", "\u202e")
#: actions never triggered (object names or texts without "&")
EXCLUDED_TEXTS = {"Quit"}
#: buttons not clicked, by text, while the bug named is open (BUG-1, the surface/slice "CSV…" buttons
#: raising out of a slot, was fixed in e9a0f3b)
KNOWN_BUGS: dict[str, str] = {}


class MonkeyActions:
    """The random user actions (one method each) and their helpers; mixed into :class:`~monkey_driver.Monkey`."""

    # ---- helpers --------------------------------------------------------------------------------
    def _pick(self, items):
        items = list(items)
        return self.rng.choice(items) if items else None

    def _path(self, name: str) -> str:
        self._files += 1
        return os.path.join(self.tmpdir, f"{self._files:04d}-{name}")

    def _pick_open_path(self) -> str:
        r = self.rng.random()
        if r < 0.15:
            return ""
        if r < 0.3:
            return self._corrupt_file()
        if r < 0.35:
            return os.path.join(self.tmpdir, "does-not-exist.npz")
        files = sorted(os.path.join(self.tmpdir, f) for f in os.listdir(self.tmpdir)
                       if os.path.isfile(os.path.join(self.tmpdir, f)))
        return self._pick(files) or self._corrupt_file()

    def _corrupt_file(self) -> str:
        """A truncated copy of a saved run, or bytes that are no file format at all."""
        good = [p for p in self._saved if os.path.exists(p)]
        path = self._path(self.rng.choice(("corrupt.ucrun.npz", "corrupt.json", "corrupt.npz")))
        if good and self.rng.random() < 0.6:
            with open(self.rng.choice(good), "rb") as fh:
                data = fh.read()
            data = data[:self.rng.randint(0, max(len(data) - 1, 0))]
        else:
            data = bytes(self.rng.getrandbits(8) for _ in range(self.rng.randint(0, 300)))
        with open(path, "wb") as fh:
            fh.write(data)
        return path

    def _enabled_actions(self) -> list[QAction]:
        w = self.window
        menus = [m for m in (a.menu() for a in w.menuBar().actions()) if m is not None]
        reachable = list(QWidget.actions(w))             # window-wide shortcuts
        for bar in w.findChildren(QToolBar):
            reachable += bar.actions()
        while menus:                                     # what a user sees on opening the menus
            menu = menus.pop()
            menu.aboutToShow.emit()                      # (Open recent fills itself here)
            for act in menu.actions():
                reachable.append(act)
                if act.menu() is not None:
                    menus.append(act.menu())
        seen, found = set(), []
        for act in reachable:
            text = act.text().replace("&", "")
            if (id(act) in seen or act.isSeparator() or not text or isinstance(act, QWidgetAction)
                    or act.menu() is not None or not act.isEnabled() or text in EXCLUDED_TEXTS
                    or act.objectName() in self.skip or act is w.actions.quit):
                continue
            seen.add(id(act))
            found.append(act)
        found.sort(key=lambda a: (a.text(), a.objectName()))
        return found

    @staticmethod
    def _find(parent, kinds) -> list:
        return [x for x in parent.findChildren(QWidget) if isinstance(x, kinds)]

    def _visible(self, widgets):
        return [x for x in widgets if x.isVisibleTo(self.window) and x.isEnabled()]

    def _set_widget(self, widget) -> str:
        rng, name = self.rng, widget.objectName() or type(widget).__name__
        if isinstance(widget, QComboBox):
            allowed = [i for i in range(widget.count()) if widget.itemData(i) not in self.skip_items]
            if allowed:
                widget.setCurrentIndex(rng.choice(allowed))
            return f"combo {name} = {widget.currentText()!r}"
        if isinstance(widget, QCheckBox):
            widget.click()
            return f"check {name} = {widget.isChecked()}"
        if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            low, high = widget.minimum(), widget.maximum()
            if self.unit_cap is not None and "unit" in widget.suffix():
                high = min(high, self.unit_cap)
            if self.sample_cap is not None and widget.accessibleName() == "Samples":
                high = min(high, self.sample_cap)
            r = rng.random()
            if r < 0.5:
                value = rng.uniform(low, high) if isinstance(widget, QDoubleSpinBox) else rng.randint(low, high)
                widget.setValue(value)
                return f"spin {name} = {widget.value()!r}"
            text = rng.choice([*GARBAGE, str(low - 1), str(high + 1), str(-abs(high) * 10), "0", "1e30"])
            self._type(widget, text)
            return f"spin {name} typed {text!r}"
        if isinstance(widget, QAbstractSpinBox):
            self._type(widget, rng.choice(GARBAGE))
            return f"spin {name} typed garbage"
        if isinstance(widget, QLineEdit):
            text = rng.choice([*GARBAGE, "/nonexistent/file.csv", os.path.join(self.tmpdir, "x.csv")])
            self._type(widget, text)
            return f"line {name} typed {text!r}"
        return f"ignored {name}"

    def _type(self, widget, text: str) -> None:
        widget.setFocus()
        QTest.keyClick(widget, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
        for ch in text:   # QTest.keyClicks aborts on characters outside Latin-1: send each as text
            if ch.isascii() and ch.isprintable():
                QTest.keyClick(widget, ch)
            else:
                QTest.sendKeyEvent(QTest.KeyAction.Click, widget, Qt.Key.Key_unknown, ch,
                                   Qt.KeyboardModifier.NoModifier)
        QTest.keyClick(widget, Qt.Key.Key_Return)

    # ---- the actions ----------------------------------------------------------------------------
    def trigger_action(self) -> str:
        act = self._pick(self._enabled_actions())
        if act is None:
            return "no action enabled"
        act.trigger()
        return f"action {act.text().replace('&', '')!r}"

    def edit_control(self) -> str:
        kinds = (QComboBox, QCheckBox, QAbstractSpinBox, QLineEdit)
        widgets = [x for x in self._visible(self._find(self.window.controls, kinds))
                   if not isinstance(x.parent(), QAbstractSpinBox | QComboBox)]   # a spin box's own line edit
        widget = self._pick(sorted(widgets, key=lambda x: (x.objectName(), type(x).__name__)))
        return "controls: " + self._set_widget(widget) if widget is not None else "no control"

    def edit_any_widget(self) -> str:
        kinds = (QComboBox, QCheckBox, QAbstractSpinBox)
        widgets = [x for x in self._visible(self._find(self.window, kinds))
                   if not self.window.controls.isAncestorOf(x)]
        widget = self._pick(sorted(widgets, key=lambda x: (x.objectName(), type(x).__name__)))
        return "widget: " + self._set_widget(widget) if widget is not None else "no widget"

    def transport(self) -> str:
        a = self.window.actions
        act = self.rng.choice((a.play, a.play, a.step_batch, a.step_epoch, a.reset))
        if act.isEnabled():
            act.trigger()
        return f"transport {act.text()!r}" + ("" if act.isEnabled() else " (disabled)")

    def key_press(self) -> str:
        key = self.rng.choice((Qt.Key.Key_Space, Qt.Key.Key_B, Qt.Key.Key_Right, Qt.Key.Key_R,
                               Qt.Key.Key_BracketLeft, Qt.Key.Key_BracketRight, Qt.Key.Key_End))
        self.window.activateWindow()
        QTest.keyClick(self.window, key)
        return f"key {key.name}"

    def toggle_dock(self) -> str:
        dock = self._pick(self.window.findChildren(QDockWidget))
        if dock is None:
            return "no dock"
        if self.rng.random() < 0.15 and dock.isVisible():
            dock.setFloating(not dock.isFloating())
            return f"float {dock.objectName()} = {dock.isFloating()}"
        dock.toggleViewAction().trigger()
        return f"toggle {dock.objectName()} -> {dock.isVisible()}"

    def raise_tab(self) -> str:
        dock = self._pick([d for d in self.window.findChildren(QDockWidget) if d.isVisible()])
        if dock is None:
            return "no visible dock"
        dock.raise_()
        return f"raise {dock.objectName()}"

    def scrub(self) -> str:
        slider = self.window.timeline_bar.slider
        if not slider.isEnabled():
            return "scrub (no kept epochs yet)"
        slider.setValue(self.rng.randint(slider.minimum(), slider.maximum()))
        return f"scrub to index {slider.value()}"

    def continue_or_live(self) -> str:
        bar = self.window.timeline_bar
        button = self.rng.choice((bar.branch_button, bar.live_button))
        if button.isEnabled():
            button.click()
        return f"click {button.text()!r}" + ("" if button.isEnabled() else " (disabled)")

    def save_run(self) -> str:
        path = self._path("run.ucrun.npz")
        self.window.run_files.save(path)
        self._saved.append(path)
        return f"save run {os.path.basename(path)}"

    def open_run(self) -> str:
        path = self._pick_open_path()
        if not path:
            return "open run (cancelled)"
        self.window.run_files.open(path)
        return f"open run {os.path.basename(path)}"

    def preset(self) -> str:
        acts = sorted((a for a in self.window.findChildren(QAction) if a.objectName().startswith("preset_")
                       and a.objectName() not in self.skip and a.isEnabled()), key=QAction.objectName)
        act = self._pick(acts)
        if act is None:
            return "no preset"
        act.trigger()
        return f"preset {act.objectName()}"

    def click_button(self) -> str:
        buttons = [b for b in self._visible(self.window.findChildren(QAbstractButton))
                   if b.window() is self.window and b.text() not in KNOWN_BUGS]
        button = self._pick(sorted(buttons, key=lambda b: (b.objectName(), b.text())))
        if button is None:
            return "no button"
        menu = button.menu() if isinstance(button, QToolButton) else None
        if menu is not None:    # clicking opens the menu in a nested event loop that waits for a person:
            acts = [a for a in menu.actions() if a.isEnabled() and not a.isSeparator()]
            act = self._pick(acts)  # pick in it as a person would once it is open
            if act is None:
                return f"menu {button.text()!r} empty"
            act.trigger()
            return f"menu {button.text()!r} → {act.text()!r}"
        button.click()
        return f"button {button.objectName() or button.text()!r}"

    def close_popups(self) -> str:
        popups = [w for w in QApplication.topLevelWidgets() if w.isVisible() and w is not self.window
                  and not isinstance(w, QDockWidget) and not isinstance(w, QMenu)]
        for w in popups:
            w.close()
        return f"close {len(popups)} popups"

    def reset_layout(self) -> str:
        self.window.reset_layout()
        return "reset layout"
