"""Evaluation of the RNN optimizer against random search, Sobol and GP-EI.

Protocol (Chen et al. 2016, §3.1-3.2, at CPU scale):
1. Tune GP-EI (kernel, initial design size) on validation GP functions by the median
   regret after `horizon` queries.
2. Run the RNN and the baselines with the same budget of `horizon` queries on the
   same held-out test GP functions (a block chosen by the seed; disjoint from the
   training and validation functions), and report the regret of the best value so
   far: the median (the claim's statistic), the mean with its standard error, and
   the fraction of functions on which the RNN ends lower than each baseline.
3. Time a proposal of each method in the same run: the RNN through the user API
   (`minimize`, one function at a time) and batched over the test functions, GP-EI
   from its own runs (refit plus acquisition search).
4. Transfer: the same methods on Branin, Goldstein-Price, Hartmann3 and Hartmann6
   (random symmetries of the box; a function of fewer dimensions than the network's
   ignores the extra coordinates for the RNN, and the baselines search its own box).
"""

import os
import time

import numpy as np

from models.blackbox_rnn import baselines
from models.blackbox_rnn import tasks as tasks_lib
from models.blackbox_rnn import test_functions
from models.blackbox_rnn import train as train_lib
from zoo import evaluation

__all__ = ["BASELINES", "evaluate", "run_gp_comparison", "run_transfer", "tune_gp_ei"]

BASELINES = ("random", "sobol", "gp_ei")
NAMES = {"rnn": "RNN (learned)", "random": "random search", "sobol": "Sobol",
         "gp_ei": "GP-EI"}


def _run_baseline(method, fn, dim, budget, seed, settings):
  if method == "random":
    return baselines.random_search(fn, dim, budget, seed)
  if method == "sobol":
    return baselines.sobol_search(fn, dim, budget, seed)
  return baselines.gp_ei(fn, dim, budget, seed, settings)


def tune_gp_ei(config, num_tasks: int, log=print):
  """The GP-EI settings with the lowest median regret after `horizon` queries on
  `num_tasks` validation functions, and every grid point's score."""
  val = tasks_lib.gp_tasks(config.family(), "validation", 0, num_tasks)
  scores = []
  for kernel in config.gp_ei_kernels:
    for n in config.gp_ei_initial_points:
      settings = baselines.GPEISettings(kernel=kernel,
                                        initial_points=config.initial_points(n))
      ys = np.stack([baselines.gp_ei(val.function(i), config.dim, config.horizon, i,
                                     settings).ys for i in range(len(val))])
      final = val.regret(ys)[:, -1]
      scores.append((float(np.median(final)), float(final.mean()), settings))
      log(f"  GP-EI ({settings.label()}) on {num_tasks} validation functions: median "
          f"regret {scores[-1][0]:.4g}, mean {scores[-1][1]:.4g}")
  best = min(scores, key=lambda s: (s[0], s[1]))
  return best[2], scores


def run_gp_comparison(net, config, seed: int, num_tasks: int, settings,
                      methods=BASELINES):
  """Best-so-far regret curves `[B, T]` of the RNN and `methods` (of `BASELINES`) on
  the same test functions.

  Returns:
    {"regret": {method: [B, T]}, "seconds": {method: [s per proposal]},
     "tasks": GPTasks, "minima_lowered": int}
  """
  start = tasks_lib.test_block_start(seed)
  test = tasks_lib.gp_tasks(config.family(), "test", start, num_tasks)
  train_lib.propose_on_rff(net, test.rff, config.horizon)  # Traces (not timed).
  t0 = time.perf_counter()
  _, ys_rnn = train_lib.propose_on_rff(net, test.rff, config.horizon)
  batched = (time.perf_counter() - t0) / (config.horizon * num_tasks)
  ys = {"rnn": ys_rnn}
  seconds = {"rnn_batched": [batched]}
  for method in methods:
    traces = [_run_baseline(method, test.function(i), config.dim, config.horizon,
                            start + i, settings) for i in range(num_tasks)]
    ys[method] = np.stack([tr.ys for tr in traces])
    seconds[method] = [s for tr in traces for s in tr.proposal_seconds]
  lowered = test.lower_minima(*ys.values())
  return {"regret": {k: test.regret(v) for k, v in ys.items()}, "seconds": seconds,
          "tasks": test, "minima_lowered": lowered}


def time_rnn_proposals(net, tasks, count: int) -> float:
  """Seconds per proposal of `net.minimize` on `count` functions (batch 1, the way a
  user calls it), after one warm-up run that traces the compiled step."""
  fn = tasks.function(0)
  bounds = [(0.0, 1.0)] * net.dim
  net.minimize(fn, bounds, net.horizon)  # Traces the step once.
  times = [net.minimize(tasks.function(i), bounds, net.horizon).seconds_per_proposal
           for i in range(min(count, len(tasks)))]
  return float(np.mean(times))


def run_transfer(net, config, seed: int, settings, names=None, methods=BASELINES):
  """Regret after `horizon` queries on random instances of the test functions (those
  in `names`, default all that fit the network), of the RNN and `methods`.

  Returns:
    {function name: {"instances": n, "dim": d, "regret": {method: [n]},
                     "curves": {method: [n, T]}}}
  """
  out = {}
  for name, function in test_functions.FUNCTIONS.items():
    if function.dim > config.dim or (names and name not in names):
      continue
    instances = test_functions.instances(function, config.num_transfer_instances, seed,
                                         dim=config.dim)
    ys = {"rnn": np.stack([net.minimize(inst, [(0.0, 1.0)] * config.dim,
                                        config.horizon).ys for inst in instances])}
    for method in methods:
      runs = []
      for k, inst in enumerate(instances):
        # The baselines search the function's own box (the instance's active axes).
        def native(u, inst=inst):
          full = np.full(config.dim, 0.5)
          full[list(inst.axes)] = u
          return inst(full)
        runs.append(_run_baseline(method, native, function.dim, config.horizon,
                                  seed * 1000 + k, settings).ys)
      ys[method] = np.stack(runs)
    curves = {k: np.maximum(tasks_lib.best_so_far(v) - function.minimum, 0.0)
              for k, v in ys.items()}
    out[name] = {"instances": len(instances), "dim": function.dim, "curves": curves,
                 "regret": {k: v[:, -1] for k, v in curves.items()}}
  return out


def _regret_rows(final, mid, seconds, settings_label):
  rows = []
  for method in ("rnn",) + BASELINES:
    mean, se = evaluation.mean_stderr(final[method])
    if method == "rnn":
      wins = "-"
    else:
      wins = f"{100 * np.mean(final['rnn'] < final[method]):.0f}%"
    label = settings_label if method == "gp_ei" else (
        "learned" if method == "rnn" else "-")
    rows.append([NAMES[method], label, float(np.median(final[method])), float(mean),
                 float(se), float(np.median(mid[method])), wins])
  return rows


def evaluate(net, config, context: evaluation.EvalContext) -> evaluation.Report:
  """The regret table, the timing table, the transfer table, and the curves' plots."""
  name = getattr(net, "zoo_name", "blackbox_rnn")
  num_tasks = context.num_tasks or config.num_test_tasks
  num_val = context.num_validation_tasks or config.num_gp_ei_tuning_tasks
  horizon = config.horizon
  log = context.log
  log(f"  tuning GP-EI on {num_val} validation functions ...")
  settings, _ = tune_gp_ei(config, num_val, log)
  log(f"  running every method on {num_tasks} test functions ...")
  result = run_gp_comparison(net, config, context.seed, num_tasks, settings)
  regret = result["regret"]
  final = {k: v[:, -1] for k, v in regret.items()}
  mid = {k: v[:, horizon // 2 - 1] for k, v in regret.items()}
  rows = _regret_rows(final, mid, result["seconds"], settings.label())
  table = evaluation.format_table(
      ["method", "settings", f"median regret@{horizon}", "mean", "s.e.",
       f"median@{horizon // 2}", "RNN lower on"], rows,
      title=(f"{name}: best-so-far regret after {horizon} queries on {num_tasks} "
             f"held-out {config.dim}-d GP functions (seed {context.seed}); GP-EI tuned "
             f"on {num_val} validation functions"))

  log("  timing proposals ...")
  rnn_seconds = time_rnn_proposals(net, result["tasks"], config.num_timing_functions)
  gp_seconds = float(np.mean(result["seconds"]["gp_ei"]))
  batched = result["seconds"]["rnn_batched"][0]
  timing = evaluation.format_table(
      ["method", "seconds per proposal", "GP-EI / this"],
      [[NAMES["gp_ei"] + f" ({settings.label()}; refit + acquisition)", gp_seconds,
        1.0],
       ["RNN, minimize() on one function", rnn_seconds, gp_seconds / rnn_seconds],
       [f"RNN, batched over {num_tasks} functions", batched, gp_seconds / batched]],
      title="Seconds per proposal, measured in this run (same process, same machine)")

  log("  transfer to the test functions ...")
  transfer = run_transfer(net, config, context.seed, settings)
  transfer_rows = []
  for fname, res in transfer.items():
    for method in ("rnn",) + BASELINES:
      values = res["regret"][method]
      mean, se = evaluation.mean_stderr(values)
      wins = "-" if method == "rnn" else (
          f"{100 * np.mean(res['regret']['rnn'] < values):.0f}%")
      transfer_rows.append([f"{fname} ({res['dim']}-d)", NAMES[method],
                            float(np.median(values)), float(mean), float(se), wins])
  transfer_table = evaluation.format_table(
      ["function", "method", f"median regret@{horizon}", "mean", "s.e.",
       "RNN lower on"], transfer_rows,
      title=(f"Transfer: regret after {horizon} queries on "
             f"{config.num_transfer_instances} random box symmetries of each function "
             f"(seed {context.seed}); the RNN works in {config.dim}-d"))

  med = {k: float(np.median(v)) for k, v in final.items()}
  metrics = {"num_test_tasks": num_tasks, "num_gp_ei_tuning_tasks": num_val,
             "horizon": horizon, "gp_ei_kernel": settings.kernel,
             "gp_ei_initial_points": settings.initial_points,
             "minima_lowered_by_a_method": result["minima_lowered"],
             "rnn_seconds_per_proposal": rnn_seconds,
             "rnn_batched_seconds_per_proposal": batched,
             "gp_ei_seconds_per_proposal": gp_seconds,
             "speedup_vs_gp_ei": gp_seconds / rnn_seconds}
  for method in ("rnn",) + BASELINES:
    metrics[f"{method}_median_regret"] = med[method]
    metrics[f"{method}_mean_regret"] = float(final[method].mean())
  metrics["regret_ratio_vs_gp_ei"] = med["rnn"] / med["gp_ei"] if med["gp_ei"] else (
      0.0 if med["rnn"] == 0 else float("inf"))
  for fname, res in transfer.items():
    for method in ("rnn",) + BASELINES:
      metrics[f"transfer_{fname}_{method}_median_regret"] = float(
          np.median(res["regret"][method]))

  claims = [
      evaluation.Claim(
          name="below_random_and_sobol",
          statement=(f"median regret@{horizon} of the RNN below random search's and "
                     "Sobol's"),
          measured=(f"{med['rnn']:.4g} vs {med['random']:.4g} (random), "
                    f"{med['sobol']:.4g} (Sobol)"),
          holds=med["rnn"] < med["random"] and med["rnn"] < med["sobol"]),
  ]
  if config.claim_max_regret_ratio_vs_gp_ei is not None:
    ratio = metrics["regret_ratio_vs_gp_ei"]
    claims.append(evaluation.Claim(
        name="regret_vs_gp_ei",
        statement=(f"median regret@{horizon} of the RNN <= "
                   f"{config.claim_max_regret_ratio_vs_gp_ei} x GP-EI's"),
        measured=f"{ratio:.3f} x ({med['rnn']:.4g} vs {med['gp_ei']:.4g})",
        holds=ratio <= config.claim_max_regret_ratio_vs_gp_ei))
  if config.claim_min_speedup_vs_gp_ei is not None:
    claims.append(evaluation.Claim(
        name="speedup_vs_gp_ei",
        statement=(f"an RNN proposal (minimize(), one function) >= "
                   f"{config.claim_min_speedup_vs_gp_ei:g} x faster than GP-EI's"),
        measured=f"{metrics['speedup_vs_gp_ei']:.0f} x",
        holds=metrics["speedup_vs_gp_ei"] >= config.claim_min_speedup_vs_gp_ei))

  queries = np.arange(1, horizon + 1)
  styles = {NAMES["rnn"]: {"color": "black", "linewidth": 2.2}}
  plots = [evaluation.plot_curves(
      os.path.join(context.output_dir, f"{name}_regret_curves.png"),
      {NAMES[k]: (queries,) + tuple(evaluation.mean_stderr(v)) for k, v in
       regret.items()},
      title=f"{name}: {num_tasks} held-out {config.dim}-d GP functions",
      xlabel="queries", ylabel="best-so-far regret (mean ± s.e.)", logy=True,
      styles=styles)]
  for fname, res in transfer.items():
    plots.append(evaluation.plot_curves(
        os.path.join(context.output_dir, f"{name}_transfer_{fname}.png"),
        {NAMES[k]: (queries,) + tuple(evaluation.mean_stderr(v)) for k, v in
         res["curves"].items()},
        title=f"{name} on {fname} ({res['instances']} instances)",
        xlabel="queries", ylabel="best-so-far regret (mean ± s.e.)", logy=True,
        styles=styles))
  notes = []
  if result["minima_lowered"]:
    notes.append(f"({result['minima_lowered']} test minima were lowered to a value a "
                 "method found below the dense search's.)")
  return evaluation.Report(model=name, tables=[table, timing, transfer_table],
                           claims=claims, metrics=metrics, plots=plots, notes=notes)
