"""Buy-till-you-die models for customer lifetime value, fitted by maximum likelihood with scipy.

- `bgnbd`: BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): whether a
  customer is still alive and how many purchases they will make.
- `gamma_gamma`: Gamma-Gamma (Fader, Hardie & Lee 2005, "RFM and CLV"; the note "The Gamma-Gamma
  model of monetary value", 2013): a customer's expected order value.
- `lifetime_value`: both together, per customer, as mart_customer_lifetime_value publishes them.
- `calibration`: the calibration / holdout check of BG/NBD.

Every fit runs on grouped sufficient statistics: customers sharing (x, t_x, T) are one row with a
count, which the log-likelihood weights. A fit on too few repeat buyers to identify the model
raises InsufficientData (`fitting.require_repeat_buyers`), which the marts publish as a model
not fitted; a fit on enough data that does not converge raises FitError naming the model and
the optimiser's message, never returns parameters.
"""
