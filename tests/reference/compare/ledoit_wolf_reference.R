# Reference values for sigtest.sharpe_difference (tests/test_compare.py).
#
# Two independent R implementations of Ledoit & Wolf (2008):
#  1. Ledoit & Wolf's own code and data: the workspace Sharpe.RData published with the paper
#     (Michael Wolf's web page, publications section; also kept in the GitHub repository
#     pfnaibert/LW-SR-VAR, file R/Sharpe.RData). Its functions compute.se.Parzen,
#     compute.se.Parzen.pw, sharpe.ratio.diff and boot.time.inference are called as published,
#     on its data sets ret.hedge (the two hedge funds of the paper's Section 4, 120 months),
#     ret.agg (120 months) and ret.H (41 months).
#  2. The R package PeerPerformance (Ardia & Boudt), sharpeTesting(type = 1, hac = TRUE,
#     ttype = 1), on the simulated data compare_input.csv (bivariate AR(1)-GARCH(1,1) returns with
#     t(6) shocks; column bench against s1, s2, s3).
#
# Run from this folder:
#   Rscript ledoit_wolf_reference.R /path/to/Sharpe.RData [/path/to/PeerPerformance/library]
# Writes lw_hedge.csv, lw_agg.csv, lw_H.csv (the data sets) and ledoit_wolf_reference.json.
args <- commandArgs(trailingOnly = TRUE)
if (length(args) >= 2) .libPaths(c(args[2], .libPaths()))
library(jsonlite)
library(PeerPerformance)
lw <- globalenv()  # their functions look each other up in the global environment
load(args[1])

write_data <- function(ret, file) {
  write.csv(format(as.data.frame(unname(as.matrix(ret))), digits = 17), file,
            row.names = FALSE, quote = FALSE)
}
write_data(lw$ret.hedge, "lw_hedge.csv")
write_data(lw$ret.agg, "lw_agg.csv")
write_data(lw$ret.H, "lw_H.csv")

# the HAC results as their code computes them (unrounded) and as hac.inference prints them
hac <- function(ret) {
  ret <- as.matrix(ret)
  diff <- lw$sharpe.ratio.diff(ret)
  se <- lw$compute.se.Parzen(ret)
  se_pw <- lw$compute.se.Parzen.pw(ret)
  printed <- lw$hac.inference(ret)
  list(difference = diff, se = se, se_prewhitened = se_pw,
       pvalue = 2 * pnorm(-abs(diff) / se), pvalue_prewhitened = 2 * pnorm(-abs(diff) / se_pw),
       printed = list(difference = printed$Difference,
                      se = unname(printed$Standard.Errors),
                      pvalue = unname(printed$p.Values)))
}
datasets <- list(hedge = lw$ret.hedge, agg = lw$ret.agg, H = lw$ret.H)
lw_hac <- lapply(datasets, hac)

# their studentized circular block bootstrap (M = 4999, fixed seeds): p-values to compare
# within Monte Carlo error
boot <- list()
for (b in c(3, 6)) {
  set.seed(20081)
  boot[[paste0("hedge_b", b)]] <- lw$boot.time.inference(as.matrix(lw$ret.hedge), b, 4999)$p.Value
}
set.seed(20082)
boot[["agg_b3"]] <- lw$boot.time.inference(as.matrix(lw$ret.agg), 3, 4999)$p.Value

# PeerPerformance on the simulated data and on the hedge funds
sim <- as.matrix(read.csv("compare_input.csv"))
pp <- function(x, y) {
  out <- sharpeTesting(x, y, control = list(type = 1, hac = TRUE, ttype = 1))
  list(difference = out$dsharpe, tstat = out$tstat, se = out$dsharpe / out$tstat,
       pvalue = out$pval)
}
peer <- lapply(c("s1", "s2", "s3"), function(s) pp(sim[, s], sim[, "bench"]))
names(peer) <- c("s1", "s2", "s3")
peer_hedge <- pp(lw$ret.hedge[, 1], lw$ret.hedge[, 2])
# Ledoit & Wolf's code on the simulated pairs too
lw_sim <- lapply(c("s1", "s2", "s3"), function(s) hac(cbind(sim[, s], sim[, "bench"])))
names(lw_sim) <- c("s1", "s2", "s3")

out <- list(
  r_version = R.version.string,
  peerperformance_version = as.character(packageVersion("PeerPerformance")),
  ledoit_wolf = lw_hac, ledoit_wolf_bootstrap_pvalue = boot,
  peerperformance_simulated = peer, peerperformance_hedge = peer_hedge,
  ledoit_wolf_simulated = lw_sim
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "ledoit_wolf_reference.json")
