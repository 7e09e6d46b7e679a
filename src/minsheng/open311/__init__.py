"""The Open311 GeoReport v2 interface onto cases."""
