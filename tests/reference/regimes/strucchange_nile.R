# Reference values for tests/test_regimes.py from R's strucchange (Zeileis et al. 2002).
# Run: Rscript strucchange_nile.R  (writes strucchange_nile.json next to this script)
# Data: the Nile river flow at Aswan, 1871-1970 (R's datasets::Nile; the same series ships with
# statsmodels as statsmodels.datasets.nile). Model: a break in the mean (Nile ~ 1).
suppressMessages(library(strucchange))
suppressMessages(library(sandwich))
y <- as.numeric(Nile)
n <- length(y)
out <- list(r_version = R.version.string,
            strucchange_version = as.character(packageVersion("strucchange")),
            y = y)

# F statistics over the trimmed range (15% at each end), iid covariance
fs <- Fstats(y ~ 1, from = 0.15)
out$trim <- 0.15
out$f_from <- round(tsp(fs$Fstats)[1] * n)  # first candidate break (last row of segment 1, 1-based)
out$f_to <- round(tsp(fs$Fstats)[2] * n)
out$fstats <- as.numeric(fs$Fstats)
for (type in c("supF", "aveF", "expF")) {
  st <- sctest(fs, type = type)
  out[[paste0(type, "_statistic")]] <- unname(st$statistic)
  out[[paste0(type, "_pvalue")]] <- unname(st$p.value)
}
out$supF_breakpoint <- fs$breakpoint  # 1-based index of the last row before the break

# HAC version: Newey-West (Bartlett) with a fixed lag, no prewhitening, no df adjustment
lag <- 3
out$hac_lag <- lag
nw <- function(x, ...) NeweyWest(x, lag = lag, prewhite = FALSE, adjust = FALSE)
fh <- Fstats(y ~ 1, from = 0.15, vcov. = nw)
out$hac_fstats <- as.numeric(fh$Fstats)
for (type in c("supF", "aveF", "expF")) {
  st <- sctest(fh, type = type)
  out[[paste0("hac_", type, "_statistic")]] <- unname(st$statistic)
  out[[paste0("hac_", type, "_pvalue")]] <- unname(st$p.value)
}

# Chow test at a given break (observation 28 = 1898 is the last year of the first regime)
ch <- sctest(y ~ 1, type = "Chow", point = 28)
out$chow_point <- 28
out$chow_statistic <- unname(ch$statistic)
out$chow_pvalue <- unname(ch$p.value)

# Break date by least squares and Bai's (1997) confidence interval
bp <- breakpoints(y ~ 1, h = 0.15, breaks = 1)
out$bp_breakpoint <- bp$breakpoints
ci <- confint(bp, breaks = 1, level = 0.95)$confint
out$bai_ci_het <- as.numeric(ci)             # lower, estimate, upper (het.err = TRUE default)
ci2 <- confint(bp, breaks = 1, level = 0.95, het.err = FALSE)$confint
out$bai_ci_hom <- as.numeric(ci2)
ci3 <- confint(bp, breaks = 1, level = 0.90)$confint
out$bai_ci_het_90 <- as.numeric(ci3)

# OLS-based CUSUM (Ploberger & Kraemer 1992)
oc <- efp(y ~ 1, type = "OLS-CUSUM")
st <- sctest(oc)
out$cusum_statistic <- unname(st$statistic)
out$cusum_pvalue <- unname(st$p.value)
out$cusum_process <- as.numeric(oc$process)

# A regression with a regressor: a break in intercept and slope (k = 2), simulated data
set.seed(20261206)
m <- 120
x <- rnorm(m)
z <- 0.5 + 1.0 * x + rnorm(m)
z[71:m] <- z[71:m] + 0.8 + 0.6 * x[71:m]
out$reg_x <- x
out$reg_y <- z
fr <- Fstats(z ~ x, from = 0.15)
out$reg_fstats <- as.numeric(fr$Fstats)
out$reg_f_from <- round(tsp(fr$Fstats)[1] * m)
for (type in c("supF", "aveF", "expF")) {
  st <- sctest(fr, type = type)
  out[[paste0("reg_", type, "_statistic")]] <- unname(st$statistic)
  out[[paste0("reg_", type, "_pvalue")]] <- unname(st$p.value)
}
out$reg_breakpoint <- fr$breakpoint
bpr <- breakpoints(z ~ x, h = 0.15, breaks = 1)
out$reg_bai_ci_hom <- as.numeric(confint(bpr, breaks = 1, het.err = FALSE, het.reg = FALSE)$confint)
ocr <- efp(z ~ x, type = "OLS-CUSUM")
out$reg_cusum_statistic <- unname(sctest(ocr)$statistic)
out$reg_cusum_pvalue <- unname(sctest(ocr)$p.value)


# No break: the Nile after the dam (1899-1970), p-values away from 0 and 1
yp <- y[29:n]
fp <- Fstats(yp ~ 1, from = 0.15)
out$post_fstats <- as.numeric(fp$Fstats)
out$post_f_from <- round(tsp(fp$Fstats)[1] * length(yp))
fph <- Fstats(yp ~ 1, from = 0.15, vcov. = nw)
out$post_hac_fstats <- as.numeric(fph$Fstats)
for (type in c("supF", "aveF", "expF")) {
  out[[paste0("post_", type, "_statistic")]] <- unname(sctest(fp, type = type)$statistic)
  out[[paste0("post_", type, "_pvalue")]] <- unname(sctest(fp, type = type)$p.value)
  out[[paste0("post_hac_", type, "_statistic")]] <- unname(sctest(fph, type = type)$statistic)
  out[[paste0("post_hac_", type, "_pvalue")]] <- unname(sctest(fph, type = type)$p.value)
}
ocp <- efp(yp ~ 1, type = "OLS-CUSUM")
out$post_cusum_statistic <- unname(sctest(ocp)$statistic)
out$post_cusum_pvalue <- unname(sctest(ocp)$p.value)
bpp <- breakpoints(yp ~ 1, h = 0.15, breaks = 1)
out$post_bai_ci_het <- as.numeric(confint(bpp, breaks = 1)$confint)
out$post_bai_ci_hom <- as.numeric(confint(bpp, breaks = 1, het.err = FALSE)$confint)
chp <- sctest(yp ~ 1, type = "Chow", point = 36)
out$post_chow_statistic <- unname(chp$statistic)
out$post_chow_pvalue <- unname(chp$p.value)


# Bai's interval (het.err = FALSE) on sub-samples, to pin down the variance estimate and rounding
extra <- list()
for (r in list(c(1, 60), c(10, 90), c(20, 100), c(1, 45), c(15, 70))) {
  ys <- y[r[1]:r[2]]
  b <- breakpoints(ys ~ 1, h = 0.15, breaks = 1)
  extra[[length(extra) + 1]] <- list(start = r[1], end = r[2],
    ci = as.numeric(confint(b, breaks = 1, het.err = FALSE)$confint),
    ci90 = as.numeric(confint(b, breaks = 1, het.err = FALSE, level = 0.9)$confint))
}
out$bai_extra <- extra

# p-values of Hansen's (1997) approximation on a grid (k = 1, 2; several trimmings)
grid <- list()
for (type in c("supF", "aveF", "expF")) for (k in 1:2) for (trim in c(0.05, 0.1, 0.15, 0.2, 0.3, 0.45)) {
  lambda <- ((1 - trim) / trim)^2
  for (x in c(0.5, 2, 5, 8, 12, 20)) {
    grid[[length(grid) + 1]] <- list(type = type, k = k, trim = trim, x = x,
      p = strucchange:::pvalue.Fstats(x, type = type, k = k, lambda = lambda))
  }
}
out$hansen_grid <- grid
jsonlite::write_json(out, "strucchange_nile.json", auto_unbox = TRUE, digits = NA, pretty = TRUE)
