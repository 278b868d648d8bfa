"""Learned optimizers against tuned hand-designed ones on the same tasks.

The protocol every learned optimizer in the zoo is evaluated with:
1. tune each baseline's learning rate on validation tasks (mean final loss, a grid
   widened until the best value is inside it);
2. run the learned optimizers and the tuned baselines on the same held-out test
   tasks, recording the full objective along the way;
3. report mean (± s.e.) and median final loss, and for each baseline the fraction of
   tasks on which a given learned optimizer ends lower (paired).
"""

import dataclasses
import functools

import numpy as np

from models.classic_optimizers import rules
from models.classic_optimizers import runner
from models.classic_optimizers import tuning
from zoo import evaluation

__all__ = ["BASELINE_NAMES", "Comparison", "compare", "shipped_learned_optimizers", "table"]

BASELINE_NAMES = {"adam": "Adam", "rmsprop": "RMSprop", "momentum": "SGD+momentum",
                  "nesterov": "SGD+Nesterov", "sgd": "SGD"}


@dataclasses.dataclass
class Comparison:
  """Curves `[R, num_tasks]` per method (learned ones first), at `steps` [R]."""
  family: str
  steps: np.ndarray
  curves: dict
  tuned: dict  # baseline key -> TuningResult
  learned: tuple  # names of the learned optimizers, in order

  def final(self, method):
    return self.curves[method][-1]


def compare(family, learned: dict, baselines, steps: int, val_seeds, test_seeds,
            record_every: int = 1, log=print, family_name: str = "") -> Comparison:
  """Runs `learned` (name -> fn(seeds) -> losses [R, B]) and tuned `baselines`
  (rule names) for `steps` steps on the tasks of `test_seeds`."""
  tuned = {}
  for key in baselines:
    tuned[key] = tuning.tune_learning_rate(family, rules.get_rule(key), val_seeds, steps)
    log(f"  {family_name}: tuned {BASELINE_NAMES[key]} on {len(val_seeds)} validation "
        f"tasks: lr={tuned[key].learning_rate:.3g}")
  curves = {name: fn(test_seeds) for name, fn in learned.items()}
  for key in baselines:
    curves[BASELINE_NAMES[key]] = runner.run_rule(
        family, rules.get_rule(key), test_seeds, [tuned[key].learning_rate], steps,
        record_every)[:, 0, :]
  return Comparison(family=family_name, steps=np.arange(0, steps + 1, record_every),
                    curves=curves, tuned=tuned, learned=tuple(learned))


def table(comparison: Comparison, ours: str, title: str) -> str:
  """The comparison as a table; paired columns compare every method with `ours`."""
  rows = []
  lr_of = {BASELINE_NAMES.get(k, k): float(t.learning_rate)
           for k, t in comparison.tuned.items()}
  step = int(comparison.steps[-1])
  for method, curve in comparison.curves.items():
    final = curve[-1]
    finite = np.isfinite(final)
    mean, se = evaluation.mean_stderr(np.where(finite, final, np.nan)) if finite.all() \
        else (float("inf"), float("nan"))
    if method == ours:
      ratio = wins = "-"
    else:
      paired = evaluation.paired_stats(
          np.nan_to_num(comparison.final(ours), nan=np.inf),
          np.nan_to_num(final, nan=np.inf))
      ratio, wins = paired["ratio"], f"{100 * paired['win_rate']:.0f}%"
    lr = lr_of.get(method, "learned" if method in comparison.learned else "-")
    rows.append([method, lr, float(mean), float(se),
                 float(np.median(final)), ratio, wins])
  return evaluation.format_table(
      ["optimizer", "learning rate", f"mean loss@{step}", "s.e.", "median",
       f"{ours}/this", f"{ours} lower on"], rows, title=title)


def shipped_learned_optimizers(exclude=(), only=None, log=print) -> dict:
  """The zoo's learned optimizers (registered with `ModelSpec.optimize`) that have a
  shipped checkpoint, as name -> make(family, steps, record_every) -> fn(seeds).

  Args:
    exclude: names to leave out (e.g. the model being evaluated).
    only: if given, just these names.
    log: where a note goes for each one without a shipped checkpoint.
  """
  import zoo  # pylint: disable=g-import-not-at-top  (the registry, at run time)
  found = {}
  store = zoo.CheckpointStore()
  for name in zoo.list_models():
    spec = zoo.get_spec(name)
    if spec.optimize is None or name in exclude or (only is not None and name not in only):
      continue
    if not store.has(name):
      log(f"  ({name} has no shipped checkpoint; left out)")
      continue
    found[name] = functools.partial(spec.optimize, zoo.create(name))
  return found
