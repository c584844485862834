"""dbt against the redshift target with no warehouse: `python dbt_offline.py <dbt arguments>`.

`dbt compile --no-populate-cache` needs no connection except where a model asks the warehouse
about itself: `is_incremental()` looks its own table up. Here every such lookup answers "no
relations yet", so models compile as on a first build. `run-operation` skips the empty
transaction it opens around the macro and the rollback after a failing one. Any other attempt
to open a connection fails loudly instead of reaching for the network.
"""

from __future__ import annotations

import sys

from dbt.adapters.redshift import connections
from dbt.adapters.redshift.impl import RedshiftAdapter
from dbt.cli.main import dbtRunner


class OfflineError(RuntimeError):
    pass


def _no_relations(self, schema_relation):
    return []


def _refuse_to_connect(**kwargs):
    raise OfflineError("offline: this run may not connect to Redshift")


def main(argv: list[str]) -> int:
    RedshiftAdapter.list_relations_without_caching = _no_relations
    connections.RedshiftConnectionManager.clear_transaction = lambda self: None
    connections.RedshiftConnectionManager.rollback_if_open = lambda self: None
    connections.redshift_connector.connect = _refuse_to_connect
    result = dbtRunner().invoke(argv)
    return 0 if result.success else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
