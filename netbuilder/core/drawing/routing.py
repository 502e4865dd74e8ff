"""Wire routing, pure geometry: a wire never passes under a block other than its two ends.

A wire is first tried as the canvas's smooth S-curve from the output port down to the input port. When that
curve would cross another block, or run along an expanded group's frame or through its name band, it is routed
beside the column instead: it drops out of the source port into the gap below it, runs sideways to a free
vertical lane, follows the lane, and comes back into the target port from the gap above it. Lanes keep clear of
blocks, of other wires' lanes (parallel skips sit side by side), of their volume labels and of frames' sides;
the sideways runs keep clear of frames' tops and bottoms and of their name bands (core.layout leaves the room
between rows). The ui draws the corners rounded (ui/canvas/edge_item.py).

Rects are (x0, y0, x1, y1) with x0 <= x1 and y0 <= y1; points are (x, y); y grows downwards.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

Point = tuple[float, float]
Rect = tuple[float, float, float, float]

DROP = 17.0  # how far a routed wire runs straight out of (into) its port before it turns, where that is clear
MIN_DROP = 12.0  # the least it runs straight: past the glow of the blocks beside its port
CLEAR = 13.0  # between a lane and a block
LANE_SPACING = 12.0  # between a lane and another wire's lane or label
FRAME_CLEAR = 8.0  # between a wire's straight run and the edge of a group's frame it runs beside
SAMPLES = 24
CANDIDATES = 16
REACH = 240.0  # how far from its port a routed wire may turn sideways, at most (past stacked name bands)


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


# The cubic Bezier's four weights at SAMPLES + 1 evenly spaced t, computed once.
_WEIGHTS = tuple(
    ((1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t**3) for t in (i / SAMPLES for i in range(SAMPLES + 1))
)


def s_curve_points(start: Point, end: Point) -> list[Point]:
    """The S-curve sampled at SAMPLES + 1 points."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = s_curve(start, end)
    return [(a * x0 + b * x1 + c * x2 + d * x3, a * y0 + b * y1 + c * y2 + d * y3) for a, b, c, d in _WEIGHTS]


def _inside(p: Point, q: Point, r: Rect) -> tuple[float, float] | None:
    """The part (t0, t1) of the segment p-q inside the open rectangle r, if any (Liang-Barsky clipping)."""
    x0, y0, x1, y1 = r
    if max(p[0], q[0]) <= x0 or min(p[0], q[0]) >= x1 or max(p[1], q[1]) <= y0 or min(p[1], q[1]) >= y1:
        return None
    dx, dy = q[0] - p[0], q[1] - p[1]
    lo, hi = 0.0, 1.0
    for den, num in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if den == 0:
            if num <= 0:
                return None
            continue
        t = num / den
        if den < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo >= hi:
            return None
    return lo, hi


def segment_hits(p: Point, q: Point, r: Rect) -> bool:
    """Whether the segment p-q meets the open rectangle r."""
    return _inside(p, q, r) is not None


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
    band: float = 0.0,
) -> Route:
    """A wire from start (an output port) to end (an input port) that crosses none of blocks. It may cross frames
    (expanded groups, their name bands `band` high at their tops) but runs along none of their edges, within
    FRAME_CLEAR, and through none of their bands: its lane keeps off their sides, its sideways runs off their tops,
    bottoms and bands."""
    if not blocks and not frames:
        return Route((), None, None)  # nothing near: the S-curve
    curve = s_curve_points(start, end)
    box = bounds(curve)
    if not polyline_hits(curve, [r for r in blocks if overlaps(r, box)]) and not along_frames(curve, frames, band):
        return Route((), None, None)
    sx, sy = start
    ex, ey = end
    lo, hi = min(sy + DROP, ey - DROP), max(sy + DROP, ey - DROP)
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

    down = ey > sy + 2 * MIN_DROP  # both turns lie between the ports
    out_of = _Gap(sy, 1.0, ey - MIN_DROP if down else sy + REACH, blocks, frames, band)
    into = _Gap(ey, -1.0, sy + MIN_DROP if down else ey - REACH, blocks, frames, band)
    fallback: Route | None = None
    fallback_hits = True  # whether the fallback crosses a block
    for lane in sorted((round(x) for x in candidates if free(x)), key=cost)[:CANDIDATES]:
        (y1, clear1), (y2, clear2) = out_of.jog(sx, lane), into.jog(ex, lane)
        points = _corners(((sx, sy), (sx, y1), (lane, y1), (lane, y2), (ex, y2), (ex, ey)))
        run = (lane, min(y1, y2), lane, max(y1, y2))
        hits = polyline_hits(points, blocks)
        if not hits and clear1 and clear2:
            return Route(points, run, _label_at(run, blocks, lanes, labels, label_size))
        if fallback is None or (fallback_hits and not hits):
            fallback, fallback_hits = Route(points, run, _label_at(run, blocks, lanes, labels, label_size)), hits
    if not polyline_hits(curve, [r for r in blocks if overlaps(r, box)]):
        if fallback is None or fallback_hits or along_frames(fallback.points, frames, band):
            return Route((), None, None)  # no clear route: the curve, which crosses no block, is no worse
    return fallback or Route((), None, None)


def _corners(points: tuple[Point, ...]) -> tuple[Point, ...]:
    """The polyline without repeated points or straight-through corners (the ui rounds every corner it gets)."""
    out: list[Point] = []
    for p in points:
        if out and p == out[-1]:
            continue
        if len(out) >= 2 and (out[-2][0] == out[-1][0] == p[0] or out[-2][1] == out[-1][1] == p[1]):
            out[-1] = p
        else:
            out.append(p)
    return tuple(out)


def along_frames(points: list[Point] | tuple[Point, ...], frames: list[Rect], band: float) -> bool:
    """Whether the polyline runs more than FRAME_CLEAR along (within FRAME_CLEAR of) a frame's edge, or across
    its name band (the top `band` of it)."""
    (bx0, by0, bx1, by1), top = bounds(points), max(band, FRAME_CLEAR)
    near = [  # frames with an edge zone near the polyline: one it lies well inside (a nested group's) has none
        r
        for r in frames
        if r[0] - FRAME_CLEAR < bx1
        and bx0 < r[2] + FRAME_CLEAR
        and r[1] - FRAME_CLEAR < by1
        and by0 < r[3] + FRAME_CLEAR
        and not (
            r[0] + FRAME_CLEAR <= bx0 and bx1 <= r[2] - FRAME_CLEAR and r[1] + top <= by0 and by1 <= r[3] - FRAME_CLEAR
        )
    ]
    for r in near:
        x0, y0, x1, y1 = r
        zones = [
            (x0, y0 - FRAME_CLEAR, x1, y0 + max(band, FRAME_CLEAR), 0),
            (x0, y1 - FRAME_CLEAR, x1, y1 + FRAME_CLEAR, 0),
        ]
        zones += [(x - FRAME_CLEAR, y0, x + FRAME_CLEAR, y1, 1) for x in (x0, x1)]
        for zx0, zy0, zx1, zy1, axis in zones:
            run = 0.0
            for p, q in zip(points, points[1:]):
                part = _inside(p, q, (zx0, zy0, zx1, zy1))
                if part is not None:
                    run += abs(q[axis] - p[axis]) * (part[1] - part[0])
            if run > FRAME_CLEAR:
                return True
    return False


class _Gap:
    """Where a routed wire turns sideways next to its port at y (below an output port: side 1; above an input
    port: -1), not past reach: DROP away where that is clear, else the nearest place in the gap that is clear of
    blocks, of frames' tops and bottoms (by FRAME_CLEAR) and of their name bands, across the run to the lane."""

    def __init__(
        self, y: float, side: float, reach: float, blocks: list[Rect], frames: list[Rect], band: float
    ) -> None:
        self.y, self.side, self.reach = y, side, reach
        near = (y, reach)
        lo, hi = min(near), max(near)
        self.blocks = [r for r in blocks if r[3] > lo and r[1] < hi]
        self.frames = [r for r in frames if r[3] + FRAME_CLEAR > lo and r[1] - FRAME_CLEAR < hi]
        self.band = band

    def jog(self, x: float, lane: float) -> tuple[float, bool]:
        """The y of the sideways run from x to the lane, and whether it is clear."""
        a, b = min(x, lane), max(x, lane)
        y, side = self.y, self.side
        reach = self.reach  # up to the first block across the run beyond the port
        taken: list[tuple[float, float]] = []
        for r in self.blocks:
            if r[0] < b and r[2] > a:
                taken.append((r[1], r[3]))
                if side > 0 and r[1] > y:
                    reach = min(reach, r[1])
                elif side < 0 and r[3] < y:
                    reach = max(reach, r[3])
        for r in self.frames:
            if r[0] < b + FRAME_CLEAR and r[2] > a - FRAME_CLEAR:
                taken += [
                    (r[1] - FRAME_CLEAR, r[1] + max(self.band, FRAME_CLEAR)),
                    (r[3] - FRAME_CLEAR, r[3] + FRAME_CLEAR),
                ]
        lo, hi = (y + MIN_DROP, reach) if side > 0 else (reach, y - MIN_DROP)
        want = y + side * DROP
        points = [p for p in (want, lo, hi, *(e for s in taken for e in s)) if lo <= p <= hi]
        clear = [p for p in points if not any(s < p < e for s, e in taken)]
        if not clear:
            return want, False
        return min(clear, key=lambda p: (abs(p - want), p * side)), True


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
    points = _corners(((sx, sy), (sx, y1), (lane, y1), (lane, y2), (ex, y2), (ex, ey)))
    return Route(points, (lane, min(y1, y2), lane, max(y1, y2)), None)
