"""Shared checks of the distributed-equality tests: a few training steps under
MirroredStrategy (two logical CPUs) must equal the same steps on one device."""

import keras
import numpy as np
import tensorflow as tf


def sgd_steps(strategy, build, initial, make_step, variable_groups, steps=2):
  """Runs `steps` training steps of a model built in `strategy`'s scope.

  Args:
    strategy: the tf.distribute strategy.
    build: `() -> model`; its weights are then set to `initial`.
    initial: the starting weights (a list of arrays, `model.weights` order).
    make_step: `(model, optimizers, strategy) -> step(global_step) -> {name: scalar}`.
    variable_groups: one `model -> variables` per optimizer the step takes.

  Returns:
    (a list of {name: float} per step, the weights after the steps).

  SGD, not the learners' Adam: Adam would blow a float32 rounding difference in a
  near-zero summed gradient up to an update difference of up to lr x 1e-3, so only
  SGD lets the comparison be tight.
  """
  with strategy.scope():
    model = build()
    model.set_weights(initial)
    optimizers = []
    for group in variable_groups:
      optimizers.append(keras.optimizers.SGD(0.1))
      optimizers[-1].build(group(model))
  step = make_step(model, optimizers, strategy)
  outputs = [{k: float(v) for k, v in step(tf.constant(s, tf.int64)).items()}
             for s in range(steps)]
  return outputs, [w.numpy() for w in model.weights]


def assert_same_steps(test, build, make_step, variable_groups, one_device, mirrored,
                      atol=1e-6):
  """Asserts that `sgd_steps` gives the same outputs (to 1e-4 relative) and weights
  (rtol 1e-4, `atol`) under `mirrored` (two replicas) as on `one_device`, and that
  the steps moved the weights."""
  test.assertEqual(mirrored.num_replicas_in_sync, 2)
  initial = [w.numpy() for w in build().weights]
  run = lambda strategy: sgd_steps(strategy, build, initial, make_step, variable_groups)
  one_out, one_weights = run(one_device)
  two_out, two_weights = run(mirrored)
  for a, b in zip(one_out, two_out):
    for k in a:
      test.assertAlmostEqual(a[k], b[k], delta=1e-4 * max(1.0, abs(a[k])), msg=k)
  moved = 0.0
  for w0, w1, w2 in zip(initial, one_weights, two_weights):
    np.testing.assert_allclose(w1, w2, rtol=1e-4, atol=atol)
    moved = max(moved, float(np.abs(w1 - w0).max()))
  test.assertGreater(moved, 1e-4)  # The steps did update the weights.
