"""Evaluation of the static hyper-convnet against the plain convnet (§4.1 in kind).

Protocol:
1. Learning rates: each network's was picked on the validation split from
   `config.tuning_grid` (`tune`, the `--mode=tune` action, re-runs the search).
2. Both networks are trained from `config.num_seeds` seeds (3s, 3s + 1, ... for
   `--seed=s`) with the recipe of the shipped checkpoint (`train_static.Trainer`),
   keeping each run's best-validation weights, and tested on the test split, which
   no choice ever saw.
3. Reported: test accuracy (mean, standard error, each seed), the kernel parameters
   of the generated layers against the plain layers' kernels, whole-network counts,
   and the shipped checkpoint's own test accuracy.
"""

import os

import numpy as np

from models.hypernetworks import convnet
from models.hypernetworks import data as data_lib
from models.hypernetworks import train_static
from zoo import evaluation

__all__ = ["compare", "evaluate", "tune"]

NAMES = {True: "hyper-convnet", False: "plain convnet"}


def _learning_rate(config, hyper: bool) -> float:
  return config.learning_rate if hyper else config.baseline_learning_rate


def compare(config, seeds, log=print) -> dict:
  """Trains both networks from each seed; returns per-seed accuracies and curves."""
  out = {}
  for hyper in (True, False):
    trainer = train_static.Trainer(config, hyper=hyper)
    lr = _learning_rate(config, hyper)
    runs = []
    for seed in seeds:
      result = trainer.fit(seed, lr)
      result["test_accuracy"] = trainer.test_accuracy()
      runs.append(result)
      log(f"  {NAMES[hyper]} seed {seed} (lr {lr:g}): validation "
          f"{result['validation_accuracy']:.4f}, test {result['test_accuracy']:.4f}")
    out[hyper] = runs
  return out


def evaluate(model, config, context: evaluation.EvalContext) -> evaluation.Report:
  """The comparison's table, the parameter counts, the claims and a curve plot."""
  name = getattr(model, "zoo_name", "hypernetworks.static")
  seeds = [config.num_seeds * context.seed + i for i in range(config.num_seeds)]
  runs = compare(config, seeds, context.log)
  counts = convnet.kernel_param_counts(config)
  test = {h: np.array([r["test_accuracy"] for r in runs[h]]) for h in (True, False)}
  val = {h: np.array([r["validation_accuracy"] for r in runs[h]]) for h in (True, False)}
  shipped_test = train_static.accuracy(model, *data_lib.load_images(config.dataset,
                                                                    "test"))
  shipped_val = train_static.accuracy(model, *data_lib.load_images(config.dataset,
                                                                   "validation"))
  n_test = len(data_lib.load_images(config.dataset, "test")[1])

  rows = []
  for hyper in (True, False):
    mean, se = evaluation.mean_stderr(test[hyper] * 100)
    kernel = counts["hyper_kernel_params" if hyper else "plain_kernel_params"]
    total = counts["hyper_total_params" if hyper else "plain_total_params"]
    rows.append([NAMES[hyper], _learning_rate(config, hyper), kernel, total,
                 float(mean), float(se),
                 " ".join(f"{100 * a:.2f}" for a in test[hyper]),
                 float(val[hyper].mean() * 100)])
  table = evaluation.format_table(
      ["network", "learning rate", "kernel params (generated layers)", "all params",
       "test acc % (mean)", "s.e.", "test acc % per seed", "val acc % (mean)"], rows,
      title=(f"{name}: {config.dataset}, {n_test} test images, {config.num_seeds} "
             f"training seeds {seeds}; layers {config.plain_layers + 1}.."
             f"{len(config.channels)} generated from N_z={config.embedding_size} "
             f"embeddings ({counts['generated_layers']} layers, basic kernel "
             f"{config.kernel_size}x{config.kernel_size}x{config.basic_in}x"
             f"{config.basic_out})"))
  shipped = evaluation.format_table(
      ["checkpoint", "test acc %", "val acc %"],
      [[name, 100 * shipped_test, 100 * shipped_val]],
      title="The shipped checkpoint (one seed of the recipe above)")

  drop = 100 * (test[False].mean() - test[True].mean())
  ratio = counts["plain_kernel_params"] / counts["hyper_kernel_params"]
  paired = evaluation.paired_stats(-test[True], -test[False])  # Lower is better.
  metrics = {
      "hyper_test_accuracy_mean": float(test[True].mean()),
      "plain_test_accuracy_mean": float(test[False].mean()),
      "accuracy_drop_points": float(drop),
      "accuracy_drop_se_points": 100 * paired["se_diff"],
      "hyper_test_accuracies": [float(a) for a in test[True]],
      "plain_test_accuracies": [float(a) for a in test[False]],
      "shipped_test_accuracy": float(shipped_test),
      "shipped_validation_accuracy": float(shipped_val),
      "kernel_param_ratio": float(ratio),
      "num_test_tasks": n_test,
      "seeds": seeds,
      **counts,
  }
  claims = []
  if config.claim_max_accuracy_drop is not None:
    claims.append(evaluation.Claim(
        name="accuracy_vs_plain",
        statement=(f"hyper-convnet test accuracy >= plain convnet's - "
                   f"{config.claim_max_accuracy_drop:g} point (mean of "
                   f"{config.num_seeds} seeds)"),
        measured=(f"{100 * test[True].mean():.2f}% vs {100 * test[False].mean():.2f}% "
                  f"(drop {drop:.2f} +- {100 * paired['se_diff']:.2f})"),
        holds=bool(drop <= config.claim_max_accuracy_drop)))
  if config.claim_min_kernel_param_ratio is not None:
    claims.append(evaluation.Claim(
        name="kernel_param_ratio",
        statement=(f"at least {config.claim_min_kernel_param_ratio:g}x fewer kernel "
                   "parameters in the generated layers"),
        measured=(f"{ratio:.1f}x ({counts['hyper_kernel_params']:,} vs "
                  f"{counts['plain_kernel_params']:,})"),
        holds=bool(ratio >= config.claim_min_kernel_param_ratio)))

  curves = {}
  for hyper in (True, False):
    steps = np.array([s for s, _ in runs[hyper][0]["curve"]])
    values = np.array([[100 * a for _, a in r["curve"]] for r in runs[hyper]])
    mean, se = evaluation.mean_stderr(values)
    curves[NAMES[hyper]] = (steps, mean, se)
  plot = evaluation.plot_curves(
      os.path.join(context.output_dir, f"{name}_validation_accuracy.png"), curves,
      title=f"{name}: validation accuracy ({config.num_seeds} seeds)",
      xlabel="training step", ylabel="accuracy % (mean ± s.e.)")
  return evaluation.Report(model=name, tables=[table, shipped], claims=claims,
                           metrics=metrics, plots=[plot])


def tune(model, config, context: evaluation.ActionContext):
  """The learning-rate search on the validation split (`--mode=tune`).

  Trains both networks at every rate of `config.tuning_grid` from seeds
  `seeds` (`--action_args=seeds=0:1`, default 0 and 1) and prints the mean best
  validation accuracy of each; the test split is not read.
  """
  del model
  args = dict(context.args)
  unknown = sorted(set(args) - {"seeds"})
  if unknown:
    raise ValueError(f"unknown action argument(s) {unknown}; valid: seeds")
  try:
    seeds = [int(s) for s in args.get("seeds", "0:1").split(":")]
  except ValueError as e:
    raise ValueError(f"seeds must be integers separated by ':'; received: "
                     f"seeds={args['seeds']!r}") from e
  rows = []
  best = {}
  for hyper in (True, False):
    trainer = train_static.Trainer(config, hyper=hyper)
    for lr in config.tuning_grid:
      accs = [trainer.fit(seed, lr)["validation_accuracy"] for seed in seeds]
      rows.append([NAMES[hyper], lr, 100 * float(np.mean(accs))])
      context.log(f"  {NAMES[hyper]} lr {lr:g}: validation {100 * np.mean(accs):.2f}%")
      if np.mean(accs) > best.get(hyper, (-1, None))[0]:
        best[hyper] = (float(np.mean(accs)), lr)
  context.log(evaluation.format_table(
      ["network", "learning rate", "val acc % (mean)"], rows,
      title=f"Learning rates on the validation split (seeds {seeds})"))
  context.log(f"best: hyper-convnet lr {best[True][1]:g}, plain convnet lr "
              f"{best[False][1]:g} (config: {config.learning_rate:g}, "
              f"{config.baseline_learning_rate:g})")
  return best
