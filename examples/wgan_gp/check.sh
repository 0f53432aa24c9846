#!/usr/bin/env bash
# CTest driver for the WGAN-GP example in a small mode (the first 320 images of each split: five
# critic steps an epoch, a one-epoch classifier, 200 generated images for the metrics):
#   * two epochs: every output file is written, every loss and Fréchet distance in the epoch
#     table and the quality table is finite, the real validation images are closer to the test
#     set than the untrained generator's images;
#   * one epoch, then --resume to two: the epoch table (seconds aside), the quality table and
#     the PNGs equal the uninterrupted run's exactly (bit-for-bit resume), and the cached
#     classifier is reused;
#   * a corrupted checkpoint is refused with a clear message.
# Usage: check.sh <wgan_gp binary> <work dir> [extra flags]
set -euo pipefail
bin=$1; work=$2; shift 2
rm -rf "$work"; mkdir -p "$work"
flags=(--limit 320 --classifier-epochs 1 --eval-samples 200 --threads 1 "$@")

"$bin" "${flags[@]}" --epochs 2 --log-every 2 --out "$work/full" > "$work/full.log"
cat "$work/full.log"
for f in checkpoint.gdv classifier.gdv epochs.csv quality.csv samples.png samples_epoch001.png \
         samples_epoch002.png latent_perturbation.png interpolation.png real.png; do
  [ -s "$work/full/$f" ] || { echo "FAIL: $f not written"; exit 1; }
done
grep -q "step        2: critic loss" "$work/full.log" || { echo "FAIL: no --log-every line"; exit 1; }
# Columns 2-6 of the epoch table (losses, W estimate, penalty, Frechet) and 3 of the quality table.
awk -F, 'NR > 1 { for (i = 2; i <= 6; ++i) if ($i !~ /^-?[0-9]+\.[0-9]+$/) { print "FAIL: epochs.csv field " i ": " $i; bad = 1 } }
         END { exit bad || NR != 3 }' "$work/full/epochs.csv" || { echo "FAIL: epoch table"; exit 1; }
awk -F, 'NR > 1 && NR < 5 { if ($3 !~ /^-?[0-9]+\.[0-9]+$/) { print "FAIL: quality.csv: " $0; bad = 1 } }
         END { exit bad || NR != 5 }' "$work/full/quality.csv" || { echo "FAIL: quality table"; exit 1; }
untrained=$(awk -F, '$1 == "generator_untrained" {print $3}' "$work/full/quality.csv")
realfd=$(awk -F, '$1 == "real_validation" {print $3}' "$work/full/quality.csv")
awk -v u="$untrained" -v r="$realfd" 'BEGIN { exit !(r < u) }' ||
  { echo "FAIL: real images ($realfd) not closer than an untrained generator ($untrained)"; exit 1; }
grep -q "NOT Inception-based FID" "$work/full.log" || { echo "FAIL: no FID disclaimer"; exit 1; }

"$bin" "${flags[@]}" --epochs 1 --out "$work/split" > "$work/split1.log"
"$bin" "${flags[@]}" --epochs 2 --out "$work/split" --resume > "$work/split2.log"
grep -q "resumed from" "$work/split2.log" || { echo "FAIL: did not resume"; exit 1; }
grep -q "classifier: loaded from" "$work/split2.log" || { echo "FAIL: cached classifier not reused"; exit 1; }
cut -d, -f1-6 "$work/full/epochs.csv" > "$work/a.csv"
cut -d, -f1-6 "$work/split/epochs.csv" > "$work/b.csv"
diff "$work/a.csv" "$work/b.csv" || { echo "FAIL: resumed epoch table differs"; exit 1; }
diff "$work/full/quality.csv" "$work/split/quality.csv" || { echo "FAIL: resumed run ends elsewhere"; exit 1; }
for f in samples.png latent_perturbation.png interpolation.png samples_epoch002.png; do
  cmp "$work/full/$f" "$work/split/$f" || { echo "FAIL: $f differs after resume"; exit 1; }
done

cp "$work/full/checkpoint.gdv" "$work/bad.gdv"
printf '\x55' | dd of="$work/bad.gdv" bs=1 seek=300 conv=notrunc status=none
mkdir -p "$work/bad" && cp "$work/bad.gdv" "$work/bad/checkpoint.gdv"
if "$bin" "${flags[@]}" --epochs 3 --out "$work/bad" --resume > "$work/bad.log" 2>&1; then
  echo "FAIL: a corrupt checkpoint was accepted"; exit 1
fi
grep -qi "checksum\|corrupt" "$work/bad.log" || { echo "FAIL: unclear error:"; cat "$work/bad.log"; exit 1; }
echo "wgan_gp check: OK"
