"""A training run killed midway (SIGKILL) resumes from its last checkpoint and ends
with the same step count and the same weights as an uninterrupted run, and its
recorded wall time counts the killed run's training too."""

import glob
import json
import os
import signal
import subprocess
import time

from absl.testing import absltest
import h5py
import numpy as np

from tests import cli_util

STEPS = 40
ARGS = ["--mode=train", "--model=l2l_lstm.quadratic10", f"--train_steps={STEPS}",
        "--evaluate_after_train=false",
        "--params_override=meta_batch_size=16,optimization_steps=20,unroll_length=10,"
        "validate_every=10,num_validation_tasks=8,checkpoint_every=5,log_every=5"]


def _weights(export_dir):
  path = os.path.join(export_dir, "l2l_lstm.quadratic10", "model.weights.h5")
  arrays = []
  with h5py.File(path, "r") as f:
    f.visititems(lambda _, o: arrays.append(o[()]) if isinstance(o, h5py.Dataset)
                 else None)
  return arrays


def _metadata(export_dir):
  with open(os.path.join(export_dir, "l2l_lstm.quadratic10", "metadata.json")) as f:
    return json.load(f)


class ResumeTest(absltest.TestCase):

  def test_killed_run_resumes_without_repeating_or_losing_steps(self):
    tmp = self.create_tempdir().full_path
    reference = cli_util.run_cli(ARGS + [f"--model_dir={tmp}/ref"], cwd=tmp)
    self.assertEqual(reference.returncode, 0, msg=reference.stderr[-3000:])

    model_dir = os.path.join(tmp, "killed")
    proc = cli_util.start_cli(ARGS + [f"--model_dir={model_dir}"], cwd=tmp,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 300
    while not glob.glob(os.path.join(model_dir, "ckpt-10.index")):
      self.assertIsNone(proc.poll(), "the run ended before it could be killed")
      self.assertLess(time.time(), deadline, "no checkpoint appeared")
      time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # The CheckpointManager's state file names the last complete checkpoint.
    with open(os.path.join(model_dir, "checkpoint")) as f:
      killed_at = int(f.readline().split('"ckpt-')[1].rstrip('"\n'))
    self.assertLess(killed_at, STEPS)

    resumed = cli_util.run_cli(ARGS + [f"--model_dir={model_dir}"], cwd=tmp)
    self.assertEqual(resumed.returncode, 0, msg=resumed.stderr[-3000:])
    self.assertIn(f"at step {killed_at}.", resumed.stdout)
    self.assertIn(f"step {STEPS}/{STEPS}", resumed.stdout)
    ran = [line for line in resumed.stdout.splitlines() if line.startswith("step ")]
    self.assertEqual(int(ran[0].split()[1].split("/")[0]),
                     (killed_at // 5 + 1) * 5, "the resumed run repeated steps")

    ref_meta = _metadata(os.path.join(tmp, "ref", "export"))
    new_meta = _metadata(os.path.join(model_dir, "export"))
    self.assertEqual(new_meta["steps"], STEPS)
    # The resumed run's wall time adds the killed run's recorded training time.
    self.assertNotIn("wall_time_this_run_s", ref_meta)
    self.assertGreater(new_meta["wall_time_s"], new_meta["wall_time_this_run_s"])
    self.assertEqual(new_meta["training"]["best_step"], ref_meta["training"]["best_step"])
    for a, b in zip(_weights(os.path.join(tmp, "ref", "export")),
                    _weights(os.path.join(model_dir, "export"))):
      np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


if __name__ == "__main__":
  absltest.main()
