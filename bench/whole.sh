#!/bin/sh
# whole.sh: stixcel against its baselines as whole processes (issue 24), each best of 3 in
# the same run: `stixcel run` with one artifact of the built-in pack, the enterprise ATT&CK
# plans and SigmaHQ's Windows rules over the ten OTRF Windows datasets ten times over
# (94,200 lines); its start-up (the same artifact, an empty input); decodejson (the lines
# decoded with encoding/json, nothing else); sigmago (the same Sigma rules with sigma-go).
# The first three take turns, run after run. Prints best-of-3 wall, events/s, peak RSS (the
# largest of the three runs) and the ratios.
#
#   STIXCEL_SHARED=/path/to/shared bench/whole.sh
#
# Needs GNU time at /usr/bin/time (-v), the shared material ($STIXCEL_SHARED: attack/,
# sigma/, datasets/otrf-windows/) and a few hundred MB in $TMPDIR.
set -eu

: "${STIXCEL_SHARED:?set STIXCEL_SHARED to the shared material (attack/, sigma/, datasets/)}"
S=$STIXCEL_SHARED
RUNS=${RUNS:-3}
bench=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$bench")
work=$(mktemp -d "${TMPDIR:-/tmp}/stixcel-whole.XXXXXX")
trap 'rm -rf "$work"' EXIT

echo "building stixcel, decodejson, sigmago in $work" >&2
(cd "$root" && go build -o "$work/stixcel" ./cmd/stixcel)
(cd "$bench" && go build -o "$work/decodejson" ./cmd/decodejson && go build -o "$work/sigmago" ./cmd/sigmago)

echo "compiling the artifact (built-in pack, enterprise ATT&CK, SigmaHQ Windows rules)" >&2
"$work/stixcel" compile --bundle "$S/attack/enterprise-attack-18.1-detection.json" \
	--sigma "$S/sigma/rules/windows" --sigma "$S/sigma/rules-emerging-threats" \
	--sigma "$S/sigma/rules-threat-hunting/windows" -o "$work/big.json" 2>"$work/compile.log" ||
	{ cat "$work/compile.log" >&2; exit 1; }
tail -1 "$work/compile.log" >&2

for i in 1 2 3 4 5 6 7 8 9 10; do cat "$S"/datasets/otrf-windows/*.jsonl; done >"$work/x10.jsonl"
: >"$work/empty.jsonl"
events=$(grep -c '[^[:space:]]' "$work/x10.jsonl")
echo "input: $(wc -l <"$work/x10.jsonl") lines, $events events" >&2

# once NAME RUN CMD...: runs CMD once under /usr/bin/time -v and keeps the best wall seconds
# and the largest peak RSS (KiB) so far in $work/NAME.wall and $work/NAME.rss.
once() {
	name=$1 run=$2
	shift 2
	/usr/bin/time -v "$@" >"$work/$name.out" 2>"$work/$name.time" ||
		{ cat "$work/$name.time" >&2; exit 1; }
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {
		n = split($2, p, ":"); s = 0
		for (i = 1; i <= n; i++) s = s * 60 + p[i]
		print s }' "$work/$name.time")
	kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$name.time")
	best=$(cat "$work/$name.wall" 2>/dev/null || true)
	rss=$(cat "$work/$name.rss" 2>/dev/null || echo 0)
	awk -v a="$best" -v b="$wall" 'BEGIN { print (a == "" || b < a) ? b : a }' >"$work/$name.wall"
	awk -v a="$rss" -v b="$kb" 'BEGIN { print (b > a) ? b : a }' >"$work/$name.rss"
	echo "  $name run $run: ${wall}s, $((kb / 1024)) MiB" >&2
}

# stixcel, its start-up and the decoding baseline take turns, so that a machine that slows
# down or speeds up during the measure does so for all three alike.
echo "measuring, best of $RUNS, in turns (then sigmago, about a minute a run)" >&2
for run in $(seq "$RUNS"); do
	once stixcel "$run" "$work/stixcel" run --plans "$work/big.json" "$work/x10.jsonl"
	once startup "$run" "$work/stixcel" run --plans "$work/big.json" "$work/empty.jsonl"
	once decodejson "$run" "$work/decodejson" "$work/x10.jsonl"
done
for run in $(seq "$RUNS"); do
	once sigmago "$run" "$work/sigmago" --plans "$work/big.json" "$work/x10.jsonl"
done
cat "$work/sigmago.out" >&2

row() { # NAME EVENTS
	awk -v n="$1" -v e="$2" -v w="$(cat "$work/$1.wall")" -v k="$(cat "$work/$1.rss")" 'BEGIN {
		rate = (e > 0 && w > 0) ? sprintf("%.0f", e / w) : "-"
		printf "%-18s %9.2f %12s %10.0f\n", n, w, rate, k / 1024 }'
}
printf '%-18s %9s %12s %10s\n' "whole process" "wall s" "events/s" "peak MiB"
row stixcel "$events"
row startup 0
row decodejson "$events"
row sigmago "$events"
awk -v s="$(cat "$work/stixcel.wall")" -v u="$(cat "$work/startup.wall")" \
	-v d="$(cat "$work/decodejson.wall")" -v g="$(cat "$work/sigmago.wall")" -v e="$events" 'BEGIN {
	printf "stixcel / sigma-go events/s:      %.1fx\n", g / s
	printf "stixcel / encoding/json events/s: %.2fx\n", d / s
	if (s > u) printf "stixcel past start-up: %.0f events/s (%.2fx encoding/json)\n", e / (s - u), d / (s - u)
}'
