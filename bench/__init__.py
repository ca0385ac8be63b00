"""Benchmarks, run by ``course bench``: ratios against baselines measured in the same run."""
