#!/usr/bin/env bash
# Runs the python-flask starter's knapsack model on its own input.json with
# Debian's python3-pulp and CBC, and checks the known optimum and that bad
# input raises ValueError (which the service maps to 422); run with options,
# CBC gets the time limit.
set -euo pipefail
cd "$1"
out=$(/usr/bin/python3 model.py input.json)
echo "$out"
/usr/bin/python3 - "$out" <<'PY'
import json, sys
result = json.loads(sys.argv[1])
assert result["status"] == "Optimal", result
assert result["objective"] == 15, result
assert sorted(result["chosen"]) == ["food", "lamp", "stove", "water"], result
assert result["total_weight"] == 8, result
sys.path.insert(0, ".")
import model
for bad in ({}, {"capacity": -1, "items": []}, {"capacity": 5, "items": [{"name": "a"}]}):
    try:
        model.solve(bad)
    except ValueError:
        continue
    raise AssertionError(f"no ValueError for {bad}")
# As a run: options with a time limit, same optimum; a bad limit is the input's fault.
with open("input.json") as f:
    example = json.load(f)
ran = model.solve(example, {"time_limit_s": 30, "seed": 1, "note": "user option"})
assert ran["objective"] == 15 and ran["status"] == "Optimal", ran
assert ran["solution_status"] == "Optimal Solution Found", ran
for limit in (0, -1, "5"):
    try:
        model.solve(example, {"time_limit_s": limit})
    except ValueError:
        continue
    raise AssertionError(f"no ValueError for time_limit_s={limit!r}")
print("starter model ok")
PY
# CBC itself gets the time limit (less the start-up margin), so it stops in
# time and PuLP reads back its incumbent.
log=$(/usr/bin/python3 -c 'import json, model; model.solve(json.load(open("input.json")), {"time_limit_s": 30})')
echo "$log" | grep -q "command line - cbc .* sec 28 " || { echo "CBC did not get the time limit: $log"; exit 1; }
echo "starter time limit ok"
