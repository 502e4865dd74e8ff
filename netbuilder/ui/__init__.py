"""The Qt user interface: views, undo commands, docks."""
