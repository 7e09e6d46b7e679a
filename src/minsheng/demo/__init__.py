"""A demo deployment for a fictional city government, used by `minsheng demo` and the browser tests."""
