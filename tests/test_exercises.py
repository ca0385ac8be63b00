"""The exercise pipeline: stubs generated from solutions, committed in sync, and never
overwriting a learner's edits."""

import importlib
import inspect
import typing

import pytest

from autograder import stubs
from autograder.paths import module_file
from course.chapters import CHAPTERS
from course.errors import CourseError
from course.exercise import exercises_in
from course.model import AttnOnlyTransformer  # an exercise may take the model itself


@pytest.mark.parametrize("slug", CHAPTERS)
def test_committed_stubs_are_in_sync(slug):
    assert module_file("exercises", slug).read_text() == stubs.stub_source(slug), (
        f"exercises/{slug}.py is out of date: run `course exercises build {slug}`"
    )


@pytest.mark.parametrize("slug", CHAPTERS)
def test_every_exercise_has_a_stub_a_check_and_a_card(slug):
    solution = importlib.import_module(f"solutions.{slug}")
    stub = importlib.import_module(f"exercises.{slug}")
    checks = {c.exercise for c in importlib.import_module(f"autograder.checks.{slug}").CHECKS}
    ref = exercises_in(solution)
    assert ref and list(ref) == list(exercises_in(stub)) and set(ref) == checks
    stub_fns = exercises_in(stub)  # methods as Class.method, properties by their getter

    def signature(f, package: str) -> str:  # the module's own classes, named without their module
        return str(inspect.signature(f)).replace(f"{package}.{slug}.", "")

    for name, fn in ref.items():
        stub_fn = stub_fns[name]
        assert signature(stub_fn, "exercises") == signature(fn, "solutions")
        assert stub_fn.__doc__ == fn.__doc__ and len(fn.__doc__) > 80
        hints = typing.get_type_hints(fn)
        assert "return" in hints and all(
            "jaxtyping" in repr(h)
            or h in (int, float, bool, AttnOnlyTransformer, typing.Self)
            or getattr(h, "__module__", None) == solution.__name__  # a class the chapter defines
            for h in hints.values()
        ), hints
        with pytest.raises(NotImplementedError, match=rf"{slug}.{name}: not attempted yet. See the docs"):
            stub_fn(*[None] * len(inspect.signature(fn).parameters))
        card = fn.__exercise__
        assert 1 <= card.difficulty <= 5 and 1 <= card.importance <= 5 and card.minutes > 0


def test_build_never_overwrites_an_edited_stub(tmp_path):
    first = stubs.build("residual_stream", directory=tmp_path)
    assert first.action == "written"
    assert stubs.build("residual_stream", directory=tmp_path).action == "unchanged"

    path = tmp_path / "residual_stream.py"
    edited = path.read_text().replace("raise NotImplementedError(", "return 42  # (", 1)
    path.write_text(edited)
    with pytest.raises(CourseError, match=rf"{path} has your edits.*--new.*--force"):
        stubs.build("residual_stream", directory=tmp_path)
    assert path.read_text() == edited

    assert stubs.build("residual_stream", directory=tmp_path, new=True).action == "new"
    assert path.read_text() == edited
    assert (tmp_path / "residual_stream.py.new").read_text() == stubs.stub_source("residual_stream")

    assert stubs.build("residual_stream", directory=tmp_path, force=True).action == "forced"
    assert (tmp_path / "residual_stream.py.bak").read_text() == edited
    assert path.read_text() == stubs.stub_source("residual_stream")


def test_an_untouched_stub_from_an_older_build_is_replaced(tmp_path):
    path = tmp_path / "residual_stream.py"
    fresh = stubs.stub_source("residual_stream")
    older_body = fresh.split("\n", 1)[1].replace("Replace each", "Replace every")
    path.write_text(stubs.stamp(older_body))
    assert stubs.build("residual_stream", directory=tmp_path).action == "written"
    assert path.read_text() == fresh and not stubs.is_edited(fresh)


def test_exercises_build_cli_on_an_unknown_chapter(user_env):
    import subprocess

    out = subprocess.run(
        ["course", "exercises", "build", "nope"], capture_output=True, text=True, env=user_env
    )
    assert out.returncode == 1 and "no chapter named 'nope'" in out.stderr and "residual_stream" in out.stderr
