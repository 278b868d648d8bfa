"""The store of shipped checkpoints, verified against a sha256 manifest.

Layout of a store root (the zoo ships one at `zoo/checkpoints/`):

    MANIFEST.json              every file of every checkpoint, with sha256 and size
    <name>/config.json         the config the weights were trained with
    <name>/metadata.json       command, flags, seed, steps, wall time, versions, metrics,
                               and the variable signature (path and shape of each weight)
    <name>/model.weights.h5    Keras 3 weights
    <name>/card.md             the model card

The loader verifies every file of a checkpoint before reading any of it, and refuses a
file that is missing, truncated, altered or unlisted, naming the file. It then checks
the variable signature against the model, so weights that do not fit are refused with
the variable (and layer) named, never partially loaded.

Exports are atomic: files are written into a temporary folder beside the target, the
folder is renamed into place, and the manifest is rewritten through a temporary file
and `os.replace`.
"""

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from typing import Optional

__all__ = [
    "CheckpointError",
    "CheckpointStore",
    "DEFAULT_ROOT",
    "WEIGHTS_FILE",
    "sha256_file",
    "variable_signature",
]

DEFAULT_ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "checkpoints")
MANIFEST_FILE = "MANIFEST.json"
WEIGHTS_FILE = "model.weights.h5"
CONFIG_FILE = "config.json"
METADATA_FILE = "metadata.json"
CARD_FILE = "card.md"


class CheckpointError(RuntimeError):
  """A checkpoint that is missing, corrupt, or does not fit the model."""


def sha256_file(path: str) -> str:
  h = hashlib.sha256()
  with open(path, "rb") as f:
    for block in iter(lambda: f.read(1 << 20), b""):
      h.update(block)
  return h.hexdigest()


def variable_signature(model) -> list:
  """[[path, shape]] of every weight of `model`, in Keras' (deterministic) order."""
  return [[v.path, [int(d) for d in v.shape]] for v in model.weights]


def _layer(path: str) -> str:
  return path.rsplit("/", 1)[0] if "/" in path else path


def check_signature(model, expected: list, source: str):
  """Raises CheckpointError naming the first weight that does not fit.

  Weights are matched in order (as Keras loads them); their paths name the layer in
  the message.
  """
  actual = variable_signature(model)
  expected_paths = {p for p, _ in expected}
  actual_paths = {p for p, _ in actual}
  for path, shape in expected:
    if path not in actual_paths and len(expected) > len(actual):
      raise CheckpointError(
          f"{source} does not fit the model: it has weight '{path}' (layer "
          f"'{_layer(path)}', shape {tuple(shape)}) that the model lacks "
          f"({len(expected)} weights in the checkpoint, {len(actual)} in the model). "
          "Was the model built with a different architecture config?")
  for path, shape in actual:
    if path not in expected_paths and len(actual) > len(expected):
      raise CheckpointError(
          f"{source} does not fit the model: the model's weight '{path}' (layer "
          f"'{_layer(path)}', shape {tuple(shape)}) is not in the checkpoint "
          f"({len(expected)} weights in the checkpoint, {len(actual)} in the model).")
  if len(actual) != len(expected):
    raise CheckpointError(
        f"{source} does not fit the model: {len(expected)} weights in the checkpoint, "
        f"{len(actual)} in the model.")
  for (e_path, e_shape), (a_path, a_shape) in zip(expected, actual):
    if e_shape != a_shape:
      stored_as = f" (stored as '{e_path}')" if e_path != a_path else ""
      raise CheckpointError(
          f"{source} does not fit the model: layer '{_layer(a_path)}' weight "
          f"'{a_path}' has shape {tuple(e_shape)} in the checkpoint{stored_as} "
          f"but {tuple(a_shape)} in the model.")


def _write_json_atomic(path: str, data) -> None:
  directory = os.path.dirname(path) or "."
  fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=directory)
  try:
    with os.fdopen(fd, "w") as f:
      json.dump(data, f, indent=2, sort_keys=True)
      f.write("\n")
    os.replace(tmp, path)
  except BaseException:
    if os.path.exists(tmp):
      os.remove(tmp)
    raise


class CheckpointStore:
  """A folder of checkpoints with a manifest. `CheckpointStore()` is the shipped one."""

  def __init__(self, root: Optional[str] = None):
    self.root = os.path.abspath(root or DEFAULT_ROOT)

  # Reading.

  def _manifest(self) -> dict:
    path = os.path.join(self.root, MANIFEST_FILE)
    if not os.path.exists(path):
      return {"format": 1, "checkpoints": {}}
    try:
      with open(path) as f:
        data = json.load(f)
    except (OSError, ValueError) as e:
      raise CheckpointError(f"Manifest {path} is unreadable: {e}") from e
    if not isinstance(data, dict) or "checkpoints" not in data:
      raise CheckpointError(f"Manifest {path} has no 'checkpoints' entry")
    return data

  def names(self) -> list:
    return sorted(self._manifest()["checkpoints"])

  def has(self, name: str) -> bool:
    return name in self._manifest()["checkpoints"]

  def path(self, name: str) -> str:
    return os.path.join(self.root, name)

  def verify(self, name: str) -> str:
    """Checks every file of checkpoint `name` against the manifest; returns its path."""
    entry = self._manifest()["checkpoints"].get(name)
    if entry is None:
      raise CheckpointError(
          f"No shipped checkpoint for {name!r} in {self.root} (the manifest lists "
          f"{', '.join(self.names()) or 'none'}). Use pretrained=False to build it "
          "untrained, or train one with --mode=train.")
    folder = self.path(name)
    listed = entry["files"]
    for rel, info in sorted(listed.items()):
      path = os.path.join(folder, rel)
      if not os.path.isfile(path):
        raise CheckpointError(f"Checkpoint {name!r}: file {path} is missing.")
      size = os.path.getsize(path)
      if size != info["bytes"]:
        what = "truncated" if size < info["bytes"] else "longer than listed"
        raise CheckpointError(
            f"Checkpoint {name!r}: file {path} is {what} ({size} bytes; the manifest "
            f"lists {info['bytes']}).")
      digest = sha256_file(path)
      if digest != info["sha256"]:
        raise CheckpointError(
            f"Checkpoint {name!r}: file {path} was altered (sha256 {digest[:16]}...; "
            f"the manifest lists {info['sha256'][:16]}...).")
    present = {os.path.relpath(os.path.join(d, f), folder)
               for d, _, files in os.walk(folder) for f in files}
    unlisted = sorted(present - set(listed))
    if unlisted:
      raise CheckpointError(
          f"Checkpoint {name!r}: file(s) {unlisted} in {folder} are not in the manifest.")
    return folder

  def read_json(self, name: str, filename: str) -> dict:
    folder = self.verify(name)
    with open(os.path.join(folder, filename)) as f:
      return json.load(f)

  def load_weights(self, model, name: str) -> dict:
    """Verifies checkpoint `name` and loads its weights into `model`; returns metadata."""
    folder = self.verify(name)
    with open(os.path.join(folder, METADATA_FILE)) as f:
      metadata = json.load(f)
    load_weights_file(model, os.path.join(folder, WEIGHTS_FILE),
                      metadata.get("variables"), source=f"Checkpoint {name!r}")
    return metadata

  # Writing.

  def _update_manifest(self, update) -> None:
    """Read-modify-write of the manifest under a lock, so concurrent writers keep each
    other's entries: `update(entries)` edits the `checkpoints` dict in place."""
    with open(os.path.join(self.root, ".manifest.lock"), "w") as lock:
      fcntl.flock(lock, fcntl.LOCK_EX)
      manifest = self._manifest()
      update(manifest["checkpoints"])
      _write_json_atomic(os.path.join(self.root, MANIFEST_FILE), manifest)

  def write_card(self, name: str, card: str) -> str:
    """Replaces the model card of checkpoint `name` (verified first) and its manifest
    entry; weights, config and metadata are left as they are. Returns the card's path.
    """
    folder = self.verify(name)
    path = os.path.join(folder, CARD_FILE)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)
    try:
      with os.fdopen(fd, "w") as f:
        f.write(card)
      info = {"sha256": sha256_file(tmp), "bytes": os.path.getsize(tmp)}
      os.replace(tmp, path)
      tmp = None
    finally:
      if tmp and os.path.exists(tmp):
        os.remove(tmp)

    def set_card(entries):
      entries[name]["files"][CARD_FILE] = info

    self._update_manifest(set_card)
    return path

  def export(self, name: str, model, config: dict, metadata: dict, card: str) -> str:
    """Writes checkpoint `name` atomically and records it in the manifest."""
    os.makedirs(self.root, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=f".{name}.tmp-", dir=self.root)
    try:
      model.save_weights(os.path.join(tmp, WEIGHTS_FILE))
      metadata = dict(metadata, variables=variable_signature(model))
      for filename, data in ((CONFIG_FILE, config), (METADATA_FILE, metadata)):
        with open(os.path.join(tmp, filename), "w") as f:
          json.dump(data, f, indent=2, sort_keys=True)
          f.write("\n")
      with open(os.path.join(tmp, CARD_FILE), "w") as f:
        f.write(card)
      files = {}
      for filename in sorted(os.listdir(tmp)):
        path = os.path.join(tmp, filename)
        files[filename] = {"sha256": sha256_file(path), "bytes": os.path.getsize(path)}
      target = self.path(name)
      old = None
      if os.path.exists(target):
        old = tempfile.mkdtemp(prefix=f".{name}.old-", dir=self.root)
        os.rmdir(old)
        os.rename(target, old)
      os.rename(tmp, target)
      tmp = None
      if old:
        shutil.rmtree(old)

      def set_entry(entries):
        entries[name] = {"files": files}

      self._update_manifest(set_entry)
      return target
    finally:
      if tmp and os.path.exists(tmp):
        shutil.rmtree(tmp)


def load_weights_file(model, path: str, signature: Optional[list], source: str):
  """Loads a `.weights.h5` file into `model` after checking it fits.

  With no `signature` (a bare weights file from outside a store) the check is left to
  Keras, whose errors are re-raised naming the file.
  """
  if not os.path.isfile(path):
    raise CheckpointError(f"{source}: weights file {path} does not exist.")
  if signature is not None:
    check_signature(model, signature, source)
  try:
    model.load_weights(path)
  except Exception as e:  # Keras raises several types for corrupt or unfit files.
    raise CheckpointError(f"{source}: could not load weights {path}: {e}") from e
