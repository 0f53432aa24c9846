#!/usr/bin/env bash
# CTest driver for the VAE example in a small mode (a few hundred Fashion-MNIST images):
#   * two epochs: the validation -ELBO falls, every output file is written;
#   * one epoch, then --resume to two: the epoch table, the final -ELBO and log p(x) equal the
#     uninterrupted run's exactly (bit-for-bit resume);
#   * a corrupted checkpoint is refused with a clear message.
# Usage: check.sh <vae binary> <work dir> [extra flags]
set -euo pipefail
vae=$1; work=$2; shift 2
rm -rf "$work"; mkdir -p "$work"
flags=(--limit 384 --eval-k 10 --threads 1 "$@")

"$vae" "${flags[@]}" --epochs 2 --out "$work/full" > "$work/full.log"
cat "$work/full.log"
for f in checkpoint.gdv epochs.csv samples.png reconstructions.png; do
  [ -s "$work/full/$f" ] || { echo "FAIL: $f not written"; exit 1; }
done
v1=$(awk -F, 'NR==2 {print $3}' "$work/full/epochs.csv")
v2=$(awk -F, 'NR==3 {print $3}' "$work/full/epochs.csv")
awk -v a="$v1" -v b="$v2" 'BEGIN { exit !(b < a) }' || { echo "FAIL: valid -ELBO did not fall ($v1 -> $v2)"; exit 1; }
grep -q "test log p(x)" "$work/full.log" || { echo "FAIL: no log p(x) line"; exit 1; }

"$vae" "${flags[@]}" --epochs 1 --out "$work/split" > "$work/split1.log"
"$vae" "${flags[@]}" --epochs 2 --out "$work/split" --resume > "$work/split2.log"
grep -q "resumed from" "$work/split2.log" || { echo "FAIL: did not resume"; exit 1; }
cut -d, -f1-3 "$work/full/epochs.csv" > "$work/a.csv"
cut -d, -f1-3 "$work/split/epochs.csv" > "$work/b.csv"
diff "$work/a.csv" "$work/b.csv" || { echo "FAIL: resumed epoch table differs"; exit 1; }
diff <(grep -E "^test" "$work/full.log" | sed 's/ *(.*s)//') \
     <(grep -E "^test" "$work/split2.log" | sed 's/ *(.*s)//') ||
  { echo "FAIL: resumed run ends elsewhere"; exit 1; }
cmp "$work/full/samples.png" "$work/split/samples.png" || { echo "FAIL: samples differ after resume"; exit 1; }

cp "$work/full/checkpoint.gdv" "$work/bad.gdv"
printf '\x55' | dd of="$work/bad.gdv" bs=1 seek=200 conv=notrunc status=none
mkdir -p "$work/bad" && cp "$work/bad.gdv" "$work/bad/checkpoint.gdv"
if "$vae" "${flags[@]}" --epochs 3 --out "$work/bad" --resume > "$work/bad.log" 2>&1; then
  echo "FAIL: a corrupt checkpoint was accepted"; exit 1
fi
grep -qi "checksum\|corrupt" "$work/bad.log" || { echo "FAIL: unclear error:"; cat "$work/bad.log"; exit 1; }
echo "vae check: OK"
