r"""Benchmark of the search's throughput: children per minute, serial against parallel.

    bazel run //models/nas:benchmark -- --children=8 --processes=2

Trains the same random architectures (the shipped config's MNIST-1D children) once in
this process and once in a pool of `--processes` worker processes (one TensorFlow
thread each), after a warm-up child on each side so that neither pays TensorFlow's
start-up inside the timing. The ratio is parallel / serial throughput; on a machine
with P free cores it approaches min(P, processes).
"""

import time

from absl import app
from absl import flags
import numpy as np

from models.nas import registration
from models.nas import runner as runner_lib
from zoo import evaluation

flags.DEFINE_integer("children", 8, "Timed children per side.", lower_bound=1)
flags.DEFINE_integer("processes", 2, "Worker processes of the parallel side.",
                     lower_bound=2)
flags.DEFINE_integer("epochs", 8, "Epochs per child.", lower_bound=1)
FLAGS = flags.FLAGS


def _jobs(config, n, offset):
  rng = np.random.default_rng(offset)
  depth = config.initial_layers
  return [runner_lib.ChildJob(key=(i,), actions=tuple(
      config.space().sample_random(rng, depth)), depth=depth, seed=offset + i,
      epochs=FLAGS.epochs) for i in range(n)]


def _rate(runner, jobs, warmup):
  list(runner.run(warmup))
  t0 = time.perf_counter()
  results = list(runner.run(jobs))
  return 60.0 * len(results) / (time.perf_counter() - t0)


def main(argv):
  del argv
  config = registration.MNIST1D
  jobs = _jobs(config, FLAGS.children, 0)
  warmup = _jobs(config, FLAGS.processes, 1000)
  with runner_lib.ChildRunner(config, 1) as serial:
    serial_rate = _rate(serial, jobs, warmup[:1])
  with runner_lib.ChildRunner(config, FLAGS.processes) as pool:
    parallel_rate = _rate(pool, jobs, warmup)
  print(evaluation.format_table(
      ["measurement", "parallel", "serial", "ratio"],
      [[f"children per minute ({FLAGS.children} children, {FLAGS.epochs} epochs, "
        f"{FLAGS.processes} processes)", parallel_rate, serial_rate,
        parallel_rate / serial_rate]],
      title="Search throughput (ratio = parallel / serial children per minute)"))


if __name__ == "__main__":
  app.run(main)
