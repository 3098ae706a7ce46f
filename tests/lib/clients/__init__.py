"""The programs the tests run inside torgate that more than one suite uses,
and the modules they share (common, dnswire). Each is run by path as a
script, so they import one another as top-level modules; the package is
only how test code outside the sandbox reaches dnswire
(`from clients import dnswire`)."""
