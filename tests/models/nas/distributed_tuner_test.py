"""KerasTuner's distributed mode: one chief oracle and two worker processes."""

import os
import time
from unittest import mock

from absl.testing import absltest

from models.nas import config as config_lib
from models.nas import distributed_tuner


class DistributedTunerTest(absltest.TestCase):

  def test_chief_receives_every_workers_trial_and_trains_the_controller(self):
    directory = self.create_tempdir().full_path
    summary = distributed_tuner.launch(
        directory, workers=2, timeout_s=150.0,
        extra_args=["--max_trials=4", "--children_per_step=2", "--train_examples=128",
                    "--epochs=1"])
    # Every trial was run by one of the workers and its result reached the chief.
    ran = sum(summary["workers"].values(), [])
    self.assertCountEqual(ran, summary["trials"])
    self.assertLen(ran, 4)
    self.assertEqual(summary["completed"], 4)
    self.assertCountEqual(summary["end_order"], ran)
    for trial in summary["trials"].values():
      self.assertBetween(trial["score"], 0.0, 1.0)
    # Two REINFORCE updates (4 trials, 2 per step) changed the controller.
    self.assertEqual(summary["updates"], 2)
    self.assertTrue(summary["controller_changed"])
    self.assertTrue(os.path.exists(
        os.path.join(directory, "chief", "controller.weights.h5")))

  def test_chief_without_workers_times_out_and_stops_its_server(self):
    env = {"KERASTUNER_TUNER_ID": "chief", "KERASTUNER_ORACLE_IP": "127.0.0.1",
           "KERASTUNER_ORACLE_PORT": str(distributed_tuner.free_port())}
    config = config_lib.NASConfig(children_per_step=2, initial_layers=1, max_layers=2)
    with mock.patch.dict(os.environ, env):
      tuner = distributed_tuner.build_tuner(config, self.create_tempdir().full_path,
                                            max_trials=2, seed=0, input_shape=(40,))
      start = time.monotonic()
      with self.assertRaisesRegex(TimeoutError, "timeout_s=0.5"):
        distributed_tuner.serve(tuner, timeout_s=0.5)
      self.assertLess(time.monotonic() - start, 10.0)
      # The first server was stopped: serving again on the same port works.
      with self.assertRaisesRegex(TimeoutError, "timeout_s=0.1"):
        distributed_tuner.serve(tuner, timeout_s=0.1)


if __name__ == "__main__":
  absltest.main()
