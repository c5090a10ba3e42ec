#!/usr/bin/env bash
# Submits a sweep as an array job of N shards and the merge job that waits for them.
#
#   examples/slurm/submit.sh SWEEP.toml OUT_DIR N [extra sbatch options]
set -euo pipefail
here=$(dirname "$0")
sweep=${1:?usage: submit.sh SWEEP.toml OUT_DIR N}
out=${2:?output directory}
shards=${3:?number of shards}
shift 3
array=$(sbatch --parsable "$@" --array=0-$((shards - 1)) "$here/sweep.sbatch" "$sweep" "$out" "$shards")
merge=$(sbatch --parsable "$@" --dependency=afterok:"$array" "$here/merge.sbatch" "$out")
echo "array job $array ($shards shards), merge job $merge: results in $out/merged"
