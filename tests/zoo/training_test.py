"""Tests of zoo.training.run_loop: resume, validation bookkeeping, divergence."""

import os

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from zoo import training


class _Crash(Exception):
  pass


def _make_step(var, crash_at=None, nan_at=None):
  """A step whose update depends only on the step index (like the zoo's loops)."""

  @tf.function
  def step(global_step):
    x = tf.cast(global_step, tf.float32)
    var.assign(var * 0.9 + tf.sin(x))
    return {"loss": tf.reduce_sum(var)}

  def run(global_step):
    s = int(global_step)
    if crash_at is not None and s == crash_at:
      raise _Crash(f"killed at step {s}")
    out = step(global_step)
    if nan_at is not None and s == nan_at:
      out = {"loss": tf.constant(float("nan"))}
    return out

  return run


class RunLoopTest(absltest.TestCase):

  def _loop(self, model_dir, var, total, **kwargs):
    return training.run_loop(model_dir=model_dir, step_fn=_make_step(var, **kwargs),
                             total_steps=total, objects={"var": var},
                             checkpoint_every=3, log_every=2, log=lambda _: None)

  def test_resume_after_crash_neither_repeats_nor_loses_steps(self):
    reference = tf.Variable(np.ones(3, np.float32))
    result = self._loop(self.create_tempdir().full_path, reference, 10)
    self.assertEqual((result.start_step, result.final_step), (0, 10))

    model_dir = self.create_tempdir().full_path
    var = tf.Variable(np.ones(3, np.float32))
    with self.assertRaises(_Crash):
      self._loop(model_dir, var, 10, crash_at=7)  # Last checkpoint: step 6.
    var.assign(np.full(3, 123.0, np.float32))  # The crashed process's state is lost.
    result = self._loop(model_dir, var, 10)
    self.assertEqual(result.start_step, 6)
    self.assertEqual(result.steps_run, 4)
    self.assertEqual(result.final_step, 10)
    np.testing.assert_allclose(var.numpy(), reference.numpy(), rtol=1e-6)
    # A finished run restarted with the same step count does nothing.
    again = self._loop(model_dir, var, 10)
    self.assertEqual(again.steps_run, 0)

  def test_validation_keeps_best_in_checkpoint(self):
    model_dir = self.create_tempdir().full_path
    var = tf.Variable(np.zeros(1, np.float32))
    objectives = {2: 5.0, 4: 3.0, 6: 4.0}
    best_calls = []
    result = training.run_loop(
        model_dir=model_dir, step_fn=_make_step(var), total_steps=6,
        objects={"var": var}, checkpoint_every=2, log_every=2,
        validate_fn=lambda s: (objectives[s], {"twice": 2 * objectives[s]}),
        validate_every=2, on_best=lambda s, o: best_calls.append((s, o)),
        log=lambda _: None)
    self.assertEqual(best_calls, [(2, 5.0), (4, 3.0)])
    self.assertEqual((result.best_objective, result.best_step), (3.0, 4))
    self.assertEqual(result.validations,
                     [{"step": s, "objective": o, "twice": 2 * o}
                      for s, o in sorted(objectives.items())])
    self.assertTrue(os.path.isdir(os.path.join(model_dir, "validation")))

  def test_nan_stops_without_saving(self):
    model_dir = self.create_tempdir().full_path
    var = tf.Variable(np.ones(2, np.float32))
    with self.assertRaisesRegex(training.TrainingDivergedError,
                                r"Non-finite training metric.*step 4.*ckpt-3"):
      self._loop(model_dir, var, 10, nan_at=4)
    self.assertEqual(tf.train.latest_checkpoint(model_dir),
                     os.path.join(model_dir, "ckpt-3"))

  def test_keras_models_are_checkpointed_whole(self):
    """Layers held in Python lists are saved and restored too."""

    class Stack(keras.Model):

      def __init__(self):
        super().__init__()
        self.blocks = [keras.layers.Dense(3, name=f"block_{i}") for i in range(2)]
        for block in self.blocks:
          block.build((None, 3))

    model_dir = self.create_tempdir().full_path
    model = Stack()
    saved = [w.numpy() for w in model.weights]
    calls = []

    def step(s):
      calls.append(int(s))
      return {"loss": tf.constant(0.0)}

    training.run_loop(model_dir=model_dir, step_fn=step, total_steps=2,
                      objects={"model": model}, checkpoint_every=1,
                      log=lambda _: None)
    for w in model.weights:
      w.assign(tf.zeros_like(w))
    result = training.run_loop(model_dir=model_dir, step_fn=step, total_steps=2,
                               objects={"model": model}, log=lambda _: None)
    self.assertEqual(result.steps_run, 0)
    self.assertLen(model.weights, 4)
    for a, b in zip(saved, model.weights):
      np.testing.assert_array_equal(a, b.numpy())

  def test_keep_best_saves_and_restores_the_best_weights(self):
    model_dir = self.create_tempdir().full_path
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    weights = model.trainable_variables[0]

    def step(global_step):
      weights.assign_add(tf.ones_like(weights))  # Step k leaves kernel = k + 1 + start.
      return {"loss": tf.reduce_sum(weights)}

    start = float(weights.numpy()[0, 0])
    # Validation objective |kernel - (start + 3)|: best after step 3 of 6.
    result = training.run_loop(
        model_dir=model_dir, step_fn=step, total_steps=6, objects={"m": model},
        validate_every=1, keep_best=model, log=lambda _: None,
        validate_fn=lambda _: (abs(float(weights.numpy()[0, 0]) - start - 3.0), {}))
    self.assertEqual(result.best_step, 3)
    self.assertTrue(os.path.exists(os.path.join(model_dir, training.BEST_WEIGHTS)))
    self.assertAlmostEqual(float(weights.numpy()[0, 0]), start + 3.0, places=5)

  def test_checkpoint_beyond_total_is_an_error(self):
    model_dir = self.create_tempdir().full_path
    var = tf.Variable(np.ones(2, np.float32))
    self._loop(model_dir, var, 6)
    with self.assertRaisesRegex(ValueError, "beyond train_steps=3"):
      self._loop(model_dir, var, 3)


if __name__ == "__main__":
  absltest.main()
