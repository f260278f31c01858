"""Draw the course's figures from data/sensor_log.csv into images/*.svg (deterministic SVG).

Run after tools/make_data.py:   python tools/make_figures.py
Text is kept as SVG text (svg.fonttype "none") so that Korean labels are drawn by the reader's browser fonts;
svg.hashsalt and an empty date make the files identical from run to run on the same library versions.
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
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import precision_recall_curve  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

HERE = Path(__file__).resolve().parent.parent
DATA = HERE / "data"
OUT = HERE / "images"

SENSORS = ["spindle_rpm", "spindle_temp_c", "vibration_mm_s", "coolant_pressure_bar", "motor_current_a"]
FEATURES = SENSORS + [
    "vibration_mean_1h",
    "current_mean_1h",
    "temp_max_1h",
    "pressure_min_1h",
    "vibration_mean_4h",
    "night_shift",
]
COST_MISSED = 150_000  # 원, a defect that reaches the customer
COST_FALSE_ALARM = 4_000  # 원, a good part sent to re-inspection
MACHINE_COLORS = {"CNC-01": "#1f77b4", "CNC-02": "#ff7f0e", "CNC-03": "#d62728", "CNC-04": "#2ca02c"}

plt.rcParams.update(
    {
        "svg.fonttype": "none",
        "svg.hashsalt": "baeum-sensor-defect-prediction",
        "font.family": "sans-serif",
        "font.sans-serif": [
            "NanumGothic",
            "Noto Sans KR",
            "Noto Sans CJK KR",
            "Malgun Gothic",
            "DejaVu Sans",
        ],
        "font.size": 10,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.unicode_minus": False,
    }
)
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
warnings.filterwarnings("ignore", message="Glyph .* missing from font")


def load_raw() -> pd.DataFrame:
    df = pd.read_csv(DATA / "sensor_log.csv", parse_dates=["timestamp"])
    df["coolant_pressure_bar"] = pd.to_numeric(df["coolant_pressure_bar"], errors="coerce")
    return df.drop_duplicates().reset_index(drop=True)


def ffill_short_gaps(s: pd.Series, max_gap: int = 3) -> pd.Series:
    missing = s.isna()
    run = missing.ne(missing.shift()).cumsum()
    run_length = missing.groupby(run).transform("sum")
    return s.ffill().where(~missing | (run_length <= max_gap))


def clean(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df.loc[~df["spindle_temp_c"].between(0, 100), "spindle_temp_c"] = np.nan
    df.loc[df["spindle_rpm"] <= 0, "spindle_rpm"] = np.nan
    df.loc[df["vibration_mm_s"] > 10.0, "vibration_mm_s"] = np.nan  # spikes do not describe the process
    df = df.sort_values(["machine", "timestamp"]).reset_index(drop=True)
    for col in SENSORS:
        df[col] = df.groupby("machine")[col].transform(ffill_short_gaps)
    return df


def add_features(df: pd.DataFrame) -> pd.DataFrame:
    df = df.sort_values(["machine", "timestamp"]).reset_index(drop=True)
    g = df.set_index("timestamp").groupby("machine")
    df["vibration_mean_1h"] = g["vibration_mm_s"].rolling("1h").mean().to_numpy()
    df["current_mean_1h"] = g["motor_current_a"].rolling("1h").mean().to_numpy()
    df["temp_max_1h"] = g["spindle_temp_c"].rolling("1h").max().to_numpy()
    df["pressure_min_1h"] = g["coolant_pressure_bar"].rolling("1h").min().to_numpy()
    df["vibration_mean_4h"] = g["vibration_mm_s"].rolling("4h").mean().to_numpy()
    df["night_shift"] = (df["shift"] == "C").astype(int)
    return df


def save(fig: plt.Figure, name: str) -> None:
    fig.savefig(OUT / name, format="svg", metadata={"Date": None}, bbox_inches="tight", pad_inches=0.15)
    plt.close(fig)


def fig_raw_week(raw: pd.DataFrame) -> None:
    m = raw[(raw["machine"] == "CNC-01") & (raw["timestamp"] < "2025-03-06 06:00")]
    fig, axes = plt.subplots(2, 1, figsize=(8, 4.6), sharex=True)
    axes[0].plot(m["timestamp"], m["spindle_temp_c"].where(m["spindle_temp_c"] < 200), lw=0.8, color="#555")
    axes[0].set_ylabel("스핀들 온도 (°C)")
    axes[1].plot(m["timestamp"], m["vibration_mm_s"], lw=0.8, color="#1f77b4")
    bad = m[m["defect"] == 1]
    axes[1].scatter(
        bad["timestamp"], bad["vibration_mm_s"], color="#d62728", s=18, zorder=3, label="불량 판정"
    )
    axes[1].set_ylabel("진동 (mm/s)")
    axes[1].legend(loc="upper left", frameon=False)
    axes[0].set_title("CNC-01의 첫 사흘: 부품 한 개가 한 점입니다 (합성 데이터)")
    fig.autofmt_xdate()
    save(fig, "raw-cnc01-3days.svg")


def fig_missing_outliers(raw: pd.DataFrame) -> None:
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    miss = raw.groupby("machine")[SENSORS].apply(lambda g: g.isna().sum())
    miss.plot.bar(ax=axes[0], width=0.8, rot=0)
    axes[0].set_title("설비별·센서별 결측 개수 (ERR 포함)")
    axes[0].set_xlabel("")
    axes[0].set_ylabel("결측 값 개수")
    axes[0].legend(fontsize=7, frameon=False)
    vib = raw["vibration_mm_s"].dropna()
    axes[1].hist(vib, bins=np.arange(0, 45, 0.5), color="#1f77b4")
    axes[1].set_yscale("log")
    axes[1].axvline(10, color="#d62728", ls="--")
    axes[1].text(10.5, 300, "기준 10 mm/s", color="#d62728")
    axes[1].set_title("진동 값 분포 (세로축 로그)")
    axes[1].set_xlabel("진동 (mm/s)")
    axes[1].set_ylabel("부품 수")
    fig.tight_layout()
    save(fig, "missing-and-outliers.svg")


def fig_shift_machine(df: pd.DataFrame) -> None:
    rate = df.pivot_table(index="machine", columns="shift", values="defect", aggfunc="mean") * 100
    fig, ax = plt.subplots(figsize=(7, 3.6))
    rate.plot.bar(ax=ax, rot=0, width=0.75, color=["#9ecae1", "#4292c6", "#08306b"])
    ax.set_ylabel("불량률 (%)")
    ax.set_xlabel("")
    ax.set_title("설비·교대조별 불량률")
    ax.legend(["A조 (06-14시)", "B조 (14-22시)", "C조 (22-06시)"], frameon=False, fontsize=8)
    save(fig, "defect-rate-shift-machine.svg")


def fig_window(df: pd.DataFrame) -> None:
    m = df[(df["machine"] == "CNC-01") & (df["timestamp"] >= "2025-03-05 06:00")]
    m = m[m["timestamp"] < "2025-03-07 06:00"]
    maint = pd.read_csv(DATA / "maintenance_log.csv", parse_dates=["timestamp"])
    tools = maint[(maint["machine"] == "CNC-01") & (maint["event"] == "tool_change")]
    tools = tools[(tools["timestamp"] >= m["timestamp"].min()) & (tools["timestamp"] <= m["timestamp"].max())]
    fig, ax = plt.subplots(figsize=(8, 3.6))
    ax.scatter(m["timestamp"], m["vibration_mm_s"], s=5, color="#9ecae1", label="부품별 진동")
    ax.plot(m["timestamp"], m["vibration_mean_1h"], color="#08519c", lw=1.2, label="최근 1시간 평균")
    ax.plot(m["timestamp"], m["vibration_mean_4h"], color="#ff7f0e", lw=1.5, label="최근 4시간 평균")
    bad = m[m["defect"] == 1]
    ax.scatter(bad["timestamp"], bad["vibration_mm_s"], color="#d62728", s=20, zorder=3, label="불량")
    for t in tools["timestamp"]:
        ax.axvline(t, color="#555", ls=":", lw=1)
        ax.text(t, ax.get_ylim()[1] * 0.95, " 공구 교체", fontsize=8, color="#555")
    ax.set_ylabel("진동 (mm/s)")
    ax.set_title("시간 구간 평균은 공구 마모의 흐름을 드러냅니다 (CNC-01, 이틀)")
    ax.legend(frameon=False, fontsize=8, loc="upper left", ncols=2)
    fig.autofmt_xdate()
    save(fig, "window-features.svg")


def fig_imbalance(df: pd.DataFrame) -> None:
    counts = df["defect"].value_counts().sort_index()
    fig, ax = plt.subplots(figsize=(6, 2.4))
    ax.barh(["양품 (0)", "불량 (1)"], counts.to_numpy(), color=["#9ecae1", "#d62728"])
    for i, v in enumerate(counts.to_numpy()):
        ax.text(v + 150, i, f"{v:,}개 ({v / counts.sum():.1%})", va="center")
    ax.set_xlim(0, counts.max() * 1.3)
    ax.set_xlabel("부품 수")
    ax.set_title("불량은 전체의 3% 남짓입니다")
    save(fig, "class-imbalance.svg")


def fig_cv_schemes() -> None:
    fig, axes = plt.subplots(1, 2, figsize=(9, 2.8), sharey=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(24)
    for k in range(5):
        colors = ["#d62728" if order[i] % 5 == k else "#9ecae1" for i in range(24)]
        axes[0].broken_barh([(i, 0.9) for i in range(24)], (k, 0.7), facecolors=colors)
        n_train = 4 * (k + 1)
        colors = ["#9ecae1"] * n_train + ["#d62728"] * 4
        axes[1].broken_barh([(i, 0.9) for i in range(n_train + 4)], (k, 0.7), facecolors=colors)
    axes[0].set_title("무작위 K-겹: 미래로 과거를 맞힘")
    axes[1].set_title("시간 순서 분할: 과거로 미래를 맞힘")
    for ax in axes:
        ax.set_xlabel("시간 →")
        ax.set_xticks([])
    axes[0].set_yticks([0.35 + k for k in range(5)], [f"{k + 1}회차" for k in range(5)])
    fig.text(0.5, -0.05, "하늘색: 학습 데이터 · 빨간색: 검증 데이터", ha="center")
    save(fig, "cv-schemes.svg")


def fit_course_model(df: pd.DataFrame):
    d = df.dropna(subset=FEATURES)
    train = d[d["timestamp"] < "2025-03-17"]
    val = d[(d["timestamp"] >= "2025-03-17") & (d["timestamp"] < "2025-03-24")]
    test = d[d["timestamp"] >= "2025-03-24"]
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    model.fit(train[FEATURES], train["defect"])
    return model, val, test


def expected_cost(y: np.ndarray, p: np.ndarray, threshold: float) -> int:
    flag = p >= threshold
    missed = int(((~flag) & (y == 1)).sum())
    false_alarm = int((flag & (y == 0)).sum())
    return missed * COST_MISSED + false_alarm * COST_FALSE_ALARM


def fig_pr_and_cost(df: pd.DataFrame) -> None:
    model, val, test = fit_course_model(df)
    y = val["defect"].to_numpy()
    p = model.predict_proba(val[FEATURES])[:, 1]
    precision, recall, thr = precision_recall_curve(y, p)
    fig, ax = plt.subplots(figsize=(5.5, 4.2))
    ax.plot(recall, precision, color="#08519c")
    for t in (0.02, 0.04, 0.1, 0.3):
        i = int(np.searchsorted(thr, t))
        ax.scatter(recall[i], precision[i], color="#d62728", zorder=3)
        ax.annotate(f"임계값 {t}", (recall[i], precision[i]), xytext=(6, 6), textcoords="offset points")
    ax.axhline(y.mean(), color="#888", ls=":")
    ax.text(0.02, y.mean() + 0.01, f"아무렇게나 찍을 때 ({y.mean():.1%})", color="#555", fontsize=8)
    ax.set_xlabel("재현율 (불량 중 잡아낸 비율)")
    ax.set_ylabel("정밀도 (경보 중 진짜 불량 비율)")
    ax.set_title("정밀도-재현율 곡선 (검증 주간)")
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 0.6)
    save(fig, "precision-recall.svg")

    grid = np.round(np.arange(0.01, 1.0, 0.01), 2)
    cost = np.array([expected_cost(y, p, t) for t in grid]) / 1e6
    best = grid[int(np.argmin(cost))]
    fig, ax = plt.subplots(figsize=(7, 3.8))
    ax.plot(grid, cost, color="#08519c", label="모델 + 임계값")
    ax.axhline(y.sum() * COST_MISSED / 1e6, color="#d62728", ls="--", label="모델 없음 (샘플링 검사만)")
    ax.axhline((1 - y).sum() * COST_FALSE_ALARM / 1e6, color="#2ca02c", ls="--", label="전수 재검사")
    ax.scatter([best], [cost.min()], color="#000", zorder=3)
    ax.annotate(
        f"최소 비용: 임계값 {best:.2f}", (best, cost.min()), xytext=(12, 28), textcoords="offset points"
    )
    ax.set_xscale("log")
    ticks = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0]
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("임계값 (로그 눈금)")
    ax.set_ylabel("한 주 비용 (백만 원)")
    ax.set_title("임계값에 따른 한 주 기대 비용 (검증 주간)")
    ax.legend(frameon=False, fontsize=8)
    save(fig, "cost-by-threshold.svg")


def fig_drift(df: pd.DataFrame) -> None:
    work = df[df["timestamp"].dt.day_of_week < 6].copy()
    daily = work.groupby([work["timestamp"].dt.floor("D"), "machine"])["spindle_temp_c"].mean().unstack()
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for machine in daily.columns:
        ax.plot(daily.index, daily[machine], marker="o", ms=3, color=MACHINE_COLORS[machine], label=machine)
    ax.axvspan(pd.Timestamp("2025-03-03"), pd.Timestamp("2025-03-17"), color="#eee", zorder=0)
    ax.text(pd.Timestamp("2025-03-08"), 36.2, "학습 기간 (1-2주차)", color="#555", ha="center")
    ax.set_ylabel("하루 평균 스핀들 온도 (°C)")
    ax.set_title("CNC-03의 온도 센서만 조금씩 높게 읽힙니다 (센서 드리프트)")
    ax.set_ylim(35.8, daily.max().max() + 0.5)
    ax.legend(frameon=False, fontsize=8, loc="upper left")
    fig.autofmt_xdate()
    save(fig, "drift-cnc03.svg")


def main() -> None:
    OUT.mkdir(exist_ok=True)
    raw = load_raw()
    df = add_features(clean(raw))
    fig_raw_week(raw)
    fig_missing_outliers(raw)
    fig_shift_machine(df)
    fig_window(df)
    fig_imbalance(df)
    fig_cv_schemes()
    fig_pr_and_cost(df)
    fig_drift(df)


if __name__ == "__main__":
    main()
