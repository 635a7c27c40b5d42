"""Prints, for each params file given, the values DVC loads from it (one JSON line each)."""

import json
import sys

from dvc.utils.serialize import load_path
from dvc_objects.fs.local import LocalFileSystem


def default(value):
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


for path in sys.argv[1:]:
    try:
        print(json.dumps({"value": load_path(path, LocalFileSystem())}, default=default))
    except Exception as exc:  # noqa: BLE001
        print(json.dumps({"error": type(exc).__name__}))
