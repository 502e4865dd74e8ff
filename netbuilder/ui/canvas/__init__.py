"""The canvas room: the open document and its undo commands, the scene with its blocks, wires and group frames,
the palette, the inspector, quick-add, clipboard, templates and the overview."""
