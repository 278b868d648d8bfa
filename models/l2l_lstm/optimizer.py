"""The LSTM optimizer as pure update functions and as a Keras 3 optimizer."""

import keras
import tensorflow as tf

__all__ = ["LearnedOptimizer", "NetConfigMixin", "lstm_update_fns"]


def lstm_update_fns(net):
  """`(init, update)` over lists of parameter tensors of any shapes.

      init, update = lstm_update_fns(net)
      state = init(params)
      updates, state = update(grads, state)
      params = [p + u for p, u in zip(params, updates)]

  All coordinates of all tensors run through the network as one batch (the weights
  are shared, the state is per coordinate). Works inside `tf.function` and under
  `tf.GradientTape` for meta-training.
  """
  def init(params):
    num = sum(tf.size(p) for p in params)
    return net.initial_state(num)

  def update(grads, state):
    flat = tf.concat([tf.reshape(g, [-1]) for g in grads], axis=0)
    step, state = net(flat, state)
    sizes = [tf.size(g) for g in grads]
    parts = tf.split(step, sizes)
    return [tf.reshape(u, tf.shape(g)) for u, g in zip(parts, grads)], state

  return init, update


class NetConfigMixin:
  """For the zoo's learned Keras optimizers (`self.net`, the optimizer network): saves
  the network's config with the optimizer's, and rebuilds it on load."""

  def get_config(self):
    config = super().get_config()
    config["net"] = keras.saving.serialize_keras_object(self.net)
    return config

  @classmethod
  def from_config(cls, config, custom_objects=None):
    config = dict(config)
    config["net"] = keras.saving.deserialize_keras_object(
        config["net"], custom_objects=custom_objects)
    return cls(**config)


@keras.saving.register_keras_serializable(package="metazoo")
class LearnedOptimizer(NetConfigMixin, keras.optimizers.Optimizer):
  """A Keras 3 optimizer driven by a `CoordinatewiseLSTM`.

      net = zoo.create("l2l_lstm.quadratic10")
      model.compile(optimizer=LearnedOptimizer(net), loss="mse")

  Each trainable variable gets the network's per-coordinate LSTM state as optimizer
  variables of shape `variable.shape + (units,)`, carried from step to step and saved
  with the optimizer. The network's weights are not trained by `fit`.

  Args:
    net: a built `CoordinatewiseLSTM`.
    learning_rate: multiplies the network's proposed update (1.0 = as meta-trained).
  """

  def __init__(self, net, learning_rate: float = 1.0, name: str = "l2l_lstm",
               **kwargs):
    super().__init__(learning_rate=learning_rate, name=name, **kwargs)
    self.net = net
    self._lstm_state = []

  def build(self, var_list):
    if self.built:
      return
    super().build(var_list)
    self._lstm_state = []
    for var in var_list:
      per_var = []
      for layer, units in enumerate(self.net.hidden_sizes):
        for part in ("h", "c"):
          per_var.append(self.add_variable(
              shape=tuple(var.shape) + (units,), initializer="zeros",
              name=f"{self._var_key(var).replace('/', '_')}_{part}{layer}"))
      self._lstm_state.append(per_var)

  def update_step(self, gradient, variable, learning_rate):
    slots = self._lstm_state[self._get_variable_index(variable)]
    units = self.net.hidden_sizes
    state = tuple((tf.reshape(slots[2 * i], [-1, u]), tf.reshape(slots[2 * i + 1], [-1, u]))
                  for i, u in enumerate(units))
    step, new_state = self.net(tf.reshape(tf.cast(gradient, tf.float32), [-1]), state)
    for i, (h, c) in enumerate(new_state):
      self.assign(slots[2 * i], tf.reshape(h, slots[2 * i].shape))
      self.assign(slots[2 * i + 1], tf.reshape(c, slots[2 * i + 1].shape))
    step = tf.cast(tf.reshape(step, tf.shape(variable)), variable.dtype)
    self.assign_add(variable, tf.cast(learning_rate, variable.dtype) * step)
