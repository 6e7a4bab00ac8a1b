"""The lecture's worked examples as pure functions: the pages only draw what these compute, and the
tests check them against the lecture's printed figures."""
