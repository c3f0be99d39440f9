#!/usr/bin/python3
"""Renders a template with the real `cookiecutter --no-input` and with
`orsa-builder render`, from the same extra context, and requires identical
trees: paths, bytes and executable bits.

usage: cookiecutter_compare.py ORSA_BUILDER TEMPLATE_DIR CONTEXT_JSON
CONTEXT_JSON is a JSON object of strings (cookiecutter's key=value args are
strings too); `{}` means defaults only.
"""

import json
import os
import subprocess
import sys
import tempfile


def tree(root):
    """{relative path: (kind, bytes or None, executable)} for every entry."""
    entries = {}
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(base, name)
            rel = os.path.relpath(path, root)
            if os.path.islink(path):
                entries[rel] = ("link", os.readlink(path), False)
            elif os.path.isdir(path):
                entries[rel] = ("dir", None, False)
            else:
                with open(path, "rb") as f:
                    entries[rel] = ("file", f.read(), bool(os.stat(path).st_mode & 0o111))
    return entries


def main():
    builder, template, context_file = sys.argv[1:4]
    with open(context_file) as f:
        context = json.load(f)
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, HOME=tmp)  # cookiecutter writes ~/.cookiecutter_replay
        theirs, ours = os.path.join(tmp, "theirs"), os.path.join(tmp, "ours")
        args = [f"{key}={value}" for key, value in context.items()]
        subprocess.run(["cookiecutter", "--no-input", "-o", theirs, template, *args],
                       check=True, env=env)
        subprocess.run([builder, "render", "--template", template, "--context", context_file,
                        "--out", ours], check=True, env=env)
        a, b = tree(theirs), tree(ours)
        problems = [f"only cookiecutter made {p}" for p in sorted(a.keys() - b.keys())]
        problems += [f"only orsa-builder made {p}" for p in sorted(b.keys() - a.keys())]
        for path in sorted(a.keys() & b.keys()):
            if a[path] != b[path]:
                problems.append(f"{path} differs:\n  cookiecutter: {a[path]!r}\n"
                                f"  orsa-builder: {b[path]!r}")
        if not a:
            problems.append("cookiecutter produced nothing")
        for problem in problems:
            print(problem, file=sys.stderr)
        print(f"{len(a)} entries compared, {len(problems)} problems")
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
