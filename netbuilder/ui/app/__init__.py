"""The application room: start-up, the main window that assembles the rooms, its actions and menus, files,
autosave, help, import/export jobs, rendering, and where the window is placed."""
