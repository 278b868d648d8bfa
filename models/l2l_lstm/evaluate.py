"""Evaluation of the LSTM optimizer against tuned hand-designed optimizers.

Protocol (the claim of Andrychowicz et al., Fig. 2, on our scale):
1. Tune the learning rate of Adam, RMSprop, SGD and SGD with Nesterov momentum on
   validation tasks (mean loss after `optimization_steps` steps), over a log grid
   that is widened until the best value is inside it.
2. Run the LSTM optimizer and the tuned baselines on the same held-out test tasks
   (a block chosen by the seed; disjoint from training and validation tasks).
3. Report mean (± standard error) and median loss at the last step, and for each
   baseline the fraction of tasks on which the LSTM ends lower (paired).
"""

import os

import numpy as np

from models import classic_optimizers
from models.l2l_lstm import train as train_lib
from models.optimizees import base as optimizees_base
from zoo import evaluation

__all__ = ["BASELINES", "evaluate", "run_comparison"]

BASELINES = ("adam", "rmsprop", "nesterov", "sgd")
NAMES = {"lstm": "LSTM (learned)", "adam": "Adam", "rmsprop": "RMSprop",
         "nesterov": "SGD+Nesterov", "sgd": "SGD"}


def run_comparison(net, config, seed: int, num_tasks: int, num_validation_tasks: int,
                   log=print) -> dict:
  """Loss curves of the LSTM and the tuned baselines on the same test tasks.

  Returns:
    {"steps": [R], "curves": {method: [R, num_tasks]}, "tuning": {method: TuningResult}}
  """
  family = config.family()
  steps = config.optimization_steps
  record_every = 1 if config.problem == "quadratic" else 5
  val_seeds = family.seeds("validation", 0, num_validation_tasks)
  test_seeds = family.seeds("test", seed * optimizees_base.TEST_BLOCK, num_tasks)
  tuning = {}
  for name in BASELINES:
    tuning[name] = classic_optimizers.tune_learning_rate(
        family, classic_optimizers.get_rule(name), val_seeds, steps)
    log(f"  tuned {NAMES[name]} on {num_validation_tasks} validation tasks: "
        f"lr={tuning[name].learning_rate:.3g}")
  curves = {"lstm": train_lib.optimize(net, family, test_seeds, steps, record_every)}
  for name in BASELINES:
    curves[name] = classic_optimizers.run_rule(
        family, classic_optimizers.get_rule(name), test_seeds,
        [tuning[name].learning_rate], steps, record_every)[:, 0, :]
  return {"steps": np.arange(0, steps + 1, record_every), "curves": curves,
          "tuning": tuning}


def evaluate(net, config, context: evaluation.EvalContext) -> evaluation.Report:
  """The claim's table, the tuned learning rates, and a loss-curve plot."""
  name = getattr(net, "zoo_name", "l2l_lstm")
  num_tasks = context.num_tasks or config.num_test_tasks
  num_val = context.num_validation_tasks or config.num_validation_tasks
  result = run_comparison(net, config, context.seed, num_tasks, num_val, context.log)
  curves, tuning = result["curves"], result["tuning"]
  final = {k: v[-1] for k, v in curves.items()}
  steps = config.optimization_steps

  rows = []
  for method in ("lstm",) + BASELINES:
    mean, se = evaluation.mean_stderr(final[method])
    lr = "learned" if method == "lstm" else float(tuning[method].learning_rate)
    if method == "lstm":
      wins = ratio = "-"
    else:
      paired = evaluation.paired_stats(final["lstm"], final[method])
      wins = f"{100 * paired['win_rate']:.0f}%"
      ratio = paired["ratio"]
    rows.append([NAMES[method], lr, float(mean), float(se),
                 float(np.median(final[method])), ratio, wins])
  table = evaluation.format_table(
      ["optimizer", "learning rate", f"mean loss@{steps}", "s.e.", "median",
       "LSTM/this (means)", "LSTM lower on"], rows,
      title=(f"{name}: {config.problem} tasks, loss after {steps} steps on "
             f"{num_tasks} held-out test tasks (seed {context.seed}); baselines tuned "
             f"on {num_val} validation tasks"))

  vs_adam = evaluation.paired_stats(final["lstm"], final["adam"])
  metrics = {
      "lstm_final_loss_mean": float(final["lstm"].mean()),
      "adam_final_loss_mean": float(final["adam"].mean()),
      "ratio_vs_adam": vs_adam["ratio"],
      "win_rate_vs_adam": vs_adam["win_rate"],
      "num_test_tasks": num_tasks,
  }
  for method in BASELINES:
    metrics[f"{method}_learning_rate"] = float(tuning[method].learning_rate)
    metrics[f"{method}_final_loss_mean"] = float(final[method].mean())

  claims = []
  if config.claim_max_ratio_vs_adam is not None:
    claims.append(evaluation.Claim(
        name="ratio_vs_adam",
        statement=(f"mean loss@{steps} of the LSTM <= "
                   f"{config.claim_max_ratio_vs_adam} x tuned Adam's"),
        measured=f"{vs_adam['ratio']:.3f} x",
        holds=vs_adam["ratio"] <= config.claim_max_ratio_vs_adam))
  if config.claim_min_win_rate_vs_adam is not None:
    claims.append(evaluation.Claim(
        name="win_rate_vs_adam",
        statement=(f"LSTM below tuned Adam on >= "
                   f"{100 * config.claim_min_win_rate_vs_adam:.0f}% of the tasks"),
        measured=f"{100 * vs_adam['win_rate']:.0f}%",
        holds=vs_adam["win_rate"] >= config.claim_min_win_rate_vs_adam))

  plot_curves = {}
  for method, values in curves.items():
    mean, se = evaluation.mean_stderr(values.T)
    plot_curves[NAMES[method]] = (result["steps"], mean, se)
  styles = {NAMES["lstm"]: {"color": "black", "linewidth": 2.2}}
  plot = evaluation.plot_curves(
      os.path.join(context.output_dir, f"{name}_loss_curves.png"), plot_curves,
      title=f"{name}: mean loss over {num_tasks} test tasks",
      xlabel="optimization step", ylabel="loss (mean ± s.e.)", logy=True,
      styles=styles)
  return evaluation.Report(model=name, tables=[table], claims=claims, metrics=metrics,
                           plots=[plot])
