"""The HRNN as a Keras 3 optimizer: state carried between steps, trains a model."""

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

import zoo
from models.hrnn import model as model_lib
from models.hrnn import optimizer as optimizer_lib


class HRNNOptimizerTest(absltest.TestCase):

  def test_keras_steps_equal_pure_function_steps(self):
    net = model_lib.HierarchicalRNN()
    variables = [keras.Variable(np.zeros((2, 3), np.float32)),
                 keras.Variable(np.zeros((4,), np.float32))]
    opt = optimizer_lib.HRNNOptimizer(net)
    init, update = optimizer_lib.hrnn_update_fns(net)
    params = [tf.zeros((1, 2, 3)), tf.zeros((1, 4))]
    state = init(params)
    rng = np.random.RandomState(0)
    for _ in range(3):
      grads = [tf.constant(rng.randn(2, 3), tf.float32),
               tf.constant(rng.randn(4), tf.float32)]
      opt.apply_gradients(zip(grads, variables))
      updates, state = update([g[None] for g in grads], state)
      params = [p + u for p, u in zip(params, updates)]
      for var, p in zip(variables, params):
        np.testing.assert_allclose(var.numpy(), p[0].numpy(), rtol=1e-5, atol=1e-8)

  def test_pretrained_optimizer_fits_a_keras_model(self):
    """Logistic regression as a Keras model (a training family in kind). The shipped
    HRNN does not transfer to neural networks (see its evaluation on the digits MLP),
    so this checks the Keras wrapper, not transfer."""
    net = zoo.create("hrnn.mixture4")
    keras.utils.set_random_seed(0)
    x = np.random.RandomState(0).randn(256, 5).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0, 3.0], np.float32) > 0).astype(np.float32)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(1)])
    model.compile(optimizer=optimizer_lib.HRNNOptimizer(net),
                  loss=keras.losses.BinaryCrossentropy(from_logits=True))
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, batch_size=256, epochs=100, verbose=0)
    after = model.evaluate(x, y, verbose=0)
    self.assertTrue(np.isfinite(after))
    self.assertLess(after, 0.5 * before)

  def test_serialization_round_trip(self):
    opt = optimizer_lib.HRNNOptimizer(model_lib.HierarchicalRNN(num_scales=2), 0.5)
    clone = optimizer_lib.HRNNOptimizer.from_config(opt.get_config())
    self.assertEqual(clone.net.num_scales, 2)


if __name__ == "__main__":
  absltest.main()
