#!/usr/bin/env bash
# start-slurm.sh DIR: a throwaway single-node SLURM (munged, slurmctld, slurmd) for the tests and
# the benchmark, bound to 127.0.0.1 (port $SLURM_TEST_PORT, default 16817, and the next one),
# with its configuration, state, logs and PIDs under DIR; waits until the node is idle.
# Needs Debian's slurmctld slurmd slurm-client munge (scripts/test installs them).
set -euo pipefail
D=${1:?dir}; mkdir -p "$D"/{etc,state,spool,log,run,jobs}; chmod 700 "$D/run"
H=$(hostname -s); P=${SLURM_TEST_PORT:-16817}
: > "$D/pids"
[ -f "$D/etc/munge.key" ] || { dd if=/dev/urandom of="$D/etc/munge.key" bs=1024 count=1 status=none; chmod 400 "$D/etc/munge.key"; }
munged -F --force --socket="$D/run/munge.sock" --key-file="$D/etc/munge.key" \
  --log-file="$D/log/munged.log" --pid-file="$D/run/munged.pid" --seed-file="$D/run/munged.seed" \
  >"$D/log/munged.out" 2>&1 &
echo "munged $!" >> "$D/pids"
for i in $(seq 50); do [ -S "$D/run/munge.sock" ] && break; sleep 0.1; done
cat > "$D/etc/slurm.conf" <<CONF
ClusterName=dvtest
SlurmctldHost=$H(127.0.0.1)
SlurmctldPort=$P
SlurmdPort=$((P+1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$D/run/munge.sock
StateSaveLocation=$D/state
SlurmdSpoolDir=$D/spool
SlurmctldPidFile=$D/run/slurmctld.pid
SlurmdPidFile=$D/run/slurmd.pid
SlurmctldLogFile=$D/log/slurmctld.log
SlurmdLogFile=$D/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$D/log/jobcomp.txt
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
ReturnToService=2
MinJobAge=300
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0
MailProg=/bin/true
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
NodeName=$H NodeAddr=127.0.0.1 CPUs=$(nproc) Sockets=1 CoresPerSocket=$(nproc) ThreadsPerCore=1 RealMemory=1024 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$D/etc/slurm.conf"
slurmctld -D -i -f "$SLURM_CONF" >"$D/log/slurmctld.out" 2>&1 &  echo "slurmctld $!" >> "$D/pids"
slurmd    -D    -f "$SLURM_CONF" >"$D/log/slurmd.out"    2>&1 &  echo "slurmd $!"    >> "$D/pids"
for i in $(seq 100); do
  [ "$(sinfo -h -N -o '%T' 2>/dev/null)" = idle ] && exit 0; sleep 0.1
done
echo "slurm did not come up; see $D/log" >&2; exit 1
