"""Draw the course's figures from data/*.csv into images/*.svg (deterministic SVG).

Run after tools/make_data.py:   python tools/make_figures.py
Text stays SVG text (svg.fonttype "none") so the reader's browser draws the Korean labels; svg.hashsalt and an
empty date make the files identical from run to run on the same library versions.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from scipy.signal import butter, hilbert, sosfiltfilt  # noqa: E402
from sklearn.ensemble import IsolationForest  # noqa: E402

HERE = Path(__file__).resolve().parent.parent
DATA = HERE / "data"
OUT = HERE / "images"
G = 9.80665
SHAFT_HZ = 29.6
BPFO_HZ = 4 * SHAFT_HZ * (1 - 17.5 / 72.5)
FEATURES = ["velocity_rms_mm_s", "accel_rms_g", "crest_factor", "envelope_bpfo_g"]
ZONES_RIGID = (1.4, 2.8, 4.5)  # ISO 20816-3, group 2, rigid foundation: A/B, B/C, C/D (mm/s r.m.s.)

plt.rcParams.update(
    {
        "svg.fonttype": "none",
        "svg.hashsalt": "baeum-vibration-predictive-maintenance",
        "font.family": "sans-serif",
        "font.sans-serif": ["NanumGothic", "Noto Sans KR", "Noto Sans CJK KR", "Malgun Gothic", "DejaVu Sans"],
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.unicode_minus": False,
    }
)
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
warnings.filterwarnings("ignore", message="Glyph .* missing from font")


def save(fig: plt.Figure, name: str) -> None:
    fig.savefig(OUT / name, format="svg", metadata={"Date": None}, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)


def amplitude_spectrum(x: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    w = np.hanning(len(x))
    return np.fft.rfftfreq(len(x), 1 / fs), 2 * np.abs(np.fft.rfft((x - x.mean()) * w)) / w.sum()


def envelope(x: np.ndarray, fs: float, band=(2000, 3600)) -> np.ndarray:
    sos = butter(4, band, btype="bandpass", fs=fs, output="sos")
    return np.abs(hilbert(sosfiltfilt(sos, x)))


def fig_aliasing() -> None:
    f_true, fs = 1300.0, 1000.0
    t = np.linspace(0, 0.01, 2000)
    ts = np.arange(0, 0.01, 1 / fs)
    fig, ax = plt.subplots(figsize=(8, 3))
    ax.plot(t * 1000, np.sin(2 * np.pi * f_true * t), color="#bbb", lw=1, label="실제 신호 1,300 Hz")
    ax.plot(
        t * 1000, np.sin(2 * np.pi * (f_true - fs) * t), color="#d62728", ls="--", label="샘플이 그리는 신호 300 Hz"
    )
    ax.scatter(ts * 1000, np.sin(2 * np.pi * f_true * ts), color="#08519c", zorder=3, label="1,000 Hz로 찍은 샘플")
    ax.set_xlabel("시간 (ms)")
    ax.set_yticks([])
    ax.set_title("에일리어싱: 샘플링 주파수의 절반보다 빠른 성분은 가짜 저주파로 보입니다")
    ax.legend(frameon=False, fontsize=8, loc="lower left", ncol=3, bbox_to_anchor=(0, -0.42))
    save(fig, "aliasing.svg")


def fig_spectra(w: pd.DataFrame, fs: float) -> None:
    fig, axes = plt.subplots(2, 1, figsize=(8, 4.8), sharex=True, sharey=True)
    for ax, col, title in ((axes[0], "normal_g", "정상"), (axes[1], "unbalance_g", "불균형")):
        f, a = amplitude_spectrum(w[col].to_numpy(), fs)
        keep = (f >= 5) & (f <= 400)
        vel = a[keep] * G / (2 * np.pi * f[keep]) * 1000 / np.sqrt(2)  # mm/s r.m.s. per line
        ax.plot(f[keep], vel, color="#08519c", lw=1)
        ax.set_title(f"{title}: 속도 스펙트럼", loc="left", fontsize=10)
        ax.set_ylabel("속도 (mm/s RMS)")
        for k, label in ((1, "1×"), (2, "2×"), (6, "날개 통과 6×")):
            ax.axvline(k * SHAFT_HZ, color="#d62728", ls=":", lw=0.8)
            ax.text(k * SHAFT_HZ + 3, 3.2, label, color="#d62728", fontsize=8)
    axes[1].set_xlabel("주파수 (Hz)")
    save(fig, "spectra-normal-unbalance.svg")


def fig_envelope(w: pd.DataFrame, fs: float) -> None:
    x = w["outer_race_g"].to_numpy()
    fig, axes = plt.subplots(3, 1, figsize=(8, 7))
    t = np.arange(len(x)) / fs
    keep = t < 0.1
    axes[0].plot(t[keep] * 1000, x[keep], color="#555", lw=0.7)
    env = envelope(x, fs)
    axes[0].plot(t[keep] * 1000, env[keep], color="#d62728", lw=1, label="포락선 (2.0~3.6 kHz 대역)")
    axes[0].set_xlabel("시간 (ms)")
    axes[0].set_ylabel("가속도 (g)")
    axes[0].set_title("외륜 결함: 약 11 ms마다 충격이 고유진동을 울립니다", loc="left", fontsize=10)
    axes[0].legend(frameon=False, fontsize=8, loc="upper right")
    f, a = amplitude_spectrum(x, fs)
    axes[1].plot(f[f <= 4000], a[f <= 4000], color="#08519c", lw=0.7)
    axes[1].set_title(
        "가속도 스펙트럼: 충격 에너지는 2.8 kHz 근처에 퍼져 있고 BPFO 줄은 보이지 않습니다", loc="left", fontsize=10
    )
    axes[1].set_xlabel("주파수 (Hz)")
    axes[1].set_ylabel("g")
    fe, ae = amplitude_spectrum(env - env.mean(), fs)
    keep = fe <= 500
    axes[2].plot(fe[keep], ae[keep], color="#d62728", lw=1)
    for k in (1, 2, 3, 4, 5):
        axes[2].axvline(k * BPFO_HZ, color="#888", ls=":", lw=0.8)
    axes[2].text(BPFO_HZ + 4, ae[keep].max() * 0.9, f"BPFO {BPFO_HZ:.1f} Hz와 배수", fontsize=8)
    axes[2].set_title("포락선 스펙트럼: BPFO와 그 배수가 뚜렷합니다", loc="left", fontsize=10)
    axes[2].set_xlabel("주파수 (Hz)")
    axes[2].set_ylabel("g")
    fig.tight_layout()
    save(fig, "envelope-outer-race.svg")


def load_run() -> tuple[pd.DataFrame, pd.DataFrame]:
    trend = pd.read_csv(DATA / "trend.csv", parse_dates=["timestamp"])
    log = pd.read_csv(DATA / "maintenance_log.csv", parse_dates=["opened_at"])
    return trend, log


def fig_pf_trend(trend: pd.DataFrame, log: pd.DataFrame) -> None:
    d = trend[(trend["asset"] == "P-101") & (trend["timestamp"] >= "2025-02-01") & (trend["timestamp"] < "2025-05-01")]
    d = d[d["running"] == 1]
    failure = log[(log["asset"] == "P-101") & (log["work_type"] == "corrective")]["opened_at"].iloc[0]
    fig, axes = plt.subplots(3, 1, figsize=(8, 6.4), sharex=True)
    axes[0].plot(d["timestamp"], d["envelope_bpfo_g"], color="#d62728", lw=0.8)
    axes[0].set_ylabel("포락선 BPFO (g)")
    axes[0].set_title("P-101의 석 달: 베어링 손상은 포락선 → 속도 → 온도 순으로 드러납니다", loc="left", fontsize=10)
    axes[1].plot(d["timestamp"], d["velocity_rms_mm_s"], color="#08519c", lw=0.8)
    colors = ("#e5f5e0", "#fff7bc", "#fee6ce", "#fcbba1")
    bounds = (0, *ZONES_RIGID, 8)
    for (lo, hi), c, z in zip(zip(bounds[:-1], bounds[1:], strict=True), colors, "ABCD", strict=True):
        axes[1].axhspan(lo, hi, color=c, zorder=0)
        axes[1].text(d["timestamp"].iloc[0], min(hi, 6) - 0.45, f"구역 {z}", fontsize=8, color="#555")
    axes[1].set_ylim(0, 6)
    axes[1].set_ylabel("속도 RMS (mm/s)")
    axes[2].plot(d["timestamp"], d["bearing_temp_c"], color="#555", lw=0.8)
    axes[2].set_ylabel("베어링 온도 (°C)")
    for ax in axes:
        ax.axvline(failure, color="#000", lw=1)
    axes[0].text(failure, axes[0].get_ylim()[1] * 0.9, " 고장 정지", fontsize=8)
    fig.autofmt_xdate()
    save(fig, "pf-trend-p101.svg")


def fig_zones() -> None:
    fig, ax = plt.subplots(figsize=(7, 2.6))
    rows = (("강성 기초", ZONES_RIGID), ("유연 기초", (2.3, 4.5, 7.1)))
    colors = ("#a1d99b", "#fff7bc", "#fdae6b", "#fb6a4a")
    for y, (_name, b) in enumerate(rows):
        edges = (0, *b, 11)
        for k in range(4):
            ax.barh(y, edges[k + 1] - edges[k], left=edges[k], color=colors[k], edgecolor="white", height=0.6)
            ax.text((edges[k] + edges[k + 1]) / 2, y, "ABCD"[k], ha="center", va="center", fontsize=11)
        for v in b:
            ax.text(v, y + 0.38, f"{v}", ha="center", fontsize=8)
    ax.set_yticks([0, 1], [r[0] for r in rows])
    ax.set_xlim(0, 11)
    ax.set_ylim(-0.5, 1.75)
    ax.set_xlabel("광대역 진동 속도 RMS (mm/s, 10~1,000 Hz)")
    ax.set_title("ISO 20816-3 그룹 2(15~300 kW) 구역 경계 (지침값)", fontsize=10, pad=10)
    save(fig, "iso20816-3-group2-zones.svg")


def fig_alarm_timeline(trend: pd.DataFrame, log: pd.DataFrame) -> None:
    run = trend[trend["running"] == 1].dropna().sort_values(["asset", "timestamp"]).reset_index(drop=True)
    resets = log[(log["work_type"] == "corrective") | (log["component"] == "sensor")]
    resets = resets[["asset", "opened_at"]].rename(columns={"opened_at": "segment"}).sort_values("segment")
    run = pd.merge_asof(run.sort_values("timestamp"), resets, left_on="timestamp", right_on="segment", by="asset")
    first = run["segment"].isna()
    run["segment"] = run["segment"].fillna(pd.Timestamp("2025-01-01"))
    age = run["timestamp"] - run["segment"]
    run["baseline"] = np.where(
        first, age < pd.Timedelta("28D"), (age >= pd.Timedelta("2D")) & (age < pd.Timedelta("16D"))
    )
    run["live"] = ~run["baseline"] & (first | (age >= pd.Timedelta("2D")))
    run = run.sort_values(["asset", "timestamp"]).reset_index(drop=True)
    run["ISO B/C 초과"] = run["velocity_rms_mm_s"] > ZONES_RIGID[1]
    run["SPC 속도"] = False
    run["SPC 포락선"] = False
    run["Isolation Forest"] = False
    for _, g in run.groupby(["asset", "segment"]):
        b, live = g[g["baseline"]], g[g["live"]]
        for col, name, f in (("velocity_rms_mm_s", "SPC 속도", np.asarray), ("envelope_bpfo_g", "SPC 포락선", np.log)):
            v = f(b[col].to_numpy())
            ucl = v.mean() + 3 * np.abs(np.diff(v)).mean() / 1.128
            run.loc[live.index, name] = f(live[col].to_numpy()) > ucl
        model = IsolationForest(n_estimators=200, random_state=0).fit(b[FEATURES])
        thr = np.quantile(-model.score_samples(b[FEATURES]), 0.99)
        run.loc[live.index, "Isolation Forest"] = -model.score_samples(live[FEATURES]) > thr
    events = log[(log["work_type"] == "corrective") & log["component"].isin(["bearing", "coupling"])]
    rules = ["ISO B/C 초과", "SPC 속도", "SPC 포락선", "Isolation Forest"]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    assets = sorted(run["asset"].unique())
    for i, asset in enumerate(assets):
        g = run[run["asset"] == asset]
        for j, rule in enumerate(rules):
            y = i * 5 + j
            confirmed = g[rule].astype(int).rolling(2).sum().eq(2).to_numpy()
            ax.scatter(
                g["timestamp"][confirmed],
                np.full(confirmed.sum(), y),
                marker="|",
                s=40,
                color=("#6a51a3", "#08519c", "#d62728", "#2ca02c")[j],
                label=rule if i == 0 else None,
            )
        for t in events[events["asset"] == asset]["opened_at"]:
            ax.fill_between([t - pd.Timedelta("60D"), t], i * 5 - 0.6, i * 5 + 3.6, color="#eee", zorder=0)
            ax.scatter([t], [i * 5 + 1.5], marker="X", s=80, color="#000", zorder=3)
    ax.set_yticks([i * 5 + 1.5 for i in range(len(assets))], assets)
    ax.set_title("경보 규칙별 확정 경보(2회 연속)와 정비 사건(X), 회색은 사건 전 60일", fontsize=10)
    ax.legend(frameon=False, fontsize=8, ncol=4, loc="upper center", bbox_to_anchor=(0.5, -0.08))
    save(fig, "alarm-timeline.svg")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    w = pd.read_csv(DATA / "waveforms.csv")
    fs = round(1 / np.diff(w["time_s"]).mean())
    fig_aliasing()
    fig_spectra(w, fs)
    fig_envelope(w, fs)
    fig_zones()
    trend, log = load_run()
    fig_pf_trend(trend, log)
    fig_alarm_timeline(trend, log)


if __name__ == "__main__":
    main()
