"""The Presets menu: the book's MNIST run from one click, the digits tabs coming forward, and back."""
from __future__ import annotations

from PySide6.QtWidgets import QApplication, QMessageBox

from core.run.config import data_notice
from core.run.presets import PRESETS


def until(qtbot, predicate, timeout=30_000):
    qtbot.waitUntil(lambda: bool(predicate()), timeout=timeout)


def test_presets_menu_lists_every_preset(qtbot, make_window):
    w = make_window(engine="thread")
    titles = {a.objectName(): a.text().split(" ", 1)[1] for a in w.preset_actions.values()}
    classification = [n for n in PRESETS if PRESETS[n].config.task == "classification"]
    regression = [n for n in PRESETS if PRESETS[n].config.task == "regression"]
    for names in (classification, regression):     # each menu numbered 1, 2, ... (the regression submenu too)
        assert [w.preset_actions[n].text().split(" ", 1)[0] for n in names] == [f"&{i}" for i in range(1, len(names) + 1)]
    sub = w.preset_actions[regression[0]].parent()
    assert sub is not w.preset_actions[classification[0]].parent() and "Regression" in sub.title()
    assert titles == {f"preset_{k}": p.title for k, p in PRESETS.items()}
    assert w.preset_actions["mnist"].text() == "&2 Chapter 2: MNIST"
    assert all(a.toolTip() for a in w.preset_actions.values())


def test_mnist_preset_trains_the_books_network_and_shows_the_digits(qtbot, make_window):
    w = make_window(engine="thread")
    w.show()
    qtbot.waitExposed(w)
    until(qtbot, lambda: w.session.latest is not None)
    w.preset_actions["mnist"].trigger()
    cfg = PRESETS["mnist"].config
    assert w.controls.config() == cfg
    assert w.controls.widgets["dataset"].currentText() == "MNIST digits (784)"
    assert w.controls.architecture.shape_label.text() == "784 inputs → 512 relu → 10 softmax"
    until(qtbot, lambda: w.session.latest is not None and w.session.run is not None
          and w.session.run.is_images)
    snap = w.session.latest
    assert [tuple(a.shape) for a in snap.weights] == [(784, 512), (512,), (512, 10), (10,)]
    notice = data_notice(cfg)
    if notice:                              # no full MNIST here: the offline sample, and the user is told
        boxes = [b for b in QApplication.topLevelWidgets() if isinstance(b, QMessageBox) and b.isVisible()]
        assert any(b.text() == notice for b in boxes)
        for b in boxes:
            b.close()
    digits = w.dock_layout.dock("dock_digits")             # Learn: the samples where the boundary was
    assert digits.isVisible() and not w.dock_boundary.isVisible()   # no plane to draw 784 inputs on
    assert not digits.widget().widget().visibleRegion().isEmpty()
    w.workspace_bar.actions_by_name["digits"].trigger()      # the Digits workspace: all seven
    assert all(d.isVisible() for d in w.digit_docks)
    w.workspace_bar.actions_by_name["learn"].trigger()
    n_train = w.session.run.n_train
    bpe = -(-n_train // 128)
    until(qtbot, lambda: w.status_labels["step"].text() == f"step 0/{bpe * 5:,}")
    w.actions.step_batch.trigger()
    until(qtbot, lambda: w.session.latest.step == 1)
    until(qtbot, lambda: w.status_labels["step"].text() == f"step 1/{bpe * 5:,}")
    # back to a 2-D preset: the digits tabs go away, the decision boundary comes back
    w.preset_actions["spiral"].trigger()
    until(qtbot, lambda: w.session.run.input_dim == 2)
    assert not any(d.isVisible() for d in w.digit_docks)
    assert w.dock_boundary.isVisible()
    assert w.controls.config() == PRESETS["spiral"].config


def test_two_weight_preset_has_exactly_two_weights(qtbot, make_window):
    w = make_window(engine="thread")
    w.preset_actions["two_weight"].trigger()
    until(qtbot, lambda: w.session.latest is not None and w.session.config == PRESETS["two_weight"].config
          and w.session.latest.weights and sum(a.size for a in w.session.latest.weights) == 2)


def test_a_layout_saved_during_an_image_run_does_not_show_digits_tabs_on_a_2d_run(qtbot, make_window):
    from core.run.presets import get_preset
    mnist = get_preset("mnist").config.replace(dataset="mnist_sample")
    w = make_window(mnist, engine="thread")
    w.show()
    qtbot.waitExposed(w)
    until(qtbot, lambda: w.session.run is not None and w.dock_layout.dock("dock_digits").isVisible())
    for b in QApplication.topLevelWidgets():
        if isinstance(b, QMessageBox):
            b.close()
    w.close()                                    # the layout, digit samples shown, is saved
    w2 = make_window(engine="thread")            # the spiral
    w2.show()
    qtbot.waitExposed(w2)
    until(qtbot, lambda: w2.session.run is not None)
    until(qtbot, lambda: not any(d.isVisible() for d in w2.digit_docks))
    assert w2.dock_boundary.isVisible()
