"""One module per chapter, each with ``MUTATIONS``: exercise → [(label, (old, new), message)]."""
