#!/usr/bin/env bash
# Serve Virgo-72B across several GPU nodes: vLLM on a Ray cluster, with tensor parallelism inside
# each node and pipeline parallelism across nodes. See docs/backends.md ("Serving Virgo-72B beyond
# one node").
#
# Every node needs: the same vLLM (and Ray) version, 8 GPUs, the weights of RUC-AIBOX/Virgo-72B at
# the same path or a shared Hugging Face cache (HF_HOME), and a fast network to the other nodes.
#
# Usage, in this order:
#   on the head node:        ./ray-cluster.sh head
#   on every other node:     ./ray-cluster.sh worker HEAD_IP
#   on the head node again:  ./ray-cluster.sh serve NODES        # NODES = head + workers, e.g. 2
# Then point the extension at http://HEAD_IP:8000/v1 (virgo.backendUrl, or a backend's url).
set -euo pipefail

RAY_PORT="${RAY_PORT:-6379}"
API_PORT="${API_PORT:-8000}"
# This node's address on the network the nodes share. Ray and vLLM must agree on it; on machines
# with several interfaces, set it (and the interface names below) explicitly.
NODE_IP="${NODE_IP:-$(hostname -I | awk '{print $1}')}"
export VLLM_HOST_IP="$NODE_IP"
# The interface NCCL and Gloo talk over (e.g. ib0 for InfiniBand, eth0); unset lets them guess.
# export NCCL_SOCKET_IFNAME=eth0
# export GLOO_SOCKET_IFNAME=eth0

case "${1:-}" in
  head)
    # --block keeps Ray in the foreground: run it in tmux/screen or as a service.
    ray start --head --port="$RAY_PORT" --node-ip-address="$NODE_IP" --block
    ;;
  worker)
    HEAD_IP="${2:?usage: $0 worker HEAD_IP}"
    ray start --address="$HEAD_IP:$RAY_PORT" --node-ip-address="$NODE_IP" --block
    ;;
  serve)
    NODES="${2:?usage: $0 serve NODES}"
    # All GPUs of all nodes should be listed before vLLM starts placing the model.
    ray status
    # --tensor-parallel-size 8: the 8 GPUs of each node (it must divide 64 heads and 8 KV heads).
    # --pipeline-parallel-size: one pipeline stage per node.
    # --distributed-executor-backend ray: place the workers on the Ray cluster, not just this node.
    # --max-model-len 32768: the context (prompt + answer); /v1/models reports it as max_model_len,
    #   and the extension fits max_tokens to it.
    # --limit-mm-per-prompt '{"image":4}': up to 4 images per request (older vLLM: image=4).
    # --served-model-name virgo-72b: the model id the extension asks for (virgo.model).
    # Add --api-key KEY to require a key (store it with "Virgo: Set API Key").
    exec vllm serve RUC-AIBOX/Virgo-72B \
      --host 0.0.0.0 --port "$API_PORT" \
      --tensor-parallel-size 8 \
      --pipeline-parallel-size "$NODES" \
      --distributed-executor-backend ray \
      --max-model-len 32768 \
      --limit-mm-per-prompt '{"image":4}' \
      --served-model-name virgo-72b
    ;;
  *)
    echo "usage: $0 head | worker HEAD_IP | serve NODES" >&2
    exit 2
    ;;
esac

# Check it from the machine the extension's language server runs on (the remote side in a
# Remote-SSH or dev container window):
#   curl http://HEAD_IP:8000/health       -> 200 once the engine is up (503 if it died)
#   curl http://HEAD_IP:8000/v1/models    -> {"data":[{"id":"virgo-72b","max_model_len":32768,…}]}
