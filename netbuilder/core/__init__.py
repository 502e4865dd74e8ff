"""Plain-Python document model: block registry, graph, live shape check, file format (no Qt, no torch)."""
