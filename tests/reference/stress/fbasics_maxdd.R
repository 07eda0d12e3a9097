# Expected maximum drawdown of a Brownian motion with drift, from R's fBasics::maxddStats
# (Magdon-Ismail, Atiya, Pratap & Abu-Mostafa 2004: the paper's Q functions, tabulated and
# interpolated by fBasics). Produces fbasics_maxdd.json, read by tests/test_stress.py.
# Run: Rscript tests/reference/stress/fbasics_maxdd.R  (from the repository root)
suppressMessages(library(fBasics))
cases <- expand.grid(mean = c(-0.002, -0.0005, -1e-4, 0, 1e-4, 0.0005, 0.002),
                     sd = c(0.01, 0.02), horizon = c(252, 2520))
cases$expected <- mapply(function(m, s, h) maxddStats(mean = m, sd = s, horizon = h),
                         cases$mean, cases$sd, cases$horizon)
rows <- sprintf('    {"mean": %.17g, "sd": %.17g, "horizon": %d, "expected": %.17g}',
                cases$mean, cases$sd, cases$horizon, cases$expected)
out <- paste0('{\n  "source": "R ', R.version$major, ".", R.version$minor, ", fBasics ",
              packageVersion("fBasics"), ', maxddStats(mean, sd, horizon)",\n  "cases": [\n',
              paste(rows, collapse = ",\n"), "\n  ]\n}\n")
writeLines(out, "tests/reference/stress/fbasics_maxdd.json", sep = "")
