"""The policy's state and features on hand-made inputs, its density, and the Keras
optimizer against the batched rollout."""

from absl.testing import absltest
import keras
import numpy as np
import scipy.stats
import tensorflow as tf

from models import optimizees
from models.l2o_policy import config as config_lib
from models.l2o_policy import model as model_lib
from models.l2o_policy import optimizer as optimizer_lib
from models.l2o_policy import train as train_lib


def _net(history=3, **kwargs):
  keras.utils.set_random_seed(0)
  net = model_lib.PolicyNet(history=history, hidden_units=5, **kwargs)
  net.build()
  return net


class FeatureTest(absltest.TestCase):

  def test_histories_shift_newest_first_and_first_change_is_zero(self):
    state = model_lib.initial_state(1, 2, 3)
    state = model_lib.observe(state, tf.constant([[1.0, -1.0]]), tf.constant([5.0]))
    state = model_lib.observe(state, tf.constant([[2.0, -2.0]]), tf.constant([4.5]))
    state = model_lib.observe(state, tf.constant([[3.0, -3.0]]), tf.constant([4.0]))
    feats = model_lib.features(state).numpy()
    # Coordinate 0: its gradients 3, 2, 1 (newest first), then the task's objective
    # changes -0.5, -0.5 and 0 (no change before the first iterate).
    np.testing.assert_allclose(feats[0, 0], [3, 2, 1, -0.5, -0.5, 0])
    np.testing.assert_allclose(feats[0, 1], [-3, -2, -1, -0.5, -0.5, 0])
    state = model_lib.observe(state, tf.constant([[4.0, -4.0]]), tf.constant([3.0]))
    np.testing.assert_allclose(model_lib.features(state).numpy()[0, 0],
                               [4, 3, 2, -1.0, -0.5, -0.5])  # The oldest drops out.

  def test_flatten_unflatten_round_trip(self):
    params = [tf.reshape(tf.range(12.0), [2, 3, 2]), tf.constant([[7.0], [8.0]])]
    flat = model_lib.flatten(params)
    self.assertEqual(flat.shape, (2, 7))
    np.testing.assert_allclose(flat[1], [6, 7, 8, 9, 10, 11, 8])
    for a, b in zip(model_lib.unflatten(flat, params), params):
      np.testing.assert_allclose(a, b)


class PolicyNetTest(absltest.TestCase):

  def test_forward_matches_numpy(self):
    net = _net()
    net.set_scales(0.5, 2.0, 0.1)
    x = np.random.default_rng(0).normal(size=(4, 6)).astype(np.float32)
    w1, b1, w2, b2 = (v.numpy() for v in (net.w1, net.b1, net.w2, net.b2))
    scaled = np.concatenate([x[:, :3] / 0.5, x[:, 3:] / 2.0], axis=1)
    expected = 0.1 * (np.tanh(scaled @ w1 + b1) @ w2 + b2)[:, 0]
    np.testing.assert_allclose(net(tf.constant(x)), expected, rtol=1e-5, atol=1e-7)

  def test_log_prob_is_the_gaussian_density_summed_over_coordinates(self):
    net = _net(init_log_std=-1.0)
    net.set_scales(1.0, 1.0, 0.5)
    mean = tf.constant([[0.1, -0.2, 0.3]])
    action = tf.constant([[0.0, 0.1, 0.2]])
    std = 0.5 * np.exp(-1.0)
    expected = scipy.stats.norm.logpdf(action.numpy(), mean.numpy(), std).sum()
    self.assertAlmostEqual(float(net.log_prob(mean, action)[0]), expected, places=4)

  def test_log_std_is_floored(self):
    net = _net(init_log_std=-9.0, min_log_std=-5.0)
    self.assertAlmostEqual(float(net.std()), np.exp(-5.0), places=6)

  def test_bad_scales_are_refused(self):
    with self.assertRaisesRegex(ValueError, "df_scale"):
      _net().set_scales(1.0, 0.0, 1.0)
    with self.assertRaisesRegex(ValueError, "step_scale"):
      _net().set_scales(1.0, 1.0, float("nan"))


class ConfigTest(absltest.TestCase):

  def test_bad_values_name_the_field(self):
    with self.assertRaisesRegex(ValueError, "history"):
      config_lib.PolicyConfig(history=0)
    with self.assertRaisesRegex(ValueError, "unknown problem family 'nope'"):
      config_lib.PolicyConfig(family="nope")
    with self.assertRaisesRegex(ValueError, "num_minibatches"):
      config_lib.PolicyConfig(batch_tasks=10, num_minibatches=4)


class KerasOptimizerTest(absltest.TestCase):

  def test_steps_equal_the_batched_rollout(self):
    """Five steps of PolicyOptimizer on one logistic-regression task give the same
    parameters as the compiled rollout's mean policy."""
    net = _net(history=4)
    net.set_scales(0.3, 0.05, 0.2)
    family = optimizees.get_family("logistic")
    task, params = family.sample(family.seeds("test", 0, 1))
    steps = 5
    data = train_lib.rollout(net, family, task, params, steps)
    expected = model_lib.flatten(params) + tf.reduce_sum(data["actions"], axis=0)

    w = tf.Variable(params[0][0])
    b = tf.Variable(params[1][0])
    opt = optimizer_lib.PolicyOptimizer(net)
    opt.build([w, b])
    for _ in range(steps):
      with tf.GradientTape() as tape:
        loss = family.objective(task, [w[None], b[None]])[0]
      grads = tape.gradient(loss, [w, b])
      opt.observe_loss(loss)
      opt.apply_gradients(zip(grads, [w, b]))
    np.testing.assert_allclose(tf.concat([w, b], 0), expected[0], rtol=1e-4, atol=1e-6)

  def test_a_step_without_the_loss_is_refused(self):
    net = _net()
    w = tf.Variable([1.0, 2.0])
    opt = optimizer_lib.PolicyOptimizer(net)
    with self.assertRaisesRegex(ValueError, "build"):
      opt.observe_loss(1.0)
    opt.build([w])
    with self.assertRaisesRegex(tf.errors.InvalidArgumentError, "observe_loss"):
      opt.apply_gradients([(tf.constant([0.1, 0.2]), w)])


if __name__ == "__main__":
  absltest.main()
