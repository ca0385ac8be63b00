"""Overwrite every other submitted notebook with an empty one."""

BODY = """
    import pathlib
    for nb in pathlib.Path("/tmp").glob("**/submitted/*/zero_layer/zero_layer.ipynb"):
        try:
            nb.write_text("{}")
        except OSError:
            pass
"""


def harmless(course, before):
    for path, text in before.items():
        if "/submitted/" in path:
            assert (course / path).read_text() == text, path
