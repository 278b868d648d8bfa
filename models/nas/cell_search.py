"""A small demonstration of the recurrent-cell search (§3.4) on the character corpus.

Each child is a character language model, embedding -> `keras.layers.RNN(TreeCell)`
-> softmax, trained for a few hundred characters' worth of steps on the train split
of `datasets.pydoc_chars`; its reward is c / (validation perplexity)^2 (§4.2, with
c = `reward_scale`), a cell whose loss is not finite scores 0. A controller over the
cell's tokens (one softmax per token, the same 2 x 35 LSTM) is trained with REINFORCE
beside random search at the same budget. The best cell found is then trained again
with the paper's NASCell and an LSTM of the same width, the same way, as baselines.

This is a demonstration at toy scale (tens of children, seconds each), not the paper's
PTB search over 6 x 10^16 cells: `bazel run //zoo:main -- --mode=cell_search
--model=nas.controller_mnist1d --action_args=steps=5,children=4`.
"""

import dataclasses
import os

import keras
import numpy as np
import tensorflow as tf

from models.nas import controller as controller_lib
from models.nas import rnn_cells
from models.nas import search as search_lib
from zoo import evaluation

__all__ = ["CellSearchConfig", "SequenceController", "run_cell_search", "train_cell_lm"]


@dataclasses.dataclass(frozen=True)
class CellSearchConfig:
  """Scale of the demonstration (see the module docstring)."""
  base: int = 8
  units: int = 32
  embedding: int = 16
  sequence_length: int = 32
  batch_size: int = 32
  train_steps: int = 150
  learning_rate: float = 3e-3
  validation_windows: int = 64
  reward_scale: float = 16.0
  steps: int = 5
  children: int = 4
  controller_learning_rate: float = 0.05
  baseline_decay: float = 0.8
  entropy_weight: float = 1e-3

  def __post_init__(self):
    for f in dataclasses.fields(self):
      if getattr(self, f.name) <= 0:
        raise ValueError(f"{f.name} must be positive; received: {getattr(self, f.name)}")
    if self.base & (self.base - 1) or self.base < 4:
      raise ValueError(f"base must be a power of 2 >= 4; received: {self.base}")


@keras.saving.register_keras_serializable(package="metazoo")
class SequenceController(keras.Model):
  """An autoregressive controller over a fixed sequence of tokens (§3.1): the same
  stacked LSTM as `Controller`, one softmax (and embedding) per token position."""

  def __init__(self, token_sizes, units: int = 35, lstm_layers: int = 2,
               name: str = "sequence_controller", **kwargs):
    super().__init__(name=name, **kwargs)
    self.token_sizes = tuple(int(n) for n in token_sizes)
    self.units = int(units)
    self.lstm = controller_lib.StackedLSTM(self.units, int(lstm_layers), name="lstm")
    self.heads = [controller_lib.TokenSoftmax(n, self.units, name=f"token{t}")
                  for t, n in enumerate(self.token_sizes)]
    for layer in [self.lstm] + self.heads:
      layer.build(None)
    self.go = self.add_weight(name="go", shape=(self.units,),
                              initializer=keras.initializers.RandomUniform(-0.08, 0.08))
    self.built = True

  def _run(self, batch, actions=None, seed=None):
    zeros = tf.zeros([batch, self.units])
    state = [(zeros, zeros) for _ in range(self.lstm.num_layers)]
    x = tf.tile(self.go[None, :], [batch, 1])
    log_prob, entropy, taken = tf.zeros([batch]), tf.zeros([batch]), []
    for pos, head in enumerate(self.heads):
      a, log_p, ent, x, state = controller_lib.token_step(
          self.lstm, head, x, state,
          action=None if actions is None else actions[:, pos],
          seed=(tf.random.experimental.stateless_fold_in(seed, pos)
                if actions is None else None))
      log_prob += log_p
      entropy += ent
      taken.append(a)
    return tf.stack(taken, axis=1), log_prob, entropy

  def call(self, actions):
    """(log P(actions) [B], entropy [B])."""
    actions = tf.convert_to_tensor(actions, tf.int32)
    _, log_prob, entropy = self._run(tf.shape(actions)[0], actions=actions)
    return log_prob, entropy

  def sample(self, batch: int, seed):
    return self._run(batch, seed=tf.convert_to_tensor(seed, tf.int32))

  def get_config(self):
    return dict(super().get_config(), token_sizes=list(self.token_sizes),
                units=self.units, lstm_layers=self.lstm.num_layers)


def _windows(ids, n, length, rng):
  starts = rng.integers(0, len(ids) - length - 1, n)
  return np.stack([ids[s:s + length + 1] for s in starts])


def train_cell_lm(spec, train_ids, validation_ids, config: CellSearchConfig, seed: int,
                  vocab_size: int, test_ids=None) -> dict:
  """Trains a character LM with the cell `spec` (a `TreeCellSpec`, or "lstm" for a
  `keras.layers.LSTMCell` of the same width); returns its validation perplexity, bits
  per character and reward c / ppl^2 (0 when the loss is not finite), and with
  `test_ids` its bits per character on those too ("test_bpc")."""
  keras.utils.set_random_seed(seed)
  cell = (keras.layers.LSTMCell(config.units) if spec == "lstm"
          else rnn_cells.TreeCell(config.units, spec))
  model = keras.Sequential([
      keras.Input((config.sequence_length,), dtype="int32"),
      keras.layers.Embedding(vocab_size, config.embedding),
      keras.layers.RNN(cell, return_sequences=True),
      keras.layers.Dense(vocab_size)])
  optimizer = keras.optimizers.Adam(config.learning_rate, global_clipnorm=1.0)
  optimizer.build(model.trainable_variables)
  loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

  @tf.function
  def step(batch):
    with tf.GradientTape() as tape:
      loss = loss_fn(batch[:, 1:], model(batch[:, :-1]))
    grads = tape.gradient(loss, model.trainable_variables)
    optimizer.apply_gradients(zip(grads, model.trainable_variables))
    return loss

  rng = np.random.default_rng(seed)
  for _ in range(config.train_steps):
    loss = float(step(tf.constant(_windows(train_ids, config.batch_size,
                                           config.sequence_length, rng))))
  val = _windows(validation_ids, config.validation_windows, config.sequence_length,
                 np.random.default_rng(12345))
  val_loss = float(loss_fn(val[:, 1:], model(val[:, :-1])))
  out = {}
  if test_ids is not None:
    test = _windows(test_ids, config.validation_windows, config.sequence_length,
                    np.random.default_rng(54321))
    out["test_bpc"] = float(loss_fn(test[:, 1:], model(test[:, :-1]))) / np.log(2.0)
  if not (np.isfinite(val_loss) and np.isfinite(loss)):
    return dict(out, perplexity=float("inf"), bpc=float("inf"), reward=0.0)
  ppl = float(np.exp(val_loss))
  return dict(out, perplexity=ppl, bpc=val_loss / np.log(2.0),
              reward=config.reward_scale / ppl**2)


def run_cell_search(config: CellSearchConfig, seed: int, output_dir: str, log=print,
                    corpus=None) -> dict:
  """Controller against random search over recurrent cells; returns the tables."""
  if corpus is None:
    from datasets import pydoc_chars  # pylint: disable=g-import-not-at-top
    corpus = (pydoc_chars.load_ids("train"), pydoc_chars.load_ids("validation"),
              pydoc_chars.VOCAB_SIZE, pydoc_chars.load_ids("test"))
  train_ids, validation_ids, vocab = corpus[:3]
  test_ids = corpus[3] if len(corpus) > 3 else validation_ids
  sizes = rnn_cells.TreeCellSpec.token_sizes(config.base)
  keras.utils.set_random_seed(seed)
  controller = SequenceController(sizes)
  optimizer = keras.optimizers.Adam(config.controller_learning_rate)
  optimizer.build(controller.trainable_variables)

  @tf.function
  def update(actions, advantages):
    with tf.GradientTape() as tape:
      log_prob, entropy = controller(actions)
      loss = search_lib.reinforce_loss(log_prob, entropy, advantages,
                                       config.entropy_weight, config.children)
    grads = tape.gradient(loss, controller.trainable_variables)
    optimizer.apply_gradients(zip(grads, controller.trainable_variables))
    return loss

  rng = np.random.default_rng([seed, 1])
  baseline, rewards, children = None, {"controller": [], "random": []}, []
  for k in range(config.steps):
    sampled, _, _ = controller.sample(config.children, [seed, k])
    proposals = {"controller": sampled.numpy().tolist(),
                 "random": [[int(rng.integers(s)) for s in sizes]
                            for _ in range(config.children)]}
    for arm, batch in proposals.items():
      for j, actions in enumerate(batch):
        spec = rnn_cells.TreeCellSpec.from_actions(actions, config.base)
        result = train_cell_lm(spec, train_ids, validation_ids, config,
                               seed=seed * 1000 + k * config.children + j,
                               vocab_size=vocab)
        rewards[arm].append(result["reward"])
        children.append((arm, result["reward"], result["perplexity"], result["bpc"],
                         spec, seed * 1000 + k * config.children + j))
        log(f"  {arm} cell {len(rewards[arm])}: validation perplexity "
            f"{result['perplexity']:.2f}, reward {result['reward']:.3f}")
    r = np.array(rewards["controller"][-config.children:])
    baseline = float(r.mean()) if baseline is None else baseline
    update(tf.constant(proposals["controller"], tf.int32),
           tf.constant(r - baseline, tf.float32))
    baseline = config.baseline_decay * baseline + (1 - config.baseline_decay) * r.mean()

  rows = []
  for k in range(config.steps):
    sl = slice(k * config.children, (k + 1) * config.children)
    rows.append([k + 1, float(np.mean(rewards["controller"][sl])),
                 float(np.mean(rewards["random"][sl]))])
  curve = evaluation.format_table(
      ["step", "controller reward", "random reward"], rows,
      title=(f"Recurrent-cell search on the character corpus: {config.children} cells "
             f"per arm per step, reward {config.reward_scale:g} / ppl^2"))
  best = sorted(children, key=lambda c: -c[1])[:3]
  top = evaluation.format_table(
      ["arm", "reward", "val ppl", "val bpc", "cell"],
      [[arm, r, ppl, bpc, spec.describe()] for arm, r, ppl, bpc, spec, _ in best],
      title="Best cells found")
  # Baselines trained the same way, with the best cell's training seed; the test
  # split scores them once, since the best cell was chosen on the validation split.
  base_rows = []
  for name, spec in ((f"best searched cell ({best[0][0]})", best[0][4]),
                     ("NASCell (paper's cell)", rnn_cells.NAS_CELL),
                     (f"LSTM ({config.units} units)", "lstm")):
    result = train_cell_lm(spec, train_ids, validation_ids, config, seed=best[0][5],
                           vocab_size=vocab, test_ids=test_ids)
    base_rows.append([name, result["perplexity"], result["bpc"], result["test_bpc"]])
    log(f"  {name}: validation perplexity {result['perplexity']:.2f}, "
        f"bpc {result['bpc']:.3f}, test bpc {result['test_bpc']:.3f}")
  baselines = evaluation.format_table(
      ["cell", "val ppl", "val bpc", "test bpc"], base_rows,
      title=f"Against the baselines ({config.units} units, {config.train_steps} steps)")
  steps = np.arange(1, config.steps + 1)
  plot = evaluation.plot_curves(
      os.path.join(output_dir, "nas_cell_search.png"),
      {arm: (steps, np.array([r[1 + a] for r in rows]), np.zeros(config.steps))
       for a, arm in enumerate(("controller", "random"))},
      title="Recurrent-cell search (demonstration)", xlabel="controller step",
      ylabel="mean reward")
  return {"tables": [curve, top, baselines], "plot": plot, "rewards": rewards}


def cell_search_action(model, config, context):
  """`--mode=cell_search --action_args=steps=5,children=4,train_steps=150`."""
  del model, config
  kwargs = {}
  fields = {f.name: f.type for f in dataclasses.fields(CellSearchConfig)}
  for key, value in context.args.items():
    if key not in fields:
      raise ValueError(f"unknown action argument {key!r}; valid: {', '.join(fields)}")
    try:
      kwargs[key] = (int if fields[key] in (int, "int") else float)(value)
    except ValueError as e:
      raise ValueError(f"action argument {key}={value!r} is not a number") from e
  out = run_cell_search(CellSearchConfig(**kwargs), context.seed, context.output_dir,
                        context.log)
  for table in out["tables"]:
    context.log(table + "\n")
  context.log(f"plot: {out['plot']}")
