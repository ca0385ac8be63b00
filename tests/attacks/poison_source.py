"""Write a fake grader into source/<assignment>/, which the next release would ship."""

BODY = """
    import pathlib
    for folder in pathlib.Path("/tmp").glob("**/source/zero_layer"):
        try:
            (folder / "autograder.py").write_text("def check(*a, **k): pass\\n")
        except OSError:
            pass
"""


def harmless(course, before):
    assert sorted(p.name for p in (course / "source" / "zero_layer").iterdir()) == ["zero_layer.ipynb"]
