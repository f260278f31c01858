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
    acc = (tp + tn) / len(y)
    prec = tp / (tp + fp) if tp + fp else float("nan")
    return f"acc {acc:.3f} recall {tp / (tp + fn):.3f} ({tp}/{tp + fn}) precision {prec:.3f} flagged {tp + fp} TN {tn} FP {fp} FN {fn} TP {tp}"


def main() -> None:
    raw = load_raw()
    print("rows after dedup", len(raw), "defects", int(raw["defect"].sum()))
    df = clean(raw)
    print("## 2강: NaN left per sensor", df[SENSORS].isna().sum().tolist())
    print("   rows with any NaN sensor", int(df[SENSORS].isna().any(axis=1).sum()))
    print("   vibration mean by defect", df.groupby("defect")["vibration_mm_s"].mean().round(2).tolist())
    feat = add_window_features(df)
    data = feat.dropna(subset=FEATURES)
    print("## rows dropped by dropna(FEATURES)", len(feat) - len(data))
    train, val, test = split(data)
    dev = data[data["timestamp"] < VAL_END]
    for name, part in [("train w1-2", train), ("val w3", val), ("test w4", test), ("dev w1-3", dev)]:
        print(f"   {name}: {len(part)} parts, {int(part['defect'].sum())} defects, rate {part['defect'].mean():.4f}")
    yv, yt = val["defect"].to_numpy(), test["defect"].to_numpy()

    print("## 4강: feature sets on validation (trained w1-2)")
    for bal in (False, True):
        for cols, label in [(SENSORS, "sensors"), (FEATURES, "window")]:
            m = lr(bal).fit(train[cols], train["defect"])
            print(f"   balanced={bal} {label}: val AP {average_precision_score(yv, m.predict_proba(val[cols])[:, 1]):.3f}")

    print("## 5강: on validation week")
    d = DummyClassifier(strategy="most_frequent").fit(train[FEATURES], train["defect"])
    print("   dummy", counts(yv, d.predict(val[FEATURES])))
    m0 = lr().fit(train[FEATURES], train["defect"])
    mb = lr(True).fit(train[FEATURES], train["defect"])
    print("   LR 0.5", counts(yv, m0.predict(val[FEATURES])))
    print("   LR bal 0.5", counts(yv, mb.predict(val[FEATURES])))
    print("   class weight ratio", round((train["defect"] == 0).sum() / train["defect"].sum(), 1))
    pb = mb.predict_proba(val[FEATURES])[:, 1]
    print(f"   balanced scores: mean {pb.mean():.3f} vs val defect rate {yv.mean():.3f}; unweighted mean {m0.predict_proba(val[FEATURES])[:, 1].mean():.3f}")

    print("## 6강: CV on dev (w1-3), balanced LR, AP")
    dev_sorted = dev.sort_values("timestamp")
    X, y = dev_sorted[FEATURES], dev_sorted["defect"]
    days = (dev_sorted["timestamp"] - pd.Timedelta(hours=6)).dt.date
    model = lr(True)
    schemes = [
        ("KFold shuffle", KFold(5, shuffle=True, random_state=0), None),
        ("GroupKFold day", GroupKFold(5), days),
        ("TSS", TimeSeriesSplit(5), None),
        ("TSS gap=120", TimeSeriesSplit(5, gap=120), None),
    ]
    for name, cv, groups in schemes:
        s = cross_val_score(model, X, y, cv=cv, groups=groups, scoring="average_precision")
        print(f"   {name}: {s.round(3)} mean {s.mean():.3f} std {s.std():.3f}")
    for k, (tr, te) in enumerate(TimeSeriesSplit(5).split(X)):
        print(f"   TSS fold {k + 1}: train {len(tr)} ({int(y.iloc[tr].sum())} defects), val {len(te)} ({int(y.iloc[te].sum())})")
    # the same validation blocks, but every fold trained on all the other blocks' data: what does size do?
    for k, (tr, te) in enumerate(TimeSeriesSplit(5).split(X)):
        pass
    forest = RandomForestClassifier(n_estimators=200, min_samples_leaf=20, class_weight="balanced", random_state=0, n_jobs=1)
    s = cross_val_score(forest, X, y, cv=TimeSeriesSplit(5), scoring="average_precision")
    print(f"   forest TSS: {s.round(3)} mean {s.mean():.3f}")

    print("## 7강: balanced LR (w1-2) on validation at 0.5")
    predb = (pb >= 0.5).astype(int)
    print("  ", counts(yv, predb), "cost", cost(yv, pb, 0.5))
    print("   no model (all shipped)", int(yv.sum()) * COST_MISSED, " full re-inspection", int((yv == 0).sum()) * COST_FALSE_ALARM)

    print("## 8강: unweighted LR (w1-2)")
    pv, pt = m0.predict_proba(val[FEATURES])[:, 1], m0.predict_proba(test[FEATURES])[:, 1]
    grid = np.round(np.arange(0.01, 1.0, 0.01), 2)
    costs = [cost(yv, pv, t) for t in grid]
    best = float(grid[int(np.argmin(costs))])
    print("   best", best, min(costs), " costs 0.02-0.08", [costs[i] for i in range(1, 8)])
    for t in (0.5, best):
        f = pt >= t
        print(f"   test t={t}: flagged {int(f.sum())} caught {int((f & (yt == 1)).sum())} missed {int((~f & (yt == 1)).sum())} cost {cost(yt, pt, t)}")
    print("   test no model", int(yt.sum()) * COST_MISSED, "full", int((yt == 0).sum()) * COST_FALSE_ALARM, "test parts", len(yt))
    for cm in (50_000, 150_000, 300_000):
        c = [cost(yv, pv, t, cost_missed=cm) for t in grid]
        print(f"   cost_missed {cm}: best {grid[int(np.argmin(c))]}")
    print(f"   test AP {average_precision_score(yt, pt):.3f} AUC {roc_auc_score(yt, pt):.3f}; val AP {average_precision_score(yv, pv):.3f}")

    print("## 9강: leakage")
    leak = feat.copy()
    g = leak.set_index("timestamp").groupby("machine")
    leak["defect_rate_1h"] = g["defect"].rolling("1h").mean().to_numpy()
    ld = leak.dropna(subset=FEATURES)
    ltr, lva, lte = split(ld)
    ml = lr().fit(ltr[FEATURES + ["defect_rate_1h"]], ltr["defect"])
    pl = ml.predict_proba(lte[FEATURES + ["defect_rate_1h"]])[:, 1]
    print(f"   with leak: test AP {average_precision_score(lte['defect'], pl):.3f} AUC {roc_auc_score(lte['defect'], pl):.3f}")

    print("## 9강: drift")
    t = test.assign(flag=pt >= best)
    print(t.groupby("machine").agg(flag_rate=("flag", "mean"), defect_rate=("defect", "mean")).round(3))
    v = val.assign(flag=pv >= best)
    print("   val week", v.groupby("machine")["flag"].mean().round(3).to_dict())
    # what if the sensor had not drifted: take the drift back out of CNC-03's raw temperature
    undrift = raw.copy()
    day = (undrift["timestamp"] - pd.Timestamp("2025-03-03 06:00")).dt.total_seconds() / 86400
    sel = (undrift["machine"] == "CNC-03") & (day > 10) & undrift["spindle_temp_c"].between(0, 100)
    undrift.loc[sel, "spindle_temp_c"] = (undrift.loc[sel, "spindle_temp_c"] - 0.3 * (day[sel] - 10)).round(1)
    ud = add_window_features(clean(undrift)).dropna(subset=FEATURES)
    _, uv, ut = split(ud)
    puf = m0.predict_proba(ut[FEATURES])[:, 1] >= best
    print("   test week without drift", ut.assign(flag=puf).groupby("machine")["flag"].mean().round(3).to_dict())
    puv = m0.predict_proba(uv[FEATURES])[:, 1] >= best
    print("   val week without drift", uv.assign(flag=puv).groupby("machine")["flag"].mean().round(3).to_dict())
    # daily means vs reference
    work = df.assign(work_date=(df["timestamp"] - pd.Timedelta(hours=6)).dt.normalize())
    daily = work.groupby(["machine", "work_date"])["spindle_temp_c"].mean().unstack(0)
    for ref_end in ("2025-03-10", "2025-03-13", "2025-03-17"):
        ref_parts = df[df["timestamp"] < ref_end]
        ref_daily = daily[daily.index < ref_end]
        print(f"   ref until {ref_end}: per-part sd", ref_parts.groupby("machine")["spindle_temp_c"].std().round(2).to_dict(),
              " sd of daily means", ref_daily.std().round(2).to_dict(), " mean of daily", ref_daily.mean().round(2).to_dict())
        zpart = (daily - ref_parts.groupby("machine")["spindle_temp_c"].mean()) / ref_parts.groupby("machine")["spindle_temp_c"].std()
        zday = (daily - ref_daily.mean()) / ref_daily.std()
        print(pd.DataFrame({"mean03": daily["CNC-03"].round(2), "z_part03": zpart["CNC-03"].round(1), "z_day03": zday["CNC-03"].round(1),
                            "z_day_max_other": zday.drop(columns="CNC-03").abs().max(axis=1).round(1)}).to_string())


if __name__ == "__main__":
    main()
