r"""Child evaluations per second: serial against parallel, measured in one run.

    bazel run //models/optimizer_search:benchmark -- --rules=32 --workers=2

Four ways to score the same random rules on the search's child problem:
- compiled per rule: each rule compiled on its own (`compiler.batched_rule` run by
  `classic_optimizers.run_rule`), one after another (tracing included, as a search
  that compiles every sampled rule would pay);
- serial: the vectorised child runner called once per rule;
- vectorised: one call for all rules;
- pool: the rules split over --workers threads, each a vectorised call (the search's
  `Scorer`).
Ratios are against serial (the fastest of --repeats runs of each way). Each rule
trains one child per learning rate.
"""

import time

from absl import app
from absl import flags
import numpy as np

from models.classic_optimizers import runner
from models.optimizer_search import compiler
from models.optimizer_search import config as config_lib
from models.optimizer_search import search
from models.optimizer_search import train

FLAGS = flags.FLAGS
flags.DEFINE_integer("rules", 32, "Random rules to score.", lower_bound=2)
flags.DEFINE_integer("workers", 2, "Threads of the pool.", lower_bound=1)
flags.DEFINE_integer("repeats", 3, "Timed repeats of each way (the fastest counts).",
                     lower_bound=1)
flags.DEFINE_integer("compiled_rules", 3, "Rules for the compile-per-rule way (slow).",
                     lower_bound=1)


def _timed(fn, repeats: int = 1):
  """(result, the fastest of `repeats` wall times)."""
  best = float("inf")
  for _ in range(repeats):
    t0 = time.perf_counter()
    out = fn()
    best = min(best, time.perf_counter() - t0)
  return out, best


def main(argv):
  del argv
  config = config_lib.SearchConfig()
  runner_ = train.child_runner(config)
  tokens = search.random_tokens(np.random.default_rng(0), [FLAGS.rules], config.num_units)
  runner_.rewards(tokens[:2])  # Traces once; not timed.
  lrs = len(config.child_learning_rates)

  family = config.child_family()
  seeds = family.seeds("train", 0, config.child_tasks)

  def compiled_each():
    for row in tokens[:FLAGS.compiled_rules]:
      rule = compiler.batched_rule(search.rule_text(row, config.num_units))
      runner.run_rule(family, rule, seeds, list(config.child_learning_rates),
                      config.child_steps, record_every=config.child_steps)

  _, t_compiled = _timed(compiled_each)
  serial, t_serial = _timed(lambda: np.concatenate(
      [runner_.rewards(tokens[i:i + 1]) for i in range(len(tokens))]), FLAGS.repeats)
  vector, t_vector = _timed(lambda: runner_.rewards(tokens), FLAGS.repeats)
  pool = search.Scorer(runner_, config.num_units, num_workers=FLAGS.workers)
  pooled, t_pool = _timed(lambda: pool.score_new(tokens), FLAGS.repeats)
  pool.close()
  if not (np.allclose(serial, vector, atol=1e-5) and np.allclose(serial, pooled,
                                                                  atol=1e-5)):
    raise AssertionError("The ways disagree on the rewards")
  rate = lambda n, t: n * lrs / t
  r_serial = rate(len(tokens), t_serial)
  rows = [("compiled per rule", rate(FLAGS.compiled_rules, t_compiled)),
          ("serial (vectorised runner, one rule per call)", r_serial),
          ("vectorised (all rules in one call)", rate(len(tokens), t_vector)),
          (f"pool of {FLAGS.workers} threads", rate(len(tokens), t_pool))]
  print(f"{len(tokens)} random rules x {lrs} learning rates, child "
        f"{'-'.join(map(str, config.child_sizes))} MLP, {config.child_steps} steps")
  print(f"{'way':50s} {'children/s':>12s} {'vs serial':>10s}")
  for name, r in rows:
    print(f"{name:50s} {r:12.2f} {r / r_serial:9.2f}x")


if __name__ == "__main__":
  app.run(main)
