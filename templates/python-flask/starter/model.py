"""0/1 knapsack: choose items that maximise value within a weight capacity.

`solve(data)` is the service's entry point (see orsa.toml). It receives the
JSON body of POST /solve as a dict and returns a JSON-serialisable dict.
Raise ValueError for bad input: the service answers 422 with its message.
"""

import pulp


def _validate(data):
    if not isinstance(data, dict):
        raise ValueError("input must be a JSON object")
    capacity = data.get("capacity")
    items = data.get("items")
    if not isinstance(capacity, (int, float)) or capacity < 0:
        raise ValueError("'capacity' must be a non-negative number")
    if not isinstance(items, list) or not items:
        raise ValueError("'items' must be a non-empty list")
    names = set()
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("each item must be an object")
        name, weight, value = item.get("name"), item.get("weight"), item.get("value")
        if not isinstance(name, str) or name in names:
            raise ValueError("each item needs a unique string 'name'")
        if not isinstance(weight, (int, float)) or weight < 0:
            raise ValueError(f"item {name!r}: 'weight' must be a non-negative number")
        if not isinstance(value, (int, float)):
            raise ValueError(f"item {name!r}: 'value' must be a number")
        names.add(name)
    return capacity, items


def solve(data: dict) -> dict:
    capacity, items = _validate(data)
    problem = pulp.LpProblem("knapsack", pulp.LpMaximize)
    take = {it["name"]: pulp.LpVariable(f"take_{i}", cat="Binary") for i, it in enumerate(items)}
    problem += pulp.lpSum(it["value"] * take[it["name"]] for it in items)
    problem += pulp.lpSum(it["weight"] * take[it["name"]] for it in items) <= capacity
    # Debian's PuLP has no bundled CBC binary: call the system one.
    problem.solve(pulp.COIN_CMD(msg=False))

    chosen = [it["name"] for it in items if take[it["name"]].value() > 0.5]
    return {
        "status": pulp.LpStatus[problem.status],
        "objective": pulp.value(problem.objective),
        "chosen": chosen,
        "total_weight": sum(it["weight"] for it in items if it["name"] in chosen),
    }


if __name__ == "__main__":
    import json
    import sys

    with open(sys.argv[1] if len(sys.argv) > 1 else "input.json") as f:
        print(json.dumps(solve(json.load(f)), indent=2))
