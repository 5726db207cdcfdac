#!/bin/sh
# nats.sh: the NATS path against `stixcel run` as whole processes (issue 24), each best of 3
# in the same run, on one machine: a fresh nats-server, a warm `stixcel serve` (both stages,
# --idle-flush 200ms), then the clock runs from `stixcel publish` of the ten OTRF Windows
# datasets ten times over (100 files, 94,200 lines) until `stixcel alerts` lists as many
# alerts as `run` gives on the same files; then `stixcel run` on them. It checks that the
# alert ids are run's, and prints both times and the ratio of events/s (NATS / run).
#
#   STIXCEL_SHARED=/path/to/shared bench/nats.sh           # the enterprise ATT&CK plans
#   BIG=1 STIXCEL_SHARED=/path/to/shared bench/nats.sh     # with the built-in pack and SigmaHQ's Windows rules
#
# Needs nats-server on PATH (go install github.com/nats-io/nats-server/v2@v2.15.2), curl, the
# shared material ($STIXCEL_SHARED: attack/, sigma/, datasets/otrf-windows/) and a few
# hundred MB in $TMPDIR. The ports are 14222 and 18222 unless PORT and METRICS say otherwise.
set -eu
: "${STIXCEL_SHARED:?set STIXCEL_SHARED to the shared material (attack/, sigma/, datasets/)}"
S=$STIXCEL_SHARED
RUNS=${RUNS:-3}
PORT=${PORT:-14222}
METRICS=${METRICS:-18222}
command -v nats-server >/dev/null || { echo "nats.sh: nats-server is not on PATH" >&2; exit 1; }
bench=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$bench")
work=$(mktemp -d "${TMPDIR:-/tmp}/stixcel-nats.XXXXXX")
pids=
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
echo "building stixcel in $work" >&2
(cd "$root" && go build -o "$work/stixcel" ./cmd/stixcel)
x="$work/stixcel"

if [ "${BIG:-}" ]; then
	echo "compiling the artifact (built-in pack, enterprise ATT&CK, SigmaHQ Windows rules)" >&2
	set -- --sigma "$S/sigma/rules/windows" --sigma "$S/sigma/rules-emerging-threats" \
		--sigma "$S/sigma/rules-threat-hunting/windows"
else
	echo "compiling the artifact (built-in pack, enterprise ATT&CK)" >&2
	set --
fi
"$x" compile --bundle "$S/attack/enterprise-attack-18.1-detection.json" "$@" -o "$work/plans.json" \
	2>"$work/compile.log" || { cat "$work/compile.log" >&2; exit 1; }
tail -1 "$work/compile.log" >&2

mkdir "$work/in"
for i in 0 1 2 3 4 5 6 7 8 9; do
	for f in "$S"/datasets/otrf-windows/*.jsonl; do cp "$f" "$work/in/c$i-$(basename "$f")"; done
done
echo "input: $(cat "$work"/in/*.jsonl | wc -l) lines in $(ls "$work/in" | wc -l) files" >&2

# ids FILE: the sorted alert ids of a file of alerts, one JSON object per line (its first key).
ids() { grep -o '^{"id":"[^"]*"' "$1" | sort; }

"$x" run --plans "$work/plans.json" --source windows "$work"/in/*.jsonl >"$work/run.alerts" 2>/dev/null
want=$(ids "$work/run.alerts" | wc -l)
echo "run gives $want alerts" >&2

now() { date +%s.%N; }
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a == "" || b < a) ? b : a }'; }

natsbest= runbest=
for run in $(seq "$RUNS"); do
	mkdir "$work/js$run"
	nats-server -js -sd "$work/js$run" -p "$PORT" >"$work/server.log" 2>&1 &
	server=$!
	pids="$pids $server"
	url=nats://127.0.0.1:$PORT
	sleep 0.5
	"$x" serve --nats "$url" --plans "$work/plans.json" --source windows --idle-flush 200ms \
		--metrics "127.0.0.1:$METRICS" >/dev/null 2>"$work/serve.log" &
	serve=$!
	pids="$pids $serve"
	until curl -sf "http://127.0.0.1:$METRICS/readyz" >/dev/null; do
		kill -0 "$serve" 2>/dev/null || { cat "$work/serve.log" >&2; exit 1; }
		sleep 0.1
	done
	start=$(now)
	"$x" publish --nats "$url" --source windows "$work"/in/*.jsonl >/dev/null 2>"$work/publish.log"
	until "$x" alerts --nats "$url" >"$work/nats.alerts" 2>/dev/null && [ "$(wc -l <"$work/nats.alerts")" -ge "$want" ]; do
		sleep 0.05
	done
	end=$(now)
	kill "$serve" "$server"
	wait "$serve" "$server" 2>/dev/null || true
	pids=
	ids "$work/run.alerts" >"$work/want.ids"
	ids "$work/nats.alerts" >"$work/got.ids"
	cmp -s "$work/want.ids" "$work/got.ids" || { echo "nats.sh: the NATS path's alerts are not run's" >&2; exit 1; }
	wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }')
	natsbest=$(best "$natsbest" "$wall")

	start=$(now)
	"$x" run --plans "$work/plans.json" --source windows "$work"/in/*.jsonl >/dev/null 2>&1
	end=$(now)
	rwall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }')
	runbest=$(best "$runbest" "$rwall")
	echo "  run $run: NATS path ${wall}s, run ${rwall}s" >&2
done
awk -v n="$natsbest" -v r="$runbest" 'BEGIN {
	printf "best of %d: NATS path %.2f s, run %.2f s\n", '"$RUNS"', n, r
	printf "NATS path / run events/s: %.2fx (the same %d alerts)\n", r / n, '"$want"'
}'
