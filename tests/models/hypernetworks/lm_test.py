"""Character language models: bits per character, sampling, and a tiny model that
learns a short string by heart."""

import math

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from datasets import pydoc_chars
from models.hypernetworks import config as config_lib
from models.hypernetworks import evaluate_lm
from models.hypernetworks import lm
from models.hypernetworks import train_lm
from zoo import distribute
from zoo import evaluation

TEXT = "HyperNetworks generate the weights of another network. " * 8


def _tiny(cell="hyperlstm", **kwargs):
  keras.utils.set_random_seed(0)
  return lm.CharLM(pydoc_chars.VOCAB_SIZE, cell=cell, units=32, hyper_units=8,
                   embedding_size=4, embedding_dim=16, **kwargs)


class BitsPerCharTest(absltest.TestCase):

  def test_chunks_carry_the_state(self):
    """Reading in chunks of 7 with the state carried equals reading each stream
    whole; the value is the mean cross-entropy in bits."""
    model = _tiny(layer_norm=True)
    ids = pydoc_chars.encode(TEXT[:61]).astype(np.int32)
    got = lm.bits_per_char(model, ids, streams=3, chunk=7)
    length = 20
    self.assertEqual(got["chars"], 3 * length)
    x = ids[:60].reshape(3, length)
    y = ids[1:61].reshape(3, length)
    logits, _ = model(tf.constant(x))
    nats = tf.nn.sparse_softmax_cross_entropy_with_logits(y, logits).numpy()
    self.assertAlmostEqual(got["bpc"], nats.mean() / math.log(2), places=4)
    with self.assertRaisesRegex(ValueError, "too few"):
      lm.bits_per_char(model, ids[:3], streams=4)


class TinyModelLearnsTest(absltest.TestCase):

  def test_hyperlstm_learns_a_short_string_by_heart(self):
    """A layer-normalised HyperLSTM of 32 units; the plain one starts slower (its
    weight scales d start at the paper's 0.1) and needs a few hundred steps."""
    config = config_lib.CharLMConfig(units=32, hyper_units=8, embedding_dim=16,
                                     batch_size=16, seq_length=30, learning_rate=1e-2,
                                     recurrent_dropout=0.0, layer_norm=True)
    model = _tiny(layer_norm=True)
    optimizer = keras.optimizers.Adam(config.learning_rate)
    optimizer.build(model.trainable_variables)
    ids = pydoc_chars.encode(TEXT).astype(np.int32)
    before = lm.bits_per_char(model, ids, streams=2)["bpc"]
    step = train_lm.make_train_step(model, optimizer, ids, config,
                                    distribute.get_distribution_strategy())
    for k in range(120):
      out = step(tf.constant(0, tf.int64), tf.constant(k, tf.int64))
    after = lm.bits_per_char(model, ids, streams=2)["bpc"]
    self.assertGreater(before, 6.0)  # log2(97) = 6.6 at the start.
    self.assertLess(after, 0.2)
    self.assertLess(float(out["bpc"]), 0.3)
    self.assertEqual(step.experimental_get_tracing_count(), 1)
    text = lm.sample(model, "HyperNetworks gen", 40, temperature=0.5, seed=1)
    self.assertIn("the weights of another", text)


class SampleTest(absltest.TestCase):

  def test_sampling_is_seeded_and_checked(self):
    model = _tiny("lstm")
    a = lm.sample(model, "The ", 30, temperature=1.0, seed=3)
    self.assertEqual(a, lm.sample(model, "The ", 30, temperature=1.0, seed=3))
    self.assertNotEqual(a, lm.sample(model, "The ", 30, temperature=1.0, seed=4))
    self.assertTrue(a.startswith("The "))
    self.assertLen(a, 34)
    with self.assertRaisesRegex(ValueError, "temperature=0"):
      lm.sample(model, "x", 5, temperature=0)

  def test_sample_action_checks_its_arguments(self):
    model = _tiny("lstm")
    config = config_lib.CharLMConfig(cell="lstm", units=32, embedding_dim=16)
    out = []
    context = evaluation.ActionContext(output_dir="", args={"length": "12",
                                                            "prime": "Hi"},
                                       log=out.append)
    text = evaluate_lm.sample_action(model, config, context)
    self.assertLen(text, 14)
    self.assertEqual(out, [text])
    for args, message in (({"lenght": "5"}, r"unknown action argument\(s\) \['lenght'\]"),
                          ({"length": "abc"}, "length must be int; received: "
                                              "length='abc'"),
                          ({"temperature": "-1"}, "temperature=-1.0"),
                          ({"length": "0"}, "length=0")):
      with self.assertRaisesRegex(ValueError, message):
        evaluate_lm.sample_action(model, config, evaluation.ActionContext(
            output_dir="", args=args, log=out.append))


if __name__ == "__main__":
  absltest.main()
