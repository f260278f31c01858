"""Write the course's synthetic plant data into data/: injection-moulding shots, an MQTT log and a monitoring stream.

The data is synthetic (made up by this script), not measured in a real plant. 가온사출 is a fictional company.

* historian_shots.csv  six production days of two injection-moulding machines (IJM-03, IJM-04) as the plant
                       historian stores them: Korean local time, degrees Celsius, one row per shot, inspection result.
* mqtt_shot_log.csv    the last of those days as the edge gateway published it over MQTT and a logger recorded it:
                       UTC timestamps, temperatures in 0.1 degC steps (the PLC's register scale), QoS 1 duplicates
                       and a 30-minute broker outage whose messages arrive late in one burst.
* monitor_reference.csv / monitor_stream.csv   IJM-03's monitoring sample (every fourth shot): a reference window
                       right after the last retraining and eight weeks of production after it.
* change_log.csv       what really changed in those eight weeks (from maintenance and material records).

Run from anywhere:   python tools/make_data.py            (writes into ../data next to this file)
                     python tools/make_data.py OUT_DIR    (writes into OUT_DIR)
The output is byte-for-byte reproducible: fixed seed, fixed formatting, "\n" line endings, UTF-8 without BOM.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np

SEED = 20261005
KST_TO_UTC = timedelta(hours=-9)

# -- historian and MQTT log -----------------------------------------------------------------------------------------

HIST_START = datetime(2026, 10, 5, 6, 0, 0)  # Monday 06:00 KST, start of the day shift
HIST_DAYS = 6  # Monday to Saturday; the last day is also in the MQTT log
# machine: (first shot counter, cycle seconds, mould temperature set point, melt temperature set point,
#           injection pressure base bar)
MACHINES = {
    "IJM-03": (48210, 144.0, 60.0, 230.0, 1180.0),
    "IJM-04": (47985, 150.0, 58.0, 235.0, 1215.0),
}
MOULD_CHANGE = ("IJM-04", datetime(2026, 10, 10, 11, 0), datetime(2026, 10, 10, 12, 40))  # no shots
BROKER_OUTAGE = (datetime(2026, 10, 10, 14, 5), datetime(2026, 10, 10, 14, 35))  # KST; messages wait in the gateway
DUPLICATE_RATE = 0.03  # QoS 1: the broker got the message but the gateway did not get PUBACK in time

HIST_COLUMNS = [
    "shot_time",
    "machine",
    "shot_no",
    "mold_temp_c",
    "melt_temp_c",
    "inj_pressure_bar",
    "cushion_mm",
    "cycle_s",
    "defect",
]


def simulate_shots(rng: np.random.Generator) -> list[dict]:
    rows: list[dict] = []
    end = HIST_START + timedelta(days=HIST_DAYS)
    for name, (counter, cycle, mould_set, melt_set, pressure_base) in MACHINES.items():
        t = HIST_START + timedelta(seconds=float(rng.uniform(0, 60)))
        shot_no = counter
        mould_offset = 0.0  # slow wander of the mould temperature controller
        cushion_level = 6.0
        while t < end:
            if name == MOULD_CHANGE[0] and MOULD_CHANGE[1] <= t < MOULD_CHANGE[2]:
                t = MOULD_CHANGE[2] + timedelta(seconds=float(rng.uniform(0, 30)))
                mould_offset = -4.0  # the mould starts cold after a change
                continue
            hour = t.hour + t.minute / 60
            ambient = 0.6 * np.sin((hour - 9) / 24 * 2 * np.pi)  # warmer in the afternoon
            mould_offset = 0.97 * mould_offset + rng.normal(0, 0.18)
            mould = mould_set + ambient + mould_offset + rng.normal(0, 0.35)
            melt = melt_set + 0.5 * ambient + rng.normal(0, 0.9)
            cushion_level = 0.995 * cushion_level + 0.005 * 6.0 + rng.normal(0, 0.03)
            cushion = cushion_level + rng.normal(0, 0.22)
            pressure = pressure_base - 4.0 * (mould - mould_set) - 1.5 * (melt - melt_set) + rng.normal(0, 12)
            this_cycle = cycle + rng.gamma(2.0, 0.35)
            night = hour >= 22 or hour < 6
            logit = (
                -3.6
                - 0.55 * (mould - mould_set)
                - 1.6 * (cushion - 6.0)
                + 0.012 * (pressure - pressure_base)
                + (0.35 if night else 0.0)
            )
            defect = int(rng.random() < 1 / (1 + np.exp(-logit)))
            rows.append(
                {
                    "shot_time": t.replace(microsecond=0),
                    "machine": name,
                    "shot_no": shot_no,
                    "mold_temp_c": round(mould, 1),
                    "melt_temp_c": round(melt, 1),
                    "inj_pressure_bar": round(pressure, 1),
                    "cushion_mm": round(cushion, 2),
                    "cycle_s": round(this_cycle, 2),
                    "defect": defect,
                }
            )
            shot_no += 1
            mould_offset *= 0.9 if mould_offset < -1 else 1.0  # the cold mould warms up within a few shots
            t += timedelta(seconds=this_cycle)
    rows.sort(key=lambda r: (r["shot_time"], r["machine"]))
    return rows


def write_historian(rows: list[dict], out: Path) -> None:
    with open(out / "historian_shots.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(HIST_COLUMNS)
        for r in rows:
            w.writerow(
                [
                    r["shot_time"].strftime("%Y-%m-%d %H:%M:%S"),
                    r["machine"],
                    r["shot_no"],
                    f"{r['mold_temp_c']:.1f}",
                    f"{r['melt_temp_c']:.1f}",
                    f"{r['inj_pressure_bar']:.1f}",
                    f"{r['cushion_mm']:.2f}",
                    f"{r['cycle_s']:.2f}",
                    r["defect"],
                ]
            )


def write_mqtt_log(rng: np.random.Generator, rows: list[dict], out: Path) -> None:
    # the logger was started 30 minutes before the day so that the first 30-minute windows are complete
    log_start = HIST_START + timedelta(days=HIST_DAYS - 1) - timedelta(minutes=30)
    day = [r for r in rows if r["shot_time"] >= log_start]
    messages: list[tuple[datetime, str, str]] = []
    for r in day:
        payload = json.dumps(
            {
                "seq": r["shot_no"],
                "ts": (r["shot_time"] + KST_TO_UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "mold_t": int(round(r["mold_temp_c"] * 10)),
                "melt_t": int(round(r["melt_temp_c"] * 10)),
                "inj_p": r["inj_pressure_bar"],
                "cushion": r["cushion_mm"],
                "cycle": r["cycle_s"],
            },
            separators=(",", ":"),
        )
        topic = f"gaon/p1/{r['machine']}/shot"
        # the cycle end is published about a second later and reaches the broker a few milliseconds after that
        received = r["shot_time"] + timedelta(seconds=1.0 + float(rng.uniform(0.0, 0.4)))
        if BROKER_OUTAGE[0] <= received < BROKER_OUTAGE[1]:
            received = BROKER_OUTAGE[1] + timedelta(seconds=float(rng.uniform(0.5, 8.0)))
        messages.append((received, topic, payload))
        if rng.random() < DUPLICATE_RATE:
            messages.append((received + timedelta(seconds=float(rng.uniform(5.0, 20.0))), topic, payload))
    messages.sort(key=lambda m: m[0])
    with open(out / "mqtt_shot_log.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["received_at", "topic", "qos", "payload"])
        for received, topic, payload in messages:
            stamp = (received + KST_TO_UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            w.writerow([stamp, topic, 1, payload])


# -- monitoring ----------------------------------------------------------------------------------------------------

REF_START = date(2026, 10, 19)  # two weeks right after the last retraining
REF_DAYS = 12
STREAM_START = date(2026, 11, 2)
STREAM_WEEKS = 8
SAMPLES_PER_DAY = 150  # every fourth of IJM-03's ~600 shots a day
RESIN_LOT = (date(2026, 11, 17), date(2026, 11, 21))  # a resin lot of higher viscosity
SENSOR_DRIFT = (date(2026, 12, 1), date(2026, 12, 12))  # mould temperature sensor reads higher day by day
DRIFT_PER_DAY = 0.1  # degC per production day
MON_COLUMNS = ["shot_time", "mold_temp_c", "melt_temp_c", "inj_pressure_bar", "cushion_mm", "cycle_s"]


def production_days(start: date, n: int) -> list[date]:
    days: list[date] = []
    d = start
    while len(days) < n:
        if d.weekday() != 6:  # Sunday is off
            days.append(d)
        d += timedelta(days=1)
    return days


def simulate_monitor_day(rng: np.random.Generator, d: date, drift_index: int | None) -> list[list[str]]:
    start = datetime(d.year, d.month, d.day, 6, 0)
    times = sorted(start + timedelta(seconds=float(s)) for s in rng.uniform(0, 86400, SAMPLES_PER_DAY))
    # day-to-day wander that is normal: ambient temperature, material within spec, the operator's fine tuning
    mould_day = rng.normal(0, 0.15)
    melt_day = rng.normal(0, 0.2)
    pressure_day = rng.normal(0, 2.5)
    cushion_day = rng.normal(0, 0.035)
    rows = []
    for t in times:
        hours_in = (t - start).total_seconds() / 3600
        mould = 60.0 + mould_day + rng.normal(0, 0.8)
        if d.weekday() == 0 and hours_in < 1.5:  # Monday start-up: the mould is still warming up
            mould -= 3.0 * (1 - hours_in / 1.5)
        melt = 230.0 + melt_day + rng.normal(0, 1.0)
        pressure = 1180.0 + pressure_day - 4.0 * (mould - 60.0) + rng.normal(0, 14.0)
        cushion = 6.0 + cushion_day + rng.normal(0, 0.25)
        cycle = 144.0 + rng.gamma(1.5, 0.6)
        if rng.random() < 0.02:  # a short stop inside the cycle (gripper retry, operator)
            cycle += rng.uniform(5, 40)
        if RESIN_LOT[0] <= d <= RESIN_LOT[1]:
            pressure += 38.0
            cushion -= 0.32
        if drift_index is not None:
            mould += DRIFT_PER_DAY * (drift_index + 1)
        rows.append(
            [
                t.strftime("%Y-%m-%d %H:%M:%S"),
                f"{mould:.1f}",
                f"{melt:.1f}",
                f"{pressure:.1f}",
                f"{cushion:.2f}",
                f"{cycle:.2f}",
            ]
        )
    return rows


def write_monitoring(rng: np.random.Generator, out: Path) -> None:
    for name, days in (
        ("monitor_reference.csv", production_days(REF_START, REF_DAYS)),
        ("monitor_stream.csv", production_days(STREAM_START, STREAM_WEEKS * 6)),
    ):
        drift_days = [d for d in days if SENSOR_DRIFT[0] <= d <= SENSOR_DRIFT[1]]
        with open(out / name, "w", encoding="utf-8", newline="") as f:
            w = csv.writer(f, lineterminator="\n")
            w.writerow(MON_COLUMNS)
            for d in days:
                index = drift_days.index(d) if d in drift_days else None
                w.writerows(simulate_monitor_day(rng, d, index))
    with open(out / "change_log.csv", "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["event_id", "start_date", "end_date", "what", "source"])
        w.writerow(["E1", RESIN_LOT[0].isoformat(), RESIN_LOT[1].isoformat(), "점도가 높은 새 수지 로트 투입", "자재 입고 기록"])
        w.writerow(
            [
                "E2",
                SENSOR_DRIFT[0].isoformat(),
                SENSOR_DRIFT[1].isoformat(),
                "금형 온도 센서 드리프트(12월 14일 교정)",
                "계측기 교정 기록",
            ]
        )


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    rows = simulate_shots(rng)
    write_historian(rows, out)
    write_mqtt_log(rng, rows, out)
    write_monitoring(rng, out)


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1] / "data")
