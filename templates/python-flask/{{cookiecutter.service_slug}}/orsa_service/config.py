"""Settings the ORSA builder rendered from orsa.toml; not meant to be edited.

The builder validates every value before rendering (identifiers, a slug,
a hex commit, integers), so they are safe to place in Python source.
"""

PROJECT = "{{ cookiecutter.project_name }}"
OWNER = "{{ cookiecutter.owner }}"
VERSION = "{{ cookiecutter.version }}"
COMMIT = "{{ cookiecutter.commit }}"
ENTRYPOINT = "{{ cookiecutter.entrypoint_module }}:{{ cookiecutter.entrypoint_function }}"
MAX_BODY_BYTES = {{ cookiecutter.max_body_bytes }}
TIMEOUT_SECONDS = {{ cookiecutter.timeout }}
WORKERS = {{ cookiecutter.workers }}
PORT = {{ cookiecutter.port }}
