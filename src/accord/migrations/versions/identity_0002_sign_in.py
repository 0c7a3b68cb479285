"""identity: OpenID Connect links, sign-in flows, TOTP second factor, IdP-granted roles

Revision ID: identity_0002
Revises: identity_0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "identity_0002"
down_revision: str | Sequence[str] | None = "identity_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["user_id"], ["users.id"], name=f"fk_{table}_user_id_users", ondelete="CASCADE"
    )


def upgrade() -> None:
    op.add_column("role_assignments", sa.Column("idp", sa.String(40), nullable=True))
    op.create_table(
        "identity_links",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("issuer", sa.String(300), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("linked_by", sa.String(20), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_identity_links"),
        _user_fk("identity_links"),
        sa.UniqueConstraint("issuer", "subject", name="uq_identity_links_issuer"),
    )
    op.create_index("ix_identity_links_user_id", "identity_links", ["user_id"])
    op.create_table(
        "sign_in_flows",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("secret_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("provider", sa.String(40), nullable=True),
        sa.Column("state", sa.String(100), nullable=True),
        sa.Column("nonce", sa.String(100), nullable=True),
        sa.Column("code_verifier", sa.String(200), nullable=True),
        sa.Column("user_id", sa.String(40), nullable=True),
        sa.Column("next_url", sa.String(500), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sign_in_flows"),
        _user_fk("sign_in_flows"),
        sa.UniqueConstraint("secret_hash", name="uq_sign_in_flows_secret_hash"),
    )
    op.create_index("ix_sign_in_flows_expires_at", "sign_in_flows", ["expires_at"])
    op.create_table(
        "totp_credentials",
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("secret_sealed", sa.LargeBinary(128), nullable=False),
        sa.Column("enrolled_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_totp_credentials"),
        _user_fk("totp_credentials"),
    )
    op.create_table(
        "totp_steps",
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("last_step", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name="pk_totp_steps"),
        _user_fk("totp_steps"),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("lookup", sa.String(8), nullable=False),
        sa.Column("code_hash", sa.String(200), nullable=False),
        sa.Column("used_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_recovery_codes"),
        _user_fk("recovery_codes"),
    )
    op.create_index("ix_recovery_codes_user_id", "recovery_codes", ["user_id"])


def downgrade() -> None:
    for table in (
        "recovery_codes",
        "totp_steps",
        "totp_credentials",
        "sign_in_flows",
        "identity_links",
    ):
        op.drop_table(table)
    with op.batch_alter_table("role_assignments") as batch:
        batch.drop_column("idp")
