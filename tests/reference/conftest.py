"""The scripts below this folder wrote the committed reference values with other projects'
code (skfolio, R); the tests read the values, so pytest does not import the scripts (their
oracles are not installed by the test extra)."""

collect_ignore_glob = ["*/*.py"]
