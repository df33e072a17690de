"""The coverage chart drawn on the server as SVG: no script, nothing to build or download, readable
without JavaScript; the page puts the same figures in a table beside it.

Only geometry lives here (coordinates, ticks, labels); colours and line styles are CSS classes in
static/css/reports.css, so the page keeps to a strict CSP (no style attributes).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext

from common.money import CURRENCY_EXPONENTS
from deposits.coverage_history import CoverageEvent, CoverageHistory

WIDTH, HEIGHT = 720, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 26, 58  # the bottom band holds the event marks and dates
PLOT_W = WIDTH - LEFT - RIGHT
PLOT_H = HEIGHT - TOP - BOTTOM
MARK_Y = TOP + PLOT_H + 14
SERIES = ("required", "posted", "guaranteed", "held", "debt")


def series_labels() -> dict[str, str]:
    return {
        "required": gettext("Required"),
        "posted": gettext("Cash paid in"),
        "guaranteed": gettext("Guarantee (insurance)"),
        "held": gettext("Held for claims"),
        "debt": gettext("Owed to the platform"),
    }


def event_label(event: CoverageEvent, money: Any) -> str:
    """One line that says what moved the chart on that day, in the page's language."""
    if event.family == "requirement":
        if event.previous_minor is None:
            return gettext("Requirement {amount} (first recorded)").format(
                amount=money(event.amount_minor)
            )
        return gettext("Requirement changed from {old} to {new}").format(
            old=money(event.previous_minor), new=money(event.amount_minor)
        )
    if event.family == "guarantee_start":
        return gettext("Guarantee of {amount} starts").format(amount=money(event.amount_minor))
    if event.family == "guarantee_end":
        return gettext("Guarantee of {amount} ends").format(amount=money(event.amount_minor))
    if event.family == "top_up":
        return gettext("Top-ups: {count}, {amount}").format(
            count=event.count, amount=money(event.amount_minor)
        )
    return gettext("Deductions: {count}, {amount}").format(
        count=event.count, amount=money(-event.amount_minor)
    )


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str
    anchor: str = "end"


def _nice_ceiling(value: int) -> int:
    """The smallest 1, 2, 2.5 or 5 × 10^n at or above value (at least 1)."""
    if value <= 0:
        return 1
    magnitude = 1
    while magnitude * 10 <= value:
        magnitude *= 10
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return int(step * magnitude)
    return 10 * magnitude  # pragma: no cover


def _major(amount_minor: float, currency: str) -> str:
    whole = int(round(amount_minor / 10 ** CURRENCY_EXPONENTS[currency]))
    return f"{whole:,}"


def coverage_chart(history: CoverageHistory, *, language: str, money: Any) -> dict[str, Any]:
    """What the template draws: one polyline per series, y and x ticks, and the event marks."""
    points = history.points
    top_value = max(
        (
            value
            for p in points
            for value in (
                p.required_minor,
                p.posted_minor,
                p.guaranteed_minor,
                p.held_minor,
                p.debt_minor,
            )
            if value is not None
        ),
        default=0,
    )
    ceiling = _nice_ceiling(int(top_value * 1.05))
    count = len(points)

    def x(index: int) -> float:
        return round(LEFT + (PLOT_W * index / (count - 1) if count > 1 else PLOT_W / 2), 1)

    def y(value: int) -> float:
        return round(TOP + PLOT_H * (1 - value / ceiling), 1)

    lines = []
    labels = series_labels()
    for name in SERIES:
        segments: list[list[str]] = []
        current: list[str] = []
        for index, point in enumerate(points):
            value = getattr(point, f"{name}_minor")
            if value is None:
                if current:
                    segments.append(current)
                current = []
                continue
            current.append(f"{x(index)},{y(value)}")
        if current:
            segments.append(current)
        if name in ("held", "debt", "guaranteed") and all(
            getattr(p, f"{name}_minor") == 0 for p in points
        ):
            continue  # a series that stayed at zero would only hide the axis
        lines.append(
            {
                "name": name,
                "label": labels[name],
                "paths": [" ".join(segment) for segment in segments],
            }
        )
    y_ticks = [
        Tick(pos=y(ceiling * step // 4), label=_major(ceiling * step / 4, history.currency))
        for step in range(5)
    ]
    x_ticks = []
    wanted = 6 if count > 6 else count
    for n in range(wanted):
        index = round(n * (count - 1) / max(1, wanted - 1))
        anchor = "start" if n == 0 else "end" if n == wanted - 1 else "middle"
        x_ticks.append(Tick(pos=x(index), label=f"{points[index].day:%m-%d}", anchor=anchor))
    index_of = {point.day: i for i, point in enumerate(points)}
    marks = [
        {
            "family": event.family,
            "x": x(index_of[event.day]),
            "label": f"{event.day:%Y-%m-%d} · {event_label(event, money)}",
        }
        for event in history.events
        if event.day in index_of
    ]
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": TOP + PLOT_H,
        "mark_y": MARK_Y,
        "label_y": HEIGHT - 8,
        "lines": lines,
        "y_ticks": y_ticks,
        "x_ticks": x_ticks,
        "marks": marks,
        "language": language,
        "currency": history.currency,
    }


def table_points(history: CoverageHistory) -> list[Any]:
    """The chart as a table: the first day, every day on which a figure changed, and the last."""
    rows = []
    previous = None
    for index, point in enumerate(history.points):
        figures = (
            point.required_minor,
            point.posted_minor,
            point.held_minor,
            point.guaranteed_minor,
            point.debt_minor,
        )
        if index in (0, len(history.points) - 1) or figures != previous:
            rows.append(point)
        previous = figures
    return rows


def event_rows(history: CoverageHistory, money: Any) -> list[dict[str, Any]]:
    """The events that moved the chart, newest first, each said in words."""
    return [
        {"day": event.day, "family": event.family, "text": event_label(event, money)}
        for event in reversed(history.events)
    ]
