"""Loads and calls the project's entrypoint, shared by POST /solve and runs."""

import importlib
import inspect

from orsa_service import config


def load_entrypoint(spec=config.ENTRYPOINT):
    """Imports `module:function` and returns the function."""
    module_name, _, function_name = spec.partition(":")
    function = getattr(importlib.import_module(module_name), function_name, None)
    if not callable(function):
        raise RuntimeError(f"entrypoint {spec!r} is not a function")
    return function


def accepts_options(function):
    """Whether `function` takes a second positional argument (`options`)."""
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # no signature to read: call it the old way
        return False
    positional = 0
    for parameter in parameters:
        if parameter.kind == parameter.VAR_POSITIONAL:
            return True
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            positional += 1
    return positional >= 2


def call(function, data, options):
    """`function(data, options)`, or `function(data)` when it takes one argument."""
    if options is not None and accepts_options(function):
        return function(data, options)
    return function(data)
