"""access: requests, committee votes and settings, grants, duties, appeals, breaches,
sanctions, notifications and the email outbox

Revision ID: access_0001
Revises:
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "access_0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("access",)
depends_on: str | Sequence[str] | None = ("identity_0001", "catalog_0001")

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "access_committees",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("scope_kind", sa.String(length=20), nullable=False),
        sa.Column("scope_id", sa.String(length=40), nullable=False),
        sa.Column("quorum", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_access_committees"),
        sa.UniqueConstraint("scope_kind", "scope_id", name="uq_access_committees_scope_kind"),
    )
    op.create_table(
        "access_email_outbox",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("notification_id", sa.String(length=40), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("sent_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_access_email_outbox"),
    )
    op.create_index(
        "ix_access_email_outbox_state", "access_email_outbox", ["state", "id"], unique=False
    )
    op.create_table(
        "access_notifications",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=300), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("read_at", TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_access_notifications"),
    )
    op.create_index(
        "ix_access_notifications_inbox", "access_notifications", ["user_id", "id"], unique=False
    )
    op.create_table(
        "access_requests",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("renews_grant_id", sa.String(length=40), nullable=True),
        sa.Column("requester_id", sa.String(length=40), nullable=False),
        sa.Column("requester_organisation_id", sa.String(length=40), nullable=True),
        sa.Column("requester_country", sa.String(length=2), nullable=False),
        sa.Column("dataset_id", sa.String(length=40), nullable=False),
        sa.Column("dataset_organisation_id", sa.String(length=40), nullable=False),
        sa.Column("version_id", sa.String(length=40), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("purpose_codes", sa.JSON(), nullable=False),
        sa.Column("disease_codes", sa.JSON(), nullable=False),
        sa.Column("commercial", sa.Boolean(), nullable=False),
        sa.Column("ethics_approval", sa.Boolean(), nullable=False),
        sa.Column("ethics_reference", sa.String(length=200), nullable=True),
        sa.Column("project_title", sa.String(length=300), nullable=False),
        sa.Column("lay_summary", sa.Text(), nullable=False),
        sa.Column("institution", sa.String(length=300), nullable=False),
        sa.Column("collaborators", sa.JSON(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("duration", sa.String(length=40), nullable=False),
        sa.Column("duties_accepted", sa.Boolean(), nullable=False),
        sa.Column("agreement_ref", sa.String(length=80), nullable=True),
        sa.Column("agreement_terms", sa.JSON(), nullable=False),
        sa.Column("engine_outcome", sa.String(length=20), nullable=False),
        sa.Column("engine_mode", sa.String(length=20), nullable=False),
        sa.Column("engine_reasons", sa.JSON(), nullable=False),
        sa.Column("engine_obligations", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=30), nullable=False),
        sa.Column("committee_name", sa.String(length=200), nullable=True),
        sa.Column("deadline_at", TS, nullable=True),
        sa.Column("paused_at", TS, nullable=True),
        sa.Column("overdue_notified_at", TS, nullable=True),
        sa.Column("decided_by", sa.String(length=20), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decision_reasons", sa.Text(), nullable=True),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("grant_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name="fk_access_requests_dataset_id_datasets"
        ),
        sa.ForeignKeyConstraint(
            ["requester_id"], ["users.id"], name="fk_access_requests_requester_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["dataset_versions.id"],
            name="fk_access_requests_version_id_dataset_versions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_requests"),
    )
    op.create_index(
        "ix_access_requests_dataset", "access_requests", ["dataset_id", "state"], unique=False
    )
    op.create_index(
        "ix_access_requests_requester", "access_requests", ["requester_id", "id"], unique=False
    )
    op.create_index(
        "ix_access_requests_state",
        "access_requests",
        ["state", "dataset_organisation_id"],
        unique=False,
    )
    op.create_table(
        "access_grants",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("user_id", sa.String(length=40), nullable=False),
        sa.Column("organisation_id", sa.String(length=40), nullable=True),
        sa.Column("dataset_id", sa.String(length=40), nullable=False),
        sa.Column("dataset_organisation_id", sa.String(length=40), nullable=False),
        sa.Column("version_id", sa.String(length=40), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("mode", sa.String(length=20), nullable=False),
        sa.Column("purpose", sa.JSON(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("obligations", sa.JSON(), nullable=False),
        sa.Column("agreement_ref", sa.String(length=80), nullable=True),
        sa.Column("agreement_terms", sa.JSON(), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
        sa.Column("revocation_reason", sa.Text(), nullable=True),
        sa.Column("revoked_by_sanction_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name="fk_access_grants_dataset_id_datasets"
        ),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name="fk_access_grants_request_id_access_requests",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_access_grants_user_id_users"),
        sa.ForeignKeyConstraint(
            ["version_id"],
            ["dataset_versions.id"],
            name="fk_access_grants_version_id_dataset_versions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_grants"),
    )
    op.create_index("ix_access_grants_dataset", "access_grants", ["dataset_id"], unique=False)
    op.create_index(
        "ix_access_grants_holder",
        "access_grants",
        ["user_id", "version_id", "status"],
        unique=False,
    )
    op.create_index(
        "ix_access_grants_status", "access_grants", ["status", "expires_at"], unique=False
    )
    op.create_table(
        "access_request_messages",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("author_id", sa.String(length=40), nullable=False),
        sa.Column("author_role", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name="fk_access_request_messages_request_id_access_requests",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_request_messages"),
    )
    op.create_index(
        "ix_access_request_messages_request_id",
        "access_request_messages",
        ["request_id"],
        unique=False,
    )
    op.create_table(
        "access_votes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=False),
        sa.Column("member_id", sa.String(length=40), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name="fk_access_votes_request_id_access_requests",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_votes"),
        sa.UniqueConstraint("request_id", "member_id", name="uq_access_votes_request_id"),
    )
    op.create_table(
        "access_breaches",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("reporter_id", sa.String(length=40), nullable=False),
        sa.Column("grant_id", sa.String(length=40), nullable=True),
        sa.Column("dataset_id", sa.String(length=40), nullable=False),
        sa.Column("dataset_organisation_id", sa.String(length=40), nullable=False),
        sa.Column("suspect_user_id", sa.String(length=40), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(length=40), nullable=True),
        sa.Column("resolved_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_id"], ["datasets.id"], name="fk_access_breaches_dataset_id_datasets"
        ),
        sa.ForeignKeyConstraint(
            ["grant_id"], ["access_grants.id"], name="fk_access_breaches_grant_id_access_grants"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_breaches"),
    )
    op.create_index("ix_access_breaches_state", "access_breaches", ["state", "id"], unique=False)
    op.create_table(
        "access_duties",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("grant_id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("clause", sa.String(length=100), nullable=True),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("fulfilled_at", TS, nullable=True),
        sa.Column("reminded_at", TS, nullable=True),
        sa.Column("overdue_notified_at", TS, nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["access_grants.id"],
            name="fk_access_duties_grant_id_access_grants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_duties"),
    )
    op.create_index("ix_access_duties_due", "access_duties", ["status", "due_at"], unique=False)
    op.create_index("ix_access_duties_grant_id", "access_duties", ["grant_id"], unique=False)
    op.create_table(
        "access_publications",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("grant_id", sa.String(length=40), nullable=False),
        sa.Column("doi", sa.String(length=200), nullable=True),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.String(length=40), nullable=False),
        sa.Column("reported_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["grant_id"],
            ["access_grants.id"],
            name="fk_access_publications_grant_id_access_grants",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_publications"),
    )
    op.create_index(
        "ix_access_publications_grant_id", "access_publications", ["grant_id"], unique=False
    )
    op.create_table(
        "access_breach_evidence",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("breach_id", sa.String(length=40), nullable=False),
        sa.Column("added_by", sa.String(length=40), nullable=False),
        sa.Column("filename", sa.String(length=300), nullable=False),
        sa.Column("media_type", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"],
            ["access_breaches.id"],
            name="fk_access_breach_evidence_breach_id_access_breaches",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_breach_evidence"),
    )
    op.create_index(
        "ix_access_breach_evidence_breach_id", "access_breach_evidence", ["breach_id"], unique=False
    )
    op.create_table(
        "access_breach_notes",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("breach_id", sa.String(length=40), nullable=False),
        sa.Column("author_id", sa.String(length=40), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"],
            ["access_breaches.id"],
            name="fk_access_breach_notes_breach_id_access_breaches",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_breach_notes"),
    )
    op.create_index(
        "ix_access_breach_notes_breach_id", "access_breach_notes", ["breach_id"], unique=False
    )
    op.create_table(
        "access_sanctions",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("breach_id", sa.String(length=40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=True),
        sa.Column("imposed_by", sa.String(length=40), nullable=False),
        sa.Column("revoked_grants", sa.JSON(), nullable=False),
        sa.Column("lifted_at", TS, nullable=True),
        sa.Column("lifted_by", sa.String(length=40), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["breach_id"],
            ["access_breaches.id"],
            name="fk_access_sanctions_breach_id_access_breaches",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_sanctions"),
    )
    op.create_index(
        "ix_access_sanctions_subject",
        "access_sanctions",
        ["subject_kind", "subject_id"],
        unique=False,
    )
    op.create_table(
        "access_appeals",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=20), nullable=False),
        sa.Column("request_id", sa.String(length=40), nullable=True),
        sa.Column("sanction_id", sa.String(length=40), nullable=True),
        sa.Column("organisation_id", sa.String(length=40), nullable=True),
        sa.Column("appellant_id", sa.String(length=40), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("decided_by", sa.String(length=40), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("reasons", sa.Text(), nullable=True),
        sa.Column("grant_id", sa.String(length=40), nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["access_requests.id"],
            name="fk_access_appeals_request_id_access_requests",
        ),
        sa.ForeignKeyConstraint(
            ["sanction_id"],
            ["access_sanctions.id"],
            name="fk_access_appeals_sanction_id_access_sanctions",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_access_appeals"),
    )
    op.create_index("ix_access_appeals_request_id", "access_appeals", ["request_id"], unique=False)
    op.create_index(
        "ix_access_appeals_sanction_id", "access_appeals", ["sanction_id"], unique=False
    )
    op.create_index("ix_access_appeals_state", "access_appeals", ["state", "id"], unique=False)


def downgrade() -> None:

    op.drop_index("ix_access_appeals_state", table_name="access_appeals")
    op.drop_index("ix_access_appeals_sanction_id", table_name="access_appeals")
    op.drop_index("ix_access_appeals_request_id", table_name="access_appeals")
    op.drop_table("access_appeals")
    op.drop_index("ix_access_sanctions_subject", table_name="access_sanctions")
    op.drop_table("access_sanctions")
    op.drop_index("ix_access_breach_notes_breach_id", table_name="access_breach_notes")
    op.drop_table("access_breach_notes")
    op.drop_index("ix_access_breach_evidence_breach_id", table_name="access_breach_evidence")
    op.drop_table("access_breach_evidence")
    op.drop_index("ix_access_publications_grant_id", table_name="access_publications")
    op.drop_table("access_publications")
    op.drop_index("ix_access_duties_grant_id", table_name="access_duties")
    op.drop_index("ix_access_duties_due", table_name="access_duties")
    op.drop_table("access_duties")
    op.drop_index("ix_access_breaches_state", table_name="access_breaches")
    op.drop_table("access_breaches")
    op.drop_table("access_votes")
    op.drop_index("ix_access_request_messages_request_id", table_name="access_request_messages")
    op.drop_table("access_request_messages")
    op.drop_index("ix_access_grants_status", table_name="access_grants")
    op.drop_index("ix_access_grants_holder", table_name="access_grants")
    op.drop_index("ix_access_grants_dataset", table_name="access_grants")
    op.drop_table("access_grants")
    op.drop_index("ix_access_requests_state", table_name="access_requests")
    op.drop_index("ix_access_requests_requester", table_name="access_requests")
    op.drop_index("ix_access_requests_dataset", table_name="access_requests")
    op.drop_table("access_requests")
    op.drop_index("ix_access_notifications_inbox", table_name="access_notifications")
    op.drop_table("access_notifications")
    op.drop_index("ix_access_email_outbox_state", table_name="access_email_outbox")
    op.drop_table("access_email_outbox")
    op.drop_table("access_committees")
