"""Tools around the customer_features dbt mart: a TheLook-shaped data generator and loaders."""

__version__ = "0.1.0"
