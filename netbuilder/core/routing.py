"""Wire routing, pure geometry: a wire never passes under a block other than its two ends.

A wire is first tried as the canvas's smooth S-curve from the output port down to the input port. When that
curve would cross another block, it is routed beside the column instead: it drops out of the source port into
the gap below it, runs sideways to a free vertical lane, follows the lane, and comes back into the target
port from the gap above it. Lanes keep clear of blocks, of other wires' lanes (parallel skips sit side by side)
and of their volume labels. The ui draws the corners rounded (ui/edge_item.py).

Rects are (x0, y0, x1, y1) with x0 <= x1 and y0 <= y1; points are (x, y); y grows downwards.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

Point = tuple[float, float]
Rect = tuple[float, float, float, float]

DROP = 17.0  # how far a routed wire runs straight out of (into) its port before it turns
CLEAR = 13.0  # between a lane and a block
LANE_SPACING = 12.0  # between a lane and another wire's lane or label
FRAME_CLEAR = 8.0  # between a lane and the side of a group's frame, so that no wire runs along a frame's edge
SAMPLES = 24
CANDIDATES = 16


@dataclass(frozen=True)
class Route:
    """Where a wire goes. points: the corners of a routed wire (start, ..., end), or () for the S-curve."""

    points: tuple[Point, ...]
    lane: Rect | None  # the vertical run of a routed wire, an obstacle for other lanes
    label: Rect | None  # where its volume label goes; None: at the S-curve's middle (the ui places it)


def s_curve(start: Point, end: Point) -> tuple[Point, Point, Point, Point]:
    """The control points of the vertical S-curve from an output port down to an input port."""
    bend = max(40.0, abs(end[1] - start[1]) / 2)
    return start, (start[0], start[1] + bend), (end[0], end[1] - bend), end


def s_curve_points(start: Point, end: Point, samples: int = SAMPLES) -> list[Point]:
    p0, p1, p2, p3 = s_curve(start, end)
    out = []
    for i in range(samples + 1):
        t = i / samples
        a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t**3
        out.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return out


def segment_hits(p: Point, q: Point, r: Rect) -> bool:
    """Whether the segment p-q meets the open rectangle r (Liang-Barsky clipping)."""
    x0, y0, x1, y1 = r
    if max(p[0], q[0]) <= x0 or min(p[0], q[0]) >= x1 or max(p[1], q[1]) <= y0 or min(p[1], q[1]) >= y1:
        return False
    dx, dy = q[0] - p[0], q[1] - p[1]
    lo, hi = 0.0, 1.0
    for den, num in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if den == 0:
            if num <= 0:
                return False
            continue
        t = num / den
        if den < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo >= hi:
            return False
    return True


def polyline_hits(points: list[Point] | tuple[Point, ...], rects: list[Rect]) -> bool:
    return any(segment_hits(points[i], points[i + 1], r) for r in rects for i in range(len(points) - 1))


def bounds(points: list[Point] | tuple[Point, ...]) -> Rect:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _merged(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for a, b in sorted(intervals):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def route(
    start: Point,
    end: Point,
    blocks: list[Rect],
    lanes: list[Rect] = (),  # type: ignore[assignment]
    labels: list[Rect] = (),  # type: ignore[assignment]
    label_size: tuple[float, float] = (0.0, 0.0),
    frames: list[Rect] = (),  # type: ignore[assignment]
) -> Route:
    """A wire from start (an output port) to end (an input port) that crosses none of blocks; its lane keeps
    FRAME_CLEAR away from the left and right edges of frames (expanded groups), which it may cross."""
    curve = s_curve_points(start, end)
    box = bounds(curve)
    if not polyline_hits(curve, [r for r in blocks if overlaps(r, box)]):
        return Route((), None, None)
    sx, sy = start
    ex, ey = end
    y1, y2 = sy + DROP, ey - DROP
    lo, hi = min(y1, y2), max(y1, y2)
    blocked = [(r[0] - CLEAR, r[2] + CLEAR) for r in blocks if r[3] > lo and r[1] < hi]
    blocked += [(r[0] - LANE_SPACING, r[2] + LANE_SPACING) for r in (*lanes, *labels) if r[3] > lo and r[1] < hi]
    blocked += [(x - FRAME_CLEAR, x + FRAME_CLEAR) for r in frames if r[3] > lo and r[1] < hi for x in (r[0], r[2])]
    merged = _merged(blocked)
    starts = [a for a, _ in merged]

    def free(x: float) -> bool:
        i = bisect_right(starts, x) - 1
        return i < 0 or x >= merged[i][1]

    candidates = {sx, ex, *(b + 0.5 for _, b in merged), *(a - 0.5 for a, _ in merged)}
    right = max(sx, ex)

    def cost(x: float) -> float:
        return abs(x - sx) + abs(x - ex) + (0.0 if x >= right else 1.0)  # ties go to the right of the column

    fallback: Route | None = None
    for lane in sorted((round(x) for x in candidates if free(x)), key=cost)[:CANDIDATES]:
        points = ((sx, sy), (sx, y1), (lane, y1), (lane, y2), (ex, y2), (ex, ey))
        run = (lane, lo, lane, hi)
        found = Route(points, run, _label_at(run, blocks, lanes, labels, label_size))
        if not polyline_hits(points, blocks):
            return found
        fallback = fallback or found
    return fallback or Route((), None, None)


def _label_at(
    run: Rect, blocks: list[Rect], lanes: list[Rect], labels: list[Rect], size: tuple[float, float]
) -> Rect | None:
    """A place for the volume label beside the lane, clear of blocks, lanes and labels; None when none is."""
    w, h = size
    if w <= 0:
        return None
    x, lo, _, hi = run
    others = [*blocks, *labels, *(_grow(r, 2) for r in lanes)]
    for fraction in (0.5, 0.25, 0.75, 0.125, 0.375, 0.625, 0.875):
        y = lo + (hi - lo) * fraction - h / 2
        for left in (x + 6, x - 6 - w):
            rect = (left, y, left + w, y + h)
            if not any(overlaps(rect, o) for o in others):
                return rect
    return None


def _grow(r: Rect, d: float) -> Rect:
    return r[0] - d, r[1] - d, r[2] + d, r[3] + d


class Index:
    """Rects by horizontal band of the canvas, to find what lies across a range of y without looking at all."""

    def __init__(self, band: float = 256.0) -> None:
        self.band = band
        self.rects: dict[object, Rect] = {}
        self.buckets: dict[int, set[object]] = {}

    def _span(self, r: Rect) -> range:
        return range(int(r[1] // self.band), int(r[3] // self.band) + 1)

    def put(self, key: object, rect: Rect | None) -> None:
        self.remove(key)
        if rect is None:
            return
        self.rects[key] = rect
        for b in self._span(rect):
            self.buckets.setdefault(b, set()).add(key)

    def remove(self, key: object) -> None:
        rect = self.rects.pop(key, None)
        if rect is not None:
            for b in self._span(rect):
                self.buckets[b].discard(key)

    def across(self, lo: float, hi: float) -> list[tuple[object, Rect]]:
        """The rects that reach into lo < y < hi (or touch y = lo when lo == hi)."""
        keys: set[object] = set()
        for b in range(int(lo // self.band), int(hi // self.band) + 1):
            keys.update(self.buckets.get(b, ()))
        return [(k, self.rects[k]) for k in keys if self.rects[k][3] >= lo and self.rects[k][1] <= hi]


def keep_lane(start: Point, end: Point, lane: float) -> Route:
    """A routed wire whose ends moved, on the lane it had (until it is routed again)."""
    (sx, sy), (ex, ey) = start, end
    y1, y2 = sy + DROP, ey - DROP
    points = ((sx, sy), (sx, y1), (lane, y1), (lane, y2), (ex, y2), (ex, ey))
    return Route(points, (lane, min(y1, y2), lane, max(y1, y2)), None)
