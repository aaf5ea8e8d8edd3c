"""Where the main window's docks sit: the dock registry, the workspaces and their switcher, the
layout that arranges and remembers them, and the views built late."""
