#!/usr/bin/env bash
# A real single-node Slurm cluster for tests, from Debian's packages, entirely under one private
# directory (nothing in /etc), stopped by its PID files.
#
#   tests/slurm/cluster.sh up DIR     install if missing, write the config, start munged, slurmctld, slurmd
#   tests/slurm/cluster.sh down DIR   stop the daemons started by `up`
#
# After `up`, point clients at it with: export SLURM_CONF=DIR/slurm.conf
set -euo pipefail
cmd=${1:?up or down}
dir=$(realpath -m "${2:?a private directory}")

stop() {
  for pid in "$dir/run/slurmd.pid" "$dir/run/slurmctld.pid" "$dir/run/munged.pid"; do
    [ -f "$pid" ] && kill "$(cat "$pid")" 2>/dev/null || true
  done
  sleep 1
  for pid in "$dir/run/slurmd.pid" "$dir/run/slurmctld.pid" "$dir/run/munged.pid"; do
    [ -f "$pid" ] && kill -9 "$(cat "$pid")" 2>/dev/null || true
    rm -f "$pid"
  done
}

if [ "$cmd" = down ]; then
  stop
  exit 0
fi

if ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    slurmctld slurmd slurm-client munge >/dev/null
fi

host=$(hostname -s)
mkdir -p "$dir/key" "$dir/run" "$dir/spool/ctld" "$dir/spool/d" "$dir/log"
chmod 0700 "$dir/key"
chmod 0755 "$dir/run"
[ -f "$dir/key/munge.key" ] || dd if=/dev/urandom of="$dir/key/munge.key" bs=1024 count=1 status=none
chmod 0400 "$dir/key/munge.key"
cat > "$dir/slurm.conf" <<CONF
ClusterName=swabsim-test
SlurmctldHost=${host}(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$dir/run/munge.socket
CredType=cred/munge
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldPort=6817
SlurmdPort=6818
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$dir/spool/d
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MailProg=/bin/true
MinJobAge=4
SchedulerParameters=batch_sched_delay=0,sched_min_interval=100000
ReturnToService=2
NodeName=${host} NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP
CONF

stop
munged --key-file="$dir/key/munge.key" --socket="$dir/run/munge.socket" \
  --pid-file="$dir/run/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/run/munge.seed" \
  --force
slurmctld -f "$dir/slurm.conf"
slurmd -f "$dir/slurm.conf" -N "$host"
export SLURM_CONF="$dir/slurm.conf"
for _ in $(seq 1 30); do
  if sinfo -h -o %t 2>/dev/null | grep -Eq '^(idle|mix|alloc)'; then
    echo "slurm is up: $(sinfo -h -o '%P %D %t %c CPUs')"
    exit 0
  fi
  sleep 1
done
echo "slurm did not come up; logs in $dir/log" >&2
tail -n 20 "$dir"/log/*.log >&2 || true
exit 1
