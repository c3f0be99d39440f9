"""Sudoku as a binary program.

One binary variable per (row, column, digit): it is 1 when that cell holds
that digit. Each cell holds one digit; each row, column and 3x3 box holds
each digit once; the givens are fixed. Any feasible point is a solution, so
the objective is constant. The model then asks CBC for a second solution
that differs from the first in at least one cell: none means the puzzle's
solution is unique.

`solve(data, options=None)` is the project's entry point (see orsa.toml).
Raise ValueError for bad input: the service answers 422 and a run ends
`invalid_input`, both with its message.
"""

import pulp

DIGITS = range(1, 10)
CELLS = range(9)


def _validate(data):
    if not isinstance(data, dict):
        raise ValueError("input must be a JSON object")
    grid = data.get("grid")
    if not isinstance(grid, list) or len(grid) != 9:
        raise ValueError("'grid' must be a list of 9 rows")
    for r, row in enumerate(grid):
        if not isinstance(row, list) or len(row) != 9:
            raise ValueError(f"row {r + 1} must be a list of 9 numbers")
        for c, value in enumerate(row):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 9:
                raise ValueError(f"cell ({r + 1}, {c + 1}) must be 0 (empty) or a digit 1-9")
    return grid


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


def _model(grid):
    problem = pulp.LpProblem("sudoku", pulp.LpMinimize)
    x = {
        (r, c, d): pulp.LpVariable(f"x_{r}_{c}_{d}", cat="Binary")
        for r in CELLS
        for c in CELLS
        for d in DIGITS
    }
    problem += pulp.lpSum([])  # a feasibility problem: no objective
    for r in CELLS:
        for c in CELLS:
            problem += pulp.lpSum(x[r, c, d] for d in DIGITS) == 1
    for d in DIGITS:
        for i in CELLS:
            problem += pulp.lpSum(x[i, c, d] for c in CELLS) == 1  # row i
            problem += pulp.lpSum(x[r, i, d] for r in CELLS) == 1  # column i
            top, left = 3 * (i // 3), 3 * (i % 3)
            problem += (
                pulp.lpSum(x[top + r, left + c, d] for r in range(3) for c in range(3)) == 1
            )  # box i
    for r in CELLS:
        for c in CELLS:
            if grid[r][c]:
                problem += x[r, c, grid[r][c]] == 1
    return problem, x


def _read(x):
    return [[next(d for d in DIGITS if x[r, c, d].value() > 0.5) for c in CELLS] for r in CELLS]


def solve(data: dict, options: dict | None = None) -> dict:
    grid = _validate(data)
    problem, x = _model(grid)
    problem.solve(_solver(options))
    status = pulp.LpStatus[problem.status]
    if status != "Optimal":
        return {"status": status, "grid": None, "unique": None}
    solution = _read(x)
    # Exclude this solution: at most 80 of its 81 cells may stay the same.
    problem += pulp.lpSum(x[r, c, solution[r][c]] for r in CELLS for c in CELLS) <= 80
    problem.solve(_solver(options))
    return {
        "status": status,
        "grid": solution,
        "unique": pulp.LpStatus[problem.status] == "Infeasible",
    }


if __name__ == "__main__":
    import json
    import sys

    with open(sys.argv[1] if len(sys.argv) > 1 else "input.json") as f:
        print(json.dumps(solve(json.load(f))))
