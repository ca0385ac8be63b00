"""Errors the command-line tool reports in one line, without a traceback."""


class CourseError(Exception):
    """A problem the user can fix: bad input, a missing or corrupt file."""


class CheckpointError(CourseError):
    """A checkpoint is missing, truncated, altered or does not match its config."""
