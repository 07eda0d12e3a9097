# Reference q-values and pi0 from the R package qvalue (Bioconductor), for
# tests/test_multiple_testing.py. Run from this directory with
#   Rscript qvalue_reference.R
# (Debian: apt-get install r-bioc-qvalue). Writes qvalue_pvalues.csv (the p-values and the
# q-values per case) and qvalue_pi0.csv (pi0 and lambda per case). CI has no R: the tests read
# the committed csv files.
suppressPackageStartupMessages(library(qvalue))
set.seed(20261206)
m <- 2000
# a mixture: 80% uniform nulls, 20% alternatives with one-sided z-test p-values
z <- c(rnorm(0.8 * m), rnorm(0.2 * m, mean = 2.5))
p_mix <- pnorm(z, lower.tail = FALSE)
# only nulls: pi0 near 1
p_null <- runif(500)
cases <- list(
  mix_lambda_0.5 = list(p = p_mix, lambda = 0.5, method = "fixed"),
  mix_lambda_0.3 = list(p = p_mix, lambda = 0.3, method = "fixed"),
  null_lambda_0.5 = list(p = p_null, lambda = 0.5, method = "fixed"),
  mix_bootstrap = list(p = p_mix, lambda = seq(0.05, 0.95, 0.05), method = "bootstrap"),
  null_bootstrap = list(p = p_null, lambda = seq(0.05, 0.95, 0.05), method = "bootstrap")
)
rows <- list()
pis <- list()
for (name in names(cases)) {
  cs <- cases[[name]]
  if (cs$method == "fixed") {
    q <- qvalue(cs$p, lambda = cs$lambda)
  } else {
    q <- qvalue(cs$p, lambda = cs$lambda, pi0.method = "bootstrap")
  }
  rows[[name]] <- data.frame(case = name, pvalue = sprintf("%.17g", cs$p),
                             qvalue = sprintf("%.17g", q$qvalues))
  lam <- if (cs$method == "fixed") cs$lambda else NA
  pis[[name]] <- data.frame(case = name, method = cs$method, lambda = lam,
                            pi0 = sprintf("%.17g", q$pi0))
}
write.csv(do.call(rbind, rows), "qvalue_pvalues.csv", row.names = FALSE, quote = FALSE)
write.csv(do.call(rbind, pis), "qvalue_pi0.csv", row.names = FALSE, quote = FALSE)
cat(sprintf("qvalue %s, R %s\n", packageVersion("qvalue"), getRversion()))
