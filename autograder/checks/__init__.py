"""One module per chapter, each with ``CHECKS``: one ``Check`` per exercise."""
