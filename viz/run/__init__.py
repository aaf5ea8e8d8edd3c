"""The run as the window sees it: the session, its worker and QThread, the redraw clock, the timeline."""
