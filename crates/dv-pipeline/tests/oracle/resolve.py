"""Prints, for each case directory given, the stages real DVC resolves from its dvc.yaml.

One JSON line per case: {"stages": [[name, resolved definition], ...]} or {"error": message}.
"""

import json
import os
import sys

from dvc.dvcfile import load_file
from dvc.repo import Repo


def resolve(path):
    Repo.init(path, no_scm=True)
    os.chdir(path)
    repo = Repo(path)
    try:
        dvcfile = load_file(repo, "dvc.yaml")
        names = list(dvcfile.stages)
        stages = [[name, dvcfile.resolver.resolve_one(name)[name]] for name in names]
        return {"stages": stages}
    except Exception as exc:  # noqa: BLE001
        return {"error": str(exc)}
    finally:
        repo.close()


for case in sys.argv[1:]:
    print(json.dumps(resolve(case), default=str))
