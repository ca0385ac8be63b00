"""Learner code that writes its own replies into the worker's channel (the file
descriptor is in the worker's argv) gains nothing: the judge reads each answer's
structure from its value, so a forged "complete, empty tuple" is one more wrong answer."""

from autograder.runner import grade_chapter

FORGER = """
import sys
from multiprocessing.connection import Connection

from autograder.wire import encode

_channel = Connection(int(sys.argv[1]))
_FORGED = {"status": "ok", "output": [], "meta": {"kind": "tuple", "items": []}, "inputs_after": {}}


def _forge(*args, **kwargs):
    _channel.send_bytes(encode([_FORGED]))  # one reply stands for every case
    return []


bigram_counts = bigram_log_probs = zero_layer_logits = table_cross_entropy = _forge
gap_closed = best_rank_k = top_next_tokens = _forge
"""


def test_forged_replies_score_nothing(tmp_path):
    path = tmp_path / "zero_layer.py"
    path.write_text(FORGER)
    result = grade_chapter("zero_layer", path=path, time_limit=20)
    assert all(r.status == "failed" and r.points == 0 for r in result.exercises), [
        (r.exercise, r.status, r.messages[:1]) for r in result.exercises
    ]
