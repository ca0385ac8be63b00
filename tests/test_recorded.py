"""The runs the models page compares against, recorded by course.recorded: the records are what
their code measures, and say what was run."""

import subprocess

import pytest

from course import heldout, recorded
from course.dataset import load_streams


def test_old_record_is_what_the_old_checkpoint_measures_today():
    """Re-measured from git history on today's test sets, the superseded 2L gives the recorded
    numbers (skipped outside a git clone that holds the old commit)."""
    try:
        fresh = recorded.measure_old()
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        pytest.skip(f"the old checkpoint is not in reach of git here ({e})")
    old = recorded.load_old()
    assert old["commit"] == recorded.OLD_COMMIT and old["train"] == fresh["train"]
    assert old["corpus_sha256"] == load_streams().corpus_sha256
    for name, m in fresh["results"].items():
        assert m == pytest.approx(old["results"][name], abs=1e-5), name


def test_natural_text_record_is_natural_text_alone():
    cfg, rows = recorded.load_natural()
    assert cfg == recorded.NATURAL_RECIPE
    assert cfg.random_repeat_frac == cfg.text_repeat_frac == 0
    steps = [r["step"] for r in rows]
    assert steps == list(range(0, len(rows) * recorded.NATURAL_EVERY, recorded.NATURAL_EVERY))
    assert all(set(r) >= {name for name, *_ in heldout.BARS} for r in rows)
    # What the models page says of it: general (held-out tokens within 0.05 of all eligible
    # tokens) and far below the bars.
    last = rows[-1]
    assert abs(last["held_out_tokens"]["induction"] - last["eligible"]["induction"]) < 0.05
    assert last["eligible"]["induction"] < heldout.BARS[0][1] - 0.2
