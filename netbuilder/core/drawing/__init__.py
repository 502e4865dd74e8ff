"""What the canvas and the volumes picture draw, as plain geometry: the layered layout, wire routing, folding
and the volumes' cuboids (no Qt)."""
