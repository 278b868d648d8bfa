"""The registered policy optimizers: one per problem family of Li & Malik (2016)."""

from models.l2o_policy import config as config_lib
from models.l2o_policy import evaluate
from models.l2o_policy import model
from models.l2o_policy import train
from zoo import registry

PAPER = "Li & Malik. Learning to Optimize. ICLR 2017 (arXiv 1606.01885)."

_DEVIATIONS = (
    "Trained with PPO after an imitation warm start (regression onto heavy-ball "
    "momentum's steps, mu and learning rate tuned on training tasks, along its "
    "trajectories) instead of guided policy search: PPO "
    "needs no local linear-Gaussian controllers and runs batched over tasks; the "
    "warm start plays the part of GPS's supervised phase with a hand-designed teacher.",
    "The policy is applied coordinatewise (each coordinate reads its own 25 gradients "
    "and the task's 25 objective changes; weights shared), so one policy runs on "
    "problems of any dimension; the paper's reads the whole gradient vectors.",
    "Hidden activation tanh (the paper does not say).",
)

for _family, _summary in (
    ("logistic", "logistic regression on two Gaussian classes (convex)"),
    ("robust_regression", "robust linear regression, Geman-McClure loss (non-convex)"),
):
  registry.register(registry.ModelSpec(
      name=f"l2o_policy.{_family}",
      config=config_lib.PolicyConfig(family=_family),
      build=model.build_from_config,
      train=train.train,
      evaluate=evaluate.evaluate,
      paper=PAPER,
      summary=(f"Li & Malik's step policy (25 iterates' objective changes and gradients, "
               f"one hidden layer of 50 units) trained by policy search on {_summary}."),
      claim=("on 100 held-out objectives, mean objective at iteration 100 below tuned "
             "gradient descent's and tuned momentum's; L-BFGS and CG (SciPy) beside."),
      deviations=_DEVIATIONS,
      smoke_loss=train.smoke_loss,
      optimize=train.make_optimize_fn,
  ))
