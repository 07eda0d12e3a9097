# Prediction intervals for the Sharpe ratio of a future sample from R's SharpeR::predint
# (Steven E. Pav; SharpeR 1.4.0, github.com/shabbychef/SharpeR at commit 6b631e8, installed with
# R CMD INSTALL together with its dependency epsiwal 0.1.0, github.com/shabbychef/epsiwal).
# Produces sharper_predint.json, read by tests/test_bayes.py (the tests need no R).
# Run: Rscript tests/reference/bayes/sharper_predint.R  (from the repository root)
#
# predint(x, oosdf, ope, level, type) returns sr -/+ z * se * sqrt(1 + n / m) where n is the
# past sample size, m = oosdf + 1 the future one and se the standard error of type "t"
# (Johnson & Welch: sqrt((1 + n sr^2 / (2 (n - 1))) / n)) or "Mertens" (sqrt((1 - g1 sr +
# (g2 + 2) sr^2 / 4) / n) with g1, g2 the skewness and excess kurtosis cumulants), in the units
# of ope observations per epoch (ope = 1: per period).
suppressMessages(library(SharpeR))
f <- function(v) sprintf("%.17g", v)

# 1. Summary statistics: a per-period Sharpe ratio sr from n past observations (an "sr" object
#    with df = n - 1 and rescal = 1 / sqrt(n), what as.sr gives for a vector of n returns).
grid <- expand.grid(sr = c(-0.1, 0, 0.05, 0.25), n = c(24, 120, 500, 2520),
                    m = c(12, 63, 252, 1260))
grid$level <- rep(c(0.8, 0.95), length.out = nrow(grid))
t_rows <- character(0)
for (i in seq_len(nrow(grid))) {
  g <- grid[i, ]
  o <- sr(sr = g$sr, df = g$n - 1, ope = 1, rescal = 1 / sqrt(g$n))
  pi <- predint(o, oosdf = g$m - 1, level = g$level)  # default type "t"
  t_rows <- c(t_rows, sprintf(
    '    {"type": "t", "sharpe": %s, "n_obs": %d, "horizon": %d, "level": %s, "ope": 1, "skew": 0, "excess_kurtosis": 0, "low": %s, "high": %s}',
    f(g$sr), g$n, g$m, f(g$level), f(pi[1, 1]), f(pi[1, 2])))
}
shapes <- list(c(0, 0), c(-1, 4), c(0.5, 1), c(-2.448, 7.164))
mgrid <- expand.grid(sr = c(-0.1, 0.25), n = c(24, 120, 500, 2520), m = c(12, 252, 1260),
                     shape = seq_along(shapes))
m_rows <- character(0)
for (i in seq_len(nrow(mgrid))) {
  g <- mgrid[i, ]
  sh <- shapes[[g$shape]]
  o <- sr(sr = g$sr, df = g$n - 1, ope = 1, rescal = 1 / sqrt(g$n),
          cumulants = matrix(c(sh[1], sh[2], 0, 0), ncol = 1))
  pi <- predint(o, oosdf = g$m - 1, level = 0.9, type = "Mertens")
  m_rows <- c(m_rows, sprintf(
    '    {"type": "Mertens", "sharpe": %s, "n_obs": %d, "horizon": %d, "level": 0.9, "ope": 1, "skew": %s, "excess_kurtosis": %s, "low": %s, "high": %s}',
    f(g$sr), g$n, g$m, f(sh[1]), f(sh[2]), f(pi[1, 1]), f(pi[1, 2])))
}
# annualized: predint's ope re-expresses the per-period interval per square-root year
a_rows <- character(0)
for (case in list(c(0.06, 756, 252, 252), c(0.3, 120, 36, 12), c(-0.02, 2520, 63, 252))) {
  o <- sr(sr = case[1], df = case[2] - 1, ope = 1, rescal = 1 / sqrt(case[2]))
  pi <- predint(o, oosdf = case[3] - 1, level = 0.95, ope = case[4])
  a_rows <- c(a_rows, sprintf(
    '    {"type": "t", "sharpe": %s, "n_obs": %d, "horizon": %d, "level": 0.95, "ope": %d, "skew": 0, "excess_kurtosis": 0, "low": %s, "high": %s}',
    f(case[1]), case[2], case[3], case[4], f(pi[1, 1]), f(pi[1, 2])))
}

# 2. Returns: three columns of Student-t (5 df) returns, as.sr(x, higher_order = TRUE) (the
#    cumulants are SharpeR's k-statistic ratios k3 / k2^1.5 and k4 / k2^2) and type "Mertens".
set.seed(20261206)
nr <- 240
x <- matrix(rt(nr * 3, df = 5) * 0.01, ncol = 3) + rep(c(0.0005, 0.0012, -0.0003), each = nr)
obj <- as.sr(x, higher_order = TRUE)
d_rows <- character(0)
for (m in c(21, 252)) {
  pi <- predint(obj, oosdf = m - 1, level = 0.9, type = "Mertens")
  d_rows <- c(d_rows, sprintf(
    '    {"horizon": %d, "level": 0.9, "low": [%s], "high": [%s]}',
    m, paste(f(pi[, 1]), collapse = ", "), paste(f(pi[, 2]), collapse = ", ")))
}
cols <- apply(x, 2, function(v) paste0("[", paste(f(v), collapse = ", "), "]"))

out <- paste0(
  '{\n  "source": "R ', R.version$major, ".", R.version$minor, ", SharpeR ",
  packageVersion("SharpeR"), ', predint(x, oosdf = horizon - 1, ope, level, type)",\n',
  '  "summary_cases": [\n', paste(c(t_rows, m_rows, a_rows), collapse = ",\n"), "\n  ],\n",
  '  "returns_case": {\n',
  '    "returns_columns": [', paste(cols, collapse = ",\n      "), "],\n",
  '    "sharpe": [', paste(f(obj$sr), collapse = ", "), "],\n",
  '    "gamma_1": [', paste(f(obj$cumulants[1, ]), collapse = ", "), "],\n",
  '    "gamma_2": [', paste(f(obj$cumulants[2, ]), collapse = ", "), "],\n",
  '    "intervals": [\n', paste(d_rows, collapse = ",\n"), "\n    ]\n  }\n}\n")
writeLines(out, "tests/reference/bayes/sharper_predint.json", sep = "")
