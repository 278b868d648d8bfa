"""Evaluation of the search: its curve against random search, the best rules found,
and those rules, PowerSign and AddSign against tuned optimizers on a held-out problem.

Protocol:
1. Search curve (from the record in the checkpoint): for each search seed, the mean
   reward of the controller's first and last 20% of samples, and of random search at
   the same number of child runs (Bello et al. 2017, Fig. 3 compares the controller's
   reward over time).
2. Best rules: every distinct rule the controllers sampled, ranked by recorded reward;
   the top ones are re-scored on `num_rescore_tasks` fresh child tasks (validation
   task seeds; this removes the winner's curse of a single run), beside reference
   rules (SGD, the Adam and RMSProp steps, PowerSign, AddSign) scored the same way.
3. Held-out problem (another architecture: `heldout_sizes`, tanh): the
   `num_top_rules` best re-scored rules, PowerSign, AddSign, and Adam, RMSProp, SGD and
   SGD with momentum, each with its learning rate (momentum: also mu) tuned on
   validation tasks by validation error; test error on the digits' test split for a
   block of test tasks chosen by --seed. Reported whatever the result.
"""

import os

import numpy as np

from models.classic_optimizers import rules as classic_rules
from models.classic_optimizers import runner
from models.classic_optimizers import tuning
from models.optimizees import base as optimizees_base
from models.optimizer_search import compiler
from models.optimizer_search import language
from models.optimizer_search import search
from models.optimizer_search import train as train_lib
from zoo import evaluation

__all__ = ["REFERENCE_RULES", "evaluate", "heldout_comparison", "rescore", "search_summary"]

# Hand-designed and published rules written in the language (2 units each).
REFERENCE_RULES = {
    "PowerSign": "mul(exp(mul(sign_g, sign_m)), g)",
    "AddSign": "add(g, mul(sign_m, sqrt_abs(g2)))",  # (1 + sign(g) sign(m)) g
    "SGD": "g",
    "Adam step": "adam",
    "RMSProp step": "rmsprop",
}
# The language's units, for writing the references as tokens.
_REFERENCE_TOKENS = {
    "PowerSign": (("sign_g", "sign_m", "identity", "identity", "mul"),
                  ("o1", "g", "exp", "identity", "mul")),
    "AddSign": (("sign_m", "g2", "identity", "sqrt_abs", "mul"),
                ("g", "o1", "identity", "identity", "add")),
    "SGD": (("g", "g", "identity", "identity", "keep"),
            ("g", "g", "identity", "identity", "keep")),
    "Adam step": (("adam", "g", "identity", "identity", "keep"),
                  ("adam", "g", "identity", "identity", "keep")),
    "RMSProp step": (("rmsprop", "g", "identity", "identity", "keep"),
                     ("rmsprop", "g", "identity", "identity", "keep")),
}


def reference_tokens(name: str, num_units: int) -> np.ndarray:
  """Tokens of a reference rule, padded in front with unused units to `num_units`."""
  units = _REFERENCE_TOKENS[name]
  pad = num_units - len(units)
  if pad < 0:
    raise ValueError(f"{name} needs {len(units)} units; the controller has {num_units}")
  tokens = [language.tokens_of_unit("g", "g", "identity", "identity", "keep")] * pad
  shift = lambda op: f"o{int(op[1:]) + pad}" if op.startswith("o") else op
  for unit in units:
    tokens.append(language.tokens_of_unit(shift(unit[0]), shift(unit[1]), *unit[2:]))
  return np.concatenate(tokens).astype(np.int32)


def search_summary(model, config) -> dict:
  """Per-seed search statistics from the record in `model` (no child runs)."""
  n = int(round(float(model.num_logged.numpy())))
  if n < 5:
    raise ValueError(f"The model's search record holds {n} samples per seed; train it "
                     "first (at least 5 samples)")
  ours = model.log_rewards.numpy()[:, :n]
  theirs = model.random_rewards.numpy()[:, :n]
  fifth = n // 5
  return {
      "samples_per_seed": n,
      "first20": ours[:, :fifth].mean(axis=1),
      "last20": ours[:, n - fifth:].mean(axis=1),
      "random_mean": theirs.mean(axis=1),
      "random_last20": theirs[:, n - fifth:].mean(axis=1),
      "best": ours.max(axis=1),
      "random_best": theirs.max(axis=1),
      "rewards": ours,
      "random_rewards": theirs,
  }


def discovered_rules(model, config) -> list:
  """(canonical text, recorded reward, times sampled, seeds, tokens) of every distinct
  rule the controllers sampled, best recorded reward first."""
  n = int(round(float(model.num_logged.numpy())))
  tokens = np.rint(model.log_tokens.numpy()[:, :n]).astype(np.int32)
  rewards = model.log_rewards.numpy()[:, :n]
  found = {}
  for s in range(tokens.shape[0]):
    for i in range(n):
      text = search.rule_text(tokens[s, i], config.num_units)
      entry = found.setdefault(text, [text, float(rewards[s, i]), 0, set(), tokens[s, i]])
      entry[2] += 1
      entry[3].add(s)
  return sorted((tuple(e) for e in found.values()), key=lambda e: -e[1])


def rescore(config, tokens) -> np.ndarray:
  """Mean over `num_rescore_tasks` fresh child tasks of each rule's best-learning-rate
  accuracy `[R]` (validation task seeds, disjoint from the search's)."""
  runner_ = train_lib.child_runner(config, "validation", config.num_rescore_tasks)
  acc = runner_.run(np.asarray(tokens, np.int32))  # [R, L, C]
  return acc.mean(axis=-1).max(axis=-1)


def _tune(family, rule, seeds, steps, log, label):
  try:
    return tuning.tune_learning_rate(family, rule, seeds, steps).learning_rate
  except RuntimeError as e:  # A rule whose error does not depend on the rate.
    log(f"  {label}: {e}; using the grid's best")
    grid = tuning.default_grid()
    finals = runner.run_rule(family, rule, seeds, grid, steps, record_every=steps)[-1]
    return float(grid[int(np.argmin(finals.mean(axis=-1)))])


def heldout_comparison(config, rule_texts: dict, seed: int, num_tasks: int,
                       num_validation_tasks: int, log=print) -> dict:
  """Test error `[num_tasks]` and tuned hyper-parameters of each optimizer.

  Args:
    rule_texts: label -> rule text of the language (the discovered rules, PowerSign,
      AddSign), run next to tuned Adam, RMSProp, SGD and momentum.
  """
  val_family = config.heldout_family("validation")
  test_family = config.heldout_family("test")
  val_seeds = val_family.seeds("validation", 0, num_validation_tasks)
  test_seeds = test_family.seeds("test", seed * optimizees_base.TEST_BLOCK, num_tasks)
  steps = config.heldout_steps
  methods = {label: (compiler.batched_rule(text), "") for label, text in rule_texts.items()}
  for key, label in (("adam", "Adam"), ("rmsprop", "RMSProp"), ("sgd", "SGD")):
    methods[label] = (classic_rules.get_rule(key), "")
  mu, _ = tuning.tune_momentum(val_family, val_seeds, steps)
  methods["SGD+momentum"] = (classic_rules.momentum(mu), f"mu={mu:g}")
  results = {}
  for label, (rule, extra) in methods.items():
    lr = _tune(val_family, rule, val_seeds, steps, log, label)
    errors = runner.run_rule(test_family, rule, test_seeds, [lr], steps,
                             record_every=steps)[-1, 0, :]
    log(f"  held-out {label}: lr={lr:.3g} {extra} test error {errors.mean():.4f}")
    results[label] = {"learning_rate": lr, "extra": extra, "errors": errors}
  return results


def _curve_plot(summary, config, output_dir):
  k = config.samples_per_step
  n = summary["samples_per_seed"]
  steps = n // k
  x = np.arange(1, steps + 1) * k
  per_step = lambda r: r[:, :steps * k].reshape(r.shape[0], steps, k).mean(axis=-1)
  best = lambda r: np.maximum.accumulate(r[:, :steps * k], axis=1)[:, k - 1::k]
  panels = {}
  for title, fn in (("mean reward of each step's samples", per_step),
                    ("best reward so far", best)):
    curves = {}
    for label, key in (("controller (PPO)", "rewards"), ("random search", "random_rewards")):
      mean, se = evaluation.mean_stderr(fn(summary[key]))
      curves[label] = (x, mean, se)
    panels[title] = curves
  return evaluation.plot_panels(
      os.path.join(output_dir, "nos_search_curve.png"), panels,
      title=f"Search curve: {summary['rewards'].shape[0]} seeds (mean ± s.e.)",
      xlabel="child runs per seed", ylabel="validation accuracy")


def evaluate(model, config, context: evaluation.EvalContext) -> evaluation.Report:
  """The search curve and its claims, the best rules, and the held-out table."""
  name = getattr(model, "zoo_name", "nos")
  log = context.log
  summary = search_summary(model, config)
  seeds = summary["rewards"].shape[0]
  rows = [[s, float(summary["first20"][s]), float(summary["last20"][s]),
           float(summary["random_mean"][s]), float(summary["best"][s]),
           float(summary["random_best"][s])] for s in range(seeds)]
  mean_row = lambda key: float(np.mean(summary[key]))
  rows.append(["mean", mean_row("first20"), mean_row("last20"), mean_row("random_mean"),
               mean_row("best"), mean_row("random_best")])
  tables = [evaluation.format_table(
      ["search seed", "controller first 20%", "controller last 20%", "random search",
       "controller best", "random best"], rows,
      title=(f"Search curve: mean reward (validation accuracy of the child) over "
             f"{summary['samples_per_seed']} child runs per seed"))]

  # Best rules, re-scored on fresh child tasks beside the references.
  found = discovered_rules(model, config)
  top = found[:10]
  ref_names = list(REFERENCE_RULES)
  tokens = [e[4] for e in top] + [reference_tokens(r, config.num_units) for r in ref_names]
  log(f"  re-scoring the top {len(top)} rules and {len(ref_names)} references on "
      f"{config.num_rescore_tasks} fresh child tasks ...")
  scores = rescore(config, np.stack(tokens))
  rule_rows = [[e[0], e[1], float(scores[i]), e[2], len(e[3])] for i, e in enumerate(top)]
  rule_rows += [[f"{r}: {REFERENCE_RULES[r]}", "-", float(scores[len(top) + i]), "-", "-"]
                for i, r in enumerate(ref_names)]
  tables.append(evaluation.format_table(
      ["rule (w <- w - lr * rule)", "search reward", "re-scored", "times sampled",
       "seeds"], rule_rows,
      title=(f"Best rules found ({len(found)} distinct sampled), re-scored: mean over "
             f"{config.num_rescore_tasks} fresh child tasks of the best accuracy over "
             f"learning rates {list(config.child_learning_rates)}")))
  order = np.argsort(-scores[:len(top)], kind="stable")
  best_rules = [top[i][0] for i in order[:config.num_top_rules]]

  # Held-out problem.
  num_tasks = context.num_tasks or config.num_test_tasks
  num_val = context.num_validation_tasks or config.num_validation_tasks
  texts = {f"found #{i + 1}: {t}": t for i, t in enumerate(best_rules)}
  texts["PowerSign"] = REFERENCE_RULES["PowerSign"]
  texts["AddSign"] = REFERENCE_RULES["AddSign"]
  log(f"  held-out problem: tuning on {num_val} validation tasks, testing on "
      f"{num_tasks} tasks of block {context.seed} ...")
  heldout = heldout_comparison(config, texts, context.seed, num_tasks, num_val, log)
  adam = heldout["Adam"]["errors"]
  held_rows = []
  for label, res in heldout.items():
    mean, se = evaluation.mean_stderr(res["errors"])
    paired = evaluation.paired_stats(res["errors"], adam)
    held_rows.append([label, res["learning_rate"], res["extra"] or "-",
                      float(100 * mean), float(100 * se),
                      "-" if label == "Adam" else float(100 * paired["mean_diff"]),
                      "-" if label == "Adam" else f"{100 * paired['win_rate']:.0f}%"])
  sizes = "-".join(str(s) for s in config.heldout_sizes)
  tables.append(evaluation.format_table(
      ["optimizer", "tuned lr", "other", "test error %", "s.e.", "minus Adam (pts)",
       "lower than Adam on"], held_rows,
      title=(f"Held-out problem: {sizes} {config.heldout_activation} MLP on the digits, "
             f"{config.heldout_steps} steps, test error over {num_tasks} test tasks "
             f"(block {context.seed}); learning rates tuned on {num_val} validation "
             f"tasks")))

  improved = int(np.sum(summary["last20"] > summary["first20"]))
  beat = int(np.sum(summary["last20"] > summary["random_mean"]))
  claims = []
  if config.claim_min_seeds_improved is not None:
    claims.append(evaluation.Claim(
        "last20_above_first20",
        f"controller's mean reward over its last 20% of samples > its first 20%, in "
        f">= {config.claim_min_seeds_improved} of {seeds} search seeds",
        f"{improved}/{seeds} seeds (mean {mean_row('first20'):.3f} -> "
        f"{mean_row('last20'):.3f})",
        improved >= config.claim_min_seeds_improved))
  if config.claim_min_seeds_beat_random is not None:
    claims.append(evaluation.Claim(
        "last20_above_random",
        f"controller's last-20% mean reward > random search's mean reward at the same "
        f"number of child runs, in >= {config.claim_min_seeds_beat_random} of {seeds} "
        f"seeds",
        f"{beat}/{seeds} seeds (mean {mean_row('last20'):.3f} vs "
        f"{mean_row('random_mean'):.3f})",
        beat >= config.claim_min_seeds_beat_random))

  metrics = {
      "num_test_tasks": num_tasks,
      "num_validation_tasks": num_val,
      "samples_per_seed": summary["samples_per_seed"],
      "distinct_rules_sampled": len(found),
      "seeds_improved": improved,
      "seeds_beat_random": beat,
  }
  for key in ("first20", "last20", "random_mean", "best", "random_best"):
    metrics[f"{key}_mean"] = round(mean_row(key), 5)
    for s in range(seeds):
      metrics[f"{key}_seed{s}"] = round(float(summary[key][s]), 5)
  for i, text in enumerate(best_rules):
    metrics[f"best_rule_{i + 1}"] = text
  for label, res in heldout.items():
    key = label.split(":")[0].replace(" ", "_").replace("#", "").replace("+", "_").lower()
    metrics[f"heldout_error_{key}"] = round(float(res["errors"].mean()), 5)
  plots = [_curve_plot(summary, config, context.output_dir)]
  notes = [f"Claims: {sum(c.holds for c in claims)}/{len(claims)} hold."]
  return evaluation.Report(model=name, tables=tables, claims=claims, metrics=metrics,
                           plots=plots, notes=notes)
