"""The autograder: one check per exercise, ``course check``, and the nbgrader builder."""
