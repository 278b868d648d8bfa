"""The zoo's methods, one package each."""
