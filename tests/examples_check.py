#!/usr/bin/python3
"""Checks the examples' known answers (examples/*/README.md).

  examples_check.py answer EXAMPLE_DIR RESULT_JSON   one result against its example's answer
  examples_check.py models EXAMPLES_DIR              each model on bad input: ValueError

Used by tests/examples_test.sh on results of the deployed services and runs;
`models` runs the models themselves with this machine's PuLP and CBC.
"""

import importlib.util
import json
import math
import sys
from pathlib import Path


def load_model(example_dir):
    spec = importlib.util.spec_from_file_location(f"model_{example_dir.name.replace('-', '_')}",
                                                  example_dir / "model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_blend(result, example_dir):
    assert result["status"] == "Optimal", result
    assert math.isclose(result["objective"], 0.52, abs_tol=1e-6), result
    amounts = result["amounts"]
    assert math.isclose(sum(amounts.values()), 100, abs_tol=1e-6), result
    assert math.isclose(amounts.get("beef", 0), 60, abs_tol=1e-6), result
    assert math.isclose(amounts.get("gel", 0), 40, abs_tol=1e-6), result


def check_transportation(result, example_dir):
    data = json.loads((example_dir / "input.json").read_text())
    assert result["status"] == "Optimal", result
    assert result["objective"] == 8600, result
    shipped, delivered, cost = {}, {}, 0
    for s in result["shipments"]:
        shipped[s["from"]] = shipped.get(s["from"], 0) + s["quantity"]
        delivered[s["to"]] = delivered.get(s["to"], 0) + s["quantity"]
        cost += s["quantity"] * data["costs"][s["from"]][s["to"]]
    assert delivered == data["demand"], result
    assert all(shipped[w] <= data["supply"][w] for w in shipped), result
    assert cost == 8600, (cost, result)


def check_sudoku(result, example_dir):
    givens = json.loads((example_dir / "input.json").read_text())["grid"]
    grid = result["grid"]
    assert result["status"] == "Optimal" and result["unique"] is True, result
    digits = set(range(1, 10))
    for i in range(9):
        assert set(grid[i]) == digits, f"row {i + 1}: {grid[i]}"
        assert {grid[r][i] for r in range(9)} == digits, f"column {i + 1}"
        top, left = 3 * (i // 3), 3 * (i % 3)
        box = {grid[top + r][left + c] for r in range(3) for c in range(3)}
        assert box == digits, f"box {i + 1}"
    for r in range(9):
        for c in range(9):
            assert givens[r][c] in (0, grid[r][c]), f"given ({r + 1}, {c + 1}) changed"


def check_facility_location(result, example_dir):
    data = json.loads((example_dir / "input.json").read_text())
    model = load_model(example_dir)
    inst = model.generate(data["seed"], data["facilities"], data["customers"],
                          data.get("capacity_ratio", 2.0))
    assert result["solution_status"] in ("Solution Found", "Optimal Solution Found"), result
    assign = result["assignment"]
    assert len(assign) == data["customers"], len(assign)
    assert set(assign) == set(result["open"]), "a customer served by a closed facility"
    for i in result["open"]:
        load = sum(d for d, f in zip(inst["demand"], assign) if f == i)
        assert load <= inst["capacity"][i], f"facility {i}: load {load} > {inst['capacity'][i]}"
        assert result["loads"][str(i)] == load, (i, result["loads"][str(i)], load)
    cost = sum(inst["fixed_cost"][i] for i in result["open"]) + sum(
        inst["cost"][f][j] for j, f in enumerate(assign))
    assert math.isclose(result["objective"], cost, abs_tol=0.01), (result["objective"], cost)
    assert result["objective"] <= result["greedy_cost"] + 1e-6, result
    assert math.isclose(result["greedy_cost"], model.plan_cost(inst, model.greedy(inst)),
                        abs_tol=0.01), result["greedy_cost"]


CHECKS = {
    "blend": check_blend,
    "transportation": check_transportation,
    "sudoku": check_sudoku,
    "facility-location": check_facility_location,
}

BAD_INPUTS = {
    "blend": [{}, {"batch_size": 100, "ingredients": [], "requirements": {"fat": {"min": 1}}},
              {"batch_size": 100, "ingredients": [{"name": "a", "cost": -1, "nutrients": {}}],
               "requirements": {"fat": {"min": 1}}}],
    "transportation": [{}, {"supply": {"A": 1}, "demand": {"1": 2}, "costs": {"A": {"1": 1}}},
                       {"supply": {"A": 5}, "demand": {"1": 2}, "costs": {"A": {}}}],
    "sudoku": [{}, {"grid": [[0] * 9] * 8}, {"grid": [[0] * 8 + [10]] + [[0] * 9] * 8}],
    "facility-location": [{}, {"seed": 1, "facilities": 1, "customers": 5},
                          {"seed": 1, "facilities": 10, "customers": 10, "extra": 1}],
}


def check_models(examples_dir):
    for name in CHECKS:
        model = load_model(examples_dir / name)
        for bad in BAD_INPUTS[name]:
            try:
                model.solve(bad)
            except ValueError as e:
                print(f"{name}: {json.dumps(bad)[:60]} → ValueError: {e}")
                continue
            raise AssertionError(f"{name}: no ValueError for {bad}")
        try:
            model.solve(json.loads((examples_dir / name / "input.json").read_text()),
                        {"time_limit_s": 0})
        except ValueError:
            continue
        raise AssertionError(f"{name}: no ValueError for time_limit_s=0")


def main(argv):
    if len(argv) == 3 and argv[1] == "models":
        check_models(Path(argv[2]))
        print("examples: bad input raises ValueError in every model")
        return
    if len(argv) == 4 and argv[1] == "answer":
        example_dir = Path(argv[2])
        result = json.loads(Path(argv[3]).read_text())
        CHECKS[example_dir.name](result, example_dir)
        print(f"{example_dir.name}: the known answer")
        return
    sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
