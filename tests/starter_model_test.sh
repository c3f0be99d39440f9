#!/usr/bin/env bash
# Runs the python-flask starter's knapsack model on its own input.json with
# Debian's python3-pulp and CBC, and checks the known optimum and that bad
# input raises ValueError (which the service maps to 422).
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
print("starter model ok")
PY
