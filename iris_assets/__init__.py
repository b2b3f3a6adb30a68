"""Dagster assets, checks, partitions, sensors and the pure analytics engines of IRIS."""

import warnings

# ``backfill_policy`` is marked beta in Dagster 1.13 although it is the documented way to batch
# partitions; the warning would print once per asset in every process that loads the code location.
warnings.filterwarnings("ignore", message=r".*`backfill_policy`.*is currently in beta")
warnings.filterwarnings("ignore", message=r".*map_resolved_asset_specs.*is currently in preview")
