"""``pytest autograder`` grades the exercises; ``pytest autograder --impl solutions``
grades the references. Each exercise is one test; grading is ``course check``'s."""

import pytest


def pytest_addoption(parser):
    parser.addoption(
        "--impl", choices=("exercises", "solutions"), default="exercises",
        help="grade the learner's exercises (default) or the reference solutions",
    )  # fmt: skip


def pytest_generate_tests(metafunc):
    if "exercise_id" in metafunc.fixturenames:
        import importlib

        from course.chapters import CHAPTERS

        # From the checks, not from solutions/: a learner's kit has no solutions.
        ids = [
            (slug, check.exercise)
            for slug in CHAPTERS
            for check in importlib.import_module(f"autograder.checks.{slug}").CHECKS
        ]
        metafunc.parametrize("exercise_id", ids, ids=[f"{s}.{n}" for s, n in ids])


@pytest.fixture(scope="session")
def graded(request):
    """Grades each chapter once, in one worker, however many of its tests run."""
    from autograder.runner import grade_chapter

    impl, cache = request.config.getoption("--impl"), {}

    def get(slug: str):
        if slug not in cache:
            cache[slug] = {r.exercise: r for r in grade_chapter(slug, impl).exercises}
        return cache[slug]

    return get
