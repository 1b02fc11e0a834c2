"""End-to-end tests of the packed orb (a package, so that its conftest and
helpers never shadow the top-level `conftest` other tests import from)."""
