"""Where the zoo's TFDS builders write prepared data."""

import os

__all__ = ["default_data_dir"]


def default_data_dir() -> str:
  """`$METAZOO_DATA_DIR`, else `$TEST_TMPDIR/tensorflow_datasets` under a Bazel test,
  else `~/.cache/metazoo/tensorflow_datasets`."""
  if os.environ.get("METAZOO_DATA_DIR"):
    return os.environ["METAZOO_DATA_DIR"]
  if os.environ.get("TEST_TMPDIR"):
    return os.path.join(os.environ["TEST_TMPDIR"], "tensorflow_datasets")
  return os.path.join(os.path.expanduser("~"), ".cache", "metazoo", "tensorflow_datasets")
