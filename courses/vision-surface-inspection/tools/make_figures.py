"""Draw images/samples.png, a montage of shipped images (good, scratch, dent, stain, and after the lighting change).

Run after tools/make_images.py:   python tools/make_figures.py      (needs pandas and Pillow)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

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


if __name__ == "__main__":
    main()
