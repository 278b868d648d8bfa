"""One way to write a resumable, compiled custom training loop.

A method supplies a compiled step (`tf.function`, usually wrapping `strategy.run`)
that takes the global step as a tensor, so the data of step k is a pure function of
(seed, k). `run_loop` then handles the rest:

- resume: `tf.train.CheckpointManager` in `model_dir`; a run killed at any point
  restarts from its last checkpoint, and because step k's data depends only on k, it
  neither repeats nor loses steps;
- validation every `validate_every` steps, keeping the best objective (and the step)
  in the checkpoint; with `keep_best=model` the model's best weights are saved
  atomically to `model_dir/best.weights.h5` and loaded back at the end;
- TensorBoard summaries (`model_dir/train`, `model_dir/validation`) and progress lines
  with steps per second and the time left;
- a non-finite metric stops the run with `TrainingDivergedError` before anything is
  saved, so the last checkpoint stays the last good state.
"""

import dataclasses
import math
import os
import shutil
import time
from typing import Callable, Optional

import tensorflow as tf

from zoo import distribute

__all__ = [
    "BEST_WEIGHTS",
    "LoopResult",
    "TrainContext",
    "TrainingDivergedError",
    "format_duration",
    "run_loop",
]


BEST_WEIGHTS = "best.weights.h5"
# The checkpoint entry with the seconds of training recorded so far.
TRAIN_SECONDS = "train_seconds"


def recorded_train_seconds(model_dir: str) -> float:
  """Seconds of training that the latest checkpoint in `model_dir` records (0 if there
  is none, or it predates the record)."""
  latest = tf.train.latest_checkpoint(model_dir) if os.path.isdir(model_dir) else None
  if not latest:
    return 0.0
  try:
    return float(tf.train.load_variable(
        latest, f"{TRAIN_SECONDS}/.ATTRIBUTES/VARIABLE_VALUE"))
  except (tf.errors.NotFoundError, ValueError):
    return 0.0


class TrainingDivergedError(FloatingPointError):
  """A training metric became NaN or infinite."""


@dataclasses.dataclass
class TrainContext:
  """What the CLI hands a method's `train` function.

  Attributes:
    model_dir: where resumable training state, summaries and best weights go.
    strategy: the `tf.distribute` strategy; the model was built in its scope.
    seed: seeds parameter initialisation (already applied) and the task stream.
    train_steps: overrides the config's number of steps when set.
    log: where progress lines go.
  """
  model_dir: str
  strategy: tf.distribute.Strategy
  seed: int = 0
  train_steps: Optional[int] = None
  log: Callable[[str], None] = print


@dataclasses.dataclass
class LoopResult:
  start_step: int
  final_step: int
  steps_run: int
  wall_time_s: float
  metrics: dict
  best_objective: Optional[float]
  best_step: Optional[int]
  # {"step", "objective", and validate_fn's extra metrics} of every validation in
  # this run (not those before a resume).
  validations: list = dataclasses.field(default_factory=list)


def format_duration(seconds: float) -> str:
  seconds = max(0, int(round(seconds)))
  if seconds < 60:
    return f"{seconds}s"
  minutes, seconds = divmod(seconds, 60)
  if minutes < 60:
    return f"{minutes}m{seconds:02d}s"
  hours, minutes = divmod(minutes, 60)
  return f"{hours}h{minutes:02d}m"


class _KerasWeights(tf.Module):
  """Every weight of a Keras layer or model, by position, for `tf.train.Checkpoint`.

  Keras 3 models are not reliably trackable (layers held in Python lists are left
  out of a `tf.train.Checkpoint`), so the loop checkpoints their weight lists.
  """

  def __init__(self, layer):
    super().__init__(name=None)
    self.values = list(layer.weights)


def _trackable(obj):
  import keras  # pylint: disable=g-import-not-at-top
  if isinstance(obj, keras.layers.Layer):
    return _KerasWeights(obj)
  return obj


def _to_floats(metrics) -> dict:
  return {k: float(v) for k, v in metrics.items()}


def _check_finite(metrics: dict, step: int, where: str, last_saved: Optional[str]):
  bad = {k: v for k, v in metrics.items() if not math.isfinite(v)}
  if bad:
    saved = (f"the last good checkpoint is {last_saved}" if last_saved
             else "no checkpoint was written")
    raise TrainingDivergedError(
        f"Non-finite {where} metric(s) {bad} at step {step}; stopped without saving "
        f"({saved}). Lower the learning rate or clip gradients.")


def _write_scalars(writer, metrics: dict, step: int):
  with writer.as_default(step=step):
    for k, v in metrics.items():
      tf.summary.scalar(k, v)


def run_loop(*,
             model_dir: str,
             step_fn: Callable,
             total_steps: int,
             objects: dict,
             checkpoint_every: int = 100,
             log_every: int = 10,
             validate_fn: Optional[Callable] = None,
             validate_every: Optional[int] = None,
             on_best: Optional[Callable] = None,
             keep_best=None,
             strategy: Optional[tf.distribute.Strategy] = None,
             log: Callable[[str], None] = print,
             max_to_keep: int = 3) -> LoopResult:
  """Runs `step_fn` from the last checkpoint in `model_dir` up to `total_steps`.

  Args:
    model_dir: checkpoints and summaries; created if needed.
    step_fn: `step_fn(step: tf.Tensor[int64]) -> {name: scalar}`, compiled.
    total_steps: the step count the run ends at (not the number still to run).
    objects: trackables to checkpoint (model, meta-optimizer, ...); the meta-optimizer
      should already be built so its slots restore.
    checkpoint_every: save every this many steps (and at the end).
    log_every: summaries and a progress line every this many steps.
    validate_fn: `validate_fn(step) -> (objective, {name: value})`, lower is better.
    validate_every: run `validate_fn` every this many steps and at the end.
    on_best: `on_best(step, objective)`, called when the objective improves.
    keep_best: a Keras model whose weights are saved (by the chief, atomically) to
      `model_dir/BEST_WEIGHTS` whenever the objective improves, and loaded back into it
      when the loop ends (also after a resumed run that did not improve).
    strategy: for multi-worker runs, so non-chief workers write to private folders.
    log: progress output.
    max_to_keep: checkpoints kept.

  Returns:
    A `LoopResult`.

  Raises:
    TrainingDivergedError: a metric became non-finite; nothing was saved for it.
  """
  if total_steps < 0:
    raise ValueError(f"total_steps must be >= 0; received: {total_steps}")
  chief = distribute.is_chief(strategy)
  write_dir = distribute.worker_model_dir(model_dir, strategy)
  os.makedirs(write_dir, exist_ok=True)

  step_var = tf.Variable(0, dtype=tf.int64, trainable=False, name="global_step")
  best_var = tf.Variable(math.inf, dtype=tf.float64, trainable=False, name="best")
  best_step_var = tf.Variable(-1, dtype=tf.int64, trainable=False, name="best_step")
  # Seconds of training in this model_dir by all runs, up to the last checkpoint (so a
  # resumed run's records can count the time before it).
  seconds_var = tf.Variable(0.0, dtype=tf.float64, trainable=False,
                            name=TRAIN_SECONDS)
  ckpt = tf.train.Checkpoint(
      global_step=step_var, best_objective=best_var, best_step=best_step_var,
      **{TRAIN_SECONDS: seconds_var},
      **{k: _trackable(v) for k, v in objects.items()})
  manager = tf.train.CheckpointManager(ckpt, write_dir, max_to_keep=max_to_keep)
  if manager.latest_checkpoint:
    ckpt.restore(manager.latest_checkpoint).assert_existing_objects_matched()
    log(f"Resumed from {manager.latest_checkpoint} at step {int(step_var)}.")
  start = int(step_var)
  if start > total_steps:
    raise ValueError(
        f"{model_dir} holds a checkpoint at step {start}, beyond train_steps="
        f"{total_steps}; use a new --model_dir or more steps.")

  if chief:
    train_writer = tf.summary.create_file_writer(os.path.join(model_dir, "train"))
    val_writer = tf.summary.create_file_writer(os.path.join(model_dir, "validation"))
  else:
    train_writer = val_writer = tf.summary.create_noop_writer()

  validations = []

  def validate(step):
    objective, extra = validate_fn(step)
    objective = float(objective)
    metrics = dict(_to_floats(extra), objective=objective)
    _check_finite(metrics, step, "validation", manager.latest_checkpoint)
    validations.append(dict(metrics, step=int(step)))
    _write_scalars(val_writer, metrics, step)
    improved = objective < float(best_var)
    if improved:
      best_var.assign(objective)
      best_step_var.assign(step)
      if keep_best is not None and chief:
        path = os.path.join(model_dir, BEST_WEIGHTS)
        keep_best.save_weights(path + ".tmp.weights.h5")
        os.replace(path + ".tmp.weights.h5", path)
      if on_best is not None:
        on_best(step, objective)
    log(f"  validation at step {step}: objective {objective:.5g}"
        f"{' (best)' if improved else f' (best {float(best_var):.5g} at step {int(best_step_var)})'}")

  metrics = {}
  t0 = time.time()
  seconds_before = float(seconds_var)
  t_last, step_last = t0, start
  step = start
  while step < total_steps:
    metrics = _to_floats(step_fn(tf.constant(step, dtype=tf.int64)))
    _check_finite(metrics, step, "training", manager.latest_checkpoint)
    step += 1
    step_var.assign(step)
    if step % log_every == 0 or step == total_steps:
      now = time.time()
      rate = (step - step_last) / max(now - t_last, 1e-9)
      t_last, step_last = now, step
      eta = (total_steps - step) / max(rate, 1e-9)
      _write_scalars(train_writer, dict(metrics, steps_per_second=rate), step)
      shown = " ".join(f"{k}={v:.5g}" for k, v in sorted(metrics.items()))
      log(f"step {step}/{total_steps} {shown} ({rate:.2f} steps/s, "
          f"{format_duration(eta)} left)")
    if validate_fn is not None and validate_every and (
        step % validate_every == 0 or step == total_steps):
      validate(step)
    if step % checkpoint_every == 0 or step == total_steps:
      seconds_var.assign(seconds_before + time.time() - t0)
      manager.save(checkpoint_number=step)

  train_writer.flush()
  val_writer.flush()
  if not chief:
    shutil.rmtree(write_dir, ignore_errors=True)
  best_path = os.path.join(model_dir, BEST_WEIGHTS)
  if keep_best is not None and os.path.exists(best_path):
    keep_best.load_weights(best_path)
  best = float(best_var)
  return LoopResult(
      start_step=start,
      final_step=step,
      steps_run=step - start,
      wall_time_s=time.time() - t0,
      metrics=metrics,
      best_objective=best if math.isfinite(best) else None,
      best_step=int(best_step_var) if int(best_step_var) >= 0 else None,
      validations=validations)
