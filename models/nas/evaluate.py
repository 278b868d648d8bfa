"""Evaluation of a finished search: the search curve and the retrained winners.

Protocol (Zoph & Le 2016, §4; the comparison with random search of Figure 6):
1. The search curve: mean reward of each arm (controller, random search at the same
   child budget and depth schedule) in blocks of 20% of its children, read from the
   search record the controller carries. Rewards are validation-split scores.
2. Claims: the controller's last 20% beats its first 20% by `claim_min_improvement`
   reward points, and beats random search's last 20%.
3. The top `retrain_top_k` distinct architectures of each arm (by search reward) are
   retrained from scratch for `retrain_epochs` epochs with `retrain_seeds` seeds
   (block `--seed`) and scored once on the test split after the last epoch; the test
   split never enters the search. Reported as measured, no threshold.
"""

import os

import numpy as np

from models.nas import runner as runner_lib
from models.nas import search as search_lib
from zoo import evaluation

__all__ = ["block_means", "evaluate", "retrain_top", "search_summary",
           "top_architectures"]


def block_means(rewards, fraction: float = 0.2):
  """(first, last) mean over the first and the last `fraction` of `rewards`."""
  rewards = np.asarray(rewards, dtype=np.float64)
  n = max(1, int(round(fraction * len(rewards))))
  return float(rewards[:n].mean()), float(rewards[-n:].mean())


def top_architectures(rows, k: int) -> list:
  """The k best distinct (actions, depth, reward) rows by reward."""
  seen, out = set(), []
  for actions, depth, reward in sorted(rows, key=lambda r: -r[2]):
    key = (tuple(actions), depth)
    if key not in seen:
      seen.add(key)
      out.append((actions, depth, reward))
    if len(out) == k:
      break
  return out


def retrain_top(config, tops: dict, seed: int, log=print) -> dict:
  """{arm: [[test accuracy per seed] per architecture]} after retraining."""
  seeds = [10_000 + seed * config.retrain_seeds + r for r in range(config.retrain_seeds)]
  jobs = [runner_lib.ChildJob(key=(arm, i, s), actions=tuple(actions), depth=depth,
                              seed=s, epochs=config.retrain_epochs, eval_split="test")
          for arm, rows in tops.items() for i, (actions, depth, _) in enumerate(rows)
          for s in seeds]
  out = {arm: [[None] * len(seeds) for _ in rows] for arm, rows in tops.items()}
  with runner_lib.ChildRunner(config, config.parallel_children) as runner:
    for job, result in runner.run(jobs):
      arm, i, s = job.key
      # The accuracy after the last epoch: no epoch is picked on the test split.
      out[arm][i][seeds.index(s)] = result["accuracies"][-1]
      log(f"  retrained {arm} #{i + 1} seed {s}: test accuracy "
          f"{result['accuracies'][-1]:.4f}")
  return out


def search_summary(controller, config, name: str = "nas") -> dict:
  """The search curve table, the per-arm records and rewards, and the two claims,
  all read from the search record (no training)."""
  rows = {arm: controller.record.read(a) for a, arm in enumerate(search_lib.ARMS)}
  n = len(rows["controller"])
  if n == 0:
    raise ValueError(f"{name}: the controller holds no search record (train it first)")
  rewards = {arm: np.array([r for _, _, r in rows[arm]]) for arm in rows}
  edges = np.linspace(0, n, 6).round().astype(int)
  curve_rows = []
  for b in range(5):
    lo, hi = edges[b], edges[b + 1]
    row = [f"{lo + 1}-{hi}", int(config.depth_at(lo))]
    for arm in search_lib.ARMS:
      mean, se = evaluation.mean_stderr(rewards[arm][lo:hi])
      row += [float(mean), float(se),
              float(np.mean(rewards[arm][lo:hi] ** (1 / config.reward_power)))]
    curve_rows.append(row)
  curve = evaluation.format_table(
      ["children", "layers", "controller reward", "s.e.", "val acc", "random reward",
       "s.e.", "val acc"], curve_rows,
      title=(f"{name}: search curve, {n} children per arm on {config.dataset} "
             f"(reward = max validation accuracy of the last {config.reward_epochs} of "
             f"{config.child_epochs} epochs, ^{config.reward_power:g})"))
  first = {arm: block_means(rewards[arm])[0] for arm in rewards}
  last = {arm: block_means(rewards[arm])[1] for arm in rewards}
  gain = last["controller"] - first["controller"]
  claims = [
      evaluation.Claim(
          name="controller_improves",
          statement=(f"controller: mean reward of the last 20% of children >= first "
                     f"20% + {config.claim_min_improvement}"),
          measured=(f"{last['controller']:.3f} vs {first['controller']:.3f} "
                    f"({gain:+.3f})"),
          holds=gain >= config.claim_min_improvement),
      evaluation.Claim(
          name="controller_beats_random",
          statement="controller's last 20% mean reward > random search's last 20%",
          measured=f"{last['controller']:.3f} vs {last['random']:.3f}",
          holds=last["controller"] > last["random"]),
  ]
  return {"rows": rows, "rewards": rewards, "n": n, "curve": curve, "first": first,
          "last": last, "gain": gain, "claims": claims}


def evaluate(controller, config, context: evaluation.EvalContext) -> evaluation.Report:
  name = getattr(controller, "zoo_name", "nas")
  space = config.space()
  rank = 1 if config.dataset == "mnist1d" else 2
  summary_ = search_summary(controller, config, name)
  rows, rewards, n = summary_["rows"], summary_["rewards"], summary_["n"]
  first, last, gain = summary_["first"], summary_["last"], summary_["gain"]
  curve, claims = summary_["curve"], summary_["claims"]

  # 2. The top architectures, retrained on the test split.
  tops = {arm: top_architectures(rows[arm], config.retrain_top_k) for arm in rows}
  tests = retrain_top(config, tops, context.seed, context.log)
  top_rows, metrics = [], {}
  for arm in search_lib.ARMS:
    for i, (actions, depth, reward) in enumerate(tops[arm]):
      mean, se = evaluation.mean_stderr(tests[arm][i])
      top_rows.append([arm, i + 1, float(reward), float(mean), float(se),
                       space.decode(actions, depth).describe(rank)])
      for s, acc in enumerate(tests[arm][i]):
        metrics[f"{arm}_top{i + 1}_seed{s}_test_accuracy"] = float(acc)
  arm_means = {arm: float(np.mean(tests[arm])) for arm in tests}
  arm_ses = {arm: float(evaluation.mean_stderr(np.ravel(tests[arm]))[1]) for arm in tests}
  paired = evaluation.paired_stats(np.ravel(tests["random"]), np.ravel(tests["controller"]))
  top_table = evaluation.format_table(
      ["arm", "rank", "search reward", "test acc", "s.e.", "architecture"], top_rows,
      title=(f"Top {config.retrain_top_k} architectures of each arm, retrained "
             f"{config.retrain_epochs} epochs x {config.retrain_seeds} seeds (block "
             f"{context.seed}), test accuracy after the last epoch"))
  summary = evaluation.format_table(
      ["arm", "mean test acc", "s.e.", "first 20% reward", "last 20% reward",
       "best reward"],
      [[arm, arm_means[arm], arm_ses[arm], first[arm], last[arm],
        float(rewards[arm].max())] for arm in search_lib.ARMS],
      title=(f"Controller against random search (test accuracy: controller - random = "
             f"{-paired['mean_diff']:+.4f} +/- {paired['se_diff']:.4f}, paired over "
             f"architecture rank and seed; reported as measured)"))

  metrics.update({
      "children_per_arm": n,
      "controller_first20_reward": first["controller"],
      "controller_last20_reward": last["controller"],
      "random_first20_reward": first["random"],
      "random_last20_reward": last["random"],
      "controller_improvement": gain,
      "controller_top_test_accuracy": arm_means["controller"],
      "random_top_test_accuracy": arm_means["random"],
      "num_test_tasks": int(np.size(tests["controller"])),
  })

  # Plots: the search curve (running mean over windows of 20 children) and rewards.
  window = max(1, min(20, n // 5))
  curves = {}
  for arm in search_lib.ARMS:
    starts = np.arange(0, n - window + 1)
    windows = np.stack([rewards[arm][s:s + window] for s in starts])
    curves[arm] = (starts + window, windows.mean(1),
                   windows.std(1, ddof=1) / np.sqrt(window) if window > 1
                   else np.zeros(len(starts)))
  plots = [evaluation.plot_curves(
      os.path.join(context.output_dir, f"{name}_search_curve.png"), curves,
      title=f"{name}: reward, running mean of {window} children",
      xlabel="children sampled (per arm)", ylabel="reward (val acc^3)",
      styles={"controller": {"color": "black", "linewidth": 2.0}})]
  bars = {}
  for arm in search_lib.ARMS:
    means = [float(np.mean(t)) for t in tests[arm]]
    ses = [float(evaluation.mean_stderr(t)[1]) for t in tests[arm]]
    bars[arm] = (np.arange(1, len(means) + 1), np.array(means), np.array(ses))
  plots.append(evaluation.plot_curves(
      os.path.join(context.output_dir, f"{name}_retrained.png"), bars,
      title=f"{name}: retrained top architectures", xlabel="rank by search reward",
      ylabel="test accuracy"))
  notes = [f"Scale: {n} children per arm (the paper: 12,800 for the controller)."]
  return evaluation.Report(model=name, tables=[curve, top_table, summary],
                           claims=claims, metrics=metrics, plots=plots, notes=notes)
