"""The benchmarks' verdict (tests/benchmarks/targets.py): a ratio is judged at its target in both modes, an
absolute time at its target in full mode and with 2× slack in quick mode; any miss exits 1."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
from targets import Target, finish  # noqa: E402

RATIO = Target("b.ratio", 0.98, most=False)
TIME = Target("edit_ms", 16, time=True)


@pytest.mark.parametrize("quick", [False, True])
def test_a_ratio_below_its_target_fails_in_both_modes(quick, capsys):
    with pytest.raises(SystemExit) as exit_:
        finish({"b": {"ratio": 0.97}, "edit_ms": 10}, [RATIO, TIME], quick)
    assert exit_.value.code == 1
    assert "b.ratio = 0.97, target at least 0.98" in capsys.readouterr().err


def test_a_time_past_its_target_fails_in_full_mode_and_within_slack_passes_quick(capsys):
    with pytest.raises(SystemExit) as exit_:
        finish({"b": {"ratio": 1.0}, "edit_ms": 20}, [RATIO, TIME], quick=False)
    assert exit_.value.code == 1 and "edit_ms = 20, target at most 16" in capsys.readouterr().err
    finish({"b": {"ratio": 1.0}, "edit_ms": 20}, [RATIO, TIME], quick=True)  # within 2×: no exit
    out = capsys.readouterr().out
    assert '"edit_ms": "\\u2264 16 (absolute time: --quick fails past 2\\u00d7)"' in out
    with pytest.raises(SystemExit):
        finish({"b": {"ratio": 1.0}, "edit_ms": 33}, [RATIO, TIME], quick=True)
    assert "edit_ms = 33, target at most 16 (fails past 32)" in capsys.readouterr().err
