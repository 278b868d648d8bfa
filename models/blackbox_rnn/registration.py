"""The registered variants of the RNN black-box optimizer."""

from models.blackbox_rnn import config as config_lib
from models.blackbox_rnn import evaluate
from models.blackbox_rnn import model
from models.blackbox_rnn import train
from zoo import registry

PAPER = ("Chen, Hoffman, Gomez Colmenarejo, Denil, Lillicrap, Botvinick, de Freitas. "
         "Learning to learn without gradient descent by gradient descent. ICML 2017 "
         "(arXiv 1611.03824; first titled Learning to Learn for Global Optimization "
         "of Black Box Functions).")

DEVIATIONS = (
    "CPU scale: a 2-layer LSTM of 64 units (no DNC), meta-batches of 128 GP samples, "
    "20 queries, Adam from 1e-3 with cosine decay; the paper trains larger networks "
    "for longer, on horizons up to 100.",
    "The shipped weights were trained for 2200 meta-steps, not the config's 4000 (cut "
    "short on a shared 2-core machine): steps 0-1600 under the 4000-step cosine "
    "schedule, then resumed with --train_steps=2200 (the recorded command), whose "
    "schedule anneals steps 1600-2200; the best validation weights (step 2000, median "
    "regret 0.204) were kept. A longer run reached 0.17-0.18 on the same validation "
    "functions.",
    "Not reproduced: parity with GP-EI. On 100 held-out 2-d GP functions the RNN's "
    "median regret after 20 queries (0.225) is about 24x GP-EI's (0.0092); after 10 "
    "queries it is 0.53 (random search 0.54, GP-EI 0.34): the RNN explores about as "
    "well as random early on, then improves on it, but does not refine a basin as a "
    "GP refit on the queries does. A "
    "content-based memory over the query history (memory_heads, the DNC's read) did "
    "not close the gap in short trials and is not shipped.",
    "Transfer: the 2-d network runs on Branin and Goldstein-Price (its own dimension); "
    "Hartmann3 and Hartmann6 are evaluated by blackbox_rnn.gp6d (a 3-d function on the "
    "6-d network ignores the extra coordinates). No 3-d network is shipped.",
    "Training functions: the exact GP sample conditioned on the queries so far "
    "(Cholesky updates, as the paper suggests); held-out functions are random-Fourier-"
    "feature GP samples (1024 features) so that every method queries the same "
    "function.",
    "Kernels RBF and Matern-5/2 with per-dimension length scales log-uniform in "
    "[0.1, 0.4] on the unit box; the paper's GP prior and its scale differ.",
    "The RNN reads (x_{t-1}, y_{t-1}) standardised by the running mean and spread of "
    "the values seen (plus the incumbent and the spent budget), so it serves "
    "functions of any range; the paper feeds raw values of unit-scale GP samples.",
    "GP-EI is scikit-learn's GP (constant x Matern-5/2 or RBF, ML-II refit every "
    "proposal) with EI maximised by random candidates and local perturbation rounds, "
    "in place of Spearmint; SMAC, TPE and HPOLib tasks are not compared. For time, "
    "only its kernel (Matern-5/2 or RBF) is tuned, on 20 validation functions, with "
    "one initial Sobol point; transfer uses 10 instances of each function.",
)

GP2D = config_lib.BlackboxConfig(
    dim=2, horizon=20, length_scale_min=0.1, length_scale_max=0.4, train_steps=4000,
    num_gp_ei_tuning_tasks=20, gp_ei_initial_points=(1,), num_transfer_instances=10,
    claim_max_regret_ratio_vs_gp_ei=1.1, claim_min_speedup_vs_gp_ei=10.0)

registry.register(registry.ModelSpec(
    name="blackbox_rnn.gp2d",
    config=GP2D,
    build=model.build_from_config,
    train=train.train,
    evaluate=evaluate.evaluate,
    paper=PAPER,
    summary=("RNN black-box optimizer for 2-d boxes, meta-trained with observed "
             "improvement on GP samples (RBF / Matern-5/2); 20 queries."),
    claim=("on 100 held-out 2-d GP functions, the median best-so-far regret after 20 "
           "queries below random search's and Sobol's (0.225 vs 0.433 and 0.417), and "
           "a proposal at least 10x faster than GP-EI's (119x). The paper's parity "
           "with GP-EI does NOT reproduce: GP-EI's median regret is 0.0092 (the "
           "evaluation reports that claim as not holding)."),
    deviations=DEVIATIONS,
    smoke_loss=train.smoke_loss,
))


DEVIATIONS_6D = (
    "CPU scale: the same 2-layer LSTM of 64 units, meta-batches of 128 GP samples, a "
    "horizon of 50 queries (the paper's 6-d runs use up to 100), Adam from 1e-3 with "
    "cosine decay over 4000 meta-steps (about 12 minutes on 2 shared cores).",
    "Length scales log-uniform in [0.2, 0.6] on the unit box (longer than gp2d's: with "
    "0.1-0.4 a 6-d sample has so many basins that 50 queries of any method are close "
    "to random search).",
    "GP-EI is scikit-learn's GP (constant x Matern-5/2 or RBF, ML-II refit every "
    "proposal) with EI maximised by random candidates and local perturbation rounds, "
    "in place of Spearmint; SMAC, TPE and HPOLib tasks are not compared. For time, "
    "only its kernel (Matern-5/2 or RBF) is tuned, on 10 validation functions, with "
    "one initial Sobol point; transfer uses 5 instances of each function; the 100 "
    "test functions are the full protocol.",
    "Held-out minima: a 2^13-point scrambled Sobol search polished by L-BFGS-B from its "
    "best 8 points (a dense grid is out of reach in 6-d); a method that finds lower "
    "lowers the minimum (reported as minima_lowered_by_a_method).",
    "Not reproduced: parity with GP-EI. On 100 held-out 6-d GP functions the RNN's "
    "median regret after 50 queries is 1.59, GP-EI's 0.98 (1.6x; the gap is much "
    "smaller than gp2d's 24x), random search's 1.87 and Sobol's 1.95; after 25 "
    "queries 2.04 vs GP-EI's 1.78. The shipped weights are the best on validation "
    "(step 2750 of 4000, median regret 1.42).",
    "Transfer (5 instances each, seed 0) is mixed, and poor on Hartmann6: "
    "on Hartmann6 its median regret after 50 queries is 1.80 against random's 1.30, "
    "Sobol's 1.30 and GP-EI's 0.15; on Hartmann3 (extra coordinates ignored) 0.150 "
    "against 0.143, 0.266 and 0.00008; on Branin 0.17 against 1.87, 0.32 and 4e-6; on "
    "Goldstein-Price 48.0 against 12.5, 29.9 and 5.2. No 3-d network is shipped.",
) + tuple(
    d for d in DEVIATIONS if d.startswith(("Training functions", "The RNN reads")))

GP6D = config_lib.BlackboxConfig(
    dim=6, horizon=50, length_scale_min=0.2, length_scale_max=0.6, train_steps=4000,
    num_gp_ei_tuning_tasks=10, gp_ei_initial_points=(1,), num_transfer_instances=5,
    claim_max_regret_ratio_vs_gp_ei=1.1, claim_min_speedup_vs_gp_ei=10.0)

registry.register(registry.ModelSpec(
    name="blackbox_rnn.gp6d",
    config=GP6D,
    build=model.build_from_config,
    train=train.train,
    evaluate=evaluate.evaluate,
    paper=PAPER,
    summary=("RNN black-box optimizer for 6-d boxes, meta-trained with observed "
             "improvement on GP samples (RBF / Matern-5/2); 50 queries; transfer to "
             "Hartmann3 and Hartmann6."),
    claim=("on 100 held-out 6-d GP functions, the median best-so-far regret after 50 "
           "queries below random search's and Sobol's (1.59 vs 1.87 and 1.95), and a "
           "proposal at least 10x faster than GP-EI's (71x). Parity with GP-EI does "
           "NOT reproduce: GP-EI's median regret is 0.98 (1.6x lower; the evaluation "
           "reports that claim as not holding)."),
    deviations=DEVIATIONS_6D,
    smoke_loss=train.smoke_loss,
))
