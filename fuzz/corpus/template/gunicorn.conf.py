"""gunicorn settings for the {{ cookiecutter.project_name }} service (from orsa.toml).

The image runs `gunicorn -c /app/orsa_service/gunicorn.conf.py` in /app as
user {{ cookiecutter.user }}; ORSA_WORKERS overrides the worker count.
"""

import os

wsgi_app = "orsa_service.app:app"
chdir = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
bind = "0.0.0.0:{{ cookiecutter.port }}"
workers = int(os.environ.get("ORSA_WORKERS", "{{ cookiecutter.workers }}"))
# A request running longer than the project's timeout gets its worker restarted.
timeout = {{ cookiecutter.timeout }}
graceful_timeout = 10
# The heartbeat file must live on a writable tmpfs when the root is read-only.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

accesslog = "-"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "plain",
        },
    },
    "root": {"level": "INFO", "handlers": ["stdout"]},
    "loggers": {
{%- for name in ["gunicorn.error", "gunicorn.access"] %}
        "{{ name }}": {"level": "INFO", "handlers": ["stdout"], "propagate": False},
{%- endfor %}
    },
}
