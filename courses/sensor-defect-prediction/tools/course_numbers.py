"""Print every figure the lessons quote, recomputed from data/sensor_log.csv with the course's own code.

Run after tools/make_data.py:   python tools/course_numbers.py
The cleaning and the features are the lessons' (and the exercises' reference solutions'); when a lesson's number
and this output disagree, the lesson is wrong.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.dummy import DummyClassifier
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, confusion_matrix, roc_auc_score
from sklearn.model_selection import GroupKFold, KFold, TimeSeriesSplit, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

warnings.filterwarnings("ignore")
DATA = Path(__file__).resolve().parent.parent / "data"
SENSORS = ["spindle_rpm", "spindle_temp_c", "vibration_mm_s", "coolant_pressure_bar", "motor_current_a"]
WINDOW = ["vibration_mean_1h", "current_mean_1h", "temp_max_1h", "pressure_min_1h", "vibration_mean_4h", "night_shift"]
FEATURES = SENSORS + WINDOW
VIB_LIMIT = 10.0
MAX_GAP = 3
COST_MISSED, COST_FALSE_ALARM = 150_000, 4_000
TRAIN_END, VAL_END = "2025-03-17", "2025-03-24"


def load_raw() -> pd.DataFrame:
    df = pd.read_csv(DATA / "sensor_log.csv", parse_dates=["timestamp"])
    df["coolant_pressure_bar"] = pd.to_numeric(df["coolant_pressure_bar"], errors="coerce")
    return df.drop_duplicates().reset_index(drop=True)


def ffill_short_gaps(s: pd.Series, max_gap: int = MAX_GAP) -> pd.Series:
    missing = s.isna()
    run = missing.ne(missing.shift()).cumsum()
    run_length = missing.groupby(run).transform("sum")
    return s.ffill().where(~missing | (run_length <= max_gap))


def clean(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df.loc[~df["spindle_temp_c"].between(0, 100), "spindle_temp_c"] = np.nan
    df.loc[df["spindle_rpm"] <= 0, "spindle_rpm"] = np.nan
    df.loc[df["vibration_mm_s"] > VIB_LIMIT, "vibration_mm_s"] = np.nan
    df = df.sort_values(["machine", "timestamp"]).reset_index(drop=True)
    for col in SENSORS:
        df[col] = df.groupby("machine")[col].transform(ffill_short_gaps)
    return df


def add_window_features(df: pd.DataFrame) -> pd.DataFrame:
    df = df.sort_values(["machine", "timestamp"]).reset_index(drop=True)
    g = df.set_index("timestamp").groupby("machine")
    df["vibration_mean_1h"] = g["vibration_mm_s"].rolling("1h").mean().to_numpy()
    df["current_mean_1h"] = g["motor_current_a"].rolling("1h").mean().to_numpy()
    df["temp_max_1h"] = g["spindle_temp_c"].rolling("1h").max().to_numpy()
    df["pressure_min_1h"] = g["coolant_pressure_bar"].rolling("1h").min().to_numpy()
    df["vibration_mean_4h"] = g["vibration_mm_s"].rolling("4h").mean().to_numpy()
    df["night_shift"] = (df["shift"] == "C").astype(int)
    return df


def split(data: pd.DataFrame):
    train = data[data["timestamp"] < TRAIN_END]
    val = data[(data["timestamp"] >= TRAIN_END) & (data["timestamp"] < VAL_END)]
    test = data[data["timestamp"] >= VAL_END]
    return train, val, test


def lr(balanced: bool = False):
    return make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=1000, class_weight="balanced" if balanced else None)
    )


def cost(y, p, t, cost_missed=COST_MISSED, cost_false_alarm=COST_FALSE_ALARM) -> int:
    flag = p >= t
    return int(np.sum(~flag & (y == 1)) * cost_missed + np.sum(flag & (y == 0)) * cost_false_alarm)


def counts(y, pred) -> str:
    tn, fp, fn, tp = confusion_matrix(y, pred).ravel()
    precision = f"{tp / (tp + fp):.3f}" if tp + fp else "-"
    return (
        f"accuracy {(tp + tn) / len(y):.3f} recall {tp / (tp + fn):.3f} ({tp}/{tp + fn}) precision {precision} "
        f"flagged {tp + fp} TN {tn} FP {fp} FN {fn} TP {tp}"
    )


def ap(y, p) -> str:
    return f"{average_precision_score(y, p):.3f}"


def without_drift(raw: pd.DataFrame) -> pd.DataFrame:
    """The raw log as it would read had CNC-03's temperature sensor not drifted (make_data.py's drift taken out)."""
    out = raw.copy()
    day = (out["timestamp"] - pd.Timestamp("2025-03-03 06:00")).dt.total_seconds() / 86400
    sel = (out["machine"] == "CNC-03") & (day > 10) & out["spindle_temp_c"].between(0, 100)
    out.loc[sel, "spindle_temp_c"] = (out.loc[sel, "spindle_temp_c"] - 0.3 * (day[sel] - 10)).round(1)
    return out


def lesson_02_to_06(df: pd.DataFrame, data: pd.DataFrame) -> None:
    print("## 2강: NaN left per sensor", df[SENSORS].isna().sum().tolist())
    print("   vibration mean by defect", df.groupby("defect")["vibration_mm_s"].mean().round(2).tolist())
    print("   rows dropped by dropna(FEATURES)", len(df) - len(data))
    train, val, test = split(data)
    dev = data[data["timestamp"] < VAL_END]
    for name, part in [("train w1-2", train), ("val w3", val), ("test w4", test), ("dev w1-3", dev)]:
        print(f"   {name}: {len(part)} parts, {int(part['defect'].sum())} defects")
    yv = val["defect"].to_numpy()

    print("## 4강: feature sets on the validation week (trained on weeks 1-2)")
    for balanced in (False, True):
        for cols, label in [(SENSORS, "sensors"), (FEATURES, "window")]:
            m = lr(balanced).fit(train[cols], train["defect"])
            print(f"   balanced={balanced} {label}: val AP {ap(yv, m.predict_proba(val[cols])[:, 1])}")

    print("## 5강 and 7강: the validation week, threshold 0.5")
    dummy = DummyClassifier(strategy="most_frequent").fit(train[FEATURES], train["defect"])
    plain = lr().fit(train[FEATURES], train["defect"])
    weighted = lr(True).fit(train[FEATURES], train["defect"])
    print("   all good", counts(yv, dummy.predict(val[FEATURES])))
    print("   LR", counts(yv, plain.predict(val[FEATURES])))
    print("   LR balanced", counts(yv, weighted.predict(val[FEATURES])))
    scores = weighted.predict_proba(val[FEATURES])[:, 1]
    print(
        f"   class weight {(train['defect'] == 0).sum() / train['defect'].sum():.1f}; balanced score mean "
        f"{scores.mean():.3f}, LR probability mean {plain.predict_proba(val[FEATURES])[:, 1].mean():.3f}, "
        f"defect rate {yv.mean():.3f}"
    )
    print(
        "   costs: balanced 0.5",
        cost(yv, scores, 0.5),
        "no model",
        int(yv.sum()) * COST_MISSED,
        "full re-inspection",
        int((yv == 0).sum()) * COST_FALSE_ALARM,
    )

    print("## 6강: cross-validation over weeks 1-3, balanced LR, AP")
    dev = dev.sort_values("timestamp")
    X, y = dev[FEATURES], dev["defect"]
    work_day = (dev["timestamp"] - pd.Timedelta(hours=6)).dt.date
    for name, cv, groups in [
        ("random K-fold", KFold(5, shuffle=True, random_state=0), None),
        ("work-day K-fold", GroupKFold(5), work_day),
        ("time-ordered", TimeSeriesSplit(5), None),
        ("time-ordered gap=120", TimeSeriesSplit(5, gap=120), None),
    ]:
        s = cross_val_score(lr(True), X, y, cv=cv, groups=groups, scoring="average_precision")
        print(f"   {name}: {s.round(3)} mean {s.mean():.3f}")
    others = []
    for k, (tr, te) in enumerate(TimeSeriesSplit(5).split(X), start=1):
        print(f"   fold {k}: train {len(tr)} ({int(y.iloc[tr].sum())} defects)")
        rest = np.setdiff1d(np.arange(len(X)), te)  # the same validation block, trained on all the rest
        m = lr(True).fit(X.iloc[rest], y.iloc[rest])
        others.append(average_precision_score(y.iloc[te], m.predict_proba(X.iloc[te])[:, 1]))
    print(f"   time-ordered blocks trained on all other data: {np.round(others, 3)} mean {np.mean(others):.3f}")
    forest = RandomForestClassifier(
        n_estimators=200, min_samples_leaf=20, class_weight="balanced", random_state=0, n_jobs=1
    )
    s = cross_val_score(forest, X, y, cv=TimeSeriesSplit(5), scoring="average_precision")
    print(f"   random forest, time-ordered: mean {s.mean():.3f}")


def lesson_08_to_10(raw: pd.DataFrame, df: pd.DataFrame, feat: pd.DataFrame, data: pd.DataFrame) -> None:
    train, val, test = split(data)
    yv, yt = val["defect"].to_numpy(), test["defect"].to_numpy()
    model = lr().fit(train[FEATURES], train["defect"])
    pv, pt = model.predict_proba(val[FEATURES])[:, 1], model.predict_proba(test[FEATURES])[:, 1]
    grid = np.round(np.arange(0.01, 1.0, 0.01), 2)
    costs = [cost(yv, pv, t) for t in grid]
    best = float(grid[int(np.argmin(costs))])
    print("## 8강: best threshold", best, "validation cost", min(costs), "costs at 0.02-0.08", costs[1:8])
    for t in (0.5, best):
        f = pt >= t
        print(
            f"   test t={t}: flagged {int(f.sum())} caught {int((f & (yt == 1)).sum())} "
            f"missed {int((~f & (yt == 1)).sum())} cost {cost(yt, pt, t)}"
        )
    print("   test no model", int(yt.sum()) * COST_MISSED, "full", int((yt == 0).sum()) * COST_FALSE_ALARM)
    for missed in (50_000, 150_000, 300_000):
        print(f"   cost of a miss {missed}: best {grid[int(np.argmin([cost(yv, pv, t, missed) for t in grid]))]}")
    print(f"   AP validation {ap(yv, pv)} test {ap(yt, pt)}; AUC validation {roc_auc_score(yv, pv):.3f}")

    print("## 9강: leakage, validation week")
    leak = feat.copy()
    leak["defect_rate_1h"] = leak.set_index("timestamp").groupby("machine")["defect"].rolling("1h").mean().to_numpy()
    ltr, lva, _ = split(leak.dropna(subset=FEATURES))
    cols = FEATURES + ["defect_rate_1h"]
    pl = lr().fit(ltr[cols], ltr["defect"]).predict_proba(lva[cols])[:, 1]
    print(f"   with defect_rate_1h: AP {ap(lva['defect'], pl)} AUC {roc_auc_score(lva['defect'], pl):.3f}")

    print("## 9강: flag rates at the chosen threshold")
    _, uv, ut = split(add_window_features(clean(without_drift(raw))).dropna(subset=FEATURES))
    table = pd.DataFrame(
        {
            "val": val.assign(f=pv >= best).groupby("machine")["f"].mean(),
            "test": test.assign(f=pt >= best).groupby("machine")["f"].mean(),
            "test without drift": ut.assign(f=model.predict_proba(ut[FEATURES])[:, 1] >= best)
            .groupby("machine")["f"]
            .mean(),
            "test flagged": test.assign(f=pt >= best).groupby("machine")["f"].sum(),
            "test defect rate": test.groupby("machine")["defect"].mean(),
        }
    )
    print(table.round(3).to_string())

    print("## 9강: CNC-03 temperature, daily means against the training weeks")
    work = df.assign(work_date=(df["timestamp"] - pd.Timedelta(hours=6)).dt.normalize())
    daily = work.groupby(["machine", "work_date"])[SENSORS].mean()
    ref_days = daily[daily.index.get_level_values("work_date") < TRAIN_END]
    z_day = daily.sub(ref_days.groupby(level="machine").mean(), level="machine").div(
        ref_days.groupby(level="machine").std(), level="machine"
    )
    parts = df[df["timestamp"] < TRAIN_END].groupby("machine")["spindle_temp_c"]
    z_part = (daily["spindle_temp_c"] - parts.mean().reindex(daily.index, level=0)) / parts.std().reindex(
        daily.index, level=0
    )
    print(
        f"   per-part sd {parts.std()['CNC-03']:.2f},",
        f"sd of daily means {ref_days.loc['CNC-03', 'spindle_temp_c'].std():.2f}",
    )
    print(
        pd.DataFrame(
            {
                "mean": daily.loc["CNC-03", "spindle_temp_c"].round(2),
                "z daily sd": z_day.loc["CNC-03", "spindle_temp_c"].round(1),
                "z part sd": z_part.loc["CNC-03"].round(1),
            }
        ).to_string()
    )
    recent = z_day[z_day.index.get_level_values("work_date") >= TRAIN_END]
    print("   |z| >= 2 in weeks 3-4 elsewhere:")
    print(recent[(recent.abs() >= 2).any(axis=1)].round(1).to_string())
    print(
        "## 10강: passed parts in the test week",
        int((pt < best).sum()),
        "defects among them",
        int(((pt < best) & (yt == 1)).sum()),
    )


def main() -> None:
    raw = load_raw()
    print("rows after dedup", len(raw), "defects", int(raw["defect"].sum()))
    df = clean(raw)
    feat = add_window_features(df)
    data = feat.dropna(subset=FEATURES)
    lesson_02_to_06(df, data)
    lesson_08_to_10(raw, df, feat, data)


if __name__ == "__main__":
    main()
