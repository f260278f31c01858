"""Wrong or defensible answers to the sensor course's exercises, run against the hidden tests.

Each wrong answer below passed every test of an earlier version of the notebooks; the hidden tests must now
reject it, while a defensible answer that follows the lesson must pass.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from tests.content.notebooks import execute

COURSE = Path(__file__).resolve().parents[2] / "courses" / "sensor-defect-prediction"
SOLUTION = re.compile(r"(### BEGIN SOLUTION\n).*?(\n[ \t]*### END SOLUTION)", re.S)


def _run_with_answer(notebook: str, grade_id: str, answer: str) -> dict[str, bool]:
    """Put `answer` in place of the reference solution of cell `grade_id`; return {test cell: passed}."""
    nb = nbformat.read(COURSE / "exercises" / notebook, as_version=4)
    cell = next(c for c in nb.cells if c.metadata["nbgrader"]["grade_id"] == grade_id)
    cell.source, n = SOLUTION.subn(lambda m: m.group(1) + answer.strip("\n") + m.group(2), cell.source)
    assert n == 1
    nb = execute(nb, COURSE / "exercises", allow_errors=True)
    graded = [c for c in nb.cells if c.metadata["nbgrader"].get("grade") and not c.metadata["nbgrader"]["solution"]]
    return {
        c.metadata["nbgrader"]["grade_id"]: not any(o.get("output_type") == "error" for o in c.outputs) for c in graded
    }


# The answer most learners wrote before: clip the spikes, then interpolate short gaps per machine. Interpolation
# takes the value after the gap too: a value nobody knows yet when the part is scored (lesson 02's leakage).
INTERPOLATE_AS_BEFORE = """
    df = df.copy()
    df.loc[~df["spindle_temp_c"].between(0, 100), "spindle_temp_c"] = np.nan
    df.loc[df["spindle_rpm"] <= 0, "spindle_rpm"] = np.nan
    df["vibration_mm_s"] = df["vibration_mm_s"].clip(upper=VIB_LIMIT)
    df = df.sort_values(["machine", "timestamp"]).reset_index(drop=True)
    df[SENSORS] = df.groupby("machine")[SENSORS].transform(lambda s: s.interpolate(limit=3, limit_area="inside"))
    return df
"""

# The same mistake under today's rules: spikes to NaN, long gaps left empty, but short gaps interpolated.
INTERPOLATE_SHORT_GAPS = """
    def fill(s):
        missing = s.isna()
        run = missing.ne(missing.shift()).cumsum()
        run_length = missing.groupby(run).transform("sum")
        return s.interpolate(limit_area="inside").where(~missing | (run_length <= MAX_GAP))

    df = df.copy()
    df.loc[~df["spindle_temp_c"].between(0, 100), "spindle_temp_c"] = np.nan
    df.loc[df["spindle_rpm"] <= 0, "spindle_rpm"] = np.nan
    df.loc[df["vibration_mm_s"] > VIB_LIMIT, "vibration_mm_s"] = np.nan
    df = df.sort_values(["machine", "timestamp"]).reset_index(drop=True)
    for col in SENSORS:
        df[col] = df.groupby("machine")[col].transform(fill)
    return df
"""

# A defensible answer written differently from the reference: spikes become missing values (they do not describe
# the process) and each short gap takes the last value measured before it, with an explicit loop.
DEFENSIBLE_LOOP = """
    df = df.copy()
    df["spindle_temp_c"] = df["spindle_temp_c"].where(df["spindle_temp_c"].between(0, 100))
    df["spindle_rpm"] = df["spindle_rpm"].mask(df["spindle_rpm"] <= 0)
    df["vibration_mm_s"] = df["vibration_mm_s"].mask(df["vibration_mm_s"] > VIB_LIMIT)
    df = df.sort_values(["machine", "timestamp"]).reset_index(drop=True)
    for col in SENSORS:
        values = df[col].to_numpy(copy=True)
        for _, idx in df.groupby("machine").indices.items():
            i = 0
            while i < len(idx):
                if np.isnan(values[idx[i]]):
                    j = i
                    while j < len(idx) and np.isnan(values[idx[j]]):
                        j += 1
                    if i > 0 and j - i <= MAX_GAP:
                        values[idx[i:j]] = values[idx[i - 1]]
                    i = j
                else:
                    i += 1
        df[col] = values
    return df
"""

# Window features without sorting first: right only while the input happens to be sorted by machine and time.
# After lesson 04's merge_asof tip the rows come in time order and every feature lands on another part.
WINDOW_WITHOUT_SORT = """
    df = df.reset_index(drop=True)
    g = df.set_index("timestamp").groupby("machine")
    df["vibration_mean_1h"] = g["vibration_mm_s"].rolling("1h").mean().to_numpy()
    df["current_mean_1h"] = g["motor_current_a"].rolling("1h").mean().to_numpy()
    df["temp_max_1h"] = g["spindle_temp_c"].rolling("1h").max().to_numpy()
    df["pressure_min_1h"] = g["coolant_pressure_bar"].rolling("1h").min().to_numpy()
    df["vibration_mean_4h"] = g["vibration_mm_s"].rolling("4h").mean().to_numpy()
    df["night_shift"] = (df["shift"] == "C").astype(int)
    return df
"""


@pytest.mark.parametrize("answer", [INTERPOLATE_AS_BEFORE, INTERPOLATE_SHORT_GAPS], ids=["as-before", "short-gaps"])
def test_interpolating_gaps_with_future_values_fails_the_cleaning_tests(answer):
    results = _run_with_answer("01-load-clean.ipynb", "ex1-clean", answer)
    assert results["ex1-test-clean"] is False
    assert results["ex1-test-load-log"] and results["ex1-test-missing"]


def test_spikes_as_missing_values_written_another_way_passes():
    results = _run_with_answer("01-load-clean.ipynb", "ex1-clean", DEFENSIBLE_LOOP)
    assert all(results.values()), results


def test_window_features_without_sorting_fail_on_time_ordered_input():
    results = _run_with_answer("02-window-features-model.ipynb", "ex2-features", WINDOW_WITHOUT_SORT)
    assert results["ex2-test-features"] is False
