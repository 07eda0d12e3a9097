"""Every paper sigtest cites, once: the methods' docstrings, ``describe()`` and ``cite()`` take their
references from here (authors, year, venue, volume, number, pages and DOI checked against the
source; ``tests/test_results.py`` parses the BibTeX of each).
"""

from __future__ import annotations

from sigtest._results import Reference

POLITIS_ROMANO_1994 = Reference(
    "politis1994stationary",
    "Politis, D. N., & Romano, J. P.",
    1994,
    "The stationary bootstrap",
    "Journal of the American Statistical Association",
    "89",
    "1303-1313",
    "10.1080/01621459.1994.10476870",
    number="428",
)

POLITIS_ROMANO_1992 = Reference(
    "politis1992circular",
    "Politis, D. N., & Romano, J. P.",
    1992,
    "A circular block-resampling procedure for stationary data",
    "Exploring the Limits of Bootstrap (LePage & Billard, eds.), Wiley",
    "",
    "263-270",
    "",
    "incollection",
)

KUNSCH_1989 = Reference(
    "kunsch1989jackknife",
    "Kuensch, H. R.",
    1989,
    "The jackknife and the bootstrap for general stationary observations",
    "The Annals of Statistics",
    "17",
    "1217-1241",
    "10.1214/aos/1176347265",
    number="3",
)

POLITIS_WHITE_2004 = Reference(
    "politis2004automatic",
    "Politis, D. N., & White, H.",
    2004,
    "Automatic block-length selection for the dependent bootstrap",
    "Econometric Reviews",
    "23",
    "53-70",
    "10.1081/ETC-120028836",
    number="1",
)

PATTON_POLITIS_WHITE_2009 = Reference(
    "patton2009correction",
    "Patton, A., Politis, D. N., & White, H.",
    2009,
    "Correction to 'Automatic block-length selection for the dependent bootstrap'",
    "Econometric Reviews",
    "28",
    "372-375",
    "10.1080/07474930802459016",
    number="4",
)

EFRON_1987 = Reference(
    "efron1987better",
    "Efron, B.",
    1987,
    "Better bootstrap confidence intervals",
    "Journal of the American Statistical Association",
    "82",
    "171-185",
    "10.1080/01621459.1987.10478410",
    number="397",
)

MERTENS_2002 = Reference(
    "mertens2002comments",
    "Mertens, E.",
    2002,
    "Comments on variance of the IID estimator in Lo (2002)",
    "Working paper, University of Basel",
    entry_type="misc",
)

SULLIVAN_TIMMERMANN_WHITE_1999 = Reference(
    "sullivan1999data",
    "Sullivan, R., Timmermann, A., & White, H.",
    1999,
    "Data-snooping, technical trading rule performance, and the bootstrap",
    "The Journal of Finance",
    "54",
    "1647-1691",
    "10.1111/0022-1082.00163",
    number="5",
)

DUNN_1961 = Reference(
    "dunn1961",
    "Dunn, O. J.",
    1961,
    "Multiple comparisons among means",
    "Journal of the American Statistical Association",
    "56",
    "52-64",
    "10.1080/01621459.1961.10482090",
    number="293",
)

SIDAK_1967 = Reference(
    "sidak1967",
    "Sidak, Z.",
    1967,
    "Rectangular confidence regions for the means of multivariate normal distributions",
    "Journal of the American Statistical Association",
    "62",
    "626-633",
    "10.1080/01621459.1967.10482935",
    number="318",
)

HOLM_1979 = Reference(
    "holm1979",
    "Holm, S.",
    1979,
    "A simple sequentially rejective multiple test procedure",
    "Scandinavian Journal of Statistics",
    "6",
    "65-70",
    "10.2307/4615733",
    number="2",
)

HOCHBERG_1988 = Reference(
    "hochberg1988",
    "Hochberg, Y.",
    1988,
    "A sharper Bonferroni procedure for multiple tests of significance",
    "Biometrika",
    "75",
    "800-802",
    "10.1093/biomet/75.4.800",
    number="4",
)

BENJAMINI_HOCHBERG_1995 = Reference(
    "benjamini1995",
    "Benjamini, Y., & Hochberg, Y.",
    1995,
    "Controlling the false discovery rate: a practical and powerful approach to multiple testing",
    "Journal of the Royal Statistical Society: Series B",
    "57",
    "289-300",
    "10.1111/j.2517-6161.1995.tb02031.x",
    number="1",
)

BENJAMINI_YEKUTIELI_2001 = Reference(
    "benjamini2001",
    "Benjamini, Y., & Yekutieli, D.",
    2001,
    "The control of the false discovery rate in multiple testing under dependency",
    "The Annals of Statistics",
    "29",
    "1165-1188",
    "10.1214/aos/1013699998",
    number="4",
)

HARVEY_LIU_2015 = Reference(
    "harvey2015backtesting",
    "Harvey, C. R., & Liu, Y.",
    2015,
    "Backtesting",
    "The Journal of Portfolio Management",
    "42",
    "13-28",
    "10.3905/jpm.2015.42.1.013",
    number="1",
)

HARVEY_LIU_ZHU_2016 = Reference(
    "harvey2016cross",
    "Harvey, C. R., Liu, Y., & Zhu, H.",
    2016,
    "... and the cross-section of expected returns",
    "The Review of Financial Studies",
    "29",
    "5-68",
    "10.1093/rfs/hhv059",
    number="1",
)

LO_2002 = Reference(
    "lo2002statistics",
    "Lo, A. W.",
    2002,
    "The statistics of Sharpe ratios",
    "Financial Analysts Journal",
    "58",
    "36-52",
    "10.2469/faj.v58.n4.2453",
    number="4",
)

OPDYKE_2007 = Reference(
    "opdyke2007", "Opdyke, J. D.", 2007,
    "Comparing Sharpe ratios: so where are the p-values?", "Journal of Asset Management",
    "8", "308-336", "10.1057/palgrave.jam.2250084",
    number="5",
)

NEWEY_WEST_1987 = Reference(
    "newey1987", "Newey, W. K., & West, K. D.", 1987,
    "A simple, positive semi-definite, heteroskedasticity and autocorrelation consistent "
    "covariance matrix", "Econometrica", "55", "703-708", "10.2307/1913610",
    number="3",
)

NEWEY_WEST_1994 = Reference(
    "newey1994", "Newey, W. K., & West, K. D.", 1994,
    "Automatic lag selection in covariance matrix estimation", "Review of Economic Studies",
    "61", "631-653", "10.2307/2297912",
    number="4",
)

BAILEY_LDP_2012 = Reference(
    "bailey2012", "Bailey, D. H., & Lopez de Prado, M.", 2012,
    "The Sharpe ratio efficient frontier", "Journal of Risk", "15", "3-44",
    "10.21314/JOR.2012.255",
    number="2",
)

BAILEY_LDP_2014 = Reference(
    "bailey2014dsr", "Bailey, D. H., & Lopez de Prado, M.", 2014,
    "The deflated Sharpe ratio: correcting for selection bias, backtest overfitting, and "
    "non-normality", "Journal of Portfolio Management", "40", "94-107",
    "10.3905/jpm.2014.40.5.094",
    number="5",
)

BAILEY_ET_AL_2014 = Reference(
    "bailey2014minbtl", "Bailey, D. H., Borwein, J. M., Lopez de Prado, M., & Zhu, Q. J.", 2014,
    "Pseudo-mathematics and financial charlatanism: the effects of backtest overfitting on "
    "out-of-sample performance", "Notices of the American Mathematical Society", "61",
    "458-471", "10.1090/noti1105",
    number="5",
)

WHITE_2000 = Reference(
    "white2000reality",
    "White, H.",
    2000,
    "A reality check for data snooping",
    "Econometrica",
    "68",
    "1097-1126",
    "10.1111/1468-0262.00152",
    number="5",
)

HANSEN_2005 = Reference(
    "hansen2005test",
    "Hansen, P. R.",
    2005,
    "A test for superior predictive ability",
    "Journal of Business & Economic Statistics",
    "23",
    "365-380",
    "10.1198/073500105000000063",
    number="4",
)

ROMANO_WOLF_2005 = Reference(
    "romano2005stepwise",
    "Romano, J. P., & Wolf, M.",
    2005,
    "Stepwise multiple testing as formalized data snooping",
    "Econometrica",
    "73",
    "1237-1282",
    "10.1111/j.1468-0262.2005.00615.x",
    number="4",
)

ROMANO_WOLF_2016 = Reference(
    "romano2016efficient",
    "Romano, J. P., & Wolf, M.",
    2016,
    "Efficient computation of adjusted p-values for resampling-based stepdown multiple testing",
    "Statistics & Probability Letters",
    "113",
    "38-40",
    "10.1016/j.spl.2016.02.012",
)

HANSEN_LUNDE_NASON_2011 = Reference(
    "hansen2011model",
    "Hansen, P. R., Lunde, A., & Nason, J. M.",
    2011,
    "The model confidence set",
    "Econometrica",
    "79",
    "453-497",
    "10.3982/ECTA5771",
    number="2",
)

LI_JI_2005 = Reference(
    "li2005", "Li, J., & Ji, L.", 2005,
    "Adjusting multiple testing in multilocus analyses using the eigenvalues of a correlation "
    "matrix", "Heredity", "95", "221-227", "10.1038/sj.hdy.6800717",
    number="3",
)

NYHOLT_2004 = Reference(
    "nyholt2004", "Nyholt, D. R.", 2004,
    "A simple correction for multiple testing for single-nucleotide polymorphisms in linkage "
    "disequilibrium with each other", "American Journal of Human Genetics", "74", "765-769",
    "10.1086/383251",
    number="4",
)

LDP_LEWIS_2019 = Reference(
    "lopezdeprado2019", "Lopez de Prado, M., & Lewis, M. J.", 2019,
    "Detection of false investment strategies using unsupervised learning methods",
    "Quantitative Finance", "19", "1555-1565", "10.1080/14697688.2019.1622311",
    number="9",
)

BAILEY_ET_AL_2017 = Reference(
    key="bailey2017pbo",
    authors="Bailey, D. H., Borwein, J. M., Lopez de Prado, M., & Zhu, Q. J.",
    year=2017,
    title="The probability of backtest overfitting",
    journal="Journal of Computational Finance",
    volume="20",
    pages="39-69",
    doi="10.21314/JCF.2016.322",
    number="4",
)

WILSON_1927 = Reference(
    key="wilson1927",
    authors="Wilson, E. B.",
    year=1927,
    title="Probable inference, the law of succession, and statistical inference",
    journal="Journal of the American Statistical Association",
    volume="22",
    pages="209-212",
    doi="10.1080/01621459.1927.10502953",
    number="158",
)

# --- false discoveries across the universe: q-values, luck versus skill, k-FWE and FDP ---

STOREY_2002 = Reference(
    key="storey2002direct",
    authors="Storey, J. D.",
    year=2002,
    title="A direct approach to false discovery rates",
    journal="Journal of the Royal Statistical Society: Series B (Statistical Methodology)",
    volume="64",
    pages="479-498",
    doi="10.1111/1467-9868.00346",
    number="3",
)

STOREY_TIBSHIRANI_2003 = Reference(
    key="storey2003statistical",
    authors="Storey, J. D., & Tibshirani, R.",
    year=2003,
    title="Statistical significance for genomewide studies",
    journal="Proceedings of the National Academy of Sciences",
    volume="100",
    pages="9440-9445",
    doi="10.1073/pnas.1530509100",
    number="16",
)

STOREY_TAYLOR_SIEGMUND_2004 = Reference(
    key="storey2004strong",
    authors="Storey, J. D., Taylor, J. E., & Siegmund, D.",
    year=2004,
    title="Strong control, conservative point estimation and simultaneous conservative "
    "consistency of false discovery rates: a unified approach",
    journal="Journal of the Royal Statistical Society: Series B (Statistical Methodology)",
    volume="66",
    pages="187-205",
    doi="10.1111/j.1467-9868.2004.00439.x",
    number="1",
)

BARRAS_SCAILLET_WERMERS_2010 = Reference(
    key="barras2010false",
    authors="Barras, L., Scaillet, O., & Wermers, R.",
    year=2010,
    title="False discoveries in mutual fund performance: measuring luck in estimated alphas",
    journal="The Journal of Finance",
    volume="65",
    pages="179-216",
    doi="10.1111/j.1540-6261.2009.01527.x",
    number="1",
)

ROMANO_SHAIKH_WOLF_2008 = Reference(
    key="romano2008formalized",
    authors="Romano, J. P., Shaikh, A. M., & Wolf, M.",
    year=2008,
    title="Formalized data snooping based on generalized error rates",
    journal="Econometric Theory",
    volume="24",
    pages="404-447",
    doi="10.1017/S0266466608080171",
    number="2",
)
# --- Beliefs: Bayesian inference on Sharpe ratios, power and false discoveries (sigtest.bayes)

HARVEY_2017 = Reference(
    key="harvey2017presidential",
    authors="Harvey, C. R.",
    year=2017,
    title="Presidential address: the scientific outlook in financial economics",
    journal="The Journal of Finance",
    volume="72",
    pages="1399-1440",
    doi="10.1111/jofi.12530",
    number="4",
)

SELLKE_ET_AL_2001 = Reference(
    key="sellke2001calibration",
    authors="Sellke, T., Bayarri, M. J., & Berger, J. O.",
    year=2001,
    title="Calibration of p values for testing precise null hypotheses",
    journal="The American Statistician",
    volume="55",
    pages="62-71",
    doi="10.1198/000313001300339950",
    number="1",
)

LLZ_2025 = Reference(
    key="lopezdeprado2025sharpe",
    authors="Lopez de Prado, M., Lipton, A., & Zoonekynd, V.",
    year=2025,
    title="How to use the Sharpe ratio",
    journal="ADIA Lab Research Paper Series; SSRN working paper 5520741",
    doi="10.2139/ssrn.5520741",
    entry_type="misc",
)

# --- out-of-sample selection (combinatorial purged cross-validation, walk-forward) ---

LOPEZ_DE_PRADO_2018 = Reference(
    key="lopezdeprado2018advances",
    authors="Lopez de Prado, M.",
    year=2018,
    title="Advances in Financial Machine Learning",
    journal="Wiley",
    entry_type="book",
)

PARDO_2008 = Reference(
    key="pardo2008evaluation",
    authors="Pardo, R.",
    year=2008,
    title="The Evaluation and Optimization of Trading Strategies (2nd ed.)",
    journal="Wiley",
    entry_type="book",
)

ANDREWS_1991 = Reference(
    key="andrews1991",
    authors="Andrews, D. W. K.",
    year=1991,
    title="Heteroskedasticity and autocorrelation consistent covariance matrix estimation",
    journal="Econometrica",
    volume="59",
    pages="817-858",
    doi="10.2307/2938229",
    number="3",
)

# --- regimes and structural breaks (sigtest.regimes) ---

ANDREWS_1993 = Reference(
    "andrews1993tests", "Andrews, D. W. K.", 1993,
    "Tests for parameter instability and structural change with unknown change point",
    "Econometrica", "61", "821-856", "10.2307/2951764", number="4",
)

ANDREWS_PLOBERGER_1994 = Reference(
    "andrews1994optimal", "Andrews, D. W. K., & Ploberger, W.", 1994,
    "Optimal tests when a nuisance parameter is present only under the alternative",
    "Econometrica", "62", "1383-1414", "10.2307/2951753", number="6",
)

HANSEN_1997 = Reference(
    "hansen1997approximate", "Hansen, B. E.", 1997,
    "Approximate asymptotic p values for structural-change tests",
    "Journal of Business & Economic Statistics", "15", "60-67",
    "10.1080/07350015.1997.10524687", number="1",
)

CHOW_1960 = Reference(
    "chow1960tests", "Chow, G. C.", 1960,
    "Tests of equality between sets of coefficients in two linear regressions",
    "Econometrica", "28", "591-605", "10.2307/1910133", number="3",
)

BAI_1997 = Reference(
    "bai1997estimation", "Bai, J.", 1997,
    "Estimation of a change point in multiple regression models",
    "The Review of Economics and Statistics", "79", "551-563", "10.1162/003465397557132",
    number="4",
)

PLOBERGER_KRAMER_1992 = Reference(
    "ploberger1992cusum", "Ploberger, W., & Kraemer, W.", 1992,
    "The CUSUM test with OLS residuals", "Econometrica", "60", "271-285", "10.2307/2951597",
    number="2",
)

PAGAN_SOSSOUNOV_2003 = Reference(
    "pagan2003simple", "Pagan, A. R., & Sossounov, K. A.", 2003,
    "A simple framework for analysing bull and bear markets", "Journal of Applied Econometrics",
    "18", "23-46", "10.1002/jae.664", number="1",
)

LUNDE_TIMMERMANN_2004 = Reference(
    "lunde2004duration", "Lunde, A., & Timmermann, A.", 2004,
    "Duration dependence in stock prices: An analysis of bull and bear markets",
    "Journal of Business & Economic Statistics", "22", "253-273",
    "10.1198/073500104000000136", number="3",
)

BROCK_LAKONISHOK_LEBARON_1992 = Reference(
    "brock1992simple", "Brock, W., Lakonishok, J., & LeBaron, B.", 1992,
    "Simple technical trading rules and the stochastic properties of stock returns",
    "The Journal of Finance", "47", "1731-1764", "10.1111/j.1540-6261.1992.tb04681.x",
    number="5",
)

BOLLERSLEV_1986 = Reference(
    "bollerslev1986generalized", "Bollerslev, T.", 1986,
    "Generalized autoregressive conditional heteroskedasticity", "Journal of Econometrics",
    "31", "307-327", "10.1016/0304-4076(86)90063-1", number="3",
)

# Stress tests: drawdowns, time under water, ruin (sigtest.stress)

BAILEY_LDP_2015 = Reference(
    key="bailey2015stopouts",
    authors="Bailey, D. H., & Lopez de Prado, M.",
    year=2015,
    title="Stop-outs under serial correlation and 'the triple penance rule'",
    journal="Journal of Risk",
    volume="18",
    pages="61-93",
    number="2",
)

MAGDON_ISMAIL_ET_AL_2004 = Reference(
    key="magdonismail2004maximum",
    authors="Magdon-Ismail, M., Atiya, A. F., Pratap, A., & Abu-Mostafa, Y. S.",
    year=2004,
    title="On the maximum drawdown of a Brownian motion",
    journal="Journal of Applied Probability",
    volume="41",
    pages="147-161",
    doi="10.1239/jap/1077134674",
    number="1",
)

ASMUSSEN_GLYNN_PITMAN_1995 = Reference(
    key="asmussen1995discretization",
    authors="Asmussen, S., Glynn, P., & Pitman, J.",
    year=1995,
    title="Discretization error in simulation of one-dimensional reflecting Brownian motion",
    journal="The Annals of Applied Probability",
    volume="5",
    pages="875-896",
    doi="10.1214/aoap/1177004597",
    number="4",
)

ABATE_WHITT_2006 = Reference(
    key="abate2006unified",
    authors="Abate, J., & Whitt, W.",
    year=2006,
    title="A unified framework for numerically inverting Laplace transforms",
    journal="INFORMS Journal on Computing",
    volume="18",
    pages="408-421",
    doi="10.1287/ijoc.1050.0137",
    number="4",
)

# Comparing strategies: Sharpe-ratio differences, HAC covariances, alphas against factor models
LEDOIT_WOLF_2008 = Reference(
    key="ledoit2008robust",
    authors="Ledoit, O., & Wolf, M.",
    year=2008,
    title="Robust performance hypothesis testing with the Sharpe ratio",
    journal="Journal of Empirical Finance",
    volume="15",
    pages="850-859",
    doi="10.1016/j.jempfin.2008.03.002",
    number="5",
)

JOBSON_KORKIE_1981 = Reference(
    key="jobson1981performance",
    authors="Jobson, J. D., & Korkie, B. M.",
    year=1981,
    title="Performance hypothesis testing with the Sharpe and Treynor measures",
    journal="The Journal of Finance",
    volume="36",
    pages="889-908",
    doi="10.1111/j.1540-6261.1981.tb04891.x",
    number="4",
)

MEMMEL_2003 = Reference(
    key="memmel2003performance",
    authors="Memmel, C.",
    year=2003,
    title="Performance hypothesis testing with the Sharpe ratio",
    journal="Finance Letters",
    volume="1",
    pages="21-23",
    number="1",
)

WRIGHT_YAM_YUNG_2014 = Reference(
    key="wright2014equality",
    authors="Wright, J. A., Yam, S. C. P., & Yung, S. P.",
    year=2014,
    title="A test for the equality of multiple Sharpe ratios",
    journal="Journal of Risk",
    volume="16",
    pages="3-21",
    doi="10.21314/JOR.2014.289",
    number="4",
)

ANDREWS_MONAHAN_1992 = Reference(
    key="andrews1992prewhitened",
    authors="Andrews, D. W. K., & Monahan, J. C.",
    year=1992,
    title="An improved heteroskedasticity and autocorrelation consistent covariance matrix "
          "estimator",
    journal="Econometrica",
    volume="60",
    pages="953-966",
    doi="10.2307/2951574",
    number="4",
)

GIBBONS_ROSS_SHANKEN_1989 = Reference(
    key="gibbons1989test",
    authors="Gibbons, M. R., Ross, S. A., & Shanken, J.",
    year=1989,
    title="A test of the efficiency of a given portfolio",
    journal="Econometrica",
    volume="57",
    pages="1121-1152",
    doi="10.2307/1913625",
    number="5",
)

KOSOWSKI_ET_AL_2006 = Reference(
    key="kosowski2006stars",
    authors="Kosowski, R., Timmermann, A., Wermers, R., & White, H.",
    year=2006,
    title="Can mutual fund \"stars\" really pick stocks? New evidence from a bootstrap analysis",
    journal="The Journal of Finance",
    volume="61",
    pages="2551-2595",
    doi="10.1111/j.1540-6261.2006.01015.x",
    number="6",
)

FAMA_FRENCH_2010 = Reference(
    key="fama2010luck",
    authors="Fama, E. F., & French, K. R.",
    year=2010,
    title="Luck versus skill in the cross-section of mutual fund returns",
    journal="The Journal of Finance",
    volume="65",
    pages="1915-1947",
    doi="10.1111/j.1540-6261.2010.01598.x",
    number="5",
)
