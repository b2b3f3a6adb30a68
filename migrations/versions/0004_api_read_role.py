"""API read role: ``iris_api_reader`` may read every table of the schema and write none.

The read API connects as the application's owner and switches to this role (``SET ROLE``) on
every new connection, so a bug or an injected statement in the API cannot change data. The role
is ``NOLOGIN``: nobody connects as it directly.

Roles are cluster-wide while grants live in each database, and the test suite migrates many
databases on one server (sometimes concurrently), so creating the role tolerates its existence
and a concurrent creator; the grants are per database and always applied.

Revision ID: 0004_api_read_role
Revises: 0003_event_outbox
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0004_api_read_role"
down_revision = "0003_event_outbox"
branch_labels = None
depends_on = None

ROLE = "iris_api_reader"


def upgrade() -> None:
    op.execute(f"""
        DO $$
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN
                BEGIN
                    CREATE ROLE {ROLE} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION;
                EXCEPTION WHEN duplicate_object OR unique_violation THEN
                    NULL;  -- another migration created it meanwhile
                END;
            END IF;
            -- The migrating user (the API's login) must be a member to ``SET ROLE``. A superuser
            -- needs no membership; an owner without ADMIN on a pre-existing role cannot grant it,
            -- and the API then refuses to start with a message saying so.
            IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
               AND NOT pg_has_role(current_user, '{ROLE}', 'MEMBER') THEN
                BEGIN
                    EXECUTE format('GRANT {ROLE} TO %I', current_user);
                EXCEPTION WHEN insufficient_privilege THEN
                    RAISE WARNING 'cannot grant {ROLE} to %: the API needs IRIS_API_ALLOW_WRITE', current_user;
                END;
            END IF;
            EXECUTE format('GRANT CONNECT ON DATABASE %I TO {ROLE}', current_database());
            EXECUTE format('GRANT USAGE ON SCHEMA %I TO {ROLE}', current_schema());
            EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO {ROLE}', current_schema());
            -- Tables later migrations create (as this same user) are readable too.
            EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT ON TABLES TO {ROLE}',
                           current_schema());
        END
        $$;
    """)


def downgrade() -> None:
    op.execute(f"""
        DO $$
        BEGIN
            IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{ROLE}') THEN
                EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I REVOKE SELECT ON TABLES FROM {ROLE}',
                               current_schema());
                EXECUTE format('REVOKE SELECT ON ALL TABLES IN SCHEMA %I FROM {ROLE}', current_schema());
                EXECUTE format('REVOKE USAGE ON SCHEMA %I FROM {ROLE}', current_schema());
                EXECUTE format('REVOKE CONNECT ON DATABASE %I FROM {ROLE}', current_database());
                BEGIN
                    DROP ROLE {ROLE};
                EXCEPTION WHEN dependent_objects_still_exist THEN
                    NULL;  -- other databases on this server still grant to it: keep the role
                END;
            END IF;
        END
        $$;
    """)
