"""The policy as a Keras 3 optimizer."""

import keras
import tensorflow as tf

from models.l2l_lstm import optimizer as l2l_optimizer

__all__ = ["PolicyOptimizer"]


@keras.saving.register_keras_serializable(package="metazoo")
class PolicyOptimizer(l2l_optimizer.NetConfigMixin, keras.optimizers.Optimizer):
  """A Keras 3 optimizer whose step is the mean action of a `PolicyNet`.

  The policy reads the objective's recent changes as well as the gradients, so the
  training loop reports the loss before each step:

      net = zoo.create("l2o_policy.logistic")
      opt = PolicyOptimizer(net)
      opt.build(model.trainable_variables)
      with tf.GradientTape() as tape:
        loss = loss_fn(model(x), y)
      grads = tape.gradient(loss, model.trainable_variables)
      opt.observe_loss(loss)
      opt.apply_gradients(zip(grads, model.trainable_variables))

  (`model.fit` never hands the loss to the optimizer; use a custom loop.) The
  histories (per-coordinate gradients, the objective changes) live in optimizer
  variables, so they are saved with it. The step is taken in the policy's units: the
  policy was trained on one problem family, and its steps suit that family's scale.

  Args:
    net: a built `PolicyNet`.
    learning_rate: multiplies the policy's step (1.0 = as trained).
  """

  def __init__(self, net, learning_rate: float = 1.0, name: str = "l2o_policy", **kwargs):
    super().__init__(learning_rate=learning_rate, name=name, **kwargs)
    self.net = net

  def build(self, var_list):
    if self.built:
      return
    super().build(var_list)
    h = self.net.history
    self._grad_hist = [self.add_variable(shape=tuple(v.shape) + (h,), initializer="zeros",
                                         name="grad_history") for v in var_list]
    self._df_hist = self.add_variable(shape=(h,), initializer="zeros", name="df_history")
    self._last_f = self.add_variable(shape=(), initializer="zeros", name="last_f")
    self._f = self.add_variable(shape=(), initializer="zeros", name="f")
    self._started = self.add_variable(shape=(), initializer="zeros", name="started")
    self._observed = self.add_variable(shape=(), initializer="zeros", name="observed")

  def observe_loss(self, loss):
    """Records the objective at the current parameters (call before each step)."""
    if not self.built:
      raise ValueError("Call observe_loss after the optimizer is built (it builds on "
                       "its first apply_gradients, or call optimizer.build(variables)).")
    self._f.assign(tf.cast(tf.reduce_mean(loss), tf.float32))
    self._observed.assign(1.0)

  def apply(self, grads, trainable_variables=None):
    if self.built:
      tf.debugging.assert_equal(
          self._observed, 1.0,
          message="PolicyOptimizer: call observe_loss(loss) before each step")
    return super().apply(grads, trainable_variables)

  def _backend_update_step(self, grads, trainable_variables, learning_rate):
    # All tensors share the objective-change history, so the step is taken for all
    # variables at once.
    df = tf.where(self._started > 0, self._f - self._last_f, 0.0)
    df_hist = tf.concat([df[None], self._df_hist[:-1]], axis=0)
    self._df_hist.assign(df_hist)
    self._last_f.assign(self._f)
    self._started.assign(1.0)
    self._observed.assign(0.0)
    for var, grad in zip(trainable_variables, grads):
      hist_var = self._grad_hist[self._get_variable_index(var)]
      grad = tf.cast(grad, tf.float32)
      hist = tf.concat([grad[..., None], hist_var[..., :-1]], axis=-1)
      hist_var.assign(hist)
      dfs = tf.broadcast_to(df_hist, tf.concat([tf.shape(grad), [self.net.history]], 0))
      step = self.net(tf.concat([hist, dfs], axis=-1))
      var.assign_add(tf.cast(learning_rate * step, var.dtype))
