"""Write the course's synthetic plant data: data/sensor_log.csv and data/maintenance_log.csv.

The data is synthetic (made up by this script), not measured in a real plant. It imitates what a small CNC
machining shop's MES export looks like: four machines, three shifts, four weeks of parts, five sensor readings
per part, an end-of-line inspection result (defect 0/1), and the usual mess (missing values, a communication
outage, sensor fault codes, "ERR" strings, duplicated rows, and a temperature sensor that slowly drifts).

Run from anywhere:   python tools/make_data.py            (writes into ../data next to this file)
                     python tools/make_data.py OUT_DIR    (writes into OUT_DIR)
The output is byte-for-byte reproducible: fixed seed, fixed formatting, "\n" line endings, UTF-8 without BOM.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

SEED = 20250303
START = datetime(2025, 3, 3, 6, 0, 0)  # a Monday, start of shift A
WEEKS = 4
END = START + timedelta(weeks=WEEKS)

# machine: (cycle minutes, spindle rpm set point, vibration base mm/s, temperature offset degC,
#           current base A)
MACHINES = {
    "CNC-01": (8.0, 8000, 1.6, 16.5, 10.8),
    "CNC-02": (8.5, 8000, 1.7, 16.0, 11.0),
    "CNC-03": (9.0, 6000, 1.5, 17.0, 10.2),
    "CNC-04": (7.5, 10000, 1.9, 15.5, 11.6),
}
DRIFT_MACHINE = "CNC-03"  # its temperature sensor reads high, more and more, from day 10 on
DRIFT_START_DAY = 10
DRIFT_PER_DAY = 0.3  # degC per day
OUTAGE = ("CNC-02", datetime(2025, 3, 12, 13, 10), datetime(2025, 3, 12, 19, 40))  # no sensor data
TOOL_LIFE = 300  # parts; wear = parts since tool change / TOOL_LIFE
INTERCEPT = -4.8

COLUMNS = [
    "timestamp",
    "machine",
    "shift",
    "spindle_rpm",
    "spindle_temp_c",
    "vibration_mm_s",
    "coolant_pressure_bar",
    "motor_current_a",
    "defect",
]


def shift_of(t: datetime) -> str:
    """A: 06-14, B: 14-22, C: 22-06 (the night shift crosses midnight)."""
    if 6 <= t.hour < 14:
        return "A"
    if 14 <= t.hour < 22:
        return "B"
    return "C"


def in_production(t: datetime) -> bool:
    """The shop runs Monday 06:00 to Sunday 06:00; Sunday is off."""
    week_start = START + timedelta(weeks=(t - START).days // 7)
    return t < week_start + timedelta(days=6)


def simulate_machine(rng: np.random.Generator, name: str) -> tuple[list[dict], list[tuple]]:
    cycle, rpm_set, vib_base, temp_off, cur_base = MACHINES[name]
    rows: list[dict] = []
    events: list[tuple] = []
    t = START + timedelta(minutes=float(rng.uniform(0, 5)))
    parts = 0
    life = int(rng.integers(230, 390))  # this tool is changed after `life` parts
    # coolant filter clogging: the pressure sinks over some hours, then the filter is cleaned
    clog_starts: list[datetime] = []
    while len(clog_starts) < 3:  # clogging starts while the shop is running
        s = START + timedelta(hours=float(rng.uniform(20, WEEKS * 168 - 30)))
        if in_production(s) and in_production(s + timedelta(hours=10)):
            clog_starts.append(s)
    clog_starts.sort()
    clogs = [(s, float(rng.uniform(5, 9)), float(rng.uniform(1.0, 1.8))) for s in clog_starts]
    for s, hours, _ in clogs:
        events.append((s + timedelta(hours=hours), name, "coolant_filter", "절삭유 압력 저하로 필터 청소"))
    vib_ar = 0.0
    while t < END:
        if not in_production(t):
            t = START + timedelta(weeks=(t - START).days // 7 + 1, minutes=float(rng.uniform(0, 5)))
            continue
        if parts >= life:
            note = "공구 수명 초과 후 교체" if life > 340 else "정기 공구 교체"
            events.append((t, name, "tool_change", note))
            t += timedelta(minutes=float(rng.uniform(15, 25)))
            parts = 0
            life = int(rng.integers(230, 390))
            continue
        wear = parts / TOOL_LIFE
        day = (t - START).total_seconds() / 86400
        hour = t.hour + t.minute / 60
        pressure = 6.0 + rng.normal(0, 0.12)
        for s, hours, drop in clogs:
            elapsed = (t - s).total_seconds() / 3600
            if 0 <= elapsed < hours:
                pressure -= drop * elapsed / hours
        rpm = rpm_set + rng.normal(0, 25)
        ambient = 21.0 + 2.5 * np.sin(2 * np.pi * (hour - 9) / 24)
        temp_true = (
            ambient
            + temp_off
            + 3.0 * max(6.0 - pressure, 0)
            + 1.5 * wear
            + 0.0004 * (rpm - rpm_set)
            + rng.normal(0, 0.6)
        )
        vib_ar = 0.8 * vib_ar + rng.normal(0, 0.12)
        vibration = vib_base + 0.3 + 1.2 * wear**2 + vib_ar + rng.normal(0, 0.6)
        current = cur_base + 0.0002 * rpm_set + 1.5 * wear + rng.normal(0, 0.9)
        shift = shift_of(t)
        logit = (
            INTERCEPT
            + 3.0 * max(wear - 0.8, 0) / 0.3
            + 1.1 * max(temp_true - 41.0, 0)
            + 1.2 * max(5.2 - pressure, 0) / 0.5
            + (0.5 if shift == "C" else 0.0)
        )
        defect = int(rng.random() < 1 / (1 + np.exp(-logit)))
        temp_read = temp_true
        if name == DRIFT_MACHINE and day > DRIFT_START_DAY:
            temp_read += DRIFT_PER_DAY * (day - DRIFT_START_DAY)
        rows.append(
            {
                "timestamp": t.replace(microsecond=0),
                "machine": name,
                "shift": shift,
                "spindle_rpm": rpm,
                "spindle_temp_c": temp_read,
                "vibration_mm_s": max(vibration, 0.2),
                "coolant_pressure_bar": pressure,
                "motor_current_a": current,
                "defect": defect,
            }
        )
        parts += 1
        t += timedelta(minutes=float(cycle + rng.normal(0, 0.4)))
    return rows, events


def dirty(rng: np.random.Generator, rows: list[dict]) -> list[dict]:
    """Add what a real export has: gaps, an outage, fault codes, spikes, "ERR" strings, duplicates."""
    sensors = ["spindle_rpm", "spindle_temp_c", "vibration_mm_s", "coolant_pressure_bar", "motor_current_a"]
    n = len(rows)
    for col in sensors:  # single dropped readings
        for i in np.flatnonzero(rng.random(n) < 0.004):
            rows[i][col] = None
    machine, start, stop = OUTAGE
    for r in rows:  # the gateway of CNC-02 lost its connection for an afternoon; inspection went on
        if r["machine"] == machine and start <= r["timestamp"] < stop:
            for col in sensors:
                r[col] = None
    cnc01 = [i for i, r in enumerate(rows) if r["machine"] == "CNC-01"]
    for i in rng.choice(cnc01, 8, replace=False):  # temperature sensor fault code
        rows[i]["spindle_temp_c"] = 999.9
    for i in rng.choice(n, 12, replace=False):  # vibration spikes (a knock while loading the part)
        if rows[i]["vibration_mm_s"] is not None:
            rows[i]["vibration_mm_s"] *= float(rng.uniform(6, 12))
    for i in rng.choice(n, 25, replace=False):  # the PLC wrote "ERR" instead of a number
        rows[i]["coolant_pressure_bar"] = "ERR"
    for i in rng.choice(n, 6, replace=False):  # a logging glitch: spindle speed 0 while a part was cut
        rows[i]["spindle_rpm"] = 0.0
    out: list[dict] = []
    dup = set(int(i) for i in rng.choice(n, 20, replace=False))  # the MES re-sent some records
    for i, r in enumerate(rows):
        out.append(r)
        if i in dup:
            out.append(dict(r))
    return out


def fmt(value, digits: int) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return f"{value:.{digits}f}"


def main(out_dir: Path) -> None:
    rng = np.random.default_rng(SEED)
    rows: list[dict] = []
    events: list[tuple] = []
    for name in MACHINES:
        r, e = simulate_machine(rng, name)
        rows += r
        events += e
    rows.sort(key=lambda r: (r["timestamp"], r["machine"]))
    rows = dirty(rng, rows)
    digits = {
        "spindle_rpm": 0,
        "spindle_temp_c": 1,
        "vibration_mm_s": 2,
        "coolant_pressure_bar": 2,
        "motor_current_a": 1,
    }
    lines = [",".join(COLUMNS)]
    for r in rows:
        cells = [r["timestamp"].strftime("%Y-%m-%d %H:%M:%S"), r["machine"], r["shift"]]
        cells += [fmt(r[c], d) for c, d in digits.items()]
        cells.append(str(r["defect"]))
        lines.append(",".join(cells))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "sensor_log.csv").write_bytes(("\n".join(lines) + "\n").encode("utf-8"))

    events.sort(key=lambda e: (e[0], e[1]))
    lines = ["timestamp,machine,event,note"]
    for t, machine, event, note in events:
        lines.append(f"{t.strftime('%Y-%m-%d %H:%M:%S')},{machine},{event},{note}")
    (out_dir / "maintenance_log.csv").write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "data")
