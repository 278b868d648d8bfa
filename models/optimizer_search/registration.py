"""The registered variant of Neural Optimizer Search."""

from models.optimizer_search import config as config_lib
from models.optimizer_search import controller
from models.optimizer_search import train
from zoo import registry

PAPER = ("Bello, Zoph, Vasudevan, Le. Neural Optimizer Search with Reinforcement "
         "Learning. ICML 2017 (arXiv 1709.07417).")

DEVIATIONS = (
    "Child problem: a 64-32-10 ReLU MLP on the 8x8 digits trained 100 steps "
    "(minibatches of 32) with each of 4 learning rates; the reward is the best "
    "validation accuracy. The paper trains a small ConvNet on CIFAR-10 for a few "
    "epochs (no download here; 2 CPU cores).",
    "Search size: 3 controllers (one per search seed) x 50 PPO steps x 10 samples = "
    "500 sampled rules per seed, far fewer child runs than the paper's; rules have 2 "
    "units (the second may read the first's output), a shallower nesting than the "
    "paper's.",
    "Language: one clip rate, one drop rate and two weight-decay scales (the paper "
    "has several), no cyclical-learning-rate operands. PowerSign is "
    "mul(exp(mul(sign_g, sign_m)), g) and AddSign add(g, mul(sign_m, sqrt_abs(g2))) "
    "in it (equal to (1 + sign(g) sign(m)) g), both inside the 2-unit search space.",
    "Controller: a GRU of 32 units, PPO with 4 epochs per batch, clip 0.2, Adam 5e-3, "
    "entropy bonus 0.01 and a moving-average baseline; the paper does not state its "
    "controller's size or learning rate.",
    "Held-out comparison: a 64-64-64-10 tanh MLP on the digits (300 steps), every "
    "optimizer's learning rate (and momentum's mu) tuned on validation tasks; test "
    "error on the digits' test split, not the paper's Wide ResNet / ImageNet / GNMT.",
    "Not reproduced at this scale: the paper's search finds new rules that beat Adam. "
    "Ours concentrates on good rules (most of its late samples score above 0.9, "
    "against about a tenth of random rules), but its best rules are Adam and momentum "
    "variants (e.g. add(adam, adam)) whose held-out test error is within about one "
    "standard error of tuned Adam's, and the best single rule it samples is no "
    "better than random search's best at the same number of child runs. Of the "
    "published rules, AddSign's mean held-out test error is below tuned Adam's on the "
    "test blocks we ran (0 and 2; lower on 75% of tasks); PowerSign's difference from "
    "Adam is within one standard error (see the metrics).",
)


def _evaluate(model, config, context):
  # Imported when called: evaluation pulls in the baselines and plotting.
  from models.optimizer_search import evaluate  # pylint: disable=g-import-not-at-top
  return evaluate.evaluate(model, config, context)


CONTROLLER_DIGITS = config_lib.SearchConfig(claim_min_seeds_improved=3,
                                            claim_min_seeds_beat_random=3)

registry.register(registry.ModelSpec(
    name="nos.controller_digits",
    config=CONTROLLER_DIGITS,
    build=controller.build_from_config,
    train=train.train,
    evaluate=_evaluate,
    paper=PAPER,
    summary=("Neural Optimizer Search: 3 GRU controllers trained with PPO to write "
             "update rules, rewarded by a digits MLP's validation accuracy."),
    claim=("in each of the 3 search seeds, the controller's mean reward over its last "
           "20% of samples exceeds its first 20% and exceeds random search's mean "
           "reward at the same number of child runs; the best rules, PowerSign and "
           "AddSign against tuned Adam / momentum / RMSProp on a held-out MLP are "
           "reported whatever the result."),
    deviations=DEVIATIONS,
    smoke_loss=train.smoke_loss,
))
