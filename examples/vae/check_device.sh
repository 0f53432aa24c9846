#!/usr/bin/env bash
# CTest driver for the VAE's --device-eval in a small mode (384 Fashion-MNIST images, one epoch,
# K = 50): the importance-sampled test log p(x) with the reductions on Thrust's OMP and CPP
# backends must equal the host (xtensor) path's to a relative 1e-6 (1e-3 nats at the
# -1145 nats this small model reaches). The samples and the decoder's logits are the same in all
# three runs; the device rows run the host's SIMD row loops on the host backends, but the
# log-weights are formed and summed in another order (per chunk, in order): measured 1e-6 nats
# apart (host -1145.216461, omp and cpp -1145.216462), 9e-10 relative.
# Usage: check_device.sh <vae binary> <work dir>
set -euo pipefail
vae=$1; work=$2
rm -rf "$work"; mkdir -p "$work"
flags=(--limit 384 --epochs 1 --eval-k 50 --threads 2)
for mode in host omp cpp; do
  # passive: libgomp's spinning workers would compete with OpenBLAS's threads (see vae.cpp)
  OMP_WAIT_POLICY=passive "$vae" "${flags[@]}" --device-eval "$mode" --out "$work/$mode" > "$work/$mode.log"
  grep "device-eval" "$work/$mode.log"
done
value() { sed -n 's/^log p(x) evaluation, --device-eval [a-z]*: \([-0-9.e+]*\),.*/\1/p' "$work/$1.log"; }
host=$(value host)
[ -n "$host" ] || { echo "FAIL: no log p(x) evaluation line"; cat "$work/host.log"; exit 1; }
for mode in omp cpp; do
  v=$(value "$mode")
  awk -v a="$host" -v b="$v" 'BEGIN { d = a - b; if (d < 0) d = -d; m = a < 0 ? -a : a;
                                      exit !(b != "" && d <= 1e-6 * m) }' ||
    { echo "FAIL: --device-eval $mode gives $v, host $host (relative tolerance 1e-6)"; exit 1; }
  echo "--device-eval $mode: $v vs host $host"
done
echo "vae device check: OK"
