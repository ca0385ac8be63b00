"""Reference implementations, one module per chapter. Each answer sits between
nbgrader's ``### BEGIN SOLUTION`` and ``### END SOLUTION`` markers, so that the learner
stubs in ``exercises/`` and the nbgrader notebooks are generated from these files."""
