"""ORSA's service wrapper around {{ cookiecutter.owner }}/{{ cookiecutter.project_name }}."""
