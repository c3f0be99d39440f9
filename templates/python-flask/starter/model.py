"""0/1 knapsack: choose items that maximise value within a weight capacity.

`solve(data, options=None)` is the project's entry point (see orsa.toml). It
receives the JSON body of POST /solve (or a run's input) as a dict and returns
a JSON-serialisable dict. Raise ValueError for bad input: the service answers
422 and a run ends `invalid_input`, both with its message.

A run also passes `options`: `time_limit_s` (the run's time limit), `seed` and
the caller's own keys. CBC gets the time limit (less a margin for start-up and
writing the result) and returns its best solution so far when it runs out;
its log is the run's log. `status` and `objective` are recorded in the run
history.
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


def _solver(options):
    if options is None:  # POST /solve: quick, quiet
        return pulp.COIN_CMD(msg=False)
    limit = options.get("time_limit_s")
    if limit is not None and (not isinstance(limit, (int, float)) or limit <= 0):
        raise ValueError("option 'time_limit_s' must be a positive number")
    # Debian's PuLP has no bundled CBC binary (PULP_CBC_CMD): call the system one.
    seconds = None if limit is None else max(1, int(limit - max(2.0, 0.05 * limit)))
    return pulp.COIN_CMD(msg=True, timeLimit=seconds)


def solve(data: dict, options: dict | None = None) -> dict:
    capacity, items = _validate(data)
    solver = _solver(options)
    problem = pulp.LpProblem("knapsack", pulp.LpMaximize)
    take = {it["name"]: pulp.LpVariable(f"take_{i}", cat="Binary") for i, it in enumerate(items)}
    problem += pulp.lpSum(it["value"] * take[it["name"]] for it in items)
    problem += pulp.lpSum(it["weight"] * take[it["name"]] for it in items) <= capacity
    problem.solve(solver)

    chosen = [it["name"] for it in items if take[it["name"]].value() > 0.5]
    return {
        "status": pulp.LpStatus[problem.status],
        # "Optimal Solution Found", or "Solution Found" when the time limit hit first
        "solution_status": pulp.LpSolution[problem.sol_status],
        "objective": pulp.value(problem.objective),
        "chosen": chosen,
        "total_weight": sum(it["weight"] for it in items if it["name"] in chosen),
    }


if __name__ == "__main__":
    import json
    import sys

    with open(sys.argv[1] if len(sys.argv) > 1 else "input.json") as f:
        print(json.dumps(solve(json.load(f)), indent=2))
