"""Runs the zoo's CLI (`//zoo:main`) in a subprocess, as a user would."""

import os
import subprocess
import sys


def main_path() -> str:
  """main.py inside the test's runfiles."""
  import zoo  # pylint: disable=g-import-not-at-top
  return os.path.join(os.path.dirname(os.path.abspath(zoo.__file__)), "main.py")


def cli_env(extra=None) -> dict:
  env = dict(os.environ)
  env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
  env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
  env.pop("BUILD_WORKING_DIRECTORY", None)
  env.update(extra or {})
  return env


def run_cli(args, cwd, env=None, timeout=600) -> subprocess.CompletedProcess:
  """Runs `main.py ARGS` with this test's Python; returns the completed process."""
  return subprocess.run([sys.executable, main_path()] + list(args), cwd=cwd,
                        env=cli_env(env), capture_output=True, text=True,
                        timeout=timeout)


def start_cli(args, cwd, env=None, **kwargs) -> subprocess.Popen:
  return subprocess.Popen([sys.executable, main_path()] + list(args), cwd=cwd,
                          env=cli_env(env), **kwargs)
