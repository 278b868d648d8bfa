"""PowerSign / AddSign: each step equals TensorFlow's kernels; the decays' values."""

import math

from absl.testing import absltest
from absl.testing import parameterized
import keras
import numpy as np
import tensorflow as tf

from models.optimizer_search import AddSign
from models.optimizer_search import PowerSign
from models.optimizer_search import cosine_sign_decay
from models.optimizer_search import linear_cosine_decay
from models.optimizer_search import linear_sign_decay
from models.optimizer_search import restart_sign_decay
from models.optimizer_search import sign_optimizers

GRADS = [np.random.default_rng(i).normal(size=[2, 3]).astype(np.float32)
         for i in range(12)]
W0 = np.random.default_rng(99).normal(size=[2, 3]).astype(np.float32)
DECAYS = {
    "constant": lambda: 1.0,
    "linear": lambda: linear_sign_decay(8),
    "cosine": lambda: cosine_sign_decay(8),
    "restart": lambda: restart_sign_decay(6, num_periods=2.0),
}


def _kernel_run(kind, decay, lr_fn, **hyper):
  var = tf.Variable(W0)
  m = tf.Variable(tf.zeros_like(W0))
  for t, g in enumerate(GRADS):
    d = decay(t) if callable(decay) else decay
    lr = lr_fn(t)
    if kind == "powersign":
      tf.raw_ops.ResourceApplyPowerSign(
          var=var.handle, m=m.handle, lr=lr, logbase=math.log(hyper.get("base", math.e)),
          sign_decay=d, beta=0.9, grad=g)
    else:
      tf.raw_ops.ResourceApplyAddSign(var=var.handle, m=m.handle, lr=lr,
                                      alpha=hyper.get("alpha", 1.0), sign_decay=d,
                                      beta=0.9, grad=g)
  return var.numpy()


class KernelParityTest(parameterized.TestCase):

  @parameterized.product(kind=("powersign", "addsign"), decay=tuple(DECAYS))
  def test_steps_equal_the_tensorflow_kernel(self, kind, decay):
    var = keras.Variable(W0)
    if kind == "powersign":
      opt = PowerSign(learning_rate=0.05, base=2.0, sign_decay=DECAYS[decay]())
      hyper = {"base": 2.0}
    else:
      opt = AddSign(learning_rate=0.05, alpha=0.5, sign_decay=DECAYS[decay]())
      hyper = {"alpha": 0.5}
    for g in GRADS:
      opt.apply_gradients([(tf.constant(g), var)])
    expected = _kernel_run(kind, DECAYS[decay](), lambda t: 0.05, **hyper)
    np.testing.assert_allclose(var.numpy(), expected, rtol=1e-6, atol=1e-7)

  def test_learning_rate_schedule_matches_the_kernel_run(self):
    schedule = linear_cosine_decay(0.1, decay_steps=10)
    var = keras.Variable(W0)
    opt = PowerSign(learning_rate=schedule, sign_decay=cosine_sign_decay(10))
    for g in GRADS:
      opt.apply_gradients([(tf.constant(g), var)])
    expected = _kernel_run("powersign", cosine_sign_decay(10), lambda t: schedule(t))
    np.testing.assert_allclose(var.numpy(), expected, rtol=1e-6, atol=1e-7)

  def test_compiled_fit_trains(self):
    x = np.random.default_rng(0).normal(size=[128, 4]).astype(np.float32)
    y = (x @ np.array([[1.0], [-1.0], [2.0], [0.5]])).astype(np.float32)
    for opt in (PowerSign(0.02), AddSign(0.02, sign_decay=linear_sign_decay(200))):
      model = keras.Sequential([keras.Input([4]), keras.layers.Dense(1)])
      model.compile(optimizer=opt, loss="mse")
      h = model.fit(x, y, epochs=20, batch_size=16, verbose=0)
      self.assertLess(h.history["loss"][-1], 0.05 * h.history["loss"][0])

  def test_config_round_trip(self):
    opt = PowerSign(0.3, base=2.0, beta=0.8, sign_decay=restart_sign_decay(100, 3.0, 2.0))
    clone = PowerSign.from_config(opt.get_config())
    self.assertEqual(clone.base, 2.0)
    self.assertEqual(clone.beta, 0.8)
    self.assertEqual(clone.sign_decay.get_config(), opt.sign_decay.get_config())
    clone = keras.optimizers.deserialize(keras.optimizers.serialize(AddSign(alpha=2.0)))
    self.assertIsInstance(clone, AddSign)
    self.assertEqual(clone.alpha, 2.0)


class DecayTest(absltest.TestCase):

  def test_sign_decay_values(self):
    steps = np.arange(0, 12)
    np.testing.assert_allclose([float(linear_sign_decay(8)(t)) for t in steps],
                               np.maximum(0, 8 - steps) / 8, atol=1e-6)
    np.testing.assert_allclose(
        [float(cosine_sign_decay(8)(t)) for t in steps],
        0.5 * (1 + np.cos(np.pi * np.minimum(steps, 8) / 8)), atol=1e-6)
    # Two restarts over 6 steps: 1 at t = 0 and t = 3, halfway in between.
    restart = restart_sign_decay(6, num_periods=2.0)
    np.testing.assert_allclose([float(restart(t)) for t in (0, 1.5, 3, 4.5)],
                               [1.0, 0.5, 1.0, 0.5], atol=1e-6)
    zeroed = cosine_sign_decay(8, num_periods=1.0, zero_after=0.5)
    self.assertEqual(float(zeroed(4)), 0.0)
    self.assertGreater(float(zeroed(3)), 0.0)

  def test_linear_cosine_decay_matches_tensorflow(self):
    reference = tf.compat.v1.train.linear_cosine_decay
    for t in (0, 3, 7, 10, 15):
      want = reference(0.1, tf.constant(t), 10, num_periods=0.5, alpha=0.1, beta=0.01)
      got = linear_cosine_decay(0.1, 10, alpha=0.1, beta=0.01)(t)
      self.assertAlmostEqual(float(got), float(want() if callable(want) else want), 6)

  def test_bad_arguments_are_named(self):
    with self.assertRaisesRegex(ValueError, "kind must be .* received: 'step'"):
      sign_optimizers.SignDecay("step", 10)
    with self.assertRaisesRegex(ValueError, "decay_steps=0"):
      linear_sign_decay(0)
    with self.assertRaisesRegex(ValueError, "beta=1.5"):
      PowerSign(beta=1.5)
    with self.assertRaisesRegex(ValueError, "base=-1"):
      PowerSign(base=-1)
    with self.assertRaisesRegex(ValueError, "sign_decay must be"):
      AddSign(sign_decay="linear")


if __name__ == "__main__":
  absltest.main()
