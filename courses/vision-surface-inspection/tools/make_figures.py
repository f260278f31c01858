"""Draw images/samples.png (a montage of shipped images) and images/distance-maps.png (the patch detector's maps).

Run after tools/make_images.py:   python tools/make_figures.py      (needs numpy, scipy, pandas, scikit-learn, Pillow)
The distance maps are computed exactly as in exercise 2 (8x8 patches, stride 4, good training patches only).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw
from scipy import ndimage
from sklearn.neighbors import NearestNeighbors

HERE = Path(__file__).resolve().parent.parent
ROWS = [("ok", False), ("scratch", False), ("dent", False), ("stain", False), ("ok", True)]
PER_ROW, SCALE, GAP = 6, 2, 4


def main() -> None:
    meta = pd.read_csv(HERE / "data" / "images.csv")
    meta = meta[meta["shot"] == 1]
    tile = 64 * SCALE
    canvas = np.full((len(ROWS) * (tile + GAP) - GAP, PER_ROW * (tile + GAP) - GAP), 255, dtype=np.uint8)
    for r, (kind, drift) in enumerate(ROWS):
        rows = meta[(meta["defect_type"] == kind) & ((meta["day"] == "2026-11-09") == drift)]
        rows = rows.sort_values("file").iloc[:: max(1, len(rows) // PER_ROW)].iloc[:PER_ROW]
        for c, name in enumerate(rows["file"]):
            img = Image.open(HERE / "data" / "images" / name).resize((tile, tile), Image.NEAREST)
            y, x = r * (tile + GAP), c * (tile + GAP)
            canvas[y : y + tile, x : x + tile] = np.asarray(img)
    Image.fromarray(canvas, mode="L").save(HERE / "images" / "samples.png", optimize=True)


def patch_features(img: np.ndarray, size: int = 8, stride: int = 4) -> np.ndarray:
    img = np.asarray(img, dtype=float)
    gy, gx = np.gradient(img)
    mean = ndimage.uniform_filter(img, size)
    std = np.sqrt(np.clip(ndimage.uniform_filter(img**2, size) - mean**2, 0, None))
    ax, ay = ndimage.uniform_filter(np.abs(gx), size), ndimage.uniform_filter(np.abs(gy), size)
    centre = slice(size // 2, img.shape[0] - size // 2 + 1, stride)
    return np.stack([f[centre, centre] for f in (mean, std, ax, ay)], axis=-1).reshape(-1, 4)


def distance_maps() -> None:
    meta = pd.read_csv(HERE / "data" / "images.csv")
    load = lambda name: np.asarray(Image.open(HERE / "data" / "images" / name), dtype=float)  # noqa: E731
    good = meta[meta["day"].isin(["2026-11-02", "2026-11-03", "2026-11-04"]) & (meta["defect"] == 0)]
    bank = np.concatenate([patch_features(load(name)) for name in good["file"]])
    scale = bank.std(axis=0)
    nn = NearestNeighbors(n_neighbors=1).fit(bank / scale)
    test = meta[meta["day"].isin(["2026-11-06", "2026-11-07"]) & (meta["shot"] == 1)]
    picks = [test[test["defect_type"] == kind].iloc[0] for kind in ("scratch", "dent", "stain")]
    picks.append(test[test["defect_type"] == "ok"].iloc[0])
    tile = 128
    canvas = Image.new("L", (len(picks) * (tile + GAP) - GAP, 2 * tile + GAP), 255)
    for c, row in enumerate(picks):
        img = load(row["file"])
        dist = nn.kneighbors(patch_features(img) / scale)[0].reshape(15, 15)
        # Each distance belongs to its patch centre (4, 8, ..., 60): a 4x4 block around it, aligned with the image.
        heat = np.pad(np.kron(dist, np.ones((4, 4))), 2, mode="edge")
        heat = np.clip(heat / 6.0 * 255, 0, 255).astype(np.uint8)  # the same grey scale for every map: 0 to 6
        top = Image.fromarray(img.astype(np.uint8), mode="L").resize((tile, tile), Image.NEAREST)
        bottom = Image.fromarray(heat, mode="L").resize((tile, tile), Image.NEAREST)
        for part in (top, bottom):
            if row["defect"] == 1:
                box = [row["x0"] * 2, row["y0"] * 2, row["x1"] * 2 + 1, row["y1"] * 2 + 1]
                ImageDraw.Draw(part).rectangle(box, outline=255 if part is bottom else 0)
        x = c * (tile + GAP)
        canvas.paste(top, (x, 0))
        canvas.paste(bottom, (x, tile + GAP))
    canvas.save(HERE / "images" / "distance-maps.png", optimize=True)


if __name__ == "__main__":
    main()
    distance_maps()
