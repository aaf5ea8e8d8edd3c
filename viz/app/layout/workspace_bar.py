"""The workspace switcher: one button per workspace on a toolbar, Ctrl+1…5, and the same actions in
the View menu (see :mod:`viz.app.layout.workspaces`)."""
from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QToolBar

from viz.app.layout import workspaces as ws


class WorkspaceBar(QToolBar):
    """A toolbar of checkable buttons, one per workspace, the shown one checked.

    Parameters
    ----------
    layout : viz.app.layout.dock_layout.DockLayout
        Shows the workspaces; its ``workspace_changed`` keeps the buttons in step.
    parent : QMainWindow

    Attributes
    ----------
    actions_by_name : dict
        The action of each workspace, by workspace name (shortcuts Ctrl+1…5, in the window).
    """

    def __init__(self, layout, parent):
        super().__init__("Workspaces", parent)
        self.setObjectName("workspace_toolbar")
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self._layout = layout
        self._group = QActionGroup(self)
        self._group.setExclusive(True)
        self.actions_by_name: dict[str, QAction] = {}
        for i, space in enumerate(ws.WORKSPACES, start=1):
            act = QAction(f"{space.title} workspace", self)   # the menus and Help; the button says less
            act.setIconText(space.title)
            act.setObjectName(f"workspace_{space.name}")
            act.setCheckable(True)
            act.setShortcut(QKeySequence(f"Ctrl+{i}"))
            act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
            keys = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            act.setToolTip(f"{space.title} ({keys}): {space.tip}")
            act.setStatusTip(space.tip)
            act.setData(space.name)
            act.triggered.connect(self._on_triggered)
            self._group.addAction(act)
            self.addAction(act)
            parent.addAction(act)   # the shortcut works even with the toolbar hidden
            self.actions_by_name[space.name] = act
        layout.workspace_changed.connect(self.show_checked)
        self.show_checked(layout.workspace)

    @Slot()
    def _on_triggered(self) -> None:
        act = self.sender()
        if act is not None:
            self._layout.show_workspace(act.data())

    @Slot(str)
    def show_checked(self, name: str) -> None:
        """Check the button of workspace ``name``."""
        self.actions_by_name[name].setChecked(True)

    def add_to_menu(self, menu) -> None:
        """The workspace actions at the top of ``menu`` (the View menu), then a separator."""
        first = menu.actions()[0] if menu.actions() else None
        for act in self.actions_by_name.values():
            menu.insertAction(first, act)
        menu.insertSeparator(first)
