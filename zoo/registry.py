"""The registry of zoo entries, named `method.variant`.

A method package registers one `ModelSpec` per variant it ships (for example
`l2l_lstm.quadratic10`). The zoo imports every method package explicitly (see
`zoo/catalog.py`) the first time a name is looked up, so importing `zoo` stays cheap
and registration never depends on import order elsewhere.
"""

import dataclasses
import difflib
import fnmatch
import re
from typing import Any, Callable, Mapping, Optional, Sequence

__all__ = [
    "ModelSpec",
    "UnknownModelError",
    "get_spec",
    "list_models",
    "register",
]

_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9][a-z0-9_]*$")
_REGISTRY: dict = {}
_catalog_loaded = False


class UnknownModelError(KeyError):
  """A model name that is not registered."""

  def __str__(self):  # KeyError quotes its message; keep it readable.
    return str(self.args[0])


@dataclasses.dataclass(frozen=True)
class ModelSpec:
  """What the zoo knows about one registered variant.

  Attributes:
    name: `method.variant`, lowercase snake case.
    config: the variant's frozen dataclass config (defaults for `create`).
    build: `build(config) -> keras.Model`, a fresh, untrained model.
    train: `train(model, config, context) -> dict` of final metrics; meta-trains
      `model` in place (see `zoo.training.TrainContext`).
    evaluate: `evaluate(model, config, context) -> zoo.evaluation.Report`.
    paper: citation of the paper the variant reproduces.
    summary: one line for `--mode=list`.
    deviations: where the implementation departs from the paper, and why.
    claim: the headline claim the evaluation checks, in words.
    smoke_loss: `smoke_loss(model, config) -> scalar`: a tiny, cheap loss that
      depends on every trainable weight; the registry-driven test suite checks that
      each weight gets a finite gradient from it.
    actions: extra CLI modes of this model, `name -> action(model, config, context)`
      with a `zoo.evaluation.ActionContext`; e.g. {"sample": ...} makes
      `--mode=sample --model=NAME --action_args=length=200` work.
    optimize: learned optimizers only: `optimize(model, family, steps, record_every)
      -> fn(seeds) -> objective [steps // record_every + 1, B]` runs the model on a
      problem family of `models.optimizees`, so evaluations can put the zoo's learned
      optimizers side by side without importing one another.
  """
  name: str
  config: Any
  build: Callable
  train: Callable
  evaluate: Callable
  paper: str
  summary: str
  claim: str = ""
  deviations: Sequence[str] = ()
  smoke_loss: Optional[Callable] = None
  actions: Mapping[str, Callable] = dataclasses.field(default_factory=dict)
  optimize: Optional[Callable] = None

  @property
  def method(self) -> str:
    return self.name.split(".", 1)[0]


def register(spec: ModelSpec) -> ModelSpec:
  """Adds `spec` to the registry; a name registered twice raises."""
  if not _NAME_RE.match(spec.name):
    raise ValueError(
        f"Registry names are `method.variant` in lowercase snake case; "
        f"received: {spec.name!r}")
  if spec.name in _REGISTRY:
    raise ValueError(f"Model {spec.name!r} is already registered")
  _REGISTRY[spec.name] = spec
  return spec


def _ensure_catalog():
  global _catalog_loaded
  if not _catalog_loaded:
    _catalog_loaded = True
    from zoo import catalog  # pylint: disable=g-import-not-at-top
    catalog.load_all()


def list_models(pattern: str = "*") -> list:
  """Registered names matching a shell-style wildcard, e.g. `"l2l_lstm.*"`."""
  _ensure_catalog()
  return sorted(n for n in _REGISTRY if fnmatch.fnmatchcase(n, pattern))


def closest_names(name: str, n: int = 5) -> list:
  _ensure_catalog()
  names = sorted(_REGISTRY)
  close = difflib.get_close_matches(name, names, n=n, cutoff=0.4)
  method = name.split(".", 1)[0]
  same_method = [x for x in names if x.split(".", 1)[0] == method]
  for x in same_method:
    if x not in close and len(close) < n:
      close.append(x)
  return close


def get_spec(name: str) -> ModelSpec:
  """The spec registered as `name`.

  Raises:
    UnknownModelError: listing the closest registered names.
  """
  _ensure_catalog()
  if not isinstance(name, str) or name not in _REGISTRY:
    close = closest_names(str(name))
    hint = (f" Closest registered names: {', '.join(close)}." if close else "")
    raise UnknownModelError(
        f"Unknown model {name!r}.{hint} "
        f"`zoo.list_models()` lists all {len(_REGISTRY)} registered names.")
  return _REGISTRY[name]


def resolve(pattern: Optional[str]) -> list:
  """Names matched by `pattern` (a name or a wildcard); unknown names raise."""
  if not pattern or pattern in ("*", "all"):
    return list_models("*")
  if any(ch in pattern for ch in "*?["):
    names = list_models(pattern)
    if not names:
      raise UnknownModelError(
          f"No registered model matches {pattern!r}. Registered: "
          f"{', '.join(list_models())}.")
    return names
  return [get_spec(pattern).name]
