"""The hub's Dagster definitions: one module per stage of the data flow."""
