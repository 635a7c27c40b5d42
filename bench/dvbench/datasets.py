"""The scales and the datasets, generated once per run; content is deterministic and differs
from file to file.
"""

import hashlib
import os
import random
from pathlib import Path

from .common import log

SCALES = {
    # many: (files, directories, bytes per file); large: (file count, bytes per file);
    # imports: objects for the import-url loop; startup: `--version` runs.
    "small": {"many": (2_000, 20, 4096), "large": (2, 32 << 20), "imports": 200, "startup": 20},
    "full": {"many": (100_000, 100, 4096), "large": (2, 1 << 30), "imports": 5_000, "startup": 20},
}


def tree_digest(root):
    """md5 over (relative path, content) of every file under root, in sorted order."""
    digest = hashlib.md5()
    count = 0
    root = Path(root)
    if not root.exists():
        return "missing"
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for name in sorted(filenames):
            path = Path(dirpath) / name
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            with open(path, "rb") as handle:
                while chunk := handle.read(1 << 20):
                    digest.update(chunk)
            count += 1
    return f"{digest.hexdigest()} ({count} files)"


class Datasets:
    def __init__(self, root, scale):
        self.root = root
        self.scale = scale
        self.digests = {}

    def many(self):
        path = self.root / "many" / "data"
        if not path.exists():
            files, dirs, size = self.scale["many"]
            log(f"generating dataset many: {files} files of {size} B in {dirs} directories")
            rng = random.Random(20240001)
            for d in range(dirs):
                directory = path / f"dir{d:03d}"
                directory.mkdir(parents=True)
                for f in range(files // dirs):
                    (directory / f"file{f:05d}.bin").write_bytes(rng.randbytes(size))
            self.digests["many"] = tree_digest(path)
        return path

    def large(self):
        path = self.root / "large"
        if not path.exists():
            count, size = self.scale["large"]
            log(f"generating dataset large: {count} files of {size >> 20} MiB")
            path.mkdir(parents=True)
            rng = random.Random(20240002)
            for i in range(1, count + 1):
                with open(path / f"big{i}", "wb") as handle:
                    remaining = size
                    while remaining:
                        chunk = min(remaining, 8 << 20)
                        handle.write(rng.randbytes(chunk))
                        remaining -= chunk
                self.digests[f"big{i}"] = tree_digest_file(path / f"big{i}")
        return path


def tree_digest_file(path):
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
