"""Evaluation helpers: statistics over tasks, text tables, claims and plots.

Every evaluation compares methods on the same tasks, so the statistics are paired:
the mean and standard error of each method, the mean per-task difference with its
standard error, and the fraction of tasks on which one method beats the other.
"""

import dataclasses
import math
import os
import textwrap
import time
from typing import Callable, Optional, Sequence

import numpy as np

__all__ = [
    "ActionContext",
    "Claim",
    "EvalContext",
    "Report",
    "best_time",
    "format_table",
    "mean_stderr",
    "paired_stats",
    "plot_curves",
    "plot_panels",
]


def mean_stderr(values) -> tuple:
  """Mean and standard error of the mean over the first axis."""
  values = np.asarray(values, dtype=np.float64)
  n = values.shape[0]
  mean = values.mean(axis=0)
  se = values.std(axis=0, ddof=1) / math.sqrt(n) if n > 1 else np.zeros_like(mean)
  return mean, se


def paired_stats(ours, theirs) -> dict:
  """Paired comparison of per-task values where lower is better.

  Returns:
    mean_diff / se_diff: of ours - theirs; ratio: mean(ours) / mean(theirs);
    win_rate: fraction of tasks where ours < theirs.
  """
  ours = np.asarray(ours, dtype=np.float64)
  theirs = np.asarray(theirs, dtype=np.float64)
  if ours.shape != theirs.shape:
    raise ValueError(f"Paired values need equal shapes; received {ours.shape} and "
                     f"{theirs.shape}")
  diff_mean, diff_se = mean_stderr(ours - theirs)
  denominator = theirs.mean()
  return {
      "mean_diff": float(diff_mean),
      "se_diff": float(diff_se),
      "ratio": float(ours.mean() / denominator) if denominator else math.inf,
      "win_rate": float(np.mean(ours < theirs)),
  }


def best_time(fn: Callable[[], object], repeats: int) -> float:
  """Seconds of the fastest of `repeats` timed calls of `fn()`, after one untimed
  call that traces and warms up (benchmarks report the best, the least disturbed by
  other work on the machine)."""
  if repeats < 1:
    raise ValueError(f"repeats must be >= 1; received: {repeats}")
  fn()
  times = []
  for _ in range(repeats):
    start = time.perf_counter()
    fn()
    times.append(time.perf_counter() - start)
  return min(times)


def _fmt(value) -> str:
  if isinstance(value, float):
    if value == 0 or 1e-3 <= abs(value) < 1e5:
      return f"{value:.4g}"
    return f"{value:.3e}"
  return str(value)


def format_table(headers: Sequence[str], rows: Sequence[Sequence], title: str = "") -> str:
  """A plain-text table with aligned columns (numbers right-aligned)."""
  cells = [[_fmt(c) for c in row] for row in rows]
  widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
  numeric = [all(isinstance(row[i], (int, float)) for row in rows) and rows
             for i in range(len(headers))]

  def line(values):
    return "  ".join(v.rjust(w) if num else v.ljust(w)
                     for v, w, num in zip(values, widths, numeric)).rstrip()

  out = []
  if title:
    out.append(title)
  out.append(line(headers))
  out.append("  ".join("-" * w for w in widths))
  out.extend(line(r) for r in cells)
  return "\n".join(out)


@dataclasses.dataclass
class EvalContext:
  """What the CLI hands a method's `evaluate` function.

  Attributes:
    output_dir: where plots (PNG) go.
    seed: picks the block of test tasks (seed s draws a block disjoint from s' != s).
    num_tasks: test tasks (None: the config's default).
    num_validation_tasks: tasks for tuning baselines (None: the config's default).
    log: progress output.
    options: optional inputs of some evaluations, by name (e.g. "omniglot_dir", a
      folder of real data that the CLI's flag of that name points to).
  """
  output_dir: str
  seed: int = 0
  num_tasks: Optional[int] = None
  num_validation_tasks: Optional[int] = None
  log: Callable = print
  options: dict = dataclasses.field(default_factory=dict)


@dataclasses.dataclass
class ActionContext:
  """What the CLI hands a model's extra action (`ModelSpec.actions`).

  Attributes:
    output_dir: where files go.
    seed: the --seed flag.
    args: `--action_args=key=value,...` as a dict of strings (the action checks them
      and raises ValueError naming a bad key or value).
    log: output.
  """
  output_dir: str
  seed: int = 0
  args: dict = dataclasses.field(default_factory=dict)
  log: Callable = print


@dataclasses.dataclass
class Claim:
  """A headline claim checked by an evaluation.

  Attributes:
    name: short id, e.g. "loss_ratio_vs_adam".
    statement: the claim as the paper (or the issue) makes it, with its threshold.
    measured: what we measured, in words and numbers.
    holds: whether the measurement meets the threshold.
  """
  name: str
  statement: str
  measured: str
  holds: bool

  def __post_init__(self):
    # NumPy comparisons give numpy.bool_, which JSON cannot store in the metadata.
    self.holds = bool(self.holds)


@dataclasses.dataclass
class Report:
  """What a method's `evaluate` returns: tables to print, claims, metrics, plots."""
  model: str
  tables: list
  claims: list
  metrics: dict
  plots: list = dataclasses.field(default_factory=list)
  notes: list = dataclasses.field(default_factory=list)

  def text(self) -> str:
    parts = [f"== {self.model} =="] + list(self.tables)
    if self.claims:
      parts.append(format_table(
          ["claim", "measured", "holds"],
          [[c.statement, c.measured, "yes" if c.holds else "NO"] for c in self.claims]))
    parts.extend(self.notes)
    if self.plots:
      parts.append("plots: " + ", ".join(self.plots))
    return "\n\n".join(parts)


def plot_panels(path: str, panels: dict, title: str, xlabel: str, ylabel: str,
                logy: bool = False, styles: Optional[dict] = None, ncols: int = 2) -> str:
  """Several `plot_curves`-style panels in one PNG.

  Args:
    panels: panel title -> {label: (x, mean, stderr)}.
  """
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

  nrows = -(-len(panels) // ncols)
  fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.6 * nrows), dpi=100,
                           squeeze=False)
  for ax, (panel, curves) in zip(axes.flat, panels.items()):
    _draw(ax, curves, logy, styles)
    ax.set_title(panel, fontsize=10)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
  for ax in list(axes.flat)[len(panels):]:
    ax.axis("off")
  fig.suptitle(textwrap.fill(title, 45 * ncols))
  return _save(fig, path)


def _draw(ax, curves, logy, styles):
  for label, (x, mean, se) in curves.items():
    style = (styles or {}).get(label, {})
    mean = np.asarray(mean)
    se = np.asarray(se)
    (line,) = ax.plot(x, mean, label=label, **style)
    lower = mean - se
    if logy:
      lower = np.maximum(lower, mean * 1e-3)
    ax.fill_between(x, lower, mean + se, color=line.get_color(), alpha=0.15,
                    linewidth=0)
  if logy:
    ax.set_yscale("log")
  ax.grid(True, alpha=0.3)
  ax.legend(fontsize=7)


def _save(fig, path):
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top
  fig.tight_layout()
  os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
  tmp = path + ".tmp.png"
  fig.savefig(tmp)
  plt.close(fig)
  os.replace(tmp, path)
  return path


def plot_curves(path: str,
                curves: dict,
                title: str,
                xlabel: str,
                ylabel: str,
                logy: bool = False,
                styles: Optional[dict] = None) -> str:
  """Plots mean curves with a standard-error band; writes a PNG to `path`.

  Args:
    curves: label -> (x, mean, stderr).
  """
  import matplotlib  # pylint: disable=g-import-not-at-top
  matplotlib.use("Agg")
  import matplotlib.pyplot as plt  # pylint: disable=g-import-not-at-top

  fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
  _draw(ax, curves, logy, styles)
  # Long titles (a model name and the task) wrap instead of running off the figure.
  ax.set_title(textwrap.fill(title, 60), fontsize=11)
  ax.set_xlabel(xlabel)
  ax.set_ylabel(ylabel)
  return _save(fig, path)
