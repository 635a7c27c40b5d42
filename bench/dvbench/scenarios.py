"""Scenarios. Each runs untimed setup, exactly one timed step (ws.timed / ws.timed_loop), then
records facts. `ok_*` facts must be true; all facts must agree between dvc and dv, except
`info_*` facts (figures of one tool, reported as they are).
"""

import hashlib
import random
import shutil

from .cluster import CLUSTER_SCENARIOS
from .datasets import tree_digest, tree_digest_file
from .experiments import EXPERIMENT_SCENARIOS
from .facts import count_files, listing_digest, read_text, s3_digest
from .history import HISTORY_SCENARIOS
from .rclone import S3_KEYS, put_objects, timed_with_server_cpu
from .registry import REGISTRY_SCENARIOS
from .s3 import S3_CREDENTIALS


def timed_status(ws):
    """The timed step `status`; its output is a fact."""
    m = ws.timed("status")
    ws.facts["status stdout"] = m.stdout


def timed_repro_of_nothing(ws):
    """The timed step `repro` of an up-to-date pipeline, which must run no stage."""
    m = ws.timed("repro")
    ws.facts["ok_nothing_ran"] = "Running stage" not in m.stdout


def add_many(ws, hardlink=False):
    ws.copy_in(ws.ctx.data.many(), "data")
    ws.init_repo()
    if hardlink:
        ws.run("config", "cache.type", "hardlink")


def add_facts(ws):
    ws.facts["data.dvc"] = read_text(ws.repo / "data.dvc")
    ws.facts["cache objects"] = count_files(ws.repo / ".dvc" / "cache")


def sc_add(ws):
    add_many(ws)
    ws.timed("add", "data")
    add_facts(ws)


def sc_add_hardlink(ws):
    add_many(ws, hardlink=True)
    ws.timed("add", "data")
    add_facts(ws)
    sample = next((ws.repo / "data").rglob("*.bin"))
    ws.facts["ok_workspace_hardlinked"] = sample.stat().st_nlink > 1


def sc_status_noop(ws):
    add_many(ws)
    ws.run("add", "data")
    timed_status(ws)


def sc_readd_unchanged(ws):
    add_many(ws)
    ws.run("add", "data")
    before = read_text(ws.repo / "data.dvc")
    ws.timed("add", "data")
    ws.facts["ok_dvcfile_unchanged"] = read_text(ws.repo / "data.dvc") == before
    ws.facts["data.dvc"] = read_text(ws.repo / "data.dvc")


def sc_status_one_modified(ws):
    add_many(ws)
    ws.run("add", "data")
    victim = ws.repo / "data" / "dir000" / "file00000.bin"
    victim.chmod(0o644)
    victim.write_bytes(random.Random(7).randbytes(4096))
    timed_status(ws)


def sc_checkout_empty(ws):
    add_many(ws)
    ws.run("add", "data")
    shutil.rmtree(ws.repo / "data")
    ws.timed("checkout")
    ws.facts["ok_data_restored"] = tree_digest(ws.repo / "data") == ws.ctx.data.digests["many"]


def sc_add_large(ws):
    source = ws.ctx.data.large()
    names = sorted(p.name for p in source.iterdir())
    for name in names:
        ws.copy_in(source / name, name)
    ws.init_repo()
    ws.timed("add", *names)
    for name in names:
        ws.facts[f"{name}.dvc"] = read_text(ws.repo / f"{name}.dvc")


def use_local_remote(ws):
    """The default remote `r`: the directory `remote` next to the repository."""
    ws.run("remote", "add", "-d", "r", ws.root / "remote")


def use_s3_remote(ws):
    """A loopback S3 server of its own with a bucket `bench`, and the default remote `r` at
    `s3://bench/store` on it (endpoint in the config, keys in `config.local`)."""
    moto = ws.start_moto()
    moto.util("mkbucket", "bench")
    ws.run("remote", "add", "-d", "r", "s3://bench/store")
    ws.run("remote", "modify", "r", "endpointurl", moto.endpoint)
    ws.run("remote", "modify", "--local", "r", "access_key_id", "test")
    ws.run("remote", "modify", "--local", "r", "secret_access_key", "test")


def setup_local_remote(ws):
    add_many(ws)
    ws.run("add", "data")
    use_local_remote(ws)


def sc_push_local(ws):
    setup_local_remote(ws)
    ws.timed("push")
    ws.facts["remote files"] = listing_digest(ws.root / "remote")


def drop_caches(ws):
    """Drop what a fresh clone would not have besides the data: cache, tmp, site cache."""
    for directory in (ws.repo / ".dvc" / "cache", ws.repo / ".dvc" / "tmp",
                      ws.root / "site-cache"):
        shutil.rmtree(directory, ignore_errors=True)
    (ws.root / "site-cache").mkdir()


def make_fresh_clone(ws):
    """Drop everything a fresh clone would not have: workspace data, cache, tmp, site cache."""
    shutil.rmtree(ws.repo / "data")
    drop_caches(ws)


def sc_pull_local(ws):
    setup_local_remote(ws)
    ws.run("push")
    make_fresh_clone(ws)
    ws.timed("pull")
    ws.facts["ok_data_restored"] = tree_digest(ws.repo / "data") == ws.ctx.data.digests["many"]


def sc_status_cloud(ws):
    setup_local_remote(ws)
    ws.run("push")
    m = ws.timed("status", "-c")
    ws.facts["status stdout"] = m.stdout


def setup_s3_remote(ws):
    add_many(ws)
    ws.run("add", "data")
    use_s3_remote(ws)


def many_objects(ws):
    """The objects of dataset `many`: its files and the `.dir` manifest."""
    return ws.ctx.scale["many"][0] + 1


def sc_push_s3(ws):
    setup_s3_remote(ws)
    ws.timed_s3("push", objects=many_objects(ws))
    ws.facts["remote objects"] = s3_digest(ws, "bench", "store/")


def sc_pull_s3(ws):
    setup_s3_remote(ws)
    ws.run("push")
    make_fresh_clone(ws)
    ws.timed_s3("pull", objects=many_objects(ws))
    ws.facts["ok_data_restored"] = tree_digest(ws.repo / "data") == ws.ctx.data.digests["many"]


def add_large(ws):
    """Dataset `large` (two files) added, untimed; returns their names."""
    source = ws.ctx.data.large()
    names = sorted(p.name for p in source.iterdir())
    ws.init_repo()
    for name in names:
        ws.copy_in(source / name, name)
    ws.run("add", *names)
    return names


def large_restored(ws, names):
    return all(tree_digest_file(ws.repo / name) == ws.ctx.data.digests[name] for name in names)


def large_fresh_clone(ws, names):
    for name in names:
        (ws.repo / name).unlink()
    drop_caches(ws)


def sc_push_large_local(ws):
    add_large(ws)
    use_local_remote(ws)
    ws.timed("push")
    ws.facts["remote files"] = listing_digest(ws.root / "remote")


def sc_pull_large_local(ws):
    names = add_large(ws)
    use_local_remote(ws)
    ws.run("push")
    large_fresh_clone(ws, names)
    ws.timed("pull")
    ws.facts["ok_data_restored"] = large_restored(ws, names)


def setup_large_s3(ws):
    names = add_large(ws)
    use_s3_remote(ws)
    return names


def sc_push_large_s3(ws):
    setup_large_s3(ws)
    ws.timed_s3("push", objects=2)
    ws.facts["remote objects"] = s3_digest(ws, "bench", "store/")


def sc_pull_large_s3(ws):
    names = setup_large_s3(ws)
    ws.run("push")
    large_fresh_clone(ws, names)
    ws.timed_s3("pull", objects=len(names))
    ws.facts["ok_data_restored"] = large_restored(ws, names)


def sc_startup(ws):
    runs = ws.ctx.scale["startup"]
    ws.timed_loop([["--version"]] * runs, what="--version")


def setup_import_source(ws):
    count = ws.ctx.scale["imports"]
    moto = ws.start_moto()
    moto.util("mkbucket", "src")
    moto.util("put-objects", "src", "obj_", str(count), "1024", "20240003")
    ws.init_repo()
    (ws.repo / "data").mkdir()
    env = dict(ws.env, AWS_ENDPOINT_URL=moto.endpoint, **S3_CREDENTIALS)
    return count, env


def sc_import_url(ws):
    count, env = setup_import_source(ws)
    argvs = [["import-url", "-q", "--no-download", f"s3://src/obj_{i:05d}", "data/"]
             for i in range(count)]
    ws.timed_loop(argvs, env=env, what="import-url --no-download s3://src/obj_i data/")
    record_imports(ws, count)
    if ws.tool.kind == "dvc":
        ws.ctx.dvc_import_loop = (ws.result, dict(ws.facts))


def sc_import_url_batch(ws):
    """dv registers the whole catalog in one call; dvc has no batch form, so its figure is its
    loop (reused from `import-url-nodownload` when that ran in the same invocation)."""
    if ws.tool.kind == "dvc":
        cached = getattr(ws.ctx, "dvc_import_loop", None)
        if cached is not None:
            ws.result, facts = cached
            ws.facts.update(facts)
            return
        sc_import_url(ws)
        return
    count, env = setup_import_source(ws)
    catalog = ws.root / "catalog.csv"
    catalog.write_text("id,url\n" + "".join(f"{i},s3://src/obj_{i:05d}\n"
                                            for i in range(count)))
    ws.timed("import-url", "-q", "--no-download", "--from-list", catalog, "--column", "url",
             "data/", env=env)
    record_imports(ws, count)


def record_imports(ws, count):
    digest = hashlib.md5()
    files = sorted((ws.repo / "data").glob("*.dvc"))
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    ws.facts[".dvc files"] = f"{digest.hexdigest()} ({len(files)} files)"
    ws.facts["ok_all_imported"] = len(files) == count


def setup_pipeline(ws, stages=200):
    """A chain of `stages` trivial stages (each copies its predecessor's output and appends a
    line), reproduced once, untimed."""
    ws.init_repo()
    lines = ["stages:"]
    for i in range(stages):
        lines.append(f"  s{i:03d}:")
        if i == 0:
            lines.append(f"    cmd: echo 0 > out{i:03d}.txt")
        else:
            lines.append(f"    cmd: cat out{i - 1:03d}.txt > out{i:03d}.txt"
                         f" && echo {i} >> out{i:03d}.txt")
            lines.append("    deps:")
            lines.append(f"    - out{i - 1:03d}.txt")
        lines.append("    outs:")
        lines.append(f"    - out{i:03d}.txt")
    (ws.repo / "dvc.yaml").write_text("\n".join(lines) + "\n")
    ws.run("repro", "-q")
    ws.facts["dvc.lock"] = read_text(ws.repo / "dvc.lock")


def sc_repro_noop(ws):
    setup_pipeline(ws)
    timed_repro_of_nothing(ws)


def sc_status_pipeline(ws):
    setup_pipeline(ws)
    timed_status(ws)


def setup_foreach(ws, stages=1000):
    """A `foreach` over `stages` items, each writing its own small file: the whole pipeline is
    one dvc.yaml entry. Reproduced once by the tool under test, untimed."""
    ws.init_repo()
    items = "\n".join(f"  - i{i:04d}" for i in range(stages))
    (ws.repo / "dvc.yaml").write_text(
        "vars:\n- items:\n" + items + "\nstages:\n  gen:\n    foreach: ${items}\n    do:\n"
        "      cmd: echo ${item} > out/${item}.txt\n      outs:\n      - out/${item}.txt\n")
    (ws.repo / "out").mkdir()
    return stages


def sc_repro_foreach(ws):
    """The first repro of a 1,000-stage foreach pipeline: per-stage overhead."""
    stages = setup_foreach(ws)
    m = ws.timed("repro", "-q")
    ws.facts["dvc.lock"] = read_text(ws.repo / "dvc.lock")
    if m.ok:
        ws.facts["info_per_stage_ms"] = round(m.wall * 1000 / stages, 2)


def reproduced_foreach(ws):
    """The foreach pipeline reproduced by dv for both tools (dvc takes ~20 minutes to run the
    1,000 stages here, and reads dv's lock file as its own), then an untimed `status` by the
    tool under test so that its own hash cache is warm."""
    setup_foreach(ws)
    dv = next(tool for tool in ws.ctx.tools if tool.name == "dv")
    ws.sh(dv.path, "repro", "-q")
    ws.run("status")
    ws.facts["dvc.lock"] = read_text(ws.repo / "dvc.lock")


def sc_repro_noop_foreach(ws):
    reproduced_foreach(ws)
    timed_repro_of_nothing(ws)


def sc_status_foreach(ws):
    reproduced_foreach(ws)
    timed_status(ws)


def setup_dep_many(ws):
    """One stage whose dependency is dataset `many` (counts its files), reproduced once."""
    ws.init_repo()
    ws.copy_in(ws.ctx.data.many(), "data")
    (ws.repo / "dvc.yaml").write_text(
        "stages:\n  count:\n    cmd: find data -type f | wc -l > count.txt\n    deps:\n"
        "    - data\n    outs:\n    - count.txt\n")
    ws.run("repro", "-q")
    ws.facts["dvc.lock"] = read_text(ws.repo / "dvc.lock")


def sc_repro_noop_dep_many(ws):
    setup_dep_many(ws)
    timed_repro_of_nothing(ws)


def sc_repro_dep_many_one_modified(ws):
    setup_dep_many(ws)
    first = sorted((ws.repo / "data").iterdir())[0]
    victim = sorted(first.iterdir())[0]
    victim.write_bytes(b"changed\n")
    m = ws.timed("repro")
    ws.facts["ok_ran"] = "Running stage 'count'" in m.stdout
    ws.facts["dvc.lock"] = read_text(ws.repo / "dvc.lock")


# The same transfers against `rclone serve s3` (dvbench/rclone.py), whose server CPU is recorded
# as for moto; the anchors (rclone's own client doing the same transfer) are in dvbench/anchors.py.

def use_rclone_remote(ws):
    """A fresh `rclone serve s3` with a bucket `bench`, and the default remote `r` at
    `s3://bench/store` on it (endpoint in the config, keys in `config.local`)."""
    server = ws.start_rclone()
    server.bucket("bench")
    ws.run("remote", "add", "-d", "r", "s3://bench/store")
    ws.run("remote", "modify", "r", "endpointurl", server.endpoint)
    ws.run("remote", "modify", "--local", "r", "access_key_id", S3_KEYS[0])
    ws.run("remote", "modify", "--local", "r", "secret_access_key", S3_KEYS[1])
    return server


def setup_rclone_remote(ws):
    add_many(ws)
    ws.run("add", "data")
    return use_rclone_remote(ws)


def rclone_store(server):
    """The objects under `s3://bench/store`: the files of the server's directory."""
    return listing_digest(server.root / "bench" / "store")


def sc_push_rclone(ws):
    server = setup_rclone_remote(ws)
    timed_with_server_cpu(ws, server, "push")
    ws.facts["remote objects"] = rclone_store(server)


def sc_pull_rclone(ws):
    server = setup_rclone_remote(ws)
    ws.run("push")
    make_fresh_clone(ws)
    timed_with_server_cpu(ws, server, "pull")
    ws.facts["ok_data_restored"] = tree_digest(ws.repo / "data") == ws.ctx.data.digests["many"]


def sc_status_cloud_rclone(ws):
    server = setup_rclone_remote(ws)
    ws.run("push")
    m = timed_with_server_cpu(ws, server, "status", "-c")
    ws.facts["status stdout"] = m.stdout


def sc_push_large_rclone(ws):
    add_large(ws)
    server = use_rclone_remote(ws)
    timed_with_server_cpu(ws, server, "push")
    ws.facts["remote objects"] = rclone_store(server)


def sc_pull_large_rclone(ws):
    names = add_large(ws)
    server = use_rclone_remote(ws)
    ws.run("push")
    large_fresh_clone(ws, names)
    timed_with_server_cpu(ws, server, "pull")
    ws.facts["ok_data_restored"] = large_restored(ws, names)


def sc_import_url_batch_rclone(ws):
    """`import-url-batch` against `rclone serve s3`: dv's one `--from-list` call; dvc's loop,
    one process per object (run here: the moto loop's `.dvc` files name another server)."""
    count = ws.ctx.scale["imports"]
    server = ws.start_rclone()
    put_objects(server.bucket("src"), "obj_", count, 1024, 20240003)
    ws.init_repo()
    (ws.repo / "data").mkdir()
    env = dict(ws.env, AWS_ENDPOINT_URL=server.endpoint,
               **dict(S3_CREDENTIALS, AWS_ACCESS_KEY_ID=S3_KEYS[0],
                      AWS_SECRET_ACCESS_KEY=S3_KEYS[1]))
    before = server.cpu_seconds()
    if ws.tool.kind == "dvc":
        argvs = [["import-url", "-q", "--no-download", f"s3://src/obj_{i:05d}", "data/"]
                 for i in range(count)]
        ws.timed_loop(argvs, env=env, what="import-url --no-download s3://src/obj_i data/")
    else:
        catalog = ws.root / "catalog.csv"
        catalog.write_text("id,url\n" + "".join(f"{i},s3://src/obj_{i:05d}\n"
                                                for i in range(count)))
        ws.timed("import-url", "-q", "--no-download", "--from-list", catalog, "--column",
                 "url", "data/", env=env)
    ws.facts["info_S3 server CPU s"] = round(server.cpu_seconds() - before, 2)
    record_imports(ws, count)


PARALLEL_STAGES = 8
PARALLEL_SECONDS = 1.0


def sc_repro_parallel(ws):
    """8 independent stages of `sleep 1`: dvc runs them one at a time, dv with `-j 2`. The
    ideal with two at a time is 4 s."""
    ws.init_repo()
    lines = ["stages:"]
    for i in range(PARALLEL_STAGES):
        lines += [f"  p{i}:", f"    cmd: sleep {PARALLEL_SECONDS} && echo {i} > out{i}",
                  "    outs:", f"    - out{i}"]
    (ws.repo / "dvc.yaml").write_text("\n".join(lines) + "\n")
    args = ["repro", "-q"] + (["-j", "2"] if ws.tool.kind == "dv" else [])
    m = ws.timed(*args)
    ws.facts["dvc.lock"] = read_text(ws.repo / "dvc.lock")
    if m.ok and ws.tool.kind == "dv":
        ideal = PARALLEL_STAGES * PARALLEL_SECONDS / 2
        ws.facts["info_vs_ideal_pct"] = round((m.wall / ideal - 1) * 100, 1)


# name: (function, what it measures, target for dvc/dv, S3 server: True for moto, "rclone",
# False for none)
SCENARIOS = {
    "add": (sc_add, "add of dataset `many` (default cache type)", ">=5x", False),
    "add-hardlink": (sc_add_hardlink, "add of `many` with cache.type hardlink", ">=20x", False),
    "status-noop": (sc_status_noop, "status right after add", ">=30x", False),
    "readd-unchanged": (sc_readd_unchanged, "add of `many` again, nothing changed", ">=30x",
                        False),
    "status-one-modified": (sc_status_one_modified, "status after changing one file", None,
                            False),
    "checkout-empty": (sc_checkout_empty, "checkout after rm -rf data", ">=5x", False),
    "add-large": (sc_add_large, "add of the two `large` files", ">=3x", False),
    "push-local": (sc_push_local, "push of `many` to a local-directory remote", ">=10x", False),
    "pull-local": (sc_pull_local, "pull of `many` into a fresh clone, local remote", ">=5x",
                   False),
    "status-cloud": (sc_status_cloud, "status -c after push, local remote", ">=10x", False),
    "push-s3": (sc_push_s3, "push of `many` to loopback S3 (moto)", ">=10x", True),
    "pull-s3": (sc_pull_s3, "pull of `many` into a fresh clone from loopback S3", ">=5x", True),
    "push-large-local": (sc_push_large_local, "push of the two `large` files to a local remote",
                         ">=10x", False),
    "pull-large-local": (sc_pull_large_local, "pull of the two `large` files into a fresh clone, "
                         "local remote", ">=5x", False),
    "push-large-s3": (sc_push_large_s3, "push of the two `large` files to loopback S3", ">=10x",
                      True),
    "pull-large-s3": (sc_pull_large_s3, "pull of the two `large` files from loopback S3",
                      ">=5x", True),
    "push-rclone": (sc_push_rclone, "push of `many` to loopback S3 (rclone serve s3)", ">=10x",
                    "rclone"),
    "pull-rclone": (sc_pull_rclone, "pull of `many` into a fresh clone from rclone serve s3",
                    ">=10x", "rclone"),
    "push-large-rclone": (sc_push_large_rclone, "push of the two `large` files to rclone "
                          "serve s3", ">=5x", "rclone"),
    "pull-large-rclone": (sc_pull_large_rclone, "pull of the two `large` files from rclone "
                          "serve s3", ">=5x", "rclone"),
    "status-cloud-rclone": (sc_status_cloud_rclone, "status -c after push, rclone serve s3",
                            ">=10x", "rclone"),
    "import-url-batch-rclone": (sc_import_url_batch_rclone, "dvc's import-url loop vs one dv "
                                "import-url --from-list call, rclone serve s3", ">=100x",
                                "rclone"),
    "startup": (sc_startup, "`--version`, mean over repeated runs", "dv <=20 ms", False),
    "import-url-nodownload": (sc_import_url, "loop of import-url --no-download, one per S3 "
                              "object, total", ">=20x", True),
    "repro-noop-200": (sc_repro_noop, "repro of a 200-stage chain that is up to date", ">=30x",
                       False),
    "status-pipeline-200": (sc_status_pipeline, "status of the same up-to-date 200-stage chain",
                            ">=30x", False),
    "import-url-batch": (sc_import_url_batch, "dvc's loop vs one dv import-url --from-list "
                         "call over the same catalog", ">=100x", True),
    "repro-foreach-1000": (sc_repro_foreach, "first repro of a 1,000-stage foreach (per-stage "
                           "overhead in facts)", "dv <=5 ms/stage", False),
    "repro-noop-foreach-1000": (sc_repro_noop_foreach, "repro of the same foreach, up to date",
                                ">=30x", False),
    "status-foreach-1000": (sc_status_foreach, "status of the same foreach, up to date",
                            ">=30x", False),
    "repro-noop-dep-many": (sc_repro_noop_dep_many, "repro of a stage depending on `many`, up "
                            "to date", None, False),
    "repro-dep-many-one-modified": (sc_repro_dep_many_one_modified, "repro of that stage after "
                                    "changing one file of `many`", None, False),
    "repro-parallel": (sc_repro_parallel, "8 independent `sleep 1` stages: dvc one at a time, "
                       "dv -j 2 (ideal 4 s)", "dv within 10% of 4 s", False),
    **HISTORY_SCENARIOS,
    **REGISTRY_SCENARIOS,
    **EXPERIMENT_SCENARIOS,
    **CLUSTER_SCENARIOS,
}
