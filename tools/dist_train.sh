#!/usr/bin/env bash
# Usage: tools/dist_train.sh CONFIG GPUS [train.py args]
# Multi-node: NNODES, NODE_RANK, MASTER_ADDR, PORT. Without GPUs the processes use gloo.
CONFIG=$1
GPUS=$2
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

# the data is checked once here, so that without it one short message comes, not one per rank
PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
$PYTHON "$(dirname "$0")/train.py" "$CONFIG" "${@:3}" --check-data-only || exit $?

PYTHONPATH="$(dirname "$0")/..":$PYTHONPATH \
$PYTHON -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    "$(dirname "$0")/train.py" \
    "$CONFIG" \
    --launcher pytorch "${@:3}"
