"""Scenarios of experiments: `exp show --json` over 20 and 200 experiments of one baseline
(built with dv: the experiment commits are the same for both tools), and a queue of eight
experiments whose stage sleeps one second, run two at a time (`exp run --run-all -j 2`), each
tool queueing with its own queue. The ideal for the queue is 4 s; the rest is per-experiment
overhead (clone, checkout, recording, fetching the ref back)."""

from .history import commit, setup_tool

TRAIN = (
    "import json\n"
    "lr = float(open('params.yaml').read().split('lr: ')[1].split()[0])\n"
    "json.dump({'acc': round(0.5 + lr, 6), 'loss': round(1 - lr, 6)}, open('metrics.json', 'w'))\n"
)


def experiment_repo(ws, tool, sleep=0):
    ws.sh("git", "init", "-q")
    ws.sh(tool, "init", "-q")
    (ws.repo / "train.py").write_text(TRAIN)
    (ws.repo / "params.yaml").write_text("train:\n  lr: 0.001\n  epochs: 3\nseed: 42\n")
    cmd = f"sleep {sleep} && python3 train.py" if sleep else "python3 train.py"
    (ws.repo / "dvc.yaml").write_text(
        "stages:\n  train:\n"
        f"    cmd: {cmd}\n"
        "    deps:\n    - train.py\n    params:\n    - train\n"
        "    metrics:\n    - metrics.json:\n        cache: false\n"
    )
    ws.sh(tool, "repro", "-q")
    commit(ws, "baseline", 0)


def with_experiments(ws, count):
    tool = setup_tool(ws)
    experiment_repo(ws, tool)
    for n in range(count):
        ws.sh(tool, "exp", "run", "-q", "-S", f"train.lr={0.001 * (n + 2):.6f}", "-n", f"e{n}")


def sc_exp_show(count, warm=False, packed=False):
    def scenario(ws):
        with_experiments(ws, count)
        if packed:
            # What a repository looks like once git packed its objects (git gc, or auto gc).
            ws.sh("git", "gc", "-q")
        if warm:
            # dvc keeps each commit's collected state in .dvc/tmp/exps/cache after a first run.
            ws.run("exp", "show", "--json")
        m = ws.timed("exp", "show", "--json")
        ws.facts["experiments listed"] = m.stdout.count('"name": "e')
    return scenario


def sc_queue(ws):
    experiment_repo(ws, setup_tool(ws), sleep=1)
    # dvc's queue workers start `dvc` by name.
    env = dict(ws.env, PATH=f"{ws.tool.path.parent}:{ws.env.get('PATH', '')}")
    ws.run("exp", "run", "--queue", "-S", "train.lr=" + ",".join(
        f"{0.01 * (n + 1):.2f}" for n in range(8)), "-n", "q", env=env)
    try:
        m = ws.timed("exp", "run", "--run-all", "-j", "2", env=env)
    finally:
        ws.run("queue", "stop", env=env)
    ws.facts["info_ideal s"] = 4.0
    ws.facts["info_overhead per experiment s"] = round((m.wall - 4.0) / 4, 3)
    ws.facts["experiments recorded"] = ws.sh("git", "for-each-ref", "refs/exps/").count("/q-")


# name: (function, what it measures, target for dvc/dv, S3 needed)
EXPERIMENT_SCENARIOS = {
    "exp-show-20": (sc_exp_show(20), "exp show --json with 20 experiments", ">=20x", False),
    "exp-show-200": (sc_exp_show(200), "exp show --json with 200 experiments", ">=20x", False),
    "exp-show-200-warm": (sc_exp_show(200, warm=True), "exp show --json with 200 experiments, "
                          "run a second time (dvc's experiment cache warm)", ">=20x", False),
    "exp-show-200-warm-packed": (sc_exp_show(200, warm=True, packed=True),
                                 "the same after git gc packed the experiment commits",
                                 ">=20x", False),
    "queue-8x1s-j2": (sc_queue, "8 queued experiments of a 1 s stage, exp run --run-all -j 2 "
                      "(ideal 4 s)", None, False),
}
