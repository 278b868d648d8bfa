"""MultiWorkerMirroredStrategy: two local worker processes run meta-training steps
through the real CLI, with TF_CONFIG on loopback ports."""

import json
import os
import re
import socket
import subprocess

from absl.testing import absltest

from tests import cli_util


def _free_ports(n):
  sockets = [socket.socket() for _ in range(n)]
  for s in sockets:
    s.bind(("localhost", 0))
  ports = [s.getsockname()[1] for s in sockets]
  for s in sockets:
    s.close()
  return ports


class MultiWorkerTest(absltest.TestCase):

  def test_two_workers_train_in_lockstep(self):
    model_dir = self.create_tempdir().full_path
    ports = _free_ports(2)
    cluster = {"worker": [f"localhost:{p}" for p in ports]}
    args = ["--mode=train", "--model=l2l_lstm.quadratic10", f"--model_dir={model_dir}",
            "--distribution_strategy=multi_worker_mirrored", "--train_steps=2",
            "--evaluate_after_train=false",
            "--params_override=meta_batch_size=8,optimization_steps=20,"
            "unroll_length=10,validate_every=1,num_validation_tasks=4,log_every=1,"
            "checkpoint_every=1"]
    procs = []
    for i in range(2):
      tf_config = {"cluster": cluster, "task": {"type": "worker", "index": i}}
      procs.append(cli_util.start_cli(
          args, cwd=model_dir, env={"TF_CONFIG": json.dumps(tf_config)},
          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    outputs = []
    for p in procs:
      try:
        out, _ = p.communicate(timeout=400)
      except subprocess.TimeoutExpired:
        for q in procs:
          q.kill()
        raise
      outputs.append(out)
      self.assertEqual(p.returncode, 0, msg=out[-3000:])
    losses = [re.findall(r"step 2/2 final_loss=(\S+) meta_loss=(\S+)", o) for o in outputs]
    self.assertTrue(losses[0], msg=outputs[0][-2000:])
    # All-reduced gradients keep the workers' replicas identical.
    self.assertEqual(losses[0], losses[1])
    self.assertIn("Exported l2l_lstm.quadratic10", outputs[0])  # The chief exports.
    self.assertNotIn("Exported", outputs[1])
    self.assertTrue(os.path.exists(os.path.join(model_dir, "ckpt-2.index")))
    self.assertFalse(os.path.exists(os.path.join(model_dir, ".workers", "worker_1")))


if __name__ == "__main__":
  absltest.main()
