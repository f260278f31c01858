"""Generate the course's synthetic surface images (brushed stainless plates) and their label tables, seeded.

Run from anywhere:   python tools/make_images.py [OUT_DIR]     (default: the course's data/ folder)
Needs numpy, scipy and Pillow only. The same library versions give byte-identical PNG and CSV files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image
from scipy import ndimage

SEED = 20261102
SIZE = 64
DAYS = ["2026-11-02", "2026-11-03", "2026-11-04", "2026-11-05", "2026-11-06", "2026-11-07"]
DRIFT_DAY = "2026-11-09"  # the Monday after the ring light's LED board was replaced
LOTS_PER_DAY = 2
PER_LOT = 30  # 20 good + 10 defective parts per lot (a defect-enriched collection, not the production mix)
DEFECTS_PER_LOT = 10
TYPES = ["scratch", "dent", "stain"]
RESHOOT_SHARE = 0.2  # defective parts photographed twice (re-seated in the fixture for a second look)


def texture(rng: np.random.Generator, grain: float, angle: float) -> np.ndarray:
    """Brushed metal: white noise smeared along the brushing direction, plus fine isotropic noise."""
    big = rng.normal(0, 1, (SIZE * 2, SIZE * 2))
    streaks = ndimage.gaussian_filter(big, sigma=(0.6, 7.0))
    streaks = ndimage.rotate(streaks, angle, reshape=False, order=1, mode="reflect")
    streaks = streaks[SIZE // 2 : SIZE // 2 + SIZE, SIZE // 2 : SIZE // 2 + SIZE]
    streaks /= streaks.std()
    return grain * streaks + 2.0 * rng.normal(0, 1, (SIZE, SIZE))


def illumination(rng: np.random.Generator, level: float, tilt: float) -> np.ndarray:
    """Ring light seen on a flat plate: a slight vignette and a small left-right tilt."""
    y, x = np.mgrid[0:SIZE, 0:SIZE] / (SIZE - 1) - 0.5
    return level * (1 - 0.12 * (x**2 + y**2)) + tilt * x * 20 + rng.normal(0, 1.0)


def add_scratch(rng, img, severity):
    angle = rng.uniform(25, 155) * np.pi / 180
    length = rng.uniform(14, 34)
    cx, cy = rng.uniform(16, 48, 2)
    t = np.linspace(-length / 2, length / 2, 200)
    xs, ys = cx + t * np.cos(angle), cy + t * np.sin(angle)
    canvas = np.zeros((SIZE, SIZE))
    canvas[np.clip(ys.round().astype(int), 0, SIZE - 1), np.clip(xs.round().astype(int), 0, SIZE - 1)] = 1
    canvas = ndimage.gaussian_filter(canvas, 0.6)
    canvas /= canvas.max()
    img += severity * 34 * canvas
    return bbox(canvas > 0.2)


def add_dent(rng, img, severity):
    r = rng.uniform(3.5, 6.5)
    cx, cy = rng.uniform(12, 52, 2)
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    bowl = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r**2))
    light = rng.uniform(0, 2 * np.pi)  # the dent's rim catches the light on one side and shades the other
    shade = -(np.cos(light) * (x - cx) + np.sin(light) * (y - cy)) / r * bowl
    img += severity * 40 * shade
    return bbox(bowl > 0.15)


def add_stain(rng, img, severity):
    r = rng.uniform(5, 10)
    cx, cy = rng.uniform(14, 50, 2)
    y, x = np.mgrid[0:SIZE, 0:SIZE]
    blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r**2))
    blob *= 1 + 0.5 * ndimage.gaussian_filter(rng.normal(0, 1, (SIZE, SIZE)), 3) / 0.1
    blob = ndimage.gaussian_filter(np.clip(blob, 0, None), 1.5)
    blob /= blob.max()
    img -= severity * 34 * blob
    return bbox(blob > 0.25)


def bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()), int(ys.max())


ADDERS = {"scratch": add_scratch, "dent": add_dent, "stain": add_stain}


def save(img: np.ndarray, path: Path) -> None:
    Image.fromarray(np.clip(img, 0, 255).round().astype(np.uint8), mode="L").save(path, optimize=True)


def make_part(rng, lot, kind, severity, *, gain=1.0, gradient=0.0):
    base = texture(rng, lot["grain"], lot["angle"]) + illumination(rng, lot["level"], lot["tilt"])
    box = ADDERS[kind](rng, base, severity) if kind != "ok" else None
    if gain != 1.0 or gradient:
        y, x = np.mgrid[0:SIZE, 0:SIZE] / (SIZE - 1)
        base = base * gain * (1 - gradient * x)
    return base, box


def rater_label(rng, kind, severity, clear_rule: bool) -> str:
    """A rater's call. Faint defects are where raters disagree; the guideline (clear_rule) narrows that band."""
    band = (0.35, 0.55) if clear_rule else (0.35, 0.8)
    if kind == "ok":
        slip = 0.02 if clear_rule else 0.08  # calling texture streaks a scratch
        return str(rng.choice(TYPES)) if rng.random() < slip else "ok"
    if severity < band[0]:
        return "ok" if rng.random() < 0.8 else kind
    if severity < band[1]:
        p_ok = 0.15 if clear_rule else 0.45
        if rng.random() < p_ok:
            return "ok"
    if not clear_rule and kind in ("dent", "stain") and rng.random() < 0.2:
        return "stain" if kind == "dent" else "dent"  # a shallow dent and a dull stain look alike without a rule
    return kind


def main(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    (out / "images").mkdir(parents=True, exist_ok=True)
    for old in (out / "images").glob("*.png"):
        old.unlink()
    rows, truth = [], []
    lots = []
    for d, day in enumerate([*DAYS, DRIFT_DAY]):
        for k in range(LOTS_PER_DAY):
            lots.append(
                {
                    "lot": f"L{d * LOTS_PER_DAY + k + 1:02d}",
                    "day": day,
                    "grain": rng.uniform(6.0, 9.0),
                    "angle": rng.uniform(-4, 4),
                    "level": rng.uniform(122, 138),
                    "tilt": rng.uniform(-0.15, 0.15),
                }
            )
    part_no = 0
    for lot in lots:
        drift = lot["day"] == DRIFT_DAY
        n_parts = 24 if drift else PER_LOT
        n_defects = 4 if drift else DEFECTS_PER_LOT
        kinds = ["ok"] * (n_parts - n_defects) + [TYPES[i % 3] for i in range(n_defects)]
        kinds = list(rng.permutation(kinds))
        for kind in kinds:
            part_no += 1
            severity = float(rng.uniform(0.25, 1.0)) if kind != "ok" else 0.0
            shots = 2 if kind != "ok" and not drift and rng.random() < RESHOOT_SHARE else 1
            state = rng.bit_generator.state
            for shot in range(shots):
                rng.bit_generator.state = state  # the same part: same surface and defect ...
                img, box = make_part(
                    rng, lot, kind, severity, gain=0.78 if drift else 1.0, gradient=0.25 if drift else 0.0
                )
                if shot:  # ... re-seated: shifted a pixel or two, with fresh sensor noise
                    img = np.roll(img, (1, 2), axis=(0, 1)) + np.random.default_rng(part_no).normal(0, 1.5, img.shape)
                    box = (box[0] + 2, box[1] + 1, min(box[2] + 2, 63), min(box[3] + 1, 63))
                name = f"{lot['lot']}-{part_no:04d}-{shot + 1}.png"
                save(img, out / "images" / name)
                x0, y0, x1, y1 = box if box else ("", "", "", "")
                rows.append(
                    [name, lot["lot"], lot["day"], f"P{part_no:04d}", shot + 1, kind, int(kind != "ok"), x0, y0, x1, y1]
                )
                truth.append((name, kind, severity))
    header = "file,lot,day,part_id,shot,defect_type,defect,x0,y0,x1,y1"
    write_csv(out / "images.csv", header, rows)

    # Two inspectors label a defect-enriched sample twice: before (v1) and after (v2) the labelling guideline.
    pool = [t for t in truth if not t[0].startswith(("L13", "L14")) and t[0].endswith("-1.png")]
    defects = [t for t in pool if t[1] != "ok"]
    goods = [t for t in pool if t[1] == "ok"]
    pick = sorted(rng.choice(len(defects), 60, replace=False))
    pick_ok = sorted(rng.choice(len(goods), 60, replace=False))
    sample = [defects[i] for i in pick] + [goods[i] for i in pick_ok]
    sample = [sample[i] for i in rng.permutation(len(sample))]
    label_rows = []
    for name, kind, severity in sample:
        label_rows.append([name, *(rater_label(rng, kind, severity, rule) for rule in (False, False, True, True))])
    write_csv(out / "rater_labels.csv", "file,rater_a_v1,rater_b_v1,rater_a_v2,rater_b_v2", label_rows)


def write_csv(path: Path, header: str, rows: list[list]) -> None:
    lines = [header] + [",".join(str(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "data")
