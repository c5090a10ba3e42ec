#!/usr/bin/env bash
# Runs a small sweep as a Slurm array job of 4 shards plus the merge job on a real single-node
# cluster, and checks the merged files equal a single-machine sweep byte for byte.
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(realpath -m target/slurm-test)
rm -rf "$work"
mkdir -p "$work"
trap 'tests/slurm/cluster.sh down "$work/cluster"' EXIT
tests/slurm/cluster.sh up "$work/cluster"
export SLURM_CONF="$work/cluster/slurm.conf"
export SWABSIM="$PWD/target/release/swabsim"

"$SWABSIM" sweep tests/slurm/sweep.toml --out "$work/single" --quiet
array=$(sbatch --parsable --array=0-3 --cpus-per-task=1 --chdir="$PWD" \
  --output="$work/task-%a.out" examples/slurm/sweep.sbatch tests/slurm/sweep.toml "$work/cluster-out" 4)
sbatch --wait --dependency=afterok:"$array" --chdir="$PWD" --output="$work/merge.out" \
  examples/slurm/merge.sbatch "$work/cluster-out" >/dev/null
for f in points.csv aggregate.csv; do
  if ! cmp -s "$work/single/$f" "$work/cluster-out/merged/$f"; then
    echo "slurm: $f of the merged array job differs from the single-machine sweep" >&2
    exit 1
  fi
done
echo "slurm: array job of 4 shards + merge job = single-machine sweep (points.csv, aggregate.csv)"
