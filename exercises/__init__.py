"""Learner stubs, generated from ``solutions/`` by ``course exercises build`` and
committed. Edit these files; the autograder grades them."""
