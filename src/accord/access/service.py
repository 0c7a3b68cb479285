"""What other domains call: the grant checks behind every data access.

- the catalog's ``may_download`` (file content, DRS access URLs) asks ``check_download``;
- the sandbox asks ``sandbox_grant_for`` before it runs a job under a grant.

The workflow's operations live in the modules named for their concept (``requests``,
``committee``, ``grants``, ``duties``, ``appeals``, ``breaches``, ``sanctions``).
"""

from __future__ import annotations

from accord.access.checks import GrantCheck, SandboxGrant, check_download, sandbox_grant_for

__all__ = ["GrantCheck", "SandboxGrant", "check_download", "sandbox_grant_for"]
