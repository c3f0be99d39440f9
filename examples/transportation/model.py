"""Transportation: ship crates from warehouses to bars at the least cost.

PuLP's beer distribution problem: two warehouses (A: 1000 crates, B: 4000)
supply five bars (demands 500, 900, 1800, 200 and 700) at a cost per crate
that depends on the route. Every bar gets exactly its demand; no warehouse
ships more than it holds; crates are whole.

`solve(data, options=None)` is the project's entry point (see orsa.toml).
Raise ValueError for bad input: the service answers 422 and a run ends
`invalid_input`, both with its message.
"""

import math

import pulp

MAX_SITES = 1000
MAX_ROUTES = 100_000


def _quantities(table, what):
    if not isinstance(table, dict) or not table:
        raise ValueError(f"'{what}' must be a non-empty object of name: quantity")
    if len(table) > MAX_SITES:
        raise ValueError(f"'{what}' may name at most {MAX_SITES} places")
    for name, quantity in table.items():
        if isinstance(quantity, bool) or not isinstance(quantity, (int, float)) or quantity < 0:
            raise ValueError(f"{what} of {name!r} must be a non-negative number")
    return table


def _costs(costs, supply, demand):
    if not isinstance(costs, dict):
        raise ValueError("'costs' must be an object: warehouse → bar → cost per unit")
    for warehouse in supply:
        row = costs.get(warehouse)
        if not isinstance(row, dict):
            raise ValueError(f"'costs' has no row for warehouse {warehouse!r}")
        for bar in demand:
            cost = row.get(bar)
            if not _is_number(cost) or not math.isfinite(cost):
                raise ValueError(f"cost from {warehouse!r} to {bar!r} must be a number")
    unknown = set(costs) - set(supply)
    if unknown:
        raise ValueError(f"'costs' names unknown warehouses: {sorted(unknown)}")
    return costs


def _validate(data):
    if not isinstance(data, dict):
        raise ValueError("input must be a JSON object")
    supply = _quantities(data.get("supply"), "supply")
    demand = _quantities(data.get("demand"), "demand")
    if len(supply) * len(demand) > MAX_ROUTES:
        raise ValueError(f"at most {MAX_ROUTES} routes (warehouses × bars)")
    if sum(demand.values()) > sum(supply.values()):
        raise ValueError("total demand exceeds total supply: no plan can meet it")
    return supply, demand, _costs(data.get("costs"), supply, demand)


def _is_number(value):
    return not isinstance(value, bool) and isinstance(value, (int, float))


def _solver(options):
    if options is None:  # POST /solve: quick, quiet
        return pulp.COIN_CMD(msg=False)
    limit = options.get("time_limit_s")
    if limit is not None and (not _is_number(limit) or limit <= 0):
        raise ValueError("option 'time_limit_s' must be a positive number")
    # Debian's PuLP has no bundled CBC binary (PULP_CBC_CMD): call the system one.
    seconds = None if limit is None else max(1, int(limit - max(2.0, 0.05 * limit)))
    return pulp.COIN_CMD(msg=True, timeLimit=seconds)


def solve(data: dict, options: dict | None = None) -> dict:
    supply, demand, costs = _validate(data)
    solver = _solver(options)
    routes = [(w, b) for w in supply for b in demand]
    problem = pulp.LpProblem("transportation", pulp.LpMinimize)
    ship = {
        route: pulp.LpVariable(f"ship_{i}", lowBound=0, cat="Integer")
        for i, route in enumerate(routes)
    }
    problem += pulp.lpSum(costs[w][b] * ship[w, b] for w, b in routes)
    for w in supply:
        problem += pulp.lpSum(ship[w, b] for b in demand) <= supply[w]
    for b in demand:
        problem += pulp.lpSum(ship[w, b] for w in supply) == demand[b]
    problem.solve(solver)

    status = pulp.LpStatus[problem.status]
    result = {"status": status, "solution_status": pulp.LpSolution[problem.sol_status]}
    if status != "Optimal":
        return result
    shipments = [
        {"from": w, "to": b, "quantity": round(ship[w, b].value())}
        for w, b in routes
        if ship[w, b].value() > 0.5
    ]
    return {**result, "objective": pulp.value(problem.objective), "shipments": shipments}


if __name__ == "__main__":
    import json
    import sys

    with open(sys.argv[1] if len(sys.argv) > 1 else "input.json") as f:
        print(json.dumps(solve(json.load(f)), indent=2))
