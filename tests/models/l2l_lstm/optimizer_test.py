"""The learned optimizer as pure functions and as a Keras 3 optimizer."""

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

import zoo
from models.l2l_lstm import model as model_lib
from models.l2l_lstm import optimizer as optimizer_lib


class UpdateFnsTest(absltest.TestCase):

  def test_any_shapes_round_trip(self):
    net = model_lib.CoordinatewiseLSTM()
    init, update = optimizer_lib.lstm_update_fns(net)
    params = [tf.zeros([2, 3]), tf.zeros([4]), tf.zeros([])]
    state = init(params)
    self.assertEqual(state[0][0].shape, (11, 20))
    grads = [tf.random.normal(p.shape) for p in params]
    updates, _ = update(grads, state)
    self.assertEqual([u.shape for u in updates], [p.shape for p in params])
    flat, _ = net(tf.concat([tf.reshape(g, [-1]) for g in grads], 0), state)
    np.testing.assert_allclose(tf.reshape(updates[0], [-1]).numpy(), flat[:6].numpy(),
                               rtol=1e-6)


class KerasOptimizerTest(absltest.TestCase):

  def test_state_carries_from_step_to_step(self):
    """Three apply_gradients calls equal three steps of the pure update function."""
    net = model_lib.CoordinatewiseLSTM()
    var = keras.Variable(np.zeros((2, 3), np.float32))
    opt = optimizer_lib.LearnedOptimizer(net)
    init, update = optimizer_lib.lstm_update_fns(net)
    param = tf.zeros((2, 3))
    state = init([param])
    rng = np.random.RandomState(0)
    for _ in range(3):
      grad = tf.constant(rng.randn(2, 3), tf.float32)
      opt.apply_gradients([(grad, var)])
      (step,), state = update([grad], state)
      param = param + step
      np.testing.assert_allclose(var.numpy(), param.numpy(), rtol=1e-5, atol=1e-7)
    # The optimizer holds (h, c) for both layers, shaped like the variable + units.
    slots = [v for v in opt.variables if v.shape == (2, 3, 20)]
    self.assertLen(slots, 4)
    self.assertTrue(any(np.abs(s.numpy()).sum() > 0 for s in slots))

  def test_pretrained_optimizer_fits_a_keras_model(self):
    net = zoo.create("l2l_lstm.quadratic10")
    keras.utils.set_random_seed(0)
    x = np.random.RandomState(0).randn(256, 5).astype(np.float32)
    y = x @ np.array([1.0, -2.0, 0.5, 0.0, 3.0], np.float32)[:, None] + 0.1
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer_lib.LearnedOptimizer(net), loss="mse")
    before = model.evaluate(x, y, verbose=0)
    history = model.fit(x, y, batch_size=32, epochs=5, verbose=0)
    after = model.evaluate(x, y, verbose=0)
    self.assertTrue(np.all(np.isfinite(history.history["loss"])))
    self.assertLess(after, 0.05 * before)

  def test_serialization_round_trip(self):
    net = model_lib.CoordinatewiseLSTM(hidden_sizes=(6,))
    opt = optimizer_lib.LearnedOptimizer(net, learning_rate=0.5)
    clone = optimizer_lib.LearnedOptimizer.from_config(opt.get_config())
    self.assertEqual(clone.net.hidden_sizes, (6,))
    self.assertAlmostEqual(float(clone.learning_rate), 0.5)


if __name__ == "__main__":
  absltest.main()
