"""Evaluation of the policy optimizer on held-out objectives of its family.

Claim (Li & Malik 2016, §4, at our scale): on `num_test_tasks` held-out objectives,
the mean objective at iteration `eval_steps` is below tuned gradient descent's and
tuned momentum's. Beside them: tuned Adam and RMSprop, L-BFGS and conjugate gradient
(SciPy, the same number of iterations), and the zoo's other learned optimizers.

Tuning (validation tasks only): gradient descent, Adam and RMSprop over learning
rates; momentum over learning rates for each mu in `tuning.MOMENTA`, keeping the best
pair.
"""

import os

import numpy as np
import scipy.optimize
import tensorflow as tf

from models import optimizees
from models.classic_optimizers import compare as compare_lib
from models.classic_optimizers import rules
from models.classic_optimizers import runner
from models.classic_optimizers import tuning
from models.l2o_policy import model as model_lib
from models.l2o_policy import train as train_lib
from models.optimizees import base as optimizees_base
from zoo import evaluation

__all__ = ["evaluate", "scipy_curves"]

OURS = "policy (Li & Malik)"
SCIPY_METHODS = {"L-BFGS (scipy)": "L-BFGS-B", "CG (scipy)": "CG"}
_STYLES = {OURS: {"color": "black", "linewidth": 2.2}}


def scipy_curves(family, seeds, iterations: int, method: str):
  """Objective after each of `iterations` iterations of `scipy.optimize.minimize`
  (`method`) on every task of `seeds`: ([iterations + 1, B], mean function
  evaluations per task). A run that stops early keeps its last value."""
  seeds = np.asarray(seeds)
  task, params = family.sample(tf.constant(seeds, tf.int32))
  like = [tf.TensorSpec([1] + p.shape[1:].as_list(), tf.float32) for p in params]
  n = int(model_lib.flatten(params).shape[1])

  @tf.function(input_signature=[tf.TensorSpec([None], tf.int32),
                                tf.TensorSpec([n], tf.float64)])
  def value_and_grad(index, x):
    one = tf.nest.map_structure(lambda t: tf.gather(t, index), task)
    xs = model_lib.unflatten(tf.cast(x, tf.float32)[None], like)
    f, grads = family.loss_and_grads(one, xs, tf.constant(0))
    return tf.cast(f[0], tf.float64), tf.cast(model_lib.flatten(grads)[0], tf.float64)

  x0s = model_lib.flatten(params).numpy().astype(np.float64)
  curves = np.empty((iterations + 1, len(seeds)))
  evals = []
  for i in range(len(seeds)):
    index = tf.constant([i])
    fun = lambda x, idx=index: tuple(v.numpy() for v in value_and_grad(idx, x))
    trace = [fun(x0s[i])[0]]
    result = scipy.optimize.minimize(
        fun, x0s[i], jac=True, method=method,
        callback=lambda xk, tr=trace, f=fun: tr.append(f(xk)[0]),
        options={"maxiter": iterations, "gtol": 0.0} if method == "CG" else
        {"maxiter": iterations, "gtol": 0.0, "ftol": 0.0})
    trace = trace[:iterations + 1]
    curves[:, i] = trace + [trace[-1]] * (iterations + 1 - len(trace))
    evals.append(result.nfev)
  return curves, float(np.mean(evals))


def evaluate(net, config, context: evaluation.EvalContext) -> evaluation.Report:
  name = getattr(net, "zoo_name", "l2o_policy")
  num_tasks = context.num_tasks or config.num_test_tasks
  num_val = context.num_validation_tasks or config.num_validation_tasks
  steps = config.eval_steps
  family = optimizees.get_family(config.family, horizon=max(steps, config.horizon))
  val_seeds = family.seeds("validation", 0, num_val).numpy()
  test_seeds = family.seeds("test", context.seed * optimizees_base.TEST_BLOCK, num_tasks)

  learned = {OURS: train_lib.make_optimize_fn(net, family, steps)}
  for label, make in compare_lib.shipped_learned_optimizers(
      exclude=(name,), log=context.log).items():
    learned[label] = make(family, steps, 1)
  comp = compare_lib.compare(family, learned, ("sgd", "adam", "rmsprop"), steps,
                             val_seeds, test_seeds, 1, context.log, config.family)
  mu, tuned = tuning.tune_momentum(family, val_seeds, steps)
  context.log(f"  {config.family}: tuned momentum on {num_val} validation tasks: "
              f"mu={mu}, lr={tuned.learning_rate:.3g}")
  label = f"SGD+momentum (mu={mu})"
  comp.tuned[label] = tuned
  comp.curves[label] = runner.run_rule(family, rules.momentum(mu), test_seeds.numpy(),
                                       [tuned.learning_rate], steps)[:, 0, :]
  nfev = {}
  for label_s, method in SCIPY_METHODS.items():
    comp.curves[label_s], nfev[label_s] = scipy_curves(family, test_seeds, steps, method)

  title = (f"{config.family}: {num_tasks} held-out objectives, {steps} iterations "
           f"(seed {context.seed})")
  tables = [compare_lib.table(comp, OURS, title)]
  means = {m: float(np.mean(c[-1])) for m, c in comp.curves.items()}
  metrics = {"num_test_tasks": num_tasks, "policy_mean": means[OURS],
             "gd_mean": means["SGD"], "momentum_mean": means[label],
             "adam_mean": means["Adam"], "rmsprop_mean": means["RMSprop"],
             "lbfgs_mean": means["L-BFGS (scipy)"], "cg_mean": means["CG (scipy)"],
             "gd_lr": float(comp.tuned["sgd"].learning_rate),
             "momentum_mu": mu, "momentum_lr": float(tuned.learning_rate)}
  notes = [f"SciPy methods run {steps} iterations (line searches included); mean "
           f"function evaluations per task: " +
           ", ".join(f"{k} {v:.0f}" for k, v in nfev.items()) + f" (the others: {steps})."]
  holds = means[OURS] < means["SGD"] and means[OURS] < means[label]
  claims = [evaluation.Claim(
      name="beats_tuned_gd_and_momentum",
      statement=(f"mean objective at iteration {steps} below tuned gradient descent's "
                 f"and tuned momentum's"),
      measured=(f"policy {means[OURS]:.4g} vs GD {means['SGD']:.4g}, momentum "
                f"{means[label]:.4g} (L-BFGS {means['L-BFGS (scipy)']:.4g}, CG "
                f"{means['CG (scipy)']:.4g})"),
      holds=bool(holds))]
  panel = {m: (np.arange(steps + 1), *evaluation.mean_stderr(
      np.where(np.isfinite(c), c, np.nan).T)) for m, c in comp.curves.items()}
  plots = [evaluation.plot_panels(
      os.path.join(context.output_dir, f"{name}_curves.png"), {config.family: panel},
      title=f"{name}: mean objective over {num_tasks} held-out objectives",
      xlabel="iteration", ylabel="objective (mean ± s.e.)", logy=True, styles=_STYLES)]
  return evaluation.Report(model=name, tables=tables, claims=claims, metrics=metrics,
                           plots=plots, notes=notes)
