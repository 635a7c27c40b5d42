"""Facts gathered after the timed command, compared between the tools.
"""

import hashlib
import os
from pathlib import Path


def read_text(path):
    try:
        return Path(path).read_text()
    except OSError:
        return None


def count_files(root):
    return sum(len(files) for _, _, files in os.walk(root))


def listing_digest(root):
    """Sorted relative paths and sizes of every file under root, hashed (remote layout)."""
    entries = []
    for dirpath, _, filenames in os.walk(root):
        for name in filenames:
            path = Path(dirpath) / name
            entries.append(f"{path.relative_to(root)} {path.stat().st_size}")
    entries.sort()
    return f"{hashlib.md5(chr(10).join(entries).encode()).hexdigest()} ({len(entries)} files)"


def s3_digest(ws, bucket, prefix):
    listing = ws.moto.util("list", bucket, prefix)
    lines = [line[len(prefix):] for line in listing.splitlines()]
    return f"{hashlib.md5(chr(10).join(lines).encode()).hexdigest()} ({len(lines)} objects)"


def md5_line(dvcfile_text):
    for line in (dvcfile_text or "").splitlines():
        if line.strip().startswith("- md5:") or line.strip().startswith("md5:"):
            return line.strip().lstrip("- ")
    return None
