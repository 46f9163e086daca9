#!/bin/bash
# End-to-end sweeps on a real single-node Slurm cluster on localhost: munged, slurmctld and
# slurmd run from a temporary directory with their own sockets, ports, state and logs. The test
# 1. submits a small sweep with `hlslim sweep --submit`, waits for the jobs, runs
#    `hlslim collect` and checks the report;
# 2. submits a sweep whose prepare job fails and checks that the array job goes with it
#    (--kill-on-invalid-dep=yes) instead of pending forever;
# 3. submits a point whose training outlasts its one-minute time limit: Slurm sends SIGTERM
#    (--signal=B:TERM@N) to hlslim, which checkpoints and stops before the limit; a second
#    --submit is refused; --submit --resubmit (with a longer time) continues the point from the
#    checkpoint to completion, logging each attempt to its own file.
# Every daemon it starts is stopped on exit, whatever happens.
#
# Usage: slurm_sweep_test.sh HLSLIM_BINARY SWEEP_CONFIG RESUME_CONFIG
# Exit 77 (skipped) when slurm-wlm or munge is missing or when not run as root.
set -uo pipefail

HLSLIM=$(readlink -f "$1")
CONFIG=$(readlink -f "$2")
RESUME_CONFIG=$(readlink -f "$3")
DEADLINE=$((SECONDS + 480))  # well inside CTest's TIMEOUT, so cleanup always runs

skip() { echo "SKIPPED: $*"; exit 77; }
[[ $(id -u) -eq 0 ]] || skip "needs root (it runs slurmd and munged)"
for tool in munged slurmctld slurmd sbatch squeue sinfo scancel; do
  command -v "$tool" >/dev/null 2>&1 || skip "'$tool' is not installed (apt-get install slurm-wlm munge)"
done

TMP=$(mktemp -d /tmp/hlslim-slurm.XXXXXX)
PRE_STEPD=$(pgrep -x slurmstepd | sort)
FAILED=0
fail() { echo "FAIL: $*"; FAILED=1; }

stop_pidfile() {
  local file=$1 pid
  [[ -s $file ]] || return 0
  pid=$(cat "$file")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
}

cleanup() {
  local status=$?
  set +e
  if [[ -n ${SLURM_CONF:-} && -s $TMP/slurmctld.pid ]]; then
    scancel --full -u root >/dev/null 2>&1
    for _ in $(seq 50); do [[ -z $(squeue -h 2>/dev/null) ]] && break; sleep 0.2; done
  fi
  stop_pidfile "$TMP/slurmd.pid"
  stop_pidfile "$TMP/slurmctld.pid"
  stop_pidfile "$TMP/munge/munged.pid"
  # Job steps and anything else of ours: slurmstepd started after us, processes naming $TMP.
  for pid in $(comm -13 <(echo "$PRE_STEPD") <(pgrep -x slurmstepd | sort)) \
             $(pgrep -f "$TMP"); do
    kill -9 "$pid" 2>/dev/null
  done
  sleep 0.3
  if pgrep -f "$TMP" >/dev/null || [[ -n $(comm -13 <(echo "$PRE_STEPD") <(pgrep -x slurmstepd | sort)) ]]; then
    echo "FAIL: processes left running:"; pgrep -af "$TMP"; pgrep -ax slurmstepd
    status=1
  fi
  if [[ $status -ne 0 && $status -ne 77 ]]; then
    for log in "$TMP"/slurmctld.log "$TMP"/slurmd.log "$TMP"/*/logs/*.out; do
      [[ -f $log ]] && { echo "--- $log (tail)"; tail -n 20 "$log"; }
    done
  fi
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

wait_for() {  # wait_for SECONDS DESCRIPTION COMMAND...
  local limit=$((SECONDS + $1)) what=$2
  shift 2
  until "$@"; do
    if (( SECONDS > limit || SECONDS > DEADLINE )); then echo "FAIL: timed out waiting for $what"; exit 1; fi
    sleep 0.5
  done
}

# munge, with its own key, socket, pid, log and seed files.
mkdir -p "$TMP/munge" && chmod 700 "$TMP/munge"
if command -v mungekey >/dev/null 2>&1; then
  mungekey --create --keyfile="$TMP/munge/munge.key" || exit 1
else
  dd if=/dev/urandom of="$TMP/munge/munge.key" bs=1024 count=1 status=none || exit 1
fi
chmod 400 "$TMP/munge/munge.key"
munged --force --key-file="$TMP/munge/munge.key" --socket="$TMP/munge/munge.socket" \
  --pid-file="$TMP/munge/munged.pid" --log-file="$TMP/munge/munged.log" \
  --seed-file="$TMP/munge/munged.seed" || { echo "FAIL: munged did not start"; cat "$TMP/munge/munged.log"; exit 1; }
wait_for 20 "munged" test -S "$TMP/munge/munge.socket"

# Slurm: one node (this machine, as slurmd -C describes it), one partition, no accounting,
# random ports so that it never meets another cluster.
NODE=$(hostname -s)
NODE_LINE=$(slurmd -C | head -n 1 | sed -e "s/^NodeName=[^ ]*/NodeName=$NODE/" -e 's/RealMemory=[0-9]*/RealMemory=1024/')
PORT=$((20000 + RANDOM % 20000))
mkdir -p "$TMP/state" "$TMP/spool"
export SLURM_CONF=$TMP/slurm.conf
cat > "$SLURM_CONF" <<CONF
ClusterName=hlslimtest
SlurmctldHost=$NODE(127.0.0.1)
SlurmctldPort=$PORT
SlurmdPort=$((PORT + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$TMP/munge/munge.socket
StateSaveLocation=$TMP/state
SlurmdSpoolDir=$TMP/spool
SlurmctldPidFile=$TMP/slurmctld.pid
SlurmdPidFile=$TMP/slurmd.pid
SlurmctldLogFile=$TMP/slurmctld.log
SlurmdLogFile=$TMP/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
SlurmctldTimeout=30
SlurmdTimeout=30
$NODE_LINE NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=test Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
slurmctld -f "$SLURM_CONF" || { echo "FAIL: slurmctld did not start"; exit 1; }
slurmd -f "$SLURM_CONF" -N "$NODE" || { echo "FAIL: slurmd did not start"; exit 1; }
node_idle() { [[ $(sinfo -h -N -o %T 2>/dev/null) == idle* ]]; }
wait_for 60 "the node to be idle" node_idle
echo "slurm is up: $(sinfo -h -N -o '%N %T %c')"

# The sweep.
SWEEP=$TMP/sweep
STARTED=$SECONDS
out=$("$HLSLIM" sweep "$CONFIG" --output "$SWEEP" --submit 2>&1) || { echo "FAIL: --submit failed: $out"; exit 1; }
echo "$out"
# The sweep directory is under /tmp: on a real cluster the compute nodes would not see it.
grep -q "the sweep directory $SWEEP is in /tmp, which is local to each node" <<<"$out" \
  || fail "no warning about the node-local sweep directory"
queue_empty() { [[ -z $(squeue -h 2>/dev/null) ]]; }
wait_for 300 "the jobs to finish" queue_empty
echo "jobs finished in $((SECONDS - STARTED)) s"
"$HLSLIM" collect "$SWEEP" || fail "collect failed"

# Every point is in the table; the one with the impossible learning rate failed in distill,
# every other one completed with figures and estimates.
CSV=$SWEEP/sweep.csv
POINTS=$(grep -c '"index"' "$SWEEP/plan.json")
(( POINTS >= 4 )) || fail "expected at least 4 points, plan.json has $POINTS"
[[ $(($(wc -l < "$CSV") - 1)) -eq $POINTS ]] || fail "sweep.csv does not list every point"
header=$(head -n 1 "$CSV")
col() { tr ',' '\n' <<<"$header" | grep -nx "$1" | cut -d: -f1; }
LR=$(col distill.learning_rate); STATUS=$(col status); STAGE=$(col failed_stage)
SPREAD=$(col pt_spread); LUT=$(col lut); LAT=$(col latency_ns)
[[ -n $LR && -n $SPREAD && -n $LUT && -n $LAT ]] || fail "missing columns in: $header"
bad=0; good=0
while IFS= read -r line; do
  IFS=, read -ra cell <<<"$line"
  if [[ ${cell[LR-1]} == 1e+30 || ${cell[LR-1]} == 1.0e30 || ${cell[LR-1]} == 1e30 ]]; then
    bad=$((bad + 1))
    [[ ${cell[STATUS-1]} == failed && ${cell[STAGE-1]} == distill ]] || fail "impossible point not reported failed in distill: $line"
  else
    good=$((good + 1))
    [[ ${cell[STATUS-1]} == completed && -n ${cell[SPREAD-1]} && -n ${cell[LUT-1]} && -n ${cell[LAT-1]} ]] || fail "point not completed with figures: $line"
  fi
done < <(tail -n +2 "$CSV")
(( bad == 1 )) || fail "expected exactly one impossible point, found $bad"
(( good >= 3 )) || fail "expected at least 3 good points, found $good"
grep -q '"not_completed": \[' "$SWEEP/sweep.json" || fail "sweep.json lacks not_completed"
grep -q '<svg' "$SWEEP/sweep.html" && ! grep -q '<script' "$SWEEP/sweep.html" || fail "sweep.html is not a self-contained SVG page"
grep -q 'in stage .distill.: the training loss became' "$SWEEP/sweep.html" || fail "sweep.html does not list the failed point"

# The teacher trained exactly once, in the shared directory; points link it.
trained=$(grep -l "stage [0-9]* 'teacher' (train) started" "$SWEEP"/shared/run.log "$SWEEP"/points/*/run.log | wc -l)
[[ $trained -eq 1 ]] || fail "the teacher trained $trained times"
for dir in "$SWEEP"/points/*/; do
  [[ -L $dir/03-teacher ]] || fail "$dir does not link the shared teacher"
done

# Resubmitting submits nothing but the failed point.
out=$("$HLSLIM" sweep "$CONFIG" --output "$SWEEP" --submit --only-failed --dry-run)
grep -q '^#SBATCH --array=[0-9]*$' <<<"$out" || fail "--only-failed --dry-run does not list one point: $out"
# Each array task logged to logs/point-JOBID_K.out.
for k in $(seq 0 $((POINTS - 1))); do
  ls "$SWEEP"/logs/point-[0-9]*_"$k".out >/dev/null 2>&1 || fail "no log point-JOBID_$k.out"
done

# A prepare job that fails takes the array job with it instead of leaving it pending forever.
DEP=$TMP/dep
"$HLSLIM" -q sweep "$CONFIG" --output "$DEP" --set 'sweep.slurm.setup=[exit 3]' --submit \
  || { echo "FAIL: --submit of the failing prepare job failed"; exit 1; }
wait_for 90 "the array job to go with its failed prepare job" queue_empty
[[ -z $(ls "$DEP"/points 2>/dev/null) ]] || fail "a point ran although the prepare job failed"

# A point that outlasts its time limit: Slurm signals hlslim (the batch shell, by exec) before
# the limit, hlslim checkpoints the training and stops.
RESUME=$TMP/resume
STARTED=$SECONDS
"$HLSLIM" -q sweep "$RESUME_CONFIG" --output "$RESUME" --submit || { echo "FAIL: --submit failed"; exit 1; }
JOB=$(awk '!/^#/ { sub("points=", "", $3); print $3 }' "$RESUME/slurm/submissions")
wait_for 150 "the time-limited point to stop" queue_empty
echo "the time-limited point stopped after $((SECONDS - STARTED)) s"
first=$(ls "$RESUME"/logs/point-"$JOB"_0.out 2>/dev/null)
[[ -n $first ]] || fail "no log logs/point-${JOB}_0.out"
grep -q "site setup" "$first" || fail "the setup line did not run (set -u before it?)"
grep -q "stage 2 'train' interrupted by signal 15" "$first" || fail "hlslim did not get SIGTERM before the time limit"
grep -q "DUE TO TIME LIMIT" "$first" && fail "the point ran into its time limit instead of stopping at the signal"
state=$(scontrol -o show job "$JOB" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | head -n 1)
[[ $state != JobState=TIMEOUT ]] || fail "the point's job timed out ($state)"
"$HLSLIM" -q sweep "$RESUME_CONFIG" --output "$RESUME" --plan | grep -q '^0  *interrupted (train)' \
  || fail "the point is not marked interrupted: $("$HLSLIM" -q sweep "$RESUME_CONFIG" --output "$RESUME" --plan)"

# Submitting again is refused; --resubmit, with more time, continues the point to the end.
"$HLSLIM" -q sweep "$RESUME_CONFIG" --output "$RESUME" --submit >/dev/null 2>&1
status=$?
[[ $status -eq 5 ]] || fail "a second --submit exited $status, not 5"
STARTED=$SECONDS
"$HLSLIM" -q sweep "$RESUME_CONFIG" --output "$RESUME" --set sweep.slurm.time=00:05:00 --submit --resubmit \
  || { echo "FAIL: --submit --resubmit failed"; exit 1; }
wait_for 300 "the resubmitted point to finish" queue_empty
echo "the resubmitted point finished in $((SECONDS - STARTED)) s"
logs=$(ls "$RESUME"/logs/point-*_0.out | wc -l)
[[ $logs -eq 2 ]] || fail "expected one log per attempt (2), found $logs"
second=$(ls "$RESUME"/logs/point-*_0.out | grep -v "_${JOB}_\|point-${JOB}_")
grep -q "resuming training at epoch" "$second" || fail "the resubmitted point did not continue from the checkpoint"
"$HLSLIM" -q sweep "$RESUME_CONFIG" --output "$RESUME" --plan | grep -q '^0  *done' \
  || fail "the resubmitted point is not done"

if (( FAILED )); then exit 1; fi
echo "PASSED in $SECONDS s"
