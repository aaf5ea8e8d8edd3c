"""The application: entry point, main window, docks, menus and actions, files, settings."""
