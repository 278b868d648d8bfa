"""Meta-training: a few meta-steps lower the meta-loss; the compiled step traces once."""

from absl.testing import absltest
import keras
import numpy as np
import tensorflow as tf

from models.l2l_lstm import config as config_lib
from models.l2l_lstm import model as model_lib
from models.l2l_lstm import train as train_lib
from zoo import distribute
from zoo import training


class MetaTrainingTest(absltest.TestCase):

  def test_short_meta_training_lowers_validation_loss(self):
    keras.utils.set_random_seed(0)
    config = config_lib.L2LConfig(meta_batch_size=32, train_steps=40, validate_every=40,
                                  num_validation_tasks=32, log_every=40,
                                  checkpoint_every=40, meta_learning_rate=3e-3)
    strategy = distribute.get_distribution_strategy()
    with strategy.scope():
      net = model_lib.build_from_config(config)
    family = config.family()
    seeds = family.seeds("validation", 0, 32)
    before = train_lib.optimize(net, family, seeds, 100)[-1].mean()
    context = training.TrainContext(model_dir=self.create_tempdir().full_path,
                                    strategy=strategy, log=lambda _: None)
    metrics = train_lib.train(net, config, context)
    after = train_lib.optimize(net, family, seeds, 100)[-1].mean()
    self.assertEqual(metrics["train_steps"], 40)
    self.assertLess(after, 0.5 * before)
    self.assertAlmostEqual(after, metrics["best_validation_final_loss"], places=4)

  def test_compiled_step_traces_once(self):
    config = config_lib.L2LConfig(meta_batch_size=4, optimization_steps=20,
                                  unroll_length=10)
    strategy = distribute.get_distribution_strategy()
    net = model_lib.build_from_config(config)
    meta_opt = keras.optimizers.Adam(1e-3)
    meta_opt.build(net.trainable_variables)
    step = train_lib.make_train_step(net, meta_opt, config.family(), config, strategy)
    for s in range(3):
      out = step(tf.constant(s, tf.int64))
    self.assertTrue(np.isfinite(float(out["meta_loss"])))
    self.assertEqual(step.experimental_get_tracing_count(), 1)

  def test_train_tasks_differ_from_validation_and_test_tasks(self):
    family = config_lib.L2LConfig().family()
    tasks = {split: family.sample(family.seeds(split, 0, 64))[0]["w"].numpy()
             for split in ("train", "validation", "test")}
    flat = {k: {v.tobytes() for v in t} for k, t in tasks.items()}
    self.assertEqual(len(flat["train"] & flat["validation"]), 0)
    self.assertEqual(len(flat["train"] & flat["test"]), 0)
    self.assertEqual(len(flat["validation"] & flat["test"]), 0)


if __name__ == "__main__":
  absltest.main()
