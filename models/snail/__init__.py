"""SNAIL / TCML (Mishra et al. 2017): temporal convolutions and causal attention."""
