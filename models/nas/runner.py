"""Trains children serially or in a pool of worker processes.

The paper trains 800 children at once on 800 GPUs (§3.2); here a pool of
`parallel_children` processes (each one TensorFlow thread, its own copy of the data)
trains a step's children side by side. Results come back as each child finishes, so
the search can log it at once and an interruption loses only unfinished children.
"""

import dataclasses
import multiprocessing
from typing import Iterable, Iterator

__all__ = ["ChildJob", "ChildRunner", "fast_graphs"]


@dataclasses.dataclass(frozen=True)
class ChildJob:
  """One child to train: its actions, depth, seed, and how to train it."""
  key: tuple
  actions: tuple
  depth: int
  seed: int
  epochs: int
  eval_split: str = "validation"


def _run_job(args):
  config, job = args
  from models.nas import child as child_lib  # pylint: disable=g-import-not-at-top
  from models.nas import data as data_lib  # pylint: disable=g-import-not-at-top
  arch = config.space().decode(job.actions, job.depth)
  result = child_lib.train_child(arch, data_lib.load(config.dataset),
                                 config.child_training(job.epochs), job.seed,
                                 eval_split=job.eval_split)
  return job, result


def fast_graphs(enable: bool = True) -> bool:
  """Turns Grappler's graph rewrites off (or back on) in this process.

  A child's graph is small and traced once; the rewrites cost more than they save
  (8 epochs of a 4-layer child on MNIST-1D: 2.5 s without them, 5-6 s with them).
  Returns whether they were off before.
  """
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  before = bool(tf.config.optimizer.get_experimental_options().get(
      "disable_meta_optimizer", False))
  tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": enable})
  return before


def _init_worker():
  import tensorflow as tf  # pylint: disable=g-import-not-at-top
  tf.config.threading.set_intra_op_parallelism_threads(1)
  tf.config.threading.set_inter_op_parallelism_threads(1)
  fast_graphs()


class ChildRunner:
  """Trains `ChildJob`s, `processes` at a time (1: in this process).

  In this process, Grappler's rewrites are off from construction to `close()` (see
  `fast_graphs`), then restored, so other models in the process are unaffected.
  """

  def __init__(self, config, processes: int = 1):
    if processes <= 0:
      raise ValueError(f"processes must be positive; received: {processes}")
    self.config = config
    self.processes = processes
    self._pool = None
    self._restore = None
    if processes == 1:
      self._restore = fast_graphs(True)

  def run(self, jobs: Iterable[ChildJob]) -> Iterator[tuple]:
    """Yields (job, result) as each child finishes (in job order when serial)."""
    jobs = list(jobs)
    if self.processes == 1:
      for job in jobs:
        yield _run_job((self.config, job))
      return
    if self._pool is None:
      context = multiprocessing.get_context("spawn")
      self._pool = context.Pool(self.processes, initializer=_init_worker)
    yield from self._pool.imap_unordered(_run_job, [(self.config, j) for j in jobs])

  def close(self):
    if self._restore is not None:
      fast_graphs(self._restore)
      self._restore = None
    if self._pool is not None:
      self._pool.close()
      self._pool.join()
      self._pool = None

  def __enter__(self):
    return self

  def __exit__(self, *exc):
    self.close()
