"""The use cases' tests run on the activity tests' dependencies (a migrated store with the sample
registries, a seal key)."""

from tests.activities import conftest as activities_conftest

deps = activities_conftest.deps
seal_key = activities_conftest.seal_key
sample_snapshot = activities_conftest.sample_snapshot
