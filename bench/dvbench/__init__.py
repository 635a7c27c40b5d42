"""dv's benchmark harness: dv against the pinned dvc, side by side, in one run.

`bench/run` is the entry point (see bench/README.md). Modules, each owning one concept:

- `cli`: the command line, building or finding dv, the run's JSON report file and table.
- `common`: paths of the bench and the repository, logging, `StepFailed`.
- `measure`: timing one process (wall time, peak RSS).
- `datasets`: the scales and the generated datasets (`many`, `large`), tree digests.
- `s3`: the loopback S3 server (moto) and its bucket chores (run with moto's Python).
- `rclone`: the second loopback S3 server (`rclone serve s3`) and rclone's client settings.
- `workspace`: the run's context (tools, environment policy) and one tool's workspace.
- `facts`: what scenarios record after the timed step, to compare the tools.
- `scenarios`: every scenario: setup, one timed step, facts.
- `anchors`: a well-known tool doing a scenario's job (rclone copy/check, git status).
- `runner`: running a scenario for both tools (and its anchor) and judging the results.
- `report`: the result table and the machine, tool and repository details.
"""





