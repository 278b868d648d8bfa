"""The hierarchical RNN as pure update functions and as a Keras 3 optimizer."""

import keras
import tensorflow as tf

from models.l2l_lstm import optimizer as l2l_optimizer

__all__ = ["HRNNOptimizer", "hrnn_update_fns"]


def hrnn_update_fns(net, seed=(0, 0)):
  """`(init, update)` over lists of parameter tensors `[B, ...]` (B tasks).

      init, update = hrnn_update_fns(net)
      state = init(params)
      updates, state = update(grads, state)
      params = [p + u for p, u in zip(params, updates)]

  With `net.use_lookahead`, take the gradients at `net.lookahead_point(params, state)`.
  Per-tensor and global quantities (means over a tensor's coordinates, the tensor and
  global GRUs) are per task: the leading axis is never mixed.
  """
  def init(params):
    return net.initial_state(params, seed)

  def update(grads, state):
    return net(grads, state)

  return init, update


@keras.saving.register_keras_serializable(package="metazoo")
class HRNNOptimizer(l2l_optimizer.NetConfigMixin, keras.optimizers.Optimizer):
  """A Keras 3 optimizer driven by a `HierarchicalRNN`.

      net = zoo.create("hrnn.mixture4")
      model.compile(optimizer=HRNNOptimizer(net), loss="mse")

  The whole RNN state (per-coordinate GRU states and statistics, per-tensor and global
  GRU states) lives in optimizer variables, so it is carried between steps and saved
  with the optimizer. The trainable variables form the "tensors" of the hierarchy in
  `model.trainable_variables` order; all are updated together in one step.

  Args:
    net: a built `HierarchicalRNN`.
    learning_rate: multiplies the proposed update (1.0 = as meta-trained).
  """

  def __init__(self, net, learning_rate: float = 1.0, name: str = "hrnn", **kwargs):
    if getattr(net, "use_lookahead", False):
      raise ValueError(
          "HRNNOptimizer does not support a net with use_lookahead=True (Keras takes "
          "gradients at the variables' values, not at an attended point); use "
          "models.hrnn.hrnn_update_fns with net.lookahead_point instead.")
    super().__init__(learning_rate=learning_rate, name=name, **kwargs)
    self.net = net

  def build(self, var_list):
    if self.built:
      return
    super().build(var_list)
    state = self.net.initial_state([tf.zeros((1,) + tuple(v.shape)) for v in var_list])
    self._state_vars = tf.nest.map_structure(
        lambda t: self.add_variable(shape=tuple(t.shape), initializer="zeros"), state)
    tf.nest.map_structure(lambda v, t: v.assign(t), self._state_vars, state)

  def _backend_update_step(self, grads, trainable_variables, learning_rate):
    # The hierarchy couples all tensors, so the step is taken for all at once rather
    # than variable by variable.
    state = tf.nest.map_structure(lambda v: v.value, self._state_vars)
    batched = [tf.cast(g, tf.float32)[None] for g in grads]
    updates, new_state = self.net(batched, state)
    tf.nest.map_structure(lambda v, t: v.assign(t), self._state_vars, new_state)
    for var, step in zip(trainable_variables, updates):
      var.assign_add(tf.cast(learning_rate * step[0], var.dtype))
