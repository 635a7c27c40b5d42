"""Paths of the bench and the repository, progress logging and the failure of a step.
"""

import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = BENCH_DIR.parent


def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def first_line(text):
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return ""


class StepFailed(Exception):
    """A command of a scenario (setup or timed) failed; the message is what the table shows."""
