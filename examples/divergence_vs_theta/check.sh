#!/usr/bin/env bash
# CTest driver: a small sweep (θ ∈ {-1, 0, 1}, 400 steps) with looser bounds than the full
# experiment's: f-divergences within 3 % of their exact value at θ ≠ 0 and within 0.03 of 0 at
# θ = 0; Wasserstein corrected within 0.06 of |θ|, raw within 0.03 of |θ| + θ²/(2λ); CSV written.
set -euo pipefail
bin=$1; work=$2
rm -rf "$work"
"$bin" --theta-step 1 --steps 400 --eval-samples 16384 --out "$work" | tee "$work.log"
csv="$work/divergence_vs_theta.csv"
[ -s "$csv" ] || { echo "FAIL: no CSV"; exit 1; }
awk -F, 'NR > 1 {
  th = $1 + 0
  for (c = 2; c <= 6; c += 2) {
    est = $c; ex = $(c + 1)
    if (ex == 0) { if (est > 0.03 || est < -0.03) { print "FAIL: column " c " at theta " th ": " est; bad = 1 } }
    else if ((est - ex) / ex > 0.03 || (ex - est) / ex > 0.03) { print "FAIL: column " c " at theta " th ": " est " vs " ex; bad = 1 }
  }
  a = th < 0 ? -th : th
  if ($10 - a > 0.06 || a - $10 > 0.06) { print "FAIL: corrected W1 " $10 " at theta " th; bad = 1 }
  if ($8 - $11 > 0.03 || $11 - $8 > 0.03) { print "FAIL: raw W1 " $8 " vs predicted " $11 " at theta " th; bad = 1 }
  rows++
} END { if (rows != 3) { print "FAIL: " rows " rows"; bad = 1 } exit bad }' "$csv"
echo "divergence check: OK"
