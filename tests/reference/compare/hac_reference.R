# Reference values for sigtest._hac from R's stats::ar and the sandwich package
# (Zeileis 2004, 2006). Run from this folder:  Rscript hac_reference.R
# Writes hac_reference.json, read by tests/test_hac.py.
library(sandwich)
library(jsonlite)
u <- as.matrix(read.csv("hac_input.csv"))
u <- sweep(u, 2, colMeans(u))
n <- nrow(u)
k <- ncol(u)

# AR(1) least-squares fits with intercept (Andrews 1991 plug-in, as in Ledoit & Wolf's code)
ar1 <- apply(u, 2, function(x) {
  f <- ar(x, aic = FALSE, order.max = 1, method = "ols")
  c(as.numeric(f$ar), as.numeric(f$var.pred))
})

# a minimal model object whose estimating functions are the columns of u
obj <- structure(list(u = u), class = "umat")
estfun.umat <- function(x, ...) x$u
registerS3method("estfun", "umat", estfun.umat, envir = asNamespace("sandwich"))

kname <- c(bartlett = "Bartlett", parzen = "Parzen", quadratic_spectral = "Quadratic Spectral")
bw_andrews <- sapply(kname, function(kn) bwAndrews(u, kernel = kn, approx = "AR(1)",
                                                    weights = rep(1, k), prewhite = 0))
bw_andrews_pw <- sapply(kname, function(kn) bwAndrews(u, kernel = kn, approx = "AR(1)",
                                                       weights = rep(1, k), prewhite = 1))
# long-run covariances at fixed bandwidths, every lag weighted (no truncation of weights)
fixed <- c(bartlett = 4.5, parzen = 5.3, quadratic_spectral = 3.7)
omega <- lapply(names(kname), function(kn) {
  w <- kweights(0:(n - 1) / fixed[[kn]], kernel = kname[[kn]])
  meatHAC(obj, weights = w, prewhite = FALSE, adjust = FALSE)
})
names(omega) <- names(kname)
# VAR(1)-prewhitened (Andrews & Monahan 1992), Parzen at bandwidth 4.2; sandwich divides the
# recoloured sum by the original T
w_pw <- kweights(0:(n - 2) / 4.2, kernel = "Parzen")
omega_pw <- meatHAC(obj, weights = w_pw, prewhite = 1, adjust = FALSE)

out <- list(
  r_version = R.version.string,
  sandwich_version = as.character(packageVersion("sandwich")),
  ar1_rho = ar1[1, ], ar1_var_pred = ar1[2, ],
  bw_andrews = as.list(bw_andrews), bw_andrews_prewhitened = as.list(bw_andrews_pw),
  fixed_bandwidth = as.list(fixed),
  omega = lapply(omega, function(m) unname(m)),
  omega_prewhitened_parzen_4_2 = unname(omega_pw)
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "hac_reference.json")
