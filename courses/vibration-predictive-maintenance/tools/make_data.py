"""Write the course's synthetic vibration data into data/: waveforms.csv, trend.csv and maintenance_log.csv.

Nothing here was measured on a real machine. The script imitates what a small chemical plant gets from wireless
vibration sensors on four cooling-water pump motors: a 1-second acceleration snapshot every 6 hours, reduced to
summary values (trend.csv), three raw snapshots kept for spectrum and envelope analysis (waveforms.csv), and the
plant's work orders for the same year (maintenance_log.csv). Bearing damage grows over weeks: the envelope value
at the outer-race frequency rises first, the crest factor rises and falls, broadband velocity and temperature
rise only in the last days, as is usual for rolling-element bearings.

Run from anywhere:   python tools/make_data.py            (writes into ../data next to this file)
                     python tools/make_data.py OUT_DIR    (writes into OUT_DIR)
Byte-for-byte reproducible: fixed seed, fixed formatting, "\\n" line endings, UTF-8 without BOM.
"""

from __future__ import annotations

import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

SEED = 20250101
G = 9.80665  # m/s^2 per g

# --- the machine: 37 kW, 4-pole motor at 60 Hz driving a centrifugal pump (6 impeller vanes)
SHAFT_HZ = 29.6  # 1,776 rpm
VANES = 6
N_BALLS, BALL_D_MM, PITCH_D_MM = 8, 17.5, 72.5  # drive-end deep-groove ball bearing, contact angle 0
BPFO_HZ = N_BALLS / 2 * SHAFT_HZ * (1 - BALL_D_MM / PITCH_D_MM)  # 89.8 Hz

# --- waveforms.csv: three 1-second snapshots
FS = 8192  # Hz
N_SAMPLES = FS  # 1 s
RESONANCE_HZ = 2800.0  # the bearing housing's resonance that each impact rings

# --- trend.csv: one record every 6 hours for 2025
START = datetime(2025, 1, 1)
END = datetime(2026, 1, 1)
STEP = timedelta(hours=6)
ASSETS = {  # asset: baseline velocity RMS (mm/s), envelope (g), accel RMS (g), temperature rise over ambient (degC)
    "P-101": (1.25, 0.030, 0.110, 24.0),
    "P-102": (1.10, 0.026, 0.100, 22.0),
    "P-103": (1.45, 0.034, 0.125, 26.0),
    "P-104": (1.20, 0.028, 0.105, 23.0),
}
# bearing failures: asset -> (work order time, P-F interval in days, downtime hours)
FAILURES = {
    "P-101": [(datetime(2025, 4, 18, 9, 40), 45, 14)],
    "P-102": [(datetime(2025, 9, 23, 15, 20), 55, 11)],
    "P-103": [(datetime(2025, 11, 6, 2, 30), 40, 16)],
    "P-104": [(datetime(2025, 12, 10, 13, 10), 50, 12)],
}
MISALIGNMENT = ("P-103", datetime(2025, 2, 10), datetime(2025, 3, 12, 10, 0))  # grows, then corrected
SENSOR_SWAP = ("P-102", datetime(2025, 6, 10, 14, 0), 1.3)  # new sensor, new mounting: reads 30 % higher
SEAL_LEAK = ("P-104", datetime(2025, 7, 2, 8, 50), 6)  # a failure vibration cannot see
SHUTDOWN = (datetime(2025, 8, 1, 6, 0), datetime(2025, 8, 5, 18, 0))  # summer shutdown, all pumps off


def tone(t: np.ndarray, freq: float, vel_peak_mm_s: float, phase: float) -> np.ndarray:
    """Acceleration (g) of a sinusoidal velocity of the given peak (mm/s): a = 2*pi*f*v."""
    return 2 * np.pi * freq * vel_peak_mm_s / 1000 * np.cos(2 * np.pi * freq * t + phase) / G


def snapshot(rng: np.random.Generator, unbalance: float, impacts: float) -> np.ndarray:
    t = np.arange(N_SAMPLES) / FS
    ph = rng.uniform(0, 2 * np.pi, 6)
    x = tone(t, SHAFT_HZ, unbalance, ph[0])
    x += tone(t, 2 * SHAFT_HZ, 0.5, ph[1]) + tone(t, 3 * SHAFT_HZ, 0.2, ph[2])
    x += tone(t, VANES * SHAFT_HZ, 0.4, ph[3]) + tone(t, 120.0, 0.2, ph[4])
    x += rng.normal(0, 0.02, N_SAMPLES)
    if impacts:
        period = 1 / BPFO_HZ
        k = np.arange(int(1 / period) + 2)
        starts = k * period + rng.uniform(0, period) + rng.normal(0, 0.005 * period, k.size)
        for s, amp in zip(starts, impacts * rng.uniform(0.8, 1.2, k.size), strict=True):
            dt = t - s
            on = (dt >= 0) & (dt < 0.01)
            x[on] += amp * np.exp(-dt[on] / 0.0012) * np.sin(2 * np.pi * RESONANCE_HZ * dt[on])
    return x


def write_waveforms(rng: np.random.Generator, out: Path) -> None:
    normal = snapshot(rng, 1.2, 0.0)
    unbalance = snapshot(rng, 5.4, 0.0)
    outer = snapshot(rng, 1.2, 0.45)
    lines = ["time_s,normal_g,unbalance_g,outer_race_g"]
    for i in range(N_SAMPLES):
        lines.append(f"{i / FS:.7f},{normal[i]:.4f},{unbalance[i]:.4f},{outer[i]:.4f}")
    out.write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


def ambient_c(t: datetime) -> float:
    """Pump-room air temperature: about 8 degC in January, 30 degC in August."""
    day = (t - START).days
    return 19.0 - 11.0 * np.cos(2 * np.pi * (day - 15) / 365)


def simulate(rng: np.random.Generator, asset: str) -> list[str]:
    v0, e0, a0, dtemp = ASSETS[asset]
    n = int((END - START) / STEP)
    times = [START + i * STEP for i in range(n)]
    running = np.ones(n, dtype=bool)
    # short stops: standby changeovers and minor work, 1-3 days, 3 per asset
    for _ in range(3):
        s = int(rng.integers(40, n - 40))
        running[s : s + int(rng.integers(4, 13))] = False
    for i, t in enumerate(times):
        if SHUTDOWN[0] <= t < SHUTDOWN[1]:
            running[i] = False
    scale = np.ones(n)  # baseline after each bearing replacement
    progress = np.zeros(n)  # 0 = healthy, 1 = functional failure
    running_in = np.zeros(n)
    for when, pf_days, down_h in FAILURES.get(asset, []):
        back = when + timedelta(hours=down_h)
        new_bearing = float(rng.uniform(0.93, 1.07))
        for i, t in enumerate(times):
            before = (when - t).total_seconds() / 86400
            if 0 < before <= pf_days:
                progress[i] = 1 - before / pf_days
            if when <= t < back:
                running[i] = False
            if t >= back:
                scale[i] = new_bearing
                if t < back + timedelta(days=2):
                    running_in[i] = 1.0
    if asset == SEAL_LEAK[0]:
        when, down_h = SEAL_LEAK[1], SEAL_LEAK[2]
        for i, t in enumerate(times):
            if when <= t < when + timedelta(hours=down_h):
                running[i] = False
    misalign = np.zeros(n)
    if asset == MISALIGNMENT[0]:
        a, b = MISALIGNMENT[1], MISALIGNMENT[2]
        for i, t in enumerate(times):
            if a <= t < b:
                misalign[i] = (t - a).total_seconds() / (b - a).total_seconds()
            if b <= t < b + timedelta(hours=3):
                running[i] = False
    gain = np.ones(n)
    if asset == SENSOR_SWAP[0]:
        gain[[i for i, t in enumerate(times) if t >= SENSOR_SWAP[1]]] = SENSOR_SWAP[2]

    # process upsets (valve throttled, air in the suction line): a few hours to two days of rougher running
    upset = np.zeros(n)
    for _ in range(int(rng.integers(5, 9))):
        u = int(rng.integers(0, n - 8))
        upset[u : u + int(rng.integers(2, 9))] = float(rng.uniform(0.3, 0.6))
    # grease ages between lubrications (every three months): the envelope value creeps up a little
    greased = [START] + [datetime(2025, m, 21) for m in (1, 4, 7, 10)]
    grease_age = np.array([(t - max(g for g in greased if g <= t)).days for t in times]) / 90
    knock = (rng.random(n) < 0.01) * rng.uniform(0.4, 1.0, n)  # single readings hit by a knock nearby

    s = progress
    load = 1 + 0.08 * np.sin(2 * np.pi * np.arange(n) / 4 + rng.uniform(0, 6))  # daily flow cycle
    rough = (1 + upset) * (1 + knock)
    vel = scale * v0 * load * rng.lognormal(0, 0.06, n) * rough + 2.9 * s**6 + 1.9 * misalign**1.5
    env = scale * e0 * rng.lognormal(0, 0.15, n) * (1 + 28 * s**2) * (1 + 0.6 * running_in)
    env *= (1 + 0.25 * np.clip(grease_age, 0, 1.2)) * (1 + 1.2 * upset) * (1 + knock)
    acc = scale * a0 * load * rng.lognormal(0, 0.07, n) * (1 + 2.5 * s**2.5) * (1 + 0.3 * running_in) * rough
    crest = 3.1 + 2.6 * np.sin(np.pi * s) ** 1.5 + 0.6 * s**8 - 0.4 * misalign + rng.normal(0, 0.15, n)
    temp = np.array([ambient_c(t) for t in times]) + dtemp * load + rng.normal(0, 0.7, n)
    temp += 14 * np.clip((s - 0.94) / 0.06, 0, 1) ** 2
    # a stopped pump: the sensor still reports, floor vibration only, housing at room temperature
    idle = ~running
    vel[idle] = rng.uniform(0.08, 0.2, idle.sum())
    acc[idle] = rng.uniform(0.01, 0.02, idle.sum())
    env[idle] = rng.uniform(0.003, 0.006, idle.sum())
    crest[idle] = rng.uniform(3.0, 4.0, idle.sum())
    temp[idle] = np.array([ambient_c(t) for t, o in zip(times, idle, strict=True) if o]) + rng.normal(
        0, 0.5, idle.sum()
    )
    vel, acc, env = vel * gain, acc * gain, env * gain
    lost = rng.random(n) < 0.006  # wireless packets that never arrived
    rows = []
    for i, t in enumerate(times):
        if lost[i]:
            values = ["", "", "", "", ""]
        else:
            values = [f"{vel[i]:.2f}", f"{acc[i]:.3f}", f"{crest[i]:.2f}", f"{env[i]:.4f}", f"{temp[i]:.1f}"]
        rows.append(",".join([t.strftime("%Y-%m-%d %H:%M"), asset, str(int(running[i])), *values]))
    return rows


MAINTENANCE = [
    # (opened_at, asset, work_type, component, finding, downtime_h)
    ("2025-01-20 10:00", "P-101", "preventive", "bearing", "정기 그리스 보충(DE/NDE)", 0),
    ("2025-01-21 10:30", "P-102", "preventive", "bearing", "정기 그리스 보충(DE/NDE)", 0),
    ("2025-01-22 09:40", "P-103", "preventive", "bearing", "정기 그리스 보충(DE/NDE)", 0),
    ("2025-01-23 14:10", "P-104", "preventive", "bearing", "정기 그리스 보충(DE/NDE)", 0),
    ("2025-03-12 10:00", "P-103", "corrective", "coupling", "진동 증가 민원, 커플링 정렬 불량 확인 후 재정렬", 3),
    (
        "2025-04-18 09:40",
        "P-101",
        "corrective",
        "bearing",
        "운전 중 이음·발열로 정지, DE 베어링 외륜 박리 확인, 베어링 교체",
        14,
    ),
    ("2025-04-21 09:00", "P-101", "preventive", "bearing", "정기 그리스 보충(DE/NDE)", 0),
    ("2025-04-22 11:00", "P-102", "preventive", "bearing", "정기 그리스 보충(DE/NDE)", 0),
    ("2025-04-23 10:20", "P-103", "preventive", "bearing", "정기 그리스 보충(DE/NDE)", 0),
    ("2025-04-24 13:30", "P-104", "preventive", "bearing", "정기 그리스 보충(DE/NDE)", 0),
    ("2025-05-14 15:00", "P-104", "inspection", "motor", "순회 점검, 이상 없음", 0),
    ("2025-06-10 14:00", "P-102", "inspection", "sensor", "진동 센서 케이블 손상, 센서 교체(부착 위치 약간 달라짐)", 0),
    ("2025-07-02 08:50", "P-104", "corrective", "seal", "메커니컬 실 누수로 정지, 실 교체", 6),
    ("2025-07-21 09:30", "P-101", "preventive", "bearing", "정기 그리스 보충(DE/NDE)", 0),
    ("2025-07-22 10:10", "P-102", "preventive", "bearing", "정기 그리스 보충(DE/NDE)", 0),
    ("2025-07-23 09:50", "P-103", "preventive", "bearing", "정기 그리스 보충(DE/NDE)", 0),
    ("2025-07-24 14:00", "P-104", "preventive", "bearing", "정기 그리스 보충(DE/NDE)", 0),
    ("2025-08-01 06:00", "P-101", "preventive", "pump", "하계 정기 휴무 중 전 설비 점검", 108),
    ("2025-08-01 06:00", "P-102", "preventive", "pump", "하계 정기 휴무 중 전 설비 점검", 108),
    ("2025-08-01 06:00", "P-103", "preventive", "pump", "하계 정기 휴무 중 전 설비 점검", 108),
    ("2025-08-01 06:00", "P-104", "preventive", "pump", "하계 정기 휴무 중 전 설비 점검", 108),
    ("2025-09-02 16:00", "P-102", "inspection", "bearing", "소음 신고, 청음 점검 결과 특이 사항 없음", 0),
    (
        "2025-09-23 15:20",
        "P-102",
        "corrective",
        "bearing",
        "베어링 온도 경보로 정지, DE 베어링 외륜 손상, 베어링 교체",
        11,
    ),
    ("2025-10-20 09:20", "P-101", "preventive", "bearing", "정기 그리스 보충(DE/NDE)", 0),
    ("2025-10-21 10:00", "P-102", "preventive", "bearing", "정기 그리스 보충(DE/NDE)", 0),
    ("2025-10-22 09:30", "P-103", "preventive", "bearing", "정기 그리스 보충(DE/NDE)", 0),
    ("2025-10-23 13:40", "P-104", "preventive", "bearing", "정기 그리스 보충(DE/NDE)", 0),
    (
        "2025-11-06 02:30",
        "P-103",
        "corrective",
        "bearing",
        "야간 이음 발생으로 긴급 정지, DE 베어링 외륜 박리, 베어링 교체",
        16,
    ),
    (
        "2025-12-10 13:10",
        "P-104",
        "corrective",
        "bearing",
        "진동·소음 증가로 정지, DE 베어링 외륜 박리, 베어링 교체",
        12,
    ),
]


def main(out_dir: Path) -> None:
    rng = np.random.default_rng(SEED)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_waveforms(rng, out_dir / "waveforms.csv")
    lines = ["timestamp,asset,running,velocity_rms_mm_s,accel_rms_g,crest_factor,envelope_bpfo_g,bearing_temp_c"]
    for asset in ASSETS:
        lines += simulate(rng, asset)
    (out_dir / "trend.csv").write_bytes(("\n".join(lines) + "\n").encode("utf-8"))
    lines = ["wo_id,opened_at,asset,work_type,component,finding,downtime_h"]
    for k, (opened, asset, kind, comp, finding, down) in enumerate(sorted(MAINTENANCE, key=lambda r: (r[0], r[1]))):
        cell = f'"{finding}"' if "," in finding else finding
        lines.append(f"WO-25-{k + 1:03d},{opened},{asset},{kind},{comp},{cell},{down}")
    (out_dir / "maintenance_log.csv").write_bytes(("\n".join(lines) + "\n").encode("utf-8"))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "data")
