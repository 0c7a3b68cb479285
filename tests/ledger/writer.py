"""A writer process for the crash and concurrency tests. Commit after commit it appends a batch
(``orgs``: organisations created through the identity service, a real state change and its log
entry in one transaction; ``entries``: plain log events), and notes each batch in a marker file
once its commit has returned.

    python -m tests.ledger.writer DATA_DIR DATABASE_URL WRITER BATCHES BATCH_SIZE MARKER MODE
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from accord import ledger
from accord.config import Settings
from accord.identity import schemas, service
from accord.identity.principal import local_operator
from accord.node import NodeContext, NodeIdentity

IDENTITY = NodeIdentity("test-node", "Test node", "CH", "http://testserver")


def main(argv: list[str]) -> None:
    data_dir, url, writer, batches, size, marker, mode = argv
    node = NodeContext(Settings(data_dir=Path(data_dir), database_url=url), IDENTITY)
    with open(marker, "a") as notes:
        for batch in range(int(batches)):
            with node.session() as session:
                for i in range(int(size)):
                    if mode == "orgs":
                        name = f"w{writer} b{batch} i{i}"
                        data = schemas.OrganisationCreate(name=name, country="CH")
                        service.create_organisation(session, local_operator(), data)
                    else:
                        public = {"writer": int(writer), "batch": batch, "i": i}
                        ledger.append(session, ledger.Event("test.entry.written", public=public))
                session.commit()
            notes.write(f"{writer} {batch}\n")
            notes.flush()
            os.fsync(notes.fileno())
    node.engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1:])
