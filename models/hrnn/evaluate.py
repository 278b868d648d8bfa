"""Evaluation of the hierarchical RNN against tuned baselines and the other learned
optimizers of the zoo, on every family of `eval_families`.

Claims (Wichrowska et al. 2017, §5, at our scale):
1. on held-out tasks of each training family, mean loss after `eval_steps` steps at
   most tuned Adam's and tuned RMSprop's, on at least `claim_min_families` of them;
2. beyond the training horizon (`long_horizon_factor` x the longest training run):
   on every training family the mean loss at the end is finite and not above the
   mean at `eval_steps` (it keeps falling or stays flat), shown beside the
   Andrychowicz LSTM on the same tasks;
3. on families it never trained on: its result against tuned Adam, reported as is.
"""

import os

import numpy as np

from models import optimizees
from models.classic_optimizers import compare as compare_lib
from models.hrnn import train as train_lib
from models.optimizees import base as optimizees_base
from zoo import evaluation

__all__ = ["evaluate"]

OURS = "HRNN"
BASELINES = ("adam", "rmsprop", "momentum", "sgd")
_STYLES = {OURS: {"color": "black", "linewidth": 2.2}}
# Beside the HRNN past its training horizon (Wichrowska et al.'s Figure 2).
LONG_HORIZON_OTHERS = ("l2l_lstm.quadratic10",)


def _record_every(family_name: str, steps: int) -> int:
  return 5 if family_name.endswith("mlp") and steps % 5 == 0 else 1


def evaluate(net, config, context: evaluation.EvalContext) -> evaluation.Report:
  name = getattr(net, "zoo_name", "hrnn")
  num_tasks = context.num_tasks or config.num_test_tasks
  num_val = context.num_validation_tasks or config.num_validation_tasks
  steps = config.eval_steps
  others = compare_lib.shipped_learned_optimizers(exclude=(name,), log=context.log)
  tables, notes, panels, metrics = [], [], {}, {"num_test_tasks": num_tasks}
  beats = []
  for family_name in config.eval_families:
    family = optimizees.get_family(family_name, horizon=steps)
    every = _record_every(family_name, steps)
    learned = {OURS: train_lib.make_optimize_fn(net, family, steps, every)}
    learned.update({k: make(family, steps, every) for k, make in others.items()})
    comp = compare_lib.compare(
        family, learned, BASELINES, steps,
        family.seeds("validation", 0, num_val),
        family.seeds("test", context.seed * optimizees_base.TEST_BLOCK, num_tasks),
        every, context.log, family_name)
    trained = family_name in config.train_families
    tables.append(compare_lib.table(
        comp, OURS, title=(f"{family_name} ({'a training family' if trained else 'never trained on'}): "
                           f"{num_tasks} held-out tasks, {steps} steps (seed {context.seed})")))
    means = {m: float(np.mean(c[-1])) for m, c in comp.curves.items()}
    metrics[f"{family_name}_hrnn_mean"] = means[OURS]
    for key in BASELINES:
      metrics[f"{family_name}_{key}_mean"] = means[compare_lib.BASELINE_NAMES[key]]
      metrics[f"{family_name}_{key}_lr"] = float(comp.tuned[key].learning_rate)
    ok = (means[OURS] <= means["Adam"]) and (means[OURS] <= means["RMSprop"])
    if trained:
      beats.append((family_name, ok))
    else:
      ratio = means[OURS] / means["Adam"]
      notes.append(f"{family_name} (never trained on): HRNN mean loss@{steps} "
                   f"{means[OURS]:.4g} vs tuned Adam {means['Adam']:.4g} "
                   f"(ratio {ratio:.3g}).")
      metrics[f"{family_name}_ratio_vs_adam"] = ratio
    panels[family_name] = {
        m: (comp.steps, *evaluation.mean_stderr(
            np.where(np.isfinite(c), c, np.nan).T)) for m, c in comp.curves.items()}

  wins = [f for f, ok in beats if ok]
  metrics["families_at_most_adam_and_rmsprop"] = len(wins)
  claims = [evaluation.Claim(
      name="beats_tuned_adam_and_rmsprop",
      statement=(f"mean loss@{steps} <= tuned Adam's and RMSprop's on >= "
                 f"{config.claim_min_families} of {len(beats)} training families"),
      measured=f"{len(wins)} of {len(beats)} ({', '.join(wins) or 'none'})",
      holds=len(wins) >= config.claim_min_families)]

  long_claim, long_panels = _long_horizon(net, config, context, others, metrics)
  claims.append(long_claim)
  out = context.output_dir
  plots = [
      evaluation.plot_panels(
          os.path.join(out, f"{name}_families.png"), panels,
          title=f"{name}: mean loss over {num_tasks} held-out tasks per family",
          xlabel="step", ylabel="loss (mean ± s.e.)", logy=True, styles=_STYLES,
          ncols=3),
      evaluation.plot_panels(
          os.path.join(out, f"{name}_long_horizon.png"), long_panels,
          title=(f"{name} beyond its training horizon "
                 f"({config.max_train_horizon} steps), beside the LSTM"),
          xlabel="step", ylabel="loss (mean ± s.e.)", logy=True, styles=_STYLES)]
  return evaluation.Report(model=name, tables=tables, claims=claims, metrics=metrics,
                           plots=plots, notes=notes)


def _long_horizon(net, config, context, others, metrics):
  """Runs the learned optimizers 10x past the longest training run."""
  horizon = config.long_horizon_factor * config.max_train_horizon
  every = horizon // 100 if horizon % 100 == 0 else 1
  at_eval = config.eval_steps // every if config.eval_steps % every == 0 else None
  num_tasks = min(context.num_tasks or config.num_test_tasks, 50)
  panels, stable = {}, []
  for family_name in config.train_families:
    family = optimizees.get_family(family_name, horizon=horizon)
    seeds = family.seeds("test", context.seed * optimizees_base.TEST_BLOCK, num_tasks)
    curves = {OURS: train_lib.make_optimize_fn(net, family, horizon, every)(seeds)}
    for label, make in others.items():
      if label in LONG_HORIZON_OTHERS:
        curves[label] = make(family, horizon, every)(seeds)
    ours = curves[OURS]
    end, mid = float(np.mean(ours[-1])), float(np.mean(ours[at_eval or 0]))
    ok = bool(np.all(np.isfinite(ours))) and end <= mid
    stable.append((family_name, ok, mid, end))
    metrics[f"{family_name}_long_mean_at_{config.eval_steps}"] = mid
    metrics[f"{family_name}_long_mean_at_{horizon}"] = end
    steps = np.arange(0, horizon + 1, every)
    panels[family_name] = {
        m: (steps, *evaluation.mean_stderr(np.where(np.isfinite(c), c, np.nan).T))
        for m, c in curves.items()}
  good = [f for f, ok, _, _ in stable if ok]
  measured = "; ".join(f"{f} {mid:.3g} -> {end:.3g}" for f, _, mid, end in stable)
  claim = evaluation.Claim(
      name="stable_beyond_horizon",
      statement=(f"run {horizon} steps ({config.long_horizon_factor}x the longest "
                 f"training run): finite, and mean loss at the end <= at step "
                 f"{config.eval_steps}, on every training family"),
      measured=f"{len(good)}/{len(stable)} ({measured})",
      holds=len(good) == len(stable))
  return claim, panels
