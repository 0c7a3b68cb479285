"""OAI-PMH 2.0 (http://www.openarchives.org/OAI/openarchivesprotocol.html) at ``/oai``."""
