#!/usr/bin/env bash
# stop-slurm.sh DIR: stops exactly the processes start-slurm.sh DIR started.
D=${1:?dir}; pids=$(awk '{print $2}' "$D/pids")
for p in $pids; do kill "$p" 2>/dev/null || true; done
for i in $(seq 50); do alive=; for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done; [ -z "$alive" ] && exit 0; sleep 0.1; done
for p in $pids; do kill -0 "$p" 2>/dev/null && kill -9 "$p"; done; exit 0
