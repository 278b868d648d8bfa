"""Learning-rate tuning on validation tasks, with a grid that grows past its edges."""

import dataclasses

import numpy as np

from models.classic_optimizers import rules
from models.classic_optimizers import runner

MOMENTA = (0.5, 0.7, 0.9, 0.95, 0.99)

__all__ = ["MOMENTA", "TuningResult", "default_grid", "tune_learning_rate", "tune_momentum"]


def default_grid(low_exp: float = -4.0, high_exp: float = 1.0, per_decade: int = 2):
  """Log-spaced learning rates 10^low_exp .. 10^high_exp, `per_decade` per decade."""
  n = int(round((high_exp - low_exp) * per_decade)) + 1
  return list(np.logspace(low_exp, high_exp, n))


@dataclasses.dataclass
class TuningResult:
  rule: str
  learning_rate: float
  grid: list
  scores: list  # Mean final validation loss per grid point (inf where diverged).

  def row(self):
    return [self.rule, self.learning_rate, f"{self.grid[0]:.0e}..{self.grid[-1]:.0e}",
            len(self.grid)]


def _score(final_losses: np.ndarray) -> np.ndarray:
  """Mean final loss per learning rate; any non-finite task makes it inf."""
  finite = np.all(np.isfinite(final_losses), axis=-1)
  with np.errstate(invalid="ignore", over="ignore"):
    mean = final_losses.mean(axis=-1)
  return np.where(finite, mean, np.inf)


def tune_learning_rate(family, rule, seeds, steps: int, grid=None,
                       max_extensions: int = 6) -> TuningResult:
  """Picks the learning rate with the lowest mean final loss on validation tasks.

  If the best learning rate sits at either end of the grid, the grid is extended by
  a decade on that side (up to `max_extensions` times), so the choice is never at
  the grid's edge. Raises if it still is.
  """
  grid = list(grid or default_grid())
  ratio = grid[1] / grid[0]
  scores = list(_score(runner.run_rule(family, rule, seeds, grid, steps)[-1]))
  for _ in range(max_extensions + 1):
    best = int(np.argmin(scores))
    if not np.isfinite(scores[best]):
      raise RuntimeError(f"{rule.name}: every learning rate in {grid} diverged")
    if 0 < best < len(grid) - 1:
      return TuningResult(rule.name, float(grid[best]), grid, scores)
    per_decade = max(1, int(round(np.log(10) / np.log(ratio))))
    if best == 0:
      new = [grid[0] / ratio**k for k in range(per_decade, 0, -1)]
      scores = list(_score(runner.run_rule(family, rule, seeds, new, steps)[-1])) + scores
      grid = new + grid
    else:
      new = [grid[-1] * ratio**k for k in range(1, per_decade + 1)]
      scores = scores + list(_score(runner.run_rule(family, rule, seeds, new, steps)[-1]))
      grid = grid + new
  raise RuntimeError(
      f"{rule.name}: the best learning rate is still at the edge of {grid}")


def tune_momentum(family, seeds, steps: int, momenta=MOMENTA, per_decade: int = 4):
  """Heavy-ball momentum with mu (from `momenta`) and the learning rate tuned together
  on the tasks of `seeds`: (mu, the best mu's TuningResult)."""
  best = None
  for mu in momenta:
    result = tune_learning_rate(family, rules.momentum(mu), seeds, steps,
                                grid=default_grid(-4.0, 1.0, per_decade=per_decade))
    if best is None or min(result.scores) < best[0]:
      best = (min(result.scores), mu, result)
  return best[1], best[2]
