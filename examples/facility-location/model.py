"""Capacitated facility location with single sourcing, generated from a seed.

Open some of the candidate facilities (each has a fixed opening cost and a
capacity) and assign every customer to exactly one open facility that can
carry its demand, minimising opening costs plus transport costs (distance
times demand). The instance is generated deterministically from the input's
`seed` and sizes, so an input of a few numbers describes thousands of
binary variables — enough that CBC finds good plans quickly but does not
prove optimality in seconds. Solve it as a run with a time limit: CBC gets
the limit (less a margin) and returns its best plan so far.

`solve(data, options=None)` is the project's entry point (see orsa.toml).
Raise ValueError for bad input: the service answers 422 and a run ends
`invalid_input`, both with its message.
"""

import math
import random

import pulp

LIMITS = {"facilities": (2, 200), "customers": (1, 1000)}
MAX_ASSIGNMENTS = 50_000
SOLVE_DEFAULT_LIMIT_S = 20  # POST /solve without options: keep within the service's timeout


def _int_in(data, key, low, high):
    value = data.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"'{key}' must be an integer from {low} to {high}")
    return value


def _validate(data):
    if not isinstance(data, dict):
        raise ValueError("input must be a JSON object")
    unknown = set(data) - {"seed", "facilities", "customers", "capacity_ratio"}
    if unknown:
        raise ValueError(f"unknown keys: {sorted(unknown)}")
    seed = _int_in(data, "seed", 0, 2**31 - 1)
    sizes = {key: _int_in(data, key, *bounds) for key, bounds in LIMITS.items()}
    if sizes["facilities"] * sizes["customers"] > MAX_ASSIGNMENTS:
        raise ValueError(f"facilities × customers must be at most {MAX_ASSIGNMENTS}")
    ratio = data.get("capacity_ratio", 2.0)
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or not 1.2 <= ratio <= 10:
        raise ValueError("'capacity_ratio' must be a number from 1.2 to 10")
    return seed, sizes["facilities"], sizes["customers"], float(ratio)


def generate(seed, facilities, customers, capacity_ratio):
    """The instance: the same numbers for the same arguments, on any machine."""
    rng = random.Random(seed)
    sites = [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(facilities)]
    places = [(rng.uniform(0, 100), rng.uniform(0, 100)) for _ in range(customers)]
    demand = [rng.randint(5, 35) for _ in range(customers)]
    # Capacities around capacity_ratio × the average share, none below the
    # largest demand, so every customer fits somewhere and the whole
    # demand fits in the open facilities.
    share = capacity_ratio * sum(demand) / facilities
    capacity = [max(max(demand), round(share * rng.uniform(0.7, 1.3))) for _ in range(facilities)]
    fixed = [round(rng.uniform(500, 1500)) for _ in range(facilities)]
    cost = [
        [round(math.dist(sites[i], places[j]) * demand[j] / 10, 2) for j in range(customers)]
        for i in range(facilities)
    ]
    return {"capacity": capacity, "fixed_cost": fixed, "demand": demand, "cost": cost}


def greedy(instance):
    """A feasible plan (the warm start): each customer, largest demand first,
    to the cheapest facility with room. None if it paints itself into a corner."""
    capacity, demand, cost = instance["capacity"], instance["demand"], instance["cost"]
    fixed = instance["fixed_cost"]
    room = list(capacity)
    assign = [None] * len(demand)
    for j in sorted(range(len(demand)), key=lambda j: -demand[j]):
        fits = [i for i in range(len(room)) if room[i] >= demand[j]]
        if not fits:
            return None
        # Opening a facility costs its fixed cost on top of the transport.
        best = min(fits, key=lambda i: cost[i][j] + (fixed[i] if room[i] == capacity[i] else 0))
        assign[j] = best
        room[best] -= demand[j]
    return assign


def plan_cost(instance, assign):
    opened = sorted(set(assign))
    return sum(instance["fixed_cost"][i] for i in opened) + sum(
        instance["cost"][i][j] for j, i in enumerate(assign)
    )


def _time_limit(options):
    if options is None:
        return SOLVE_DEFAULT_LIMIT_S
    limit = options.get("time_limit_s")
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, (int, float)) or limit <= 0:
        raise ValueError("option 'time_limit_s' must be a positive number")
    return limit


def solve(data: dict, options: dict | None = None) -> dict:
    seed, n_fac, n_cust, ratio = _validate(data)
    limit = _time_limit(options)
    instance = generate(seed, n_fac, n_cust, ratio)
    capacity, demand, cost, fixed = (
        instance["capacity"], instance["demand"], instance["cost"], instance["fixed_cost"],
    )
    F, C = range(n_fac), range(n_cust)
    problem = pulp.LpProblem("facility_location", pulp.LpMinimize)
    open_ = [pulp.LpVariable(f"open_{i}", cat="Binary") for i in F]
    serve = [[pulp.LpVariable(f"serve_{i}_{j}", cat="Binary") for j in C] for i in F]
    problem += pulp.lpSum(fixed[i] * open_[i] for i in F) + pulp.lpSum(
        cost[i][j] * serve[i][j] for i in F for j in C
    )
    for j in C:
        problem += pulp.lpSum(serve[i][j] for i in F) == 1
    for i in F:
        problem += pulp.lpSum(demand[j] * serve[i][j] for j in C) <= capacity[i] * open_[i]
        for j in C:  # the strong linking: a closed facility serves nobody
            problem += serve[i][j] <= open_[i]

    start = greedy(instance)
    if start is not None:  # CBC starts from a feasible plan, so a limit still leaves one
        for i in F:
            open_[i].setInitialValue(1 if i in start else 0)
            for j in C:
                serve[i][j].setInitialValue(1 if start[j] == i else 0)
    # Debian's PuLP has no bundled CBC binary (PULP_CBC_CMD): call the system one.
    # The margin covers Python, building the model and reading the answer back.
    seconds = None if limit is None else max(1, int(limit - max(5.0, 0.2 * limit)))
    solver = pulp.COIN_CMD(msg=options is not None, timeLimit=seconds, warmStart=start is not None)
    problem.solve(solver)

    status = pulp.LpStatus[problem.status]
    result = {
        "status": status,
        "solution_status": pulp.LpSolution[problem.sol_status],
        "binaries": n_fac + n_fac * n_cust,
        "greedy_cost": None if start is None else round(plan_cost(instance, start), 2),
    }
    if problem.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return result
    assign = [next(i for i in F if serve[i][j].value() > 0.5) for j in C]
    loads = [sum(demand[j] for j in C if assign[j] == i) for i in F]
    return {
        **result,
        "objective": round(plan_cost(instance, assign), 2),
        "open": sorted(set(assign)),
        "assignment": assign,
        "loads": {str(i): loads[i] for i in sorted(set(assign))},
    }


if __name__ == "__main__":
    import json
    import sys

    with open(sys.argv[1] if len(sys.argv) > 1 else "input.json") as f:
        print(json.dumps(solve(json.load(f), {"time_limit_s": 20})))
