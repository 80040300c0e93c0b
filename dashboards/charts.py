"""Charts for the printed snapshot: static SVG from pygal, drawn in Python because WeasyPrint runs no
JavaScript. One series per chart, each bar labelled with its category and value, so nothing is told
apart by colour alone (UX 33); the colour is from the Okabe-Ito colour-blind-safe palette.

pygal escapes every label it writes into the SVG, so the markup is safe to put in the page as is."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import pygal
from pygal.style import Style

# Okabe and Ito's palette, as static/js/reports.js uses on screen
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#000000",
    foreground_strong="#000000",
    foreground_subtle="#555555",
    colors=PALETTE,
    font_family="DejaVu Sans, sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    value_font_size=11,
    title_font_size=13,
)
_OPTIONS: dict[str, Any] = {
    "js": [],  # nothing to fetch or run: a plain picture
    "disable_xml_declaration": True,  # inline in the HTML
    "style": STYLE,
    "show_legend": False,
    "print_values": True,
    "width": 760,
    "height": 300,
    "margin": 8,
    "no_data_text": "Every count is under the threshold: see the table",
}


def bars(title: str, entries: Sequence[Mapping[str, Any]]) -> str:
    """A horizontal bar per entry ({"label", "count"}). A suppressed count ("<5") is not drawn:
    the table beside the chart shows it."""
    chart = pygal.HorizontalBar(title=title, **_OPTIONS)
    chart.x_labels = [str(entry["label"]) for entry in entries]
    chart.add(title, [_drawn(entry["count"]) for entry in entries])
    return chart.render(is_unicode=True)


def by_day(title: str, days: Sequence[Mapping[str, Any]]) -> str:
    """Reports per day, as a line with its points marked."""
    chart = pygal.Line(
        title=title,
        x_label_rotation=0,
        show_minor_x_labels=False,
        **{**_OPTIONS, "print_values": False},
    )
    chart.x_labels = [f"{date.fromisoformat(day['day']):%d %b}" for day in days]
    chart.x_labels_major_every = max(1, len(days) // 8)
    chart.add(title, [_drawn(day["count"]) for day in days])
    return chart.render(is_unicode=True)


def snapshot_charts(figures: Mapping[str, Any]) -> dict[str, str]:
    incoming = figures["incoming"]
    return {
        "by_day": by_day("Reports per day", incoming["by_day"]),
        "by_channel": bars("Reports by channel", incoming["by_channel"]),
        "triage": bars("Verified or discarded", figures["triage"]),
        "referrals": bars("Referral outcomes", figures["referrals"]),
        "services": bars("Services given", figures["services"]),
    }


def _drawn(count: Any) -> int | None:
    return count if isinstance(count, int) else None
