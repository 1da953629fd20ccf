#!/bin/sh
# The main job on the default model: compile it to C, print the inspect
# table, verify the C layer by layer through the Node addon, run it.
set -eu
cd "$(dirname "$0")/.."
sh scripts/ensure-tools.sh host
[ -f dist/cli/main.js ] || npx tsc -p tsconfig.build.json
MODEL=${1:-examples/models/mobilenet_v1_0.25_96_int8.json}
NAME=$(basename "$MODEL" .json | tr -c 'A-Za-z0-9_\n' '_')
mobilec() { node dist/cli/main.js "$@"; }

echo "== mobilec compile $MODEL"
mobilec compile "$MODEL" --out "out/$NAME" --force
echo
echo "== mobilec inspect $MODEL"
mobilec inspect "$MODEL"
echo
echo "== mobilec verify $MODEL"
mobilec verify "$MODEL"
echo
echo "== mobilec run $MODEL --seed 1 --repeat 20"
mobilec run "$MODEL" --seed 1 --repeat 20
