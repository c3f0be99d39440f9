"""Blending: the cheapest mix of ingredients that meets nutrient requirements.

PuLP's Whiskas cat food problem: 100 g cans made of chicken, beef, mutton,
rice, wheat bran and gel, with at least 8 g protein and 6 g fat and at most
2 g fibre and 0.4 g salt per can, at the least cost.

`solve(data, options=None)` is the project's entry point (see orsa.toml).
Raise ValueError for bad input: the service answers 422 and a run ends
`invalid_input`, both with its message.
"""

import math

import pulp

MAX_INGREDIENTS = 1000
MAX_NUTRIENTS = 100


def _number(value, what, minimum=None):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{what} must be a number")
    if minimum is not None and value < minimum:
        raise ValueError(f"{what} must be at least {minimum}")
    return float(value)


def _validate_ingredients(items):
    if not isinstance(items, list) or not items:
        raise ValueError("'ingredients' must be a non-empty list")
    if len(items) > MAX_INGREDIENTS:
        raise ValueError(f"at most {MAX_INGREDIENTS} ingredients")
    names = set()
    for item in items:
        if not isinstance(item, dict):
            raise ValueError("each ingredient must be an object")
        name = item.get("name")
        if not isinstance(name, str) or not name or name in names:
            raise ValueError("each ingredient needs a unique, non-empty string 'name'")
        names.add(name)
        _number(item.get("cost"), f"ingredient {name!r}: 'cost'", 0)
        nutrients = item.get("nutrients")
        if not isinstance(nutrients, dict):
            raise ValueError(f"ingredient {name!r}: 'nutrients' must be an object")
        for nutrient, share in nutrients.items():
            _number(share, f"ingredient {name!r}: nutrient {nutrient!r}", 0)
    return items


def _validate_requirements(requirements):
    if not isinstance(requirements, dict) or not requirements:
        raise ValueError("'requirements' must be a non-empty object")
    if len(requirements) > MAX_NUTRIENTS:
        raise ValueError(f"at most {MAX_NUTRIENTS} requirements")
    for nutrient, bounds in requirements.items():
        if not isinstance(bounds, dict) or not bounds or set(bounds) - {"min", "max"}:
            raise ValueError(f"requirement {nutrient!r} must be an object with 'min' and/or 'max'")
        for key, value in bounds.items():
            _number(value, f"requirement {nutrient!r}: '{key}'", 0)
    return requirements


def _validate(data):
    if not isinstance(data, dict):
        raise ValueError("input must be a JSON object")
    batch = _number(data.get("batch_size"), "'batch_size'", 0)
    return batch, _validate_ingredients(data.get("ingredients")), _validate_requirements(
        data.get("requirements")
    )


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
    batch, ingredients, requirements = _validate(data)
    solver = _solver(options)
    problem = pulp.LpProblem("blend", pulp.LpMinimize)
    amount = [pulp.LpVariable(f"amount_{i}", lowBound=0) for i in range(len(ingredients))]

    def content(nutrient):
        return pulp.lpSum(
            it["nutrients"].get(nutrient, 0) * amount[i] for i, it in enumerate(ingredients)
        )

    problem += pulp.lpSum(it["cost"] * amount[i] for i, it in enumerate(ingredients))
    problem += pulp.lpSum(amount) == batch, "batch_size"
    for nutrient, bounds in requirements.items():
        if "min" in bounds:
            problem += content(nutrient) >= bounds["min"], f"min_{len(problem.constraints)}"
        if "max" in bounds:
            problem += content(nutrient) <= bounds["max"], f"max_{len(problem.constraints)}"
    problem.solve(solver)

    status = pulp.LpStatus[problem.status]
    result = {"status": status, "solution_status": pulp.LpSolution[problem.sol_status]}
    if status != "Optimal":
        return result
    amounts = {it["name"]: round(amount[i].value() or 0.0, 6) for i, it in enumerate(ingredients)}
    return {
        **result,
        "objective": round(pulp.value(problem.objective), 6),
        "amounts": {name: grams for name, grams in amounts.items() if grams > 1e-9},
        "nutrients": {n: round(pulp.value(content(n)), 6) for n in requirements},
    }


if __name__ == "__main__":
    import json
    import sys

    with open(sys.argv[1] if len(sys.argv) > 1 else "input.json") as f:
        print(json.dumps(solve(json.load(f)), indent=2))
