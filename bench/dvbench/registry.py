"""Scenarios of other repositories as data sources: a registry repository (dataset `many` as
`images`, ten small tracked directories `d0`..`d9`, a local remote it was pushed to) read through
a `file://` URL, so both tools go through git as for a remote registry: ten `import` calls of
different paths, `ls -R` and `get` of the large directory. The registry is built with dv."""

from .history import commit, setup_tool


def registry(ws):
    """Builds the registry in the scratch directory; returns its `file://` URL."""
    reg = ws.scratch / "registry"
    reg.mkdir(parents=True)
    tool = setup_tool(ws)
    ws.sh("cp", "-R", "--reflink=auto", ws.ctx.data.many(), reg / "images")
    for d in range(10):
        sub = reg / f"d{d}"
        sub.mkdir()
        for i in range(10):
            (sub / f"f{i}.txt").write_text(f"dir {d} file {i}\n")
    ws.sh("git", "init", "-q", cwd=reg)
    ws.sh(tool, "init", "-q", cwd=reg)
    ws.sh(tool, "add", "-q", "images", *[f"d{d}" for d in range(10)], cwd=reg)
    ws.sh(tool, "remote", "add", "-q", "-d", "store", str(ws.scratch / "remote"), cwd=reg)
    ws.sh(tool, "push", "-q", cwd=reg)
    ws.sh("git", "add", "-A", cwd=reg)
    ws.sh("git", "commit", "-q", "-m", "registry", cwd=reg)
    return f"file://{reg}"


def project(ws):
    ws.init_repo()
    commit(ws, "init", 0)


def sc_import_ten(ws):
    url = registry(ws)
    project(ws)
    ws.timed_loop([["import", url, f"d{d}"] for d in range(10)], what="import URL dN (x10)")
    # The registry's commit (and so `rev_lock` and the stage md5) differs per tool.
    text = (ws.repo / "d7.dvc").read_text().replace(url, "URL")
    ws.facts["d7.dvc outs"] = text.split("outs:", 1)[-1]


def sc_ls_many(ws):
    url = registry(ws)
    m = ws.timed("ls", "-R", url, "images")
    ws.facts["lines"] = len(m.stdout.splitlines())


def sc_get_many(ws):
    url = registry(ws)
    ws.scratch.joinpath("out").mkdir()
    m = ws.timed("get", url, "images", "-o", ws.scratch / "out" / "images")
    ws.facts["stdout"] = m.stdout
    ws.facts["files"] = sum(1 for p in (ws.scratch / "out" / "images").rglob("*") if p.is_file())


# name: (function, what it measures, target for dvc/dv, S3 needed)
REGISTRY_SCENARIOS = {
    "import-10-paths": (sc_import_ten, "import of 10 different paths of one registry (file:// "
                        "URL), one call each", ">=20x", False),
    "ls-R-registry": (sc_ls_many, "ls -R of dataset `many` tracked in a registry", ">=20x",
                      False),
    "get-registry": (sc_get_many, "get of dataset `many` from a registry with a local remote",
                     ">=5x", False),
}
