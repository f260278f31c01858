"""Draw images/psi-daily.svg from the monitoring data: each working day's largest PSI over the five features.

Plain SVG text, no plotting library, so the figure is small, diffs well and matches the data it is drawn from.
Run from anywhere:   python tools/make_figures.py
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

COURSE = Path(__file__).resolve().parents[1]
FEATURES = ["mold_temp_c", "melt_temp_c", "inj_pressure_bar", "cushion_mm", "cycle_s"]
EPS = 1e-4


def psi(reference: np.ndarray, current: np.ndarray, bins: int = 10) -> float:
    edges = np.quantile(reference, np.linspace(0, 1, bins + 1))
    edges[0], edges[-1] = -np.inf, np.inf
    r = np.clip(np.histogram(reference, bins=edges)[0] / len(reference), EPS, None)
    c = np.clip(np.histogram(current, bins=edges)[0] / len(current), EPS, None)
    return float(np.sum((c - r) * np.log(c / r)))


def main() -> None:
    data = COURSE / "data"
    reference = pd.read_csv(data / "monitor_reference.csv")
    stream = pd.read_csv(data / "monitor_stream.csv", parse_dates=["shot_time"])
    changes = pd.read_csv(data / "change_log.csv", parse_dates=["start_date", "end_date"])
    stream["day"] = (stream["shot_time"] - pd.Timedelta(hours=6)).dt.normalize()
    days = sorted(stream["day"].unique())
    peak = [max(psi(reference[f].to_numpy(), g[f].to_numpy()) for f in FEATURES) for _, g in stream.groupby("day")]

    width, height = 760, 340
    left, right, top, bottom = 60, 60, 30, 60
    plot_w, plot_h = width - left - right, height - top - bottom
    lo, hi = math.log10(0.02), math.log10(10)
    step = plot_w / len(days)

    def y(value: float) -> float:
        v = min(max(math.log10(value), lo), hi)
        return top + plot_h * (1 - (v - lo) / (hi - lo))

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
        'aria-labelledby="psi-title psi-desc" font-family="sans-serif" font-size="12">',
        '<title id="psi-title">작업일마다 다섯 특성 가운데 가장 큰 PSI (IJM-03, 8주)</title>',
        '<desc id="psi-desc">세로축은 로그 눈금의 PSI, 가로축은 2026년 11월 2일부터 12월 26일까지의 48작업일입니다. '
        "0.1과 0.2에 기준선이 있습니다. 평소에는 0.06에서 0.25 사이를 오르내리고, 11월 17~21일 수지 로트 변경 때 5 이상, "
        "12월 1~12일 센서 드리프트 때 0.1 아래에서 2 이상까지 커집니다.</desc>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for event in changes.itertuples():
        inside = [i for i, d in enumerate(days) if event.start_date <= d <= event.end_date]
        x0, x1 = left + inside[0] * step, left + (inside[-1] + 1) * step
        colour = "#fde2c8" if event.event_id == "E1" else "#d9ecf7"
        out.append(f'<rect x="{x0:.1f}" y="{top}" width="{x1 - x0:.1f}" height="{plot_h}" fill="{colour}"/>')
        out.append(f'<text x="{(x0 + x1) / 2:.1f}" y="{top - 8}" text-anchor="middle">{event.event_id} {event.what}</text>')
    for tick in (0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10):
        out.append(f'<line x1="{left - 4}" y1="{y(tick):.1f}" x2="{left}" y2="{y(tick):.1f}" stroke="#444"/>')
        out.append(f'<text x="{left - 7}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick:g}</text>')
    for i, value in enumerate(peak):
        x = left + i * step + 1.5
        colour = "#c0392b" if value >= 0.2 else "#7f8c8d"
        out.append(f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{step - 3:.1f}" height="{top + plot_h - y(value):.1f}" '
                   f'fill="{colour}"/>')
    for threshold, label in ((0.1, "0.1"), (0.2, "0.2")):
        out.append(f'<line x1="{left}" y1="{y(threshold):.1f}" x2="{left + plot_w}" y2="{y(threshold):.1f}" '
                   'stroke="#222" stroke-dasharray="5,4"/>')
        out.append(f'<text x="{left + plot_w + 4}" y="{y(threshold) + 4:.1f}">PSI {label}</text>')
    for i, d in enumerate(days):
        if pd.Timestamp(d).weekday() == 0:
            x = left + i * step + step / 2
            out.append(f'<text x="{x:.1f}" y="{top + plot_h + 18}" text-anchor="middle">{pd.Timestamp(d):%m/%d}</text>')
    out.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" stroke="#444"/>')
    out.append(f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" stroke="#444"/>')
    out.append(f'<text x="{left + plot_w / 2}" y="{height - 18}" text-anchor="middle">작업일(월요일 날짜 표시). '
               '빨간 막대: PSI 0.2 이상</text>')
    out.append(f'<text x="16" y="{top + plot_h / 2}" text-anchor="middle" '
               f'transform="rotate(-90 16 {top + plot_h / 2})">가장 큰 PSI (로그 눈금)</text>')
    out.append("</svg>")
    (COURSE / "images" / "psi-daily.svg").write_text("\n".join(out) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
