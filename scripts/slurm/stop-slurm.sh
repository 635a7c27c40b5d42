#!/usr/bin/env bash
# stop-slurm.sh DIR: stops exactly the processes start-slurm.sh DIR started, and the job steps
# (slurmstepd) of this cluster that outlived them: a test that kills the daemons mid-job leaves
# its step behind otherwise. A step is this cluster's when its SLURM_CONF lies in DIR.
D=${1:?dir}; pids=$(awk '{print $2}' "$D/pids")
stop_steps() {
  for env in /proc/[0-9]*/environ; do
    p=${env#/proc/}; p=${p%/environ}
    [ "$(cat "/proc/$p/comm" 2>/dev/null)" = slurmstepd ] || continue
    tr '\0' '\n' < "$env" 2>/dev/null | grep -q "^SLURM_CONF=$D/" && kill -9 "$p" 2>/dev/null
  done
  return 0
}
for p in $pids; do kill "$p" 2>/dev/null || true; done
for i in $(seq 50); do
  alive=; for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ -z "$alive" ] && break
  sleep 0.1
done
for p in $pids; do kill -0 "$p" 2>/dev/null && kill -9 "$p"; done
stop_steps; exit 0
