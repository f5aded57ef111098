-- +goose Up
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE departments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL,
    parent_id   bigint REFERENCES departments (id),
    head_id     bigint,
    is_demo     boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT departments_name_key UNIQUE (name),
    CONSTRAINT departments_not_own_parent CHECK (parent_id <> id)
);
CREATE INDEX departments_parent_idx ON departments (parent_id);

CREATE TABLE employees (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username              text NOT NULL,
    name                  text NOT NULL,
    email                 text NOT NULL DEFAULT '',
    phone                 text NOT NULL DEFAULT '',
    department_id         bigint REFERENCES departments (id),
    role                  text NOT NULL CHECK (role IN ('admin', 'management', 'sales_manager', 'sales_rep', 'marketing', 'finance')),
    active                boolean NOT NULL DEFAULT true,
    password_hash         text NOT NULL,
    must_change_password  boolean NOT NULL DEFAULT false,
    locale                text NOT NULL DEFAULT '',
    -- session_epoch is stored in every session at login; bumping it (on
    -- deactivation or a password reset) ends every live session at once.
    session_epoch         integer NOT NULL DEFAULT 0,
    is_demo               boolean NOT NULL DEFAULT false,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT employees_username_key UNIQUE (username),
    CONSTRAINT employees_username_lower CHECK (username = lower(username))
);
CREATE INDEX employees_department_idx ON employees (department_id);
CREATE INDEX employees_name_trgm ON employees USING gin (name gin_trgm_ops);

ALTER TABLE departments ADD CONSTRAINT departments_head_fk FOREIGN KEY (head_id) REFERENCES employees (id);
CREATE INDEX departments_head_idx ON departments (head_id);

-- sessions is the scs session store. revoked rows are tombstones: a logout or
-- a forced sign-out marks the row instead of deleting it, so a request still
-- in flight with that token cannot write the session back (its upsert only
-- updates rows that are not revoked).
CREATE TABLE sessions (
    token    text PRIMARY KEY,
    data     bytea NOT NULL,
    expiry   timestamptz NOT NULL,
    revoked  boolean NOT NULL DEFAULT false
);
CREATE INDEX sessions_expiry_idx ON sessions (expiry);

-- login_throttle counts recent failed logins per username and per address.
CREATE TABLE login_throttle (
    key            text PRIMARY KEY,
    failures       integer NOT NULL,
    window_start   timestamptz NOT NULL,
    locked_until   timestamptz
);

-- +goose Down
DROP TABLE login_throttle;
DROP TABLE sessions;
ALTER TABLE departments DROP CONSTRAINT departments_head_fk;
DROP TABLE employees;
DROP TABLE departments;
